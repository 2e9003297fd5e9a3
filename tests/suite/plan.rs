//! Relup planning on the e2e demo's two release trees (`tests/fixtures/demo_releases`, copied
//! from the rebar3 builds of `shared/e2e`): the relup equals systools' (the reference in the
//! e2e README, and a live `systools:make_relup` run byte for byte); plan snapshots for the demo
//! and for each oracle relup example; `relup make`'s errors and warnings; and the live e2e run
//! in which a real OTP node installs our relup.

use std::path::{Path, PathBuf};
use std::process::Command;

use relup::plan::{BaseRelease, Plan, PlanOptions, make_relup, relup_text};
use relup::term::{Term, parse_terms};

use crate::common::{otp_available, shared_dir, snapshot_settings, temp_path};

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
fn demo_relup_file_is_byte_identical_to_a_live_systools_run() {
    if !otp_available() {
        return;
    }
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
fn plans_of_the_oracle_relup_examples() {
    if !otp_available() {
        return;
    }
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
        let bases = [BaseRelease::new(rel("old1"))];
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
    assert!(stderr.contains("demo-0.2.0/ebin/demo.appup: could not read the appup [{error,systools_relup,{file_problem,{"), "{stderr}");
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

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// A real OTP 25 node installs the relup `relup make` writes: upgrade, downgrade, upgrade
/// again, with state migration checked by `shared/e2e/run.sh` (RELUP_STRICT=1 adds the check
/// that our relup equals systools' as terms).
#[test]
fn e2e_real_node_installs_our_relup() {
    if !otp_available() {
        return;
    }
    let have_rebar3 = Command::new("rebar3")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_rebar3 {
        assert_eq!(
            std::env::var("RELUP_NO_OTP").as_deref(),
            Ok("1"),
            "rebar3 is needed for the e2e test (.ci/run installs it)"
        );
        return;
    }
    let wrapper = temp_path("relup-e2e-cmd");
    std::fs::write(
        &wrapper,
        format!("#!/usr/bin/env bash\nexec \"{}\" make \"$2\" --up-from \"$1\" --down-to \"$1\" --output \"$3\"\n", env!("CARGO_BIN_EXE_relup")),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .unwrap();
    let out = Command::new("bash")
        .arg(shared_dir().join("e2e/run.sh"))
        .env("RELUP_STRICT", "1")
        .env("RELUP_CMD", &wrapper)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("e2e: "))
        .unwrap_or("no summary");
    eprintln!("{last}");
    let _ = std::fs::remove_file(wrapper);
    assert!(
        out.status.success() && last.ends_with(" passed, 0 failed"),
        "{last}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passed: usize = last
        .trim_start_matches("e2e: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(passed >= 79, "{last}");
}
