//! Differential tests of relup planning against `systools:make_relup/4`, through
//! `tests/otp/relup.escript` on generated release pairs (`relgen.rs`) and the oracle's examples:
//! equal relup terms, equal warnings, equal errors (paths written as `$TMP`, as the oracle
//! does), and for a share of the pairs the relup file systools writes is byte-identical to ours.

use std::path::Path;
use std::process::Command;

use relup::plan::{BaseRelease, PlanOptions, make_relup, otp_code_path, relup_text};
use relup::term::{Term, parse_term, parse_terms};

use crate::casegen::Rng;
use crate::common::{old_names, temp_path};
use crate::relgen::spec;

const WRITE_RELUP: &str = r#"#!/usr/bin/env escript
%%! -noshell
main([Tree, Out, Opts0 | Olds]) ->
    {ok, Tokens, _} = erl_scan:string(Opts0 ++ "."),
    {ok, Opts} = erl_parse:parse_term(Tokens),
    R = fun(N) -> filename:join([Tree, "releases", N]) end,
    Bases = [R(O) || O <- Olds],
    Res = systools:make_relup(R("new"), Bases, Bases,
                              [{path, [filename:join([Tree, "lib", "*", "ebin"])]}, {outdir, Out}, silent | Opts]),
    io:format("~p~n", [element(1, Res)]).
"#;

/// Writes a spec to a temporary file and runs the relup oracle on it, keeping the tree.
fn run_oracle_keep(spec_text: &str, label: &str) -> crate::common::OracleRun {
    let file = temp_path(label);
    std::fs::write(&file, spec_text).unwrap();
    let run = crate::common::run_relup_oracle_keep(&file);
    let _ = std::fs::remove_file(&file);
    run
}

/// The `{options, [...]}` of a spec, as make_relup options.
pub fn spec_options(spec_text: &str) -> (bool, bool, String) {
    let terms = parse_terms(spec_text).unwrap();
    let opts = terms.iter().find_map(|t| match t.as_tuple() {
        Some([tag, o]) if tag.is_atom("options") => Some(o.clone().into_owned()),
        _ => None,
    });
    let has = |a: &str| {
        opts.as_ref()
            .and_then(|o| o.list_items())
            .is_some_and(|l| l.iter().any(|i| i.as_atom() == Some(a)))
    };
    (
        has("restart_emulator"),
        has("warnings_as_errors"),
        opts.map_or("[]".to_string(), |o| o.to_string()),
    )
}

/// Our result in the oracle's output format, with the tree path written as `$TMP`.
pub fn ours(tree: &Path, spec_text: &str) -> (Vec<String>, Option<String>) {
    let (restart_emulator, warnings_as_errors, _) = spec_options(spec_text);
    let rel = |n: &str| tree.join("releases").join(format!("{n}.rel"));
    let bases: Vec<BaseRelease> = old_names(tree)
        .iter()
        .map(|n| BaseRelease::new(rel(n)))
        .collect();
    let options = PlanOptions {
        path: vec![tree.join("lib").join("*").join("ebin")],
        code_path: otp_code_path(),
        restart_emulator,
        warnings_as_errors,
        ..PlanOptions::default()
    };
    let tmp = tree.to_string_lossy().into_owned();
    let fix = |t: Term<'static>| {
        parse_term(&t.to_string().replace(&tmp, "$TMP"))
            .unwrap()
            .into_owned()
            .to_string()
    };
    match make_relup(&rel("new"), &bases, &bases, &options) {
        Ok(plan) => {
            let text = relup_text(&plan.relup);
            let warnings = Term::list(plan.warnings.iter().map(|w| w.term.clone()).collect());
            (
                vec![
                    format!("ok\t{}", fix(plan.relup.to_term())),
                    format!("warnings\t{}", fix(warnings)),
                ],
                Some(text),
            )
        }
        Err(e) => (vec![format!("error\t{}", fix(e.to_term()))], None),
    }
}

/// Compares as terms, line by line.
pub fn same_output(ours: &[String], otp: &str) -> bool {
    let otp: Vec<&str> = otp.lines().collect();
    ours.len() == otp.len()
        && ours.iter().zip(&otp).all(|(a, b)| {
            let (ta, va) = a.split_once('\t').unwrap();
            let (tb, vb) = b.split_once('\t').unwrap_or(("", ""));
            ta == tb && parse_term(va).ok() == parse_term(vb).ok()
        })
}

