//! The `relup` binary: exit codes, output formats, and `translate APPUP` against the relup
//! systools made for the e2e demo (`tests/fixtures/files/demo.relup`, copied from OTP's output).

use std::process::{Command, Output};

use relup::files::decode_relup;
use relup::term::{parse_term, parse_terms};

use crate::common::snapshot_settings;

fn relup(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relup"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn check_exits_0_on_clean_files_and_1_with_all_errors_reported() {
    let clean = relup(&[
        "check",
        "tests/fixtures/demo/demo.appup",
        "tests/fixtures/demo/demo.app",
        "tests/fixtures/files/shop.rel",
        "tests/fixtures/files/demo.relup",
    ]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    assert!(stdout(&clean).ends_with("checked 4 file(s): 0 error(s), 0 warning(s)\n"));
    let bad = relup(&[
        "check",
        "tests/fixtures/invalid/bad_list.appup",
        "tests/fixtures/invalid/bad_change.appup",
        "tests/fixtures/invalid/missing_sasl.rel",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let _guard = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("cli_check_three_files", stdout(&bad));
}

#[test]
fn check_json_gives_positions_codes_and_reasons() {
    let out = relup(&[
        "check",
        "--json",
        "tests/fixtures/invalid/bad_purge_method.appup",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let error = &json["errors"][0];
    assert_eq!(error["code"], "bad_purge_method");
    assert_eq!(
        error["reason"],
        serde_json::json!({"tuple": ["bad_purge_method", "rutal_purge"]})
    );
    assert_eq!(error["line"], 3);
}

#[test]
fn translate_appup_gives_the_scripts_systools_put_in_the_demo_relup() {
    let systools = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/files/demo.relup"
    ))
    .unwrap();
    let expected = decode_relup(&parse_terms(&systools).unwrap()).0.unwrap();
    let up = relup(&[
        "translate",
        "tests/fixtures/demo/demo.appup",
        "--from",
        "0.1.0",
    ]);
    assert_eq!(
        up.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let up_text = stdout(&up);
    let up_term = parse_terms(&up_text).unwrap().remove(0);
    let expected_up = relup::instr::script_to_term(&expected.up[0].instructions);
    assert_eq!(up_term, expected_up);
    let down = relup(&[
        "translate",
        "tests/fixtures/demo/demo.appup",
        "--from",
        "0.1.0",
        "--down",
        "--old-app",
        "tests/fixtures/demo/demo-0.1.0.app",
    ]);
    let down_text = stdout(&down);
    let down_term = parse_terms(&down_text).unwrap().remove(0);
    assert_eq!(
        down_term,
        relup::instr::script_to_term(&expected.down[0].instructions)
    );
    let json = relup(&[
        "translate",
        "tests/fixtures/demo/demo.appup",
        "--from",
        "0.1.0",
        "--json",
    ]);
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(parsed["ok"], true);
    assert_eq!(parsed["instructions"][0]["tuple"][0], "load_object_code");
}

#[test]
fn translate_appup_without_a_matching_entry_is_no_relup() {
    let out = relup(&[
        "translate",
        "tests/fixtures/demo/demo.appup",
        "--from",
        "0.0.9",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no UpFrom entry of the appup matches version 0.0.9: add an entry")
    );
}

#[test]
fn translate_cases_prints_one_oracle_line_per_case() {
    let out = relup(&["translate", "--cases", "tests/fixtures/cases/readme.cases"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2], "oops\terror\t{undef_module,m9}");
    assert!(parse_term(lines[0].split('\t').nth(2).unwrap()).is_ok());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "translate: 3 cases, 2 ok, 1 error\n"
    );
}

#[test]
fn translate_explain_names_the_modules_of_a_dependency_cycle() {
    let dir = crate::common::temp_path("cycle");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.appup"), "{\"2\", [{\"1\", [{update, x, {advanced, []}, [y]}, {update, y, soft, [x]}, {load_module, z}]}], []}.\n").unwrap();
    std::fs::write(
        dir.join("a.app"),
        "{application, a, [{vsn, \"2\"}, {modules, [x, y, z]}]}.\n",
    )
    .unwrap();
    let out = relup(&[
        "translate",
        dir.join("a.appup").to_str().unwrap(),
        "--from",
        "1",
        "--explain",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "relup: note: x, y depend on each other in a cycle: kept in appup order\n"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_appup_whose_version_is_a_binary_is_a_warning() {
    let out = relup(&["check", "tests/fixtures/invalid/bad_vsn.appup"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).ends_with("0 error(s), 1 warning(s)\n"));
    assert!(stdout(&out).contains("[bad_vsn]"));
}

#[test]
fn translate_reads_only_the_entry_it_selects() {
    let file = "tests/fixtures/files/one_bad_entry.appup";
    let good = relup(&["translate", file, "--from", "0.1.0"]);
    assert_eq!(good.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&good.stderr);
    assert!(
        stderr.contains("warning: bad purge method rutal_purge")
            && stderr.contains("(in an entry not selected for this version)"),
        "{stderr}"
    );
    assert!(stdout(&good).contains("{load,{m1,brutal_purge,brutal_purge}}"));
    let bad = relup(&["translate", file, "--from", "0.0.9"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("5:42: error: bad purge method"));
}

#[test]
fn check_takes_a_release_root_and_checks_each_appup_against_its_app() {
    let out = relup(&["check", "--json", "tests/fixtures/demo_releases/new"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let files = v["files"].as_array().unwrap();
    let appup = files
        .iter()
        .find(|f| {
            f["file"]
                .as_str()
                .unwrap()
                .ends_with("demo-0.2.0/ebin/demo.appup")
        })
        .unwrap();
    assert_eq!(appup["checked_against"], "demo 0.2.0");
    assert!(files.iter().any(|f| f["kind"] == "rel"));
}
