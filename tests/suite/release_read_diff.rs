//! Reading a release, differentially: `.rel` and `.app` files with every kind of key and
//! value systools checks (and the shapes it misreads: a key tuple of three elements, a `mod`
//! that is not `{Module, Args}`, strings outside Latin-1) are read by
//! `systools_make:get_release/2` (`tests/otp/get_release.escript`) and by
//! [`relup::plan::get_release`], and must give the same application records (in start
//! order), the same warnings, or the same error term. Where OTP crashes (and returns the
//! `'EXIT'` inside its error) we must report an error.

use std::path::{Path, PathBuf};

use relup::term::{Term, parse_term};

use crate::common::temp_path;

const KERNEL: &str = r#"{application, kernel, [{description, "k"}, {vsn, "8.0"}, {modules, [kernel_m]}, {registered, [kernel_sup]}, {applications, []}]}."#;
const STDLIB: &str = r#"{application, stdlib, [{description, "s"}, {vsn, "4.0"}, {modules, [stdlib_m]}, {registered, []}, {applications, [kernel]}]}."#;
const SASL: &str = r#"{application, sasl, [{description, "s"}, {vsn, "4.0"}, {modules, [sasl_m]}, {registered, []}, {applications, [kernel, stdlib]}]}."#;
const REL: &str = r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, {stdlib, "4.0"}, {sasl, "4.0"}, {x, "1"}]}."#;
const KEYS: &str = r#"{description, "x"}, {vsn, "1"}, {modules, [x_m]}, {registered, []}, {applications, [kernel, stdlib]}"#;

/// `x.app` with these keys in front of the valid ones (systools takes the first of a key).
fn app_with(extra: &str) -> String {
    format!("{{application, x, [{extra}, {KEYS}]}}.")
}

/// The `.app` cases: a label and the whole text of `x.app`.
fn app_cases() -> Vec<(String, String)> {
    let mut cases: Vec<(String, String)> = [
        "{env, [{port, 80}, {name, \"n\"}]}",
        "{env, foo}",
        "{env, [foo]}",
        "{env, [{\"x\", 1}]}",
        "{env, [{a, 1} | x]}",
        "{env, []}",
        "{start_phases, undefined}",
        "{start_phases, []}",
        "{start_phases, [{init, []}, go]}",
        "{start_phases, [{init, [1]}]}",
        "{vsn, \"1\", extra}",
        "{vsn}",
        "{mod, x}",
        "{mod, {\"m\", x}}",
        "{mod, {m, x, y}}",
        "{mod, []}",
        "{mod, {x_app, [a | b]}}",
        "{description, [0]}",
        "{description, [1114111]}",
        "{description, [55296]}",
        "{description, []}",
        "{description, [13, 127, 159, 200]}",
        "{description, x}",
        "{id, [256]}",
        "{id, \"id\"}",
        "{id, 7}",
        "{optional_applications, x}",
        "{optional_applications, [kernel]}",
        "{optional_applications, [nowhere]}",
        "{maxT, 0}",
        "{maxT, -1}",
        "{maxT, infinity}",
        "{maxT, 99999999999999999999999999999}",
        "{maxP, foo}",
        "{maxP, 3}",
        "{modules, [{m, 1}]}",
        "{modules, \"m\"}",
        "{registered, [a, \"b\"]}",
        "{applications, [kernel | stdlib]}",
        "{included_applications, [y]}",
        "{included_applications, \"\"}",
        "registered",
        "{7, x}",
    ]
    .iter()
    .map(|extra| (extra.to_string(), app_with(extra)))
    .collect();
    for (label, text) in [
        (
            "no registered",
            "{application, x, [{description, \"x\"}, {vsn, \"1\"}, {modules, []}, {applications, [kernel]}]}.",
        ),
        (
            "no description",
            "{application, x, [{vsn, \"1\"}, {modules, []}, {registered, []}, {applications, [kernel]}]}.",
        ),
        ("no keys", "{application, x, []}."),
        ("string dict", "{application, x, \"abc\"}."),
        ("improper dict", "{application, x, [{vsn, \"1\"} | x]}."),
        (
            "other name",
            "{application, y, [{description, \"x\"}, {vsn, \"1\"}, {modules, []}, {registered, []}, {applications, []}]}.",
        ),
        (
            "other vsn",
            "{application, x, [{description, \"x\"}, {vsn, \"2\"}, {modules, []}, {registered, []}, {applications, []}]}.",
        ),
        ("not application", "{app, x, []}."),
        ("string name", "{application, \"x\", []}."),
        ("four elements", "{application, x, [], []}."),
    ] {
        cases.push((label.to_string(), text.to_string()));
    }
    cases
}

