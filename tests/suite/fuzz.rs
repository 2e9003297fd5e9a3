//! No input makes the crate panic, hang or blow up its memory. Arbitrary bytes and mutations
//! of valid files (bit flips, insertions of syntax characters, deletions, truncations,
//! duplicated slices) go through every entry point: `check` as every kind of file, the oracle
//! case runner (the whole translation), version-key lookup, the BEAM reader (mutated beams of
//! the installed OTP, or of none when Erlang is missing), `make_relup` on a release tree
//! whose `.rel`, `.app` and `.appup` files are mutated, and `simulate` on mutated scenarios
//! and relups. Each input is bounded: at most [`MAX_SECONDS`] (a watchdog aborts the run and
//! names the input) and [`MAX_BYTES`] plus [`BYTES_PER_INPUT_BYTE`] times its size (the
//! counting allocator aborts past it): hang and blow-up detectors, not speed targets, which
//! are in `cargo bench`. `RELUP_FUZZ_CASES` sets the count (default 30,000 per CI
//! run).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use relup::check::{Context, check};
use relup::exec::scenario::Scenario;
use relup::exec::{ExecOptions, SimulatedRuntime, select_script, simulate};
use relup::files::{VersionKey, decode_relup};
use relup::plan::{BaseRelease, PlanOptions, make_relup, otp_code_path};
use relup::term::{decode_source, parse_terms};

use crate::alloc_meter::peak_during;
use crate::casegen::Rng;
use crate::common::{copy_dir, temp_path};

const KINDS: &[&str] = &[
    "x.appup",
    "x.app",
    "x.rel",
    "relup",
    "sys.config",
    "RELEASES",
    "start_erl.data",
    "x.app.src",
    "unknown",
];
const SYNTAX: &[u8] = b"{}[]<>|,.'\"$%#\\-+=_09azAZ()*?^ \n\t";

/// Hang detector: no input may take longer (debug build, loaded machine).
const MAX_SECONDS: u64 = 10;
/// Blow-up detector: the memory one input may hold at its peak, beyond its own size.
const MAX_BYTES: usize = 64 << 20;
const BYTES_PER_INPUT_BYTE: usize = 200;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["files", "invalid", "cases", "oracle"] {
        for entry in std::fs::read_dir(fixtures().join(dir)).unwrap() {
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

/// The input being run and since when, for the watchdog.
static CURRENT: Mutex<Option<(Instant, String)>> = Mutex::new(None);

/// Aborts the test binary, naming the input, when one input runs past [`MAX_SECONDS`] (a hang
/// never returns to be measured).
fn start_watchdog() {
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let guard = CURRENT
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((since, what)) = guard.as_ref() {
                if since.elapsed() > Duration::from_secs(MAX_SECONDS) {
                    eprintln!("fuzz: an input hangs ({}s): {what}", MAX_SECONDS);
                    std::process::abort();
                }
            }
        }
    });
}

/// A few dozen beams of the installed OTP (none without Erlang), some gzip-compressed.
fn beam_seeds() -> Vec<Vec<u8>> {
    let Ok(out) = std::process::Command::new("erl")
        .args([
            "-noshell",
            "-eval",
            "io:format(\"~s\", [code:lib_dir()]), halt().",
        ])
        .output()
    else {
        return Vec::new();
    };
    let lib = PathBuf::from(String::from_utf8_lossy(&out.stdout).into_owned());
    let mut files = Vec::new();
    for app in ["sasl", "stdlib", "kernel"] {
        let Some(dir) = std::fs::read_dir(&lib)
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{app}-")))
            })
        else {
            continue;
        };
        let mut beams: Vec<PathBuf> = std::fs::read_dir(dir.join("ebin"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "beam"))
            .collect();
        beams.sort();
        files.extend(beams.into_iter().step_by(7).take(12));
    }
    files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
}

/// A mutation that keeps most of the container intact: flips, chunk-size edits, truncations.
fn mutate_beam(g: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + g.below(3) {
        if b.is_empty() {
            break;
        }
        let at = g.below(b.len());
        match g.below(4) {
            0 => b[at] ^= 1 << g.below(8),
            1 => b[at] = [0, 0xff, 0x7f, 0x80][g.below(4)],
            2 => b.truncate(at),
            _ => {
                let end = (at + 4).min(b.len());
                b[at..end].fill(0xff);
            }
        }
    }
    b
}

/// Runs one input through `f` within the bounds; names the entry point and input on failure.
fn bounded(entry: &str, input: &[u8], f: impl FnOnce()) {
    let start = Instant::now();
    let limit = MAX_BYTES + BYTES_PER_INPUT_BYTE * input.len();
    *CURRENT.lock().unwrap() = Some((
        start,
        format!(
            "{entry}: {}",
            String::from_utf8_lossy(&input[..input.len().min(2000)])
        ),
    ));
    let ((), peak) = peak_during(limit, f);
    *CURRENT.lock().unwrap() = None;
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(MAX_SECONDS) && peak < limit,
        "{entry}: {took:?}, {peak} bytes at peak for a {}-byte input:\n{}",
        input.len(),
        String::from_utf8_lossy(&input[..input.len().min(2000)])
    );
}

