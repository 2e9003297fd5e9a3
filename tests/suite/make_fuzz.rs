//! Differential fuzzing of relup planning: generated release pairs (`relgen.rs`) whose `.rel`,
//! `.app` or `.appup` files get one term replaced by another (a version, an atom, a list,
//! ...) are planned by `systools:make_relup` and by us, and must give the same relup,
//! warnings or error. Where OTP itself crashes (an `'EXIT'` or a raised exception) we must
//! report an error too. `RELUP_FUZZ_RELEASES` sets the count (default 40 per CI run).

use std::path::{Path, PathBuf};

use relup::term::{Term, TermKind, parse_first_term};

use crate::casegen::Rng;
use crate::common::temp_path;
use crate::relgen::spec;
use crate::relup_diff::{ours, same_output, spec_options};

/// Replacement terms: valid-looking values in the wrong places and the reverse.
const VALUES: &[&str] = &[
    "\"1.0\"",
    "\"9.9\"",
    "\"\"",
    "kernel",
    "stdlib",
    "nosuchapp",
    "permanent",
    "load",
    "brutal_purge",
    "[]",
    "[kernel]",
    "{a,b}",
    "42",
    "<<\"1\\\\..*\">>",
    "undefined",
];

/// Every subterm position of `t`, as index paths.
fn positions(t: &Term<'_>, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(path.clone());
    let items: &[Term<'_>] = match &t.kind {
        TermKind::Tuple(items) | TermKind::List(items, None) => items,
        _ => return,
    };
    for (i, item) in items.iter().enumerate() {
        path.push(i);
        positions(item, path, out);
        path.pop();
    }
}

fn replace(t: &Term<'_>, path: &[usize], with: &Term<'static>) -> Term<'static> {
    let Some((&first, rest)) = path.split_first() else {
        return with.clone();
    };
    let map = |items: &[Term<'_>]| -> Vec<Term<'static>> {
        items
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if i == first {
                    replace(x, rest, with)
                } else {
                    x.clone().into_owned()
                }
            })
            .collect()
    };
    match &t.kind {
        TermKind::Tuple(items) => Term::tuple(map(items)),
        TermKind::List(items, None) => Term::list(map(items)),
        _ => t.clone().into_owned(),
    }
}

/// The tree's `.rel`, `.app` and `.appup` files.
fn release_files(tree: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut walk = vec![tree.to_path_buf()];
    while let Some(dir) = walk.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "rel" || x == "app" || x == "appup")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Replaces one subterm of one file of the tree; says what it did.
fn mutate_tree(g: &mut Rng, tree: &Path) -> String {
    let files = release_files(tree);
    let file = &files[g.below(files.len())];
    let text = std::fs::read_to_string(file).unwrap();
    let term = parse_first_term(&text).unwrap().unwrap().into_owned();
    let mut all = Vec::new();
    positions(&term, &mut Vec::new(), &mut all);
    let at = &all[1 + g.below(all.len() - 1).min(all.len() - 2)];
    let value = relup::term::parse_term(VALUES[g.below(VALUES.len())])
        .unwrap()
        .into_owned();
    let mutated = replace(&term, at, &value);
    std::fs::write(file, format!("{mutated}.\n")).unwrap();
    format!(
        "{}: {at:?} := {value}",
        file.strip_prefix(tree).unwrap().display()
    )
}

fn otp_on_tree(tree: &Path, options: &str) -> String {
    crate::common::escript(
        "relup",
        &[
            std::ffi::OsStr::new("--tree"),
            tree.as_os_str(),
            std::ffi::OsStr::new(options),
        ],
    )
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn mutated_release_trees_plan_as_otp_plans_them() {
    let n: usize = crate::common::env_count("RELUP_FUZZ_RELEASES", 40);
    let mut g = Rng::new(0xbad_7ee5);
    let (mut made, mut crashed, mut bad) = (0, 0, Vec::new());
    for i in 0..n {
        let spec_text = spec(&mut g);
        let file = temp_path("mutated.spec");
        std::fs::write(&file, &spec_text).unwrap();
        let tree = crate::common::run_relup_oracle_keep(&file).tree;
        let _ = std::fs::remove_file(&file);
        let what = mutate_tree(&mut g, &tree);
        let (_, _, options) = spec_options(&spec_text);
        let otp = otp_on_tree(&tree, &options);
        let (lines, _) = ours(&tree, &spec_text);
        let otp_crash = otp.starts_with("error\t")
            && (otp.contains("'EXIT'") || otp.contains("{error,oracle,{raised"));
        if otp_crash {
            crashed += 1;
            if !lines[0].starts_with("error\t") {
                bad.push(format!("case {i} ({what}): OTP crashes, we accept\n{otp}"));
            }
        } else if !same_output(&lines, &otp) {
            bad.push(format!(
                "case {i} ({what}):\n{spec_text}\n--- ours\n{}\n--- otp\n{otp}",
                lines.join("\n")
            ));
        }
        made += usize::from(otp.starts_with("ok\t"));
        let _ = std::fs::remove_dir_all(&tree);
    }
    eprintln!(
        "make fuzz: {n} mutated release trees, {made} made by OTP, {crashed} OTP crashes, {} mismatches",
        bad.len()
    );
    assert!(bad.is_empty(), "{}", bad[..bad.len().min(5)].join("\n\n"));
}
