//! The JSON contract of the command line (README, "JSON output"): for every command, on
//! success and on failure, `--json` prints one JSON document on stdout (one per line for
//! `translate --cases`) with `schema_version`, `command`, `ok`, `errors` and `warnings`, and the
//! exit status says which case it is (0 done, 1 the input has errors, 2 could not run).
//! Snapshots pin each document (paths written as `$CRATE` and `$TMP`).

use std::path::Path;
use std::process::Command;

use crate::common::{copy_dir, snapshot_settings, temp_path};

/// Runs the binary in the crate directory; returns (exit status, stdout).
fn relup(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_relup"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Parses a document, checks the envelope, and gives it back with paths redacted.
fn document(text: &str, command: &str, ok: bool, tmp: Option<&Path>) -> serde_json::Value {
    let mut redacted = text.replace(env!("CARGO_MANIFEST_DIR"), "$CRATE");
    if let Some(t) = tmp {
        redacted = redacted.replace(t.to_str().unwrap(), "$TMP");
    }
    let v: serde_json::Value =
        serde_json::from_str(&redacted).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"));
    assert_eq!(v["schema_version"], 1, "{text}");
    assert_eq!(v["command"], command, "{text}");
    assert_eq!(v["ok"], ok, "{text}");
    assert!(v["errors"].is_array() && v["warnings"].is_array(), "{text}");
    assert_eq!(v["errors"].as_array().unwrap().is_empty(), ok, "{text}");
    for e in v["errors"].as_array().unwrap() {
        assert!(e["code"].is_string() && e["message"].is_string(), "{text}");
    }
    v
}

fn snap(name: &str, v: &serde_json::Value) {
    let _guard = snapshot_settings().bind_to_scope();
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!(format!("json_{name}"), serde_json::to_string_pretty(v).unwrap());
    });
}

#[test]
fn check_documents() {
    let (code, out) = relup(&[
        "check",
        "--json",
        "tests/fixtures/demo/demo.appup",
        "tests/fixtures/demo/demo.app",
    ]);
    assert_eq!(code, 0);
    snap("check_ok", &document(&out, "check", true, None));
    let (code, out) = relup(&[
        "check",
        "--json",
        "tests/fixtures/invalid/bad_purge_method.appup",
        "tests/fixtures/invalid/bad_vsn.appup",
    ]);
    assert_eq!(code, 1);
    snap("check_errors", &document(&out, "check", false, None));
    let (code, out) = relup(&["check", "--json", "tests/fixtures/no/such.appup"]);
    assert_eq!(code, 2);
    let v = document(&out, "check", false, None);
    assert_eq!(v["errors"][0]["code"], "io");
}

#[test]
fn translate_documents() {
    let (code, out) = relup(&[
        "translate",
        "--json",
        "tests/fixtures/demo/demo.appup",
        "--from",
        "0.1.0",
    ]);
    assert_eq!(code, 0);
    snap("translate_ok", &document(&out, "translate", true, None));
    let (code, out) = relup(&[
        "translate",
        "--json",
        "tests/fixtures/demo/demo.appup",
        "--from",
        "0.0.9",
    ]);
    assert_eq!(code, 1);
    snap(
        "translate_no_entry",
        &document(&out, "translate", false, None),
    );
    let (code, out) = relup(&[
        "translate",
        "--json",
        "--cases",
        "tests/fixtures/cases/readme.cases",
    ]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["schema_version"] == 1));
    snap("translate_cases", &serde_json::Value::Array(lines));
}