/// A release tree (the demo's two releases) whose files the make fuzzing overwrites.
struct Tree {
    root: PathBuf,
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Tree {
    fn new() -> Tree {
        let root = temp_path("fuzz-tree");
        copy_dir(&fixtures().join("demo_releases"), &root);
        let files = [
            "new/releases/0.2.0/demo.rel",
            "old/releases/0.1.0/demo.rel",
            "new/lib/demo-0.2.0/ebin/demo.app",
            "old/lib/demo-0.1.0/ebin/demo.app",
            "new/lib/demo-0.2.0/ebin/demo.appup",
        ]
        .iter()
        .map(|f| {
            let p = root.join(f);
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
        Tree { root, files }
    }

    /// Mutates one file, plans, and puts the file back.
    fn make(&self, g: &mut Rng) {
        let (path, original) = &self.files[g.below(self.files.len())];
        let mutated = mutate(g, original);
        std::fs::write(path, &mutated).unwrap();
        let options = PlanOptions {
            path: vec![
                self.root.join("new/lib/*/ebin"),
                self.root.join("old/lib/*/ebin"),
            ],
            code_path: otp_code_path(),
            ..PlanOptions::default()
        };
        let old = [BaseRelease::new(
            self.root.join("old/releases/0.1.0/demo.rel"),
        )];
        bounded("make", &mutated, || {
            let _ = make_relup(
                &self.root.join("new/releases/0.2.0/demo.rel"),
                &old,
                &old,
                &options,
            );
        });
        std::fs::write(path, original).unwrap();
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A mutated scenario or relup of the demo, simulated to 0.2.0.
fn simulate_mutated(g: &mut Rng, scenario: &[u8], relup: &[u8]) {
    let (scenario, relup) = if g.chance(50) {
        (mutate(g, scenario), relup.to_vec())
    } else {
        (scenario.to_vec(), mutate(g, relup))
    };
    let input = [scenario.as_slice(), relup.as_slice()].concat();
    bounded("simulate", &input, || {
        let (Ok(s), Ok(r)) = (decode_source(&scenario), decode_source(&relup)) else {
            return;
        };
        let (Ok(st), Ok(rt)) = (parse_terms(&s), parse_terms(&r)) else {
            return;
        };
        let (Ok(scenario), (Some(relup), _)) = (Scenario::from_terms(&st), decode_relup(&rt))
        else {
            return;
        };
        let release = scenario.release.clone();
        let Ok((script, direction)) = select_script(&relup, &release, "0.2.0") else {
            return;
        };
        if let Ok(node) = SimulatedRuntime::new(scenario) {
            let _ = simulate(node, script, Some(direction), &ExecOptions::default());
        }
    });
}

#[test]
fn no_input_panics_hangs_or_blows_up() {
    let n: usize = crate::common::env_count("RELUP_FUZZ_CASES", 30_000);
    start_watchdog();
    let seeds = seeds();
    let tree = Tree::new();
    let scenario = std::fs::read(fixtures().join("sim/demo_0.1.0.scenario")).unwrap();
    let relup = std::fs::read(fixtures().join("files/demo.relup")).unwrap();
    let keys: Vec<&[u8]> = vec![
        br"1\.[0-9]+",
        br"(?|(a)|(b))\.\d*",
        br"[\w-.]+",
        br"\Q1.0\E",
    ];
    let mut g = Rng::new(0xf022);
    let mut counts = [0usize; 6];
    let beams = beam_seeds();
    for i in 0..n {
        let input: Vec<u8> = if i % 5 == 0 {
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
            let seed = g.below(seeds.len());
            mutate(&mut g, &seeds[seed])
        };
        let kind = KINDS[i % KINDS.len()];
        bounded(kind, &input, || {
            let _ = check(Path::new(kind), &input, &Context::default());
        });
        counts[0] += 1;
        if let Ok(text) = std::str::from_utf8(&input) {
            bounded("translate", &input, || {
                let _ = relup::cases::run_cases(text);
            });
            counts[1] += 1;
        }
        let which = g.below(keys.len());
        let key = mutate(&mut g, keys[which]);
        if let Ok(pattern) = std::str::from_utf8(&key) {
            bounded("version key", &key, || {
                for vsn in ["1.0", "1.0.1", "a.0", ""] {
                    let _ = VersionKey::Regex(pattern.to_string()).matches(vsn);
                }
            });
            counts[2] += 1;
        }
        if !beams.is_empty() && i % 3 == 0 {
            let which = g.below(beams.len());
            let mutated = mutate_beam(&mut g, &beams[which]);
            bounded("beam", &mutated, || {
                if let Ok(b) = relup::beam::Beam::parse(&mutated) {
                    let _ = (
                        b.md5(),
                        b.behaviours(),
                        b.literal_count(),
                        b.exports(),
                        b.imports(),
                        b.external_funs(),
                        relup::appup::supervisor_info(&b),
                    );
                }
            });
            counts[5] += 1;
        }
        if i % 10 == 0 {
            tree.make(&mut g);
            counts[3] += 1;
        }
        if i % 5 == 0 {
            simulate_mutated(&mut g, &scenario, &relup);
            counts[4] += 1;
        }
    }
    eprintln!(
        "fuzz: {n} inputs: check {}, translate {}, version keys {}, beams {}, make {}, simulate {}; no panic, hang or blow-up",
        counts[0], counts[1], counts[2], counts[5], counts[3], counts[4]
    );
}
