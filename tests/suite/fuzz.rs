//! No input makes the crate panic: arbitrary bytes and mutations of valid files (bit flips,
//! insertions of syntax characters, deletions, truncations, duplicated slices) go through
//! `check` as every kind of file and through the oracle case runner (the whole translation).
//! `RELUP_FUZZ_CASES` sets the count (default 30,000 per CI run; a 1,000,000 run is in the
//! README).

use std::path::Path;

use relup::files::{Context, check};

use crate::casegen::Rng;

const KINDS: &[&str] = &[
    "x.appup",
    "x.app",
    "x.rel",
    "relup",
    "sys.config",
    "unknown",
];
const SYNTAX: &[u8] = b"{}[]<>|,.'\"$%#\\-+=_09azAZ \n\t";

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for dir in ["files", "invalid", "cases"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            out.push(std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
    let mut g = Rng::new(7);
    for i in 0..40 {
        out.push(crate::casegen::case(&mut g, &format!("f{i}"), 5, 10).into_bytes());
    }
    out
}

fn mutate(g: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + g.below(4) {
        let at = if b.is_empty() { 0 } else { g.below(b.len()) };
        match g.below(6) {
            0 if !b.is_empty() => b[at] ^= 1 << g.below(8),
            1 => b.insert(at, *g.pick(SYNTAX)),
            2 if !b.is_empty() => {
                b.remove(at);
            }
            3 => b.truncate(at),
            4 if !b.is_empty() => {
                let end = (at + g.below(40)).min(b.len());
                let slice = b[at..end].to_vec();
                let to = g.below(b.len() + 1);
                b.splice(to..to, slice);
            }
            _ => b.insert(at, g.next() as u8),
        }
    }
    b
}

#[test]
fn no_input_panics() {
    let n: usize = std::env::var("RELUP_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30_000);
    let seeds = seeds();
    let mut g = Rng::new(0xf022);
    for i in 0..n {
        let input = if i % 5 == 0 {
            (0..g.below(64))
                .map(|_| {
                    if g.chance(70) {
                        *g.pick(SYNTAX)
                    } else {
                        g.next() as u8
                    }
                })
                .collect()
        } else {
            let seed = &seeds[g.below(seeds.len())];
            mutate(&mut g, seed)
        };
        let kind = KINDS[i % KINDS.len()];
        let _ = check(Path::new(kind), &input, &Context::default());
        if let Ok(text) = std::str::from_utf8(&input) {
            let _ = relup::cases::run_cases(text);
        }
    }
    eprintln!("fuzz: {n} inputs, no panic");
}
