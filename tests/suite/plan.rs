//! Relup planning on a demo's two release trees (`tests/fixtures/demo_releases`, from rebar3
//! builds): the relup equals systools' (a reference file, and a live `systools:make_relup` run
//! byte for byte); plan snapshots for the demo and for each oracle relup example; `relup
//! make`'s errors and warnings. The live run on a real node is `live_release.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use relup::plan::{BaseRelease, Plan, PlanOptions, make_relup, relup_text};
use relup::term::{Term, parse_terms};

use crate::common::{copy_dir, snapshot_settings, temp_path};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo_releases")
}

fn demo_plan() -> Plan {
    let old = demo().join("old/releases/0.1.0/demo.rel");
    let options = PlanOptions {
        path: vec![demo().join("new/lib/*/ebin"), demo().join("old/lib/*/ebin")],
        ..PlanOptions::default()
    };
    make_relup(
        &demo().join("new/releases/0.2.0/demo.rel"),
        &[BaseRelease::new(&old)],
        &[BaseRelease::new(&old)],
        &options,
    )
    .unwrap()
}

fn plan_snapshot(plan: &Plan) -> String {
    let warnings: Vec<String> = plan
        .warnings
        .iter()
        .map(|w| format!("warning {}: {}", w.term, w.message))
        .collect();
    format!("{}{}", relup_text(&plan.relup), warnings.join("\n"))
}

#[test]
fn demo_relup_equals_the_systools_reference_byte_for_byte() {
    let plan = demo_plan();
    let reference = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/files/demo.relup"
    ))
    .unwrap();
    assert_eq!(parse_terms(&reference).unwrap()[0], plan.relup.to_term());
    assert_eq!(relup_text(&plan.relup), reference);
    assert!(plan.warnings.is_empty());
    let _guard = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("plan_e2e_demo", plan_snapshot(&plan));
}

const SYSTOOLS_DEMO: &str = r#"#!/usr/bin/env escript
%%! -noshell
main([Out, New, Old | Paths]) ->
    {ok, _, _, []} = systools:make_relup(New, [Old], [Old], [{path, Paths}, {outdir, Out}, silent]),
    ok.
"#;

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn demo_relup_file_is_byte_identical_to_a_live_systools_run() {
    let script = temp_path("systools_demo.escript");
    let out = temp_path("systools_demo_out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(&script, SYSTOOLS_DEMO).unwrap();
    let status = Command::new("escript")
        .arg(&script)
        .arg(&out)
        .arg(demo().join("new/releases/0.2.0/demo"))
        .arg(demo().join("old/releases/0.1.0/demo"))
        .arg(demo().join("new/lib/*/ebin"))
        .arg(demo().join("old/lib/*/ebin"))
        .status()
        .unwrap();
    assert!(status.success());
    let theirs = std::fs::read_to_string(out.join("relup")).unwrap();
    assert_eq!(relup_text(&demo_plan().relup), theirs);
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_file(script);
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn plans_of_the_oracle_relup_examples() {
    let _guard = snapshot_settings().bind_to_scope();
    for spec in crate::common::oracle_examples("relup") {
        let tree = crate::common::run_relup_oracle_keep(&spec).tree;
        let rel = |n: &str| tree.join("releases").join(format!("{n}.rel"));
        let text = std::fs::read_to_string(&spec).unwrap();
        let restart_emulator = text.contains("restart_emulator]");
        let options = PlanOptions {
            path: vec![tree.join("lib/*/ebin")],
            code_path: relup::plan::otp_code_path(),
            restart_emulator,
            ..PlanOptions::default()
        };
        let bases: Vec<BaseRelease> = crate::common::old_names(&tree)
            .iter()
            .map(|n| BaseRelease::new(rel(n)))
            .collect();
        let shown = match make_relup(&rel("new"), &bases, &bases, &options) {
            Ok(plan) => plan_snapshot(&plan),
            Err(e) => format!("error {}\n{e}", e.to_term()).replace(tree.to_str().unwrap(), "$TMP"),
        };
        let name = spec.file_stem().unwrap().to_str().unwrap().to_string();
        insta::assert_snapshot!(format!("plan_{name}"), shown);
        std::fs::remove_dir_all(tree).unwrap();
    }
}

fn relup_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_relup"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn make_reports_a_missing_appup_with_its_file_and_writes_nothing() {
    let tmp = temp_path("noappup");
    let _ = std::fs::remove_dir_all(&tmp);
    copy_dir(&demo(), &tmp);
    std::fs::remove_file(tmp.join("new/lib/demo-0.2.0/ebin/demo.appup")).unwrap();
    let target = tmp.join("relup");
    let out = relup_cli(&[
        "make",
        tmp.join("new/releases/0.2.0").to_str().unwrap(),
        "--up-from",
        tmp.join("old/releases/0.1.0").to_str().unwrap(),
        "--output",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("demo-0.2.0/ebin/demo.appup: could not read the appup (no such file): demo changes from 0.1.0 to 0.2.0"), "{stderr}");
    assert!(
        stderr.contains("[{error,systools_relup,{file_problem,{"),
        "{stderr}"
    );
    assert!(stderr.contains("enoent"), "{stderr}");
    assert!(!target.exists());
    std::fs::remove_dir_all(tmp).unwrap();
}

#[test]
fn make_warns_in_words_on_an_erts_change_and_fails_with_warnings_as_errors() {
    let tmp = temp_path("erts");
    let _ = std::fs::remove_dir_all(&tmp);
    copy_dir(&demo(), &tmp);
    let rel = tmp.join("old/releases/0.1.0/demo.rel");
    let text = std::fs::read_to_string(&rel)
        .unwrap()
        .replace("{erts,\"13.1.5\"}", "{erts,\"13.0\"}");
    std::fs::write(&rel, text).unwrap();
    let (new, old) = (
        tmp.join("new/releases/0.2.0"),
        tmp.join("old/releases/0.1.0"),
    );
    let out = relup_cli(&[
        "make",
        new.to_str().unwrap(),
        "--up-from",
        old.to_str().unwrap(),
        "--down-to",
        old.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("relup: warning: ")
            && stderr.contains(
                "the erts version changes between demo 0.2.0 (13.1.5) and demo 0.1.0 (13.0)"
            ),
        "{stderr}"
    );
    let written = std::fs::read_to_string(new.join("relup")).unwrap();
    let relup = parse_terms(&written).unwrap().remove(0);
    let up = relup.as_tuple().unwrap()[1].list_items().unwrap()[0].to_term();
    let first = up.as_tuple().unwrap()[2].list_items().unwrap()[0].to_term();
    assert_eq!(first, Term::atom("restart_new_emulator"));
    let strict = relup_cli(&[
        "make",
        new.to_str().unwrap(),
        "--up-from",
        old.to_str().unwrap(),
        "--warnings-as-errors",
        "--dry-run",
    ]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("warnings_treated_as_errors"));
    std::fs::remove_dir_all(tmp).unwrap();
}