/// The relup file real systools writes for the kept tree, when it makes one.
fn systools_file(tree: &Path, spec_text: &str, label: &str) -> Option<Vec<u8>> {
    // One script file per spec: the two worker threads must not share it.
    let script = temp_path(&format!("write_relup-{label}.escript"));
    std::fs::write(&script, WRITE_RELUP).unwrap();
    let out_dir = tree.join("systools_out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let (_, _, opts) = spec_options(spec_text);
    let out = Command::new("escript")
        .arg(&script)
        .arg(tree)
        .arg(&out_dir)
        .arg(opts)
        .args(old_names(tree))
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(out_dir.join("relup")).ok()
}

/// A spec's outcome: a mismatch description, whether relup files were compared, and whether
/// OTP made a relup.
type SpecOutcome = (Option<String>, bool, bool);

/// Runs one spec both ways; returns a mismatch description, whether files were compared, and
/// whether OTP made a relup.
fn check_spec(spec_text: &str, label: &str, compare_file: bool) -> SpecOutcome {
    check_spec_kind(spec_text, label, compare_file).0
}

/// [`check_spec`], plus the kind of OTP's error (`Module:Tag`) when it rejected the pair.
fn check_spec_kind(
    spec_text: &str,
    label: &str,
    compare_file: bool,
) -> ((Option<String>, bool, bool), Option<String>) {
    let run = run_oracle_keep(spec_text, label);
    let kind = error_kind(&run.stdout);
    (check_run(run, spec_text, label, compare_file), kind)
}

/// `systools_relup:no_relup` for `error\t{error,systools_relup,{no_relup,...}}`.
fn error_kind(stdout: &str) -> Option<String> {
    let term = parse_term(stdout.strip_prefix("error\t")?.trim()).ok()?;
    let items = term.as_tuple()?;
    let reason = items.get(2)?;
    let tag = reason
        .tagged()
        .map(|(t, _)| t.to_string())
        .or_else(|| reason.as_atom().map(String::from))
        .unwrap_or_else(|| "list".into());
    Some(format!("{}:{tag}", items.get(1)?.as_atom()?))
}

fn check_run(
    run: crate::common::OracleRun,
    spec_text: &str,
    label: &str,
    compare_file: bool,
) -> (Option<String>, bool, bool) {
    let accepted = run.stdout.starts_with("ok\t");
    let (lines, text) = ours(&run.tree, spec_text);
    let mut problem = (!same_output(&lines, &run.stdout)).then(|| {
        format!(
            "{label}:\n{spec_text}\n--- ours\n{}\n--- otp\n{}",
            lines.join("\n"),
            run.stdout
        )
    });
    let mut compared = false;
    if problem.is_none() && compare_file {
        if let (Some(ours), Some(theirs)) = (text, systools_file(&run.tree, spec_text, label)) {
            compared = true;
            if ours.as_bytes() != theirs.as_slice() {
                problem = Some(format!(
                    "{label}: relup files differ\n--- ours\n{ours}\n--- systools\n{}",
                    String::from_utf8_lossy(&theirs)
                ));
            }
        }
    }
    std::fs::remove_dir_all(&run.tree).unwrap();
    (problem, compared, accepted)
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn make_relup_equals_otp_on_generated_release_pairs() {
    let n: usize = crate::common::env_count("RELUP_DIFF_RELEASES", 320);
    let mut g = Rng::new(0x4e1e);
    let specs: Vec<String> = (0..n).map(|_| spec(&mut g)).collect();
    let results: Vec<(SpecOutcome, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|w| {
                let specs = &specs;
                s.spawn(move || {
                    (w..specs.len())
                        .step_by(2)
                        .map(|i| check_spec_kind(&specs[i], &format!("spec{i}"), i % 5 == 0))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let kinds: std::collections::BTreeSet<&str> =
        results.iter().filter_map(|r| r.1.as_deref()).collect();
    let results: Vec<&SpecOutcome> = results.iter().map(|r| &r.0).collect();
    let bad: Vec<&String> = results.iter().filter_map(|r| r.0.as_ref()).collect();
    let files = results.iter().filter(|r| r.1).count();
    let accepted = results.iter().filter(|r| r.2).count();
    eprintln!("OTP's errors among the pairs: {kinds:?}");
    for kind in [
        "systools_relup:file_problem",
        "systools_relup:no_relup",
        "systools_rc:undef_module",
        "systools_make:undefined_applications",
        "systools_relup:warnings_treated_as_errors",
    ] {
        assert!(
            kinds.contains(kind),
            "the generator never produced {kind}: {kinds:?}"
        );
    }
    eprintln!(
        "relup differential: {n} release pairs ({accepted} made by OTP, {} rejected), {files} relup files compared byte for byte, {} mismatches",
        n - accepted,
        bad.len()
    );
    assert!(
        accepted > n / 2 && accepted < n,
        "the pairs should mostly succeed and sometimes fail ({accepted} of {n})"
    );
    assert!(files >= n / 10, "only {files} files compared");
    assert!(
        bad.is_empty(),
        "{} mismatches, first:\n{}",
        bad.len(),
        bad[0]
    );
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn oracle_relup_examples_equal_otp_and_their_files() {
    for path in crate::common::oracle_examples("relup") {
        let text = std::fs::read_to_string(&path).unwrap();
        let (problem, _, _) = check_spec(&text, path.file_name().unwrap().to_str().unwrap(), true);
        assert!(problem.is_none(), "{}", problem.unwrap());
    }
}

/// Hand-made release pairs for rules the generator does not reach (tests/fixtures/releases):
/// the pre-R15 sasl rule with `restart_emulator`, circular dependencies between applications,
/// duplicate registered names and includes, an application listed twice, and text after the
/// first term of `.rel`, `.app` and `.appup` files (OTP reads one term).
#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn release_fixtures_equal_otp_and_their_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/releases");
    let mut specs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    specs.sort();
    assert!(specs.len() >= 6);
    for path in specs {
        let text = std::fs::read_to_string(&path).unwrap();
        let ((problem, _, _), kind) =
            check_spec_kind(&text, path.file_name().unwrap().to_str().unwrap(), true);
        assert!(problem.is_none(), "{}", problem.unwrap());
        let expected = match path.file_stem().unwrap().to_str().unwrap() {
            "circular_core" => Some("systools_make:circular_dependencies"),
            "duplicate_include" => Some("systools_make:duplicate_include"),
            "duplicate_register" | "application_listed_twice" => {
                Some("systools_make:duplicate_register")
            }
            _ => None,
        };
        assert_eq!(kind.as_deref(), expected, "{}", path.display());
    }
}