/// The `.rel` cases (with the valid `x.app`).
fn rel_cases() -> Vec<(String, String)> {
    let apps = r#"{kernel, "8.0"}, {stdlib, "4.0"}, {sasl, "4.0"}, {x, "1"}"#;
    [
        format!(r#"{{release, {{[1], "1"}}, {{erts, "13.0"}}, [{apps}]}}."#),
        format!(r#"{{release, {{"r", [0]}}, {{erts, "13.0"}}, [{apps}]}}."#),
        format!(r#"{{release, {{"r", "1"}}, {{erts, [1114111]}}, [{apps}]}}."#),
        format!(r#"{{release, {{r, "1"}}, {{erts, "13.0"}}, [{apps}]}}."#),
        format!(r#"{{release, {{"r", 1}}, {{erts, 13}}, [{apps}]}}."#),
        format!(r#"{{release, {{"r", "1"}}, {{beam, "13.0"}}, [{apps}]}}."#),
        format!(r#"{{release, {{"r", "1"}}, {{erts, "13.0"}}, {{{apps}}}}}."#),
        format!(r#"{{release, {{"r", "1"}}, {{erts, "13.0"}}, [{apps} | x]}}."#),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, {stdlib, "4.0", temporary}, {sasl, "4.0"}, {x, "1"}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0", load}, {stdlib, "4.0", temporary}, {x, "1"}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{stdlib, "4.0"}, {x, "1"}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, {stdlib, "4.0"}, {x, "1"}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, x, {stdlib, "4.0", bad}, {x, "1", [b], load}, {sasl, [1]}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, {stdlib, "4.0"}, {sasl, "4.0"}, {x, "1", transient, []}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, {stdlib, "4.0"}, {sasl, "4.0"}, {x, "1", [kernel]}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, {stdlib, "4.0"}, {sasl, "4.0"}, {x, "1", load, "ab"}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, {kernel, "9.0", load}, {stdlib, "4.0"}, {sasl, "4.0"}, {x, "1"}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, [56, 46, 48 | x]}, {stdlib, "4.0"}, {x, "1"}]}."#.into(),
        r#"{release, {"r", "1"}, {erts, "13.0"}, [{kernel, "8.0"}, {stdlib, "4.0"}, {sasl, "4.0"}, {x, "2"}]}."#.into(),
    ]
    .into_iter()
    .map(|rel| (rel.clone(), rel))
    .collect()
}

/// Writes one case directory: `r.rel`, kernel, stdlib, sasl and `x.app`.
fn write_case(dir: &Path, rel: &str, app: &str) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in [
        ("r.rel", rel),
        ("kernel.app", KERNEL),
        ("stdlib.app", STDLIB),
        ("sasl.app", SASL),
        ("x.app", app),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// Our reading of a case, as the oracle prints it.
fn ours(dir: &Path) -> String {
    match relup::plan::get_release(&dir.join("r.rel"), &[dir.to_path_buf()]) {
        Ok(loaded) => {
            let records = loaded.apps.iter().map(|a| a.to_term()).collect();
            let warnings = if loaded.missing_sasl {
                vec![Term::tuple(vec![
                    Term::atom("warning"),
                    Term::atom("missing_sasl"),
                ])]
            } else {
                Vec::new()
            };
            Term::tuple(vec![
                Term::atom("ok"),
                Term::list(records),
                Term::list(warnings),
            ])
            .to_string()
        }
        Err(e) => e.to_term().to_string(),
    }
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn release_files_read_as_systools_reads_them() {
    let root = temp_path("release-read");
    let mut cases: Vec<(String, PathBuf)> = Vec::new();
    for (i, (label, app)) in app_cases().into_iter().enumerate() {
        let dir = root.join(format!("app{i}"));
        write_case(&dir, REL, &app);
        cases.push((format!(".app {label}"), dir));
    }
    for (i, (label, rel)) in rel_cases().into_iter().enumerate() {
        let dir = root.join(format!("rel{i}"));
        write_case(&dir, &rel, &app_with("{env, []}"));
        cases.push((format!(".rel {label}"), dir));
    }
    let dirs: Vec<&PathBuf> = cases.iter().map(|(_, d)| d).collect();
    let otp = crate::common::escript("get_release", &dirs);
    let otp: Vec<&str> = otp.lines().collect();
    assert_eq!(otp.len(), cases.len(), "one oracle line per case");
    let (mut bad, mut made, mut crashed) = (Vec::new(), 0, 0);
    for ((label, dir), line) in cases.iter().zip(&otp) {
        let (_, otp_text) = line.split_once('\t').unwrap();
        let ours_text = ours(dir);
        let otp_term = parse_term(otp_text).unwrap();
        // systools catches its own crashes (string_p/1 of an atom, keysearch/3 of an improper
        // list) and returns them inside its error term.
        if otp_text.contains("{'EXIT',") {
            crashed += 1;
            if !ours_text.starts_with("{error,") {
                bad.push(format!("{label}: OTP crashes, we accept: {ours_text}"));
            }
            continue;
        }
        made += usize::from(otp_text.starts_with("{ok,"));
        if parse_term(&ours_text).ok() != Some(otp_term) {
            bad.push(format!("{label}:\n  ours {ours_text}\n  otp  {otp_text}"));
        }
    }
    eprintln!(
        "release read: {} cases, {made} read by OTP, {crashed} OTP crashes, {} mismatches",
        cases.len(),
        bad.len()
    );
    let _ = std::fs::remove_dir_all(&root);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