#[test]
fn make_documents() {
    let demo = "tests/fixtures/demo_releases";
    let (code, out) = relup(&[
        "make",
        "--json",
        "--dry-run",
        &format!("{demo}/new/releases/0.2.0"),
        "--up-from",
        &format!("{demo}/old/releases/0.1.0"),
    ]);
    assert_eq!(code, 0);
    let v = document(&out, "make", true, None);
    assert_eq!(v["written"], false);
    assert_eq!(v["relup"]["down"][0]["vsn"], "0.1.0");
    snap("make_dry_run", &v);

    // The same pair without the appup: OTP's file_problem, exit 1, nothing written.
    let tmp = temp_path("json-make");
    copy_dir(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(demo).as_path(),
        &tmp,
    );
    std::fs::remove_file(tmp.join("new/lib/demo-0.2.0/ebin/demo.appup")).unwrap();
    let (code, out) = relup(&[
        "make",
        "--json",
        tmp.join("new").to_str().unwrap(),
        "--up-from",
        tmp.join("old/releases/0.1.0").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let v = document(&out, "make", false, Some(&tmp));
    assert_eq!(v["errors"][0]["code"], "file_problem");
    assert!(!tmp.join("new/releases/0.2.0/relup").exists());
    snap("make_file_problem", &v);
    std::fs::remove_dir_all(&tmp).unwrap();

    // A base release that is not there: exit 2, and the message lists the forms accepted.
    let (code, out) = relup(&[
        "make",
        "--json",
        &format!("{demo}/new"),
        "--up-from",
        "9.9.9",
    ]);
    assert_eq!(code, 2);
    snap(
        "make_release_not_found",
        &document(&out, "make", false, None),
    );
}

#[test]
fn simulate_documents() {
    let args = |to: &str| {
        vec![
            "simulate".to_string(),
            "--json".into(),
            "--node".into(),
            "tests/fixtures/sim/demo_0.1.0.scenario".into(),
            "--relup".into(),
            "tests/fixtures/files/demo.relup".into(),
            "--to".into(),
            to.into(),
        ]
    };
    let run = |to: &str| {
        let a = args(to);
        relup(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (code, out) = run("0.2.0");
    assert_eq!(code, 0);
    snap("simulate_ok", &document(&out, "simulate", true, None));
    let (code, out) = run("0.9.9");
    assert_eq!(code, 2);
    let v = document(&out, "simulate", false, None);
    assert_eq!(v["errors"][0]["code"], "no_matching_relup");
    snap("simulate_no_matching_relup", &v);
}

/// `tests/fixtures/beam/tiny_srv.beam` (compiled from `tiny_srv.erl` by OTP 25's erlc; its md5
/// is checked against `beam_lib:md5` in `beams.rs`) and a file that is not a beam.
#[test]
fn beam_documents() {
    let (code, out) = relup(&["beam", "--json", "tests/fixtures/beam/tiny_srv.beam"]);
    assert_eq!(code, 0);
    let v = document(&out, "beam", true, None);
    assert_eq!(v["beams"][0]["module"], "tiny_srv");
    assert_eq!(v["beams"][0]["code_change"], true);
    snap("beam_ok", &v);
    let (code, out) = relup(&["beam", "--json", "tests/fixtures/beam/not_a.beam"]);
    assert_eq!(code, 1);
    let v = document(&out, "beam", false, None);
    assert_eq!(v["errors"][0]["code"], "bad_beam");
    snap("beam_not_a_beam", &v);
}

#[test]
fn usage_errors_are_documents_too() {
    let (code, out) = relup(&["make", "--json"]);
    assert_eq!(code, 2);
    let v = document(&out, "make", false, None);
    assert_eq!(v["errors"][0]["code"], "usage");
    let (code, out) = relup(&["translate", "--json", "--bogus"]);
    assert_eq!(code, 2);
    document(&out, "translate", false, None);
}

/// `appup generate` and `appup lint` on releases whose beams are not there (the demo's
/// release files carry none): an error naming the directory, never an empty appup. Their success
/// documents are read by `appup_rules.rs` and `live_release.rs` on real builds.
#[test]
fn appup_failure_documents() {
    for sub in ["generate", "lint"] {
        let (code, out) = relup(&[
            "appup",
            sub,
            "tests/fixtures/demo_releases/old",
            "--json",
            "--new",
            "tests/fixtures/demo_releases/new",
        ]);
        assert_eq!(code, 2, "{out}");
        let v = document(&out, "appup", false, None);
        assert_eq!(v["errors"][0]["code"], "no_beams");
        snap(&format!("appup_{sub}_no_beams"), &v);
    }
}
