//! Real release files: every `.appup` and `.app` shipped with the installed OTP, the `.app`,
//! `.rel` and `.appup` files of the oracle's generated release trees, the relups the oracle
//! produces, and the live-release demo's files all parse, decode without errors, and round-trip
//! through the printer. Plus snapshots of the decoded model of representative files.

use std::path::{Path, PathBuf};
use std::process::Command;

use relup::check::{Context, check};
use relup::files::{FileKind, decode_app, decode_appup, decode_rel, decode_relup};
use relup::term::{decode_source, parse_term, parse_terms};

use crate::common::{otp_dir, snapshot_settings};

/// Asserts that every term of the file reads back equal from its printed form.
fn assert_round_trip(path: &Path, source: &str) {
    for t in parse_terms(source).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let printed = t.to_string();
        let again = parse_term(&printed).unwrap_or_else(|e| {
            panic!("{}: reprint does not parse: {e}\n{printed}", path.display())
        });
        assert_eq!(again, t, "{}: round trip changed the term", path.display());
    }
}

/// Checks a file and asserts it has no errors; returns its kind.
fn assert_clean(path: &Path) -> Option<FileKind> {
    let bytes = std::fs::read(path).unwrap();
    let report = check(path, &bytes, &Context::default());
    let errors: Vec<_> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    assert_round_trip(path, &decode_source(&bytes).unwrap());
    report.kind
}

fn otp_lib_dir() -> PathBuf {
    let out = Command::new("erl")
        .args([
            "-noshell",
            "-eval",
            "io:format(\"~s\", [code:lib_dir()]), halt().",
        ])
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap())
}

fn files_with_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_with_ext(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn every_installed_otp_appup_and_app_parses_decodes_and_round_trips() {
    let lib = otp_lib_dir();
    let (mut appups, mut apps) = (Vec::new(), Vec::new());
    files_with_ext(&lib, "appup", &mut appups);
    files_with_ext(&lib, "app", &mut apps);
    assert!(
        appups.len() >= 20,
        "only {} appups under {}",
        appups.len(),
        lib.display()
    );
    let mut regex_keys = 0;
    for path in &appups {
        assert_eq!(assert_clean(path), Some(FileKind::Appup));
        let source = std::fs::read_to_string(path).unwrap();
        let (appup, _) = decode_appup(&parse_terms(&source).unwrap(), None);
        let appup = appup.unwrap();
        regex_keys += appup
            .up_from
            .iter()
            .chain(&appup.down_to)
            .filter(|c| matches!(c.version, relup::files::VersionKey::Regex(_)))
            .count();
    }
    assert!(
        regex_keys > 50,
        "expected OTP's regex version keys, found {regex_keys}"
    );
    for path in &apps {
        assert_eq!(assert_clean(path), Some(FileKind::App));
    }
    eprintln!(
        "{} OTP appups ({regex_keys} regex keys) and {} .app files",
        appups.len(),
        apps.len()
    );
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn oracle_release_trees_and_relups_parse_decode_and_round_trip() {
    let mut checked = 0;
    for spec in crate::common::oracle_examples("relup") {
        let run = crate::common::run_relup_oracle_keep(&spec);
        let (tree, stdout) = (run.tree, run.stdout);
        let mut files = Vec::new();
        for ext in ["app", "rel", "appup"] {
            files_with_ext(&tree, ext, &mut files);
        }
        for f in &files {
            assert_clean(f);
            checked += 1;
        }
        // The relup term the oracle printed, written as a relup file.
        if let Some(term) = stdout.lines().find_map(|l| l.strip_prefix("ok\t")) {
            let file = tree.join("relup");
            std::fs::write(&file, format!("%% coding: utf-8\n{term}.\n")).unwrap();
            assert_eq!(assert_clean(&file), Some(FileKind::Relup));
            let (relup, _) =
                decode_relup(&parse_terms(&std::fs::read_to_string(&file).unwrap()).unwrap());
            assert!(relup.is_some());
            checked += 1;
        }
        std::fs::remove_dir_all(&tree).unwrap();
    }
    assert!(checked >= 15, "only {checked} files");
}

#[test]
fn e2e_demo_files_parse_decode_and_round_trip() {
    let demo = otp_dir().join("demo");
    for rel in [
        "0.2.0/ebin/tally.appup",
        "0.1.0/config/sys.config",
        "0.2.0/config/sys.config",
    ] {
        assert_clean(&demo.join(rel));
    }
    for vsn in ["0.1.0", "0.2.0"] {
        let path = demo.join(vsn).join("src/tally.app.src");
        let source = std::fs::read_to_string(&path).unwrap();
        let (app, diags) = decode_app(&parse_terms(&source).unwrap(), Some("tally"));
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        assert_eq!(app.unwrap().vsn, vsn);
        assert_round_trip(&path, &source);
    }
}

fn fixture(rel: &str) -> (String, Vec<relup::term::Term<'static>>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/files")
        .join(rel);
    let source = std::fs::read_to_string(&path).unwrap();
    let terms = parse_terms(&source)
        .unwrap()
        .into_iter()
        .map(|t| t.into_owned())
        .collect();
    (source, terms)
}

#[test]
fn decoded_models_of_representative_files() {
    let _guard = snapshot_settings().bind_to_scope();
    let (_, demo) = fixture("demo.appup");
    insta::assert_yaml_snapshot!("model_demo_appup", decode_appup(&demo, None).0.unwrap());
    let (_, kernel) = fixture("kernel.appup");
    insta::assert_yaml_snapshot!("model_kernel_appup", decode_appup(&kernel, None).0.unwrap());
    let (_, app) = fixture("store.app");
    insta::assert_yaml_snapshot!(
        "model_store_app",
        decode_app(&app, Some("store")).0.unwrap()
    );
    let (_, rel) = fixture("shop.rel");
    insta::assert_yaml_snapshot!("model_shop_rel", decode_rel(&rel).0.unwrap());
    let (_, relup) = fixture("demo.relup");
    insta::assert_yaml_snapshot!("model_demo_relup", decode_relup(&relup).0.unwrap());
}
