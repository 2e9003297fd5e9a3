//! Reading a release, differentially: `.rel` and `.app` files with every kind of key and
//! value systools checks (and the shapes it misreads: a key tuple of three elements, a `mod`
//! that is not `{Module, Args}`, strings outside Latin-1) are read by
//! `systools_make:get_release/2` (`tests/otp/get_release.escript`) and by
//! [`relup::plan::get_release`], and must give the same application records (in start
//! order), the same warnings, or the same error term. Where OTP crashes (and returns the
//! `'EXIT'` inside its error) we must report an error. `relup check` must agree on each
//! `.app` and `.rel` too: systools' objection among its diagnostics' reasons, no error where
//! systools reads the file.

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
        format!(r#"{{release, {{[-1], "1"}}, {{erts, "13.0"}}, [{apps}]}}."#),
        format!(r#"{{release, {{"r", [55296]}}, {{erts, "13.0"}}, [{apps}]}}."#),
        format!(r#"{{release, {{"r", "1"}}, {{erts, [1114112]}}, [{apps}]}}."#),
        format!(r#"{{release, {{"r", [-1]}}, {{erts, [-1]}}, [{apps}, {{y, [-1]}}]}}."#),
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

/// systools' objection to `x.app` in its answer, when it has one about the file's keys or
/// shape: `{bad_param, K}`, `{missing_param, K}` or `badly_formatted_application`.
fn app_objection(otp: &Term<'_>) -> Option<String> {
    // {error, systools_make, [{error_reading, {x, Reason}}]}
    let errors = otp.as_tuple()?.get(2)?.list_items()?;
    errors.iter().find_map(|e| {
        let e = e.to_term();
        let [tag, what] = e.as_tuple()? else {
            return None;
        };
        let [app, reason] = what.as_tuple()? else {
            return None;
        };
        if !tag.is_atom("error_reading") || !app.is_atom("x") {
            return None;
        }
        let first = reason.as_tuple()?.first()?;
        match first.tagged() {
            Some(("bad_param" | "missing_param", 2)) => Some(first.to_string()),
            _ if first.is_atom("badly_formatted_application") => Some(first.to_string()),
            _ => None,
        }
    })
}

/// `relup check` on `x.app` agrees with systools: where systools objects to its keys, a
/// diagnostic carries the same reason; where systools reads it, no error but our own
/// `bad_app_key` (an entry that is not `{Key, Value}`, which systools skips).
fn lint_agrees(dir: &Path, otp: &Term<'_>, otp_read_it: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("x.app")).unwrap();
    let terms = relup::term::parse_terms(&text).map_err(|e| e.to_string())?;
    let (_, diagnostics) = relup::files::decode_app(&terms, Some("x"));
    let reasons: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d.reason.as_deref())
        .collect();
    if let Some(objection) = app_objection(otp) {
        return match reasons.contains(&objection.as_str()) {
            true => Ok(()),
            false => Err(format!(
                "systools says {objection}, relup check says {reasons:?}"
            )),
        };
    }
    let errors: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d.is_error() && d.code.as_str() != "bad_app_key")
        .map(|d| d.message.as_str())
        .collect();
    match (otp_read_it, errors.is_empty()) {
        (true, false) => Err(format!("systools reads it, relup check says {errors:?}")),
        _ => Ok(()),
    }
}

/// `relup check` on `r.rel` agrees with systools: where `check_rel/1` objects, a diagnostic
/// carries the same reason (the malformed entries one diagnostic each, together the list
/// systools gives); where systools gets past it, no error.
fn rel_lint_agrees(dir: &Path, otp: &Term<'_>) -> Result<(), String> {
    const REL_REASONS: &[&str] = &[
        "illegal_name",
        "illegal_form",
        "illegal_applications",
        "missing_mandatory_app",
        "mandatory_app",
    ];
    let text = std::fs::read_to_string(dir.join("r.rel")).unwrap();
    let terms = relup::term::parse_terms(&text).map_err(|e| e.to_string())?;
    let (_, diagnostics) = relup::files::decode_rel(&terms);
    let errors: Vec<Term<'static>> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| parse_term(d.reason.as_deref()?).ok().map(Term::into_owned))
        .collect();
    let reason = otp
        .as_tuple()
        .filter(|t| t.len() == 3 && t[0].is_atom("error"))
        .map(|t| &t[2]);
    let objection = reason.filter(|r| {
        r.is_atom("badly_formatted_release")
            || r.tagged()
                .is_some_and(|(tag, _)| REL_REASONS.contains(&tag))
    });
    let Some(objection) = objection else {
        return match errors.is_empty() {
            true => Ok(()),
            false => Err(format!(
                "systools gets past check_rel, relup check says {errors:?}"
            )),
        };
    };
    let agrees = match objection.tagged() {
        Some(("illegal_applications", 2)) => {
            let entries: Vec<Term<'static>> = errors
                .iter()
                .filter(|e| e.tagged() == Some(("illegal_applications", 2)))
                .flat_map(|e| e.as_tuple().unwrap()[1].list_items().unwrap_or_default())
                .map(|i| i.to_term())
                .collect();
            Term::list(entries) == objection.as_tuple().unwrap()[1]
        }
        _ => errors.contains(objection),
    };
    match agrees {
        true => Ok(()),
        false => Err(format!(
            "systools says {objection}, relup check says {errors:?}"
        )),
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
        let lint = if label.starts_with(".app") {
            lint_agrees(dir, &otp_term, otp_text.starts_with("{ok,"))
        } else {
            rel_lint_agrees(dir, &otp_term)
        };
        if let Err(e) = lint {
            bad.push(format!("{label}: relup check: {e}"));
        }
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
