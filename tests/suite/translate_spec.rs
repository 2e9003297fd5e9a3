//! The worked examples of the spec (§3.y) and OTP's own `systools_rc_SUITE` cases (§8.1),
//! each in both modes (`tests/fixtures/cases/spec.cases`): every result equals OTP's (live
//! oracle) and is snapshotted, laid out one instruction per line for review. And one case per
//! error kind (`error_kinds.cases`): the reason equals OTP's, and its sentence is snapshotted.

use relup::cases::run_case;
use relup::instr::Mode;
use relup::passes::{Application, Apps, TranslateOptions, translate_terms};
use relup::term::{Term, parse_terms_recovering, pretty};

use crate::common::snapshot_settings;
use crate::translate_diff::compare;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/cases/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn spec_and_otp_suite_cases_equal_otp() {
    let (count, bad, _) = compare(&fixture("spec.cases"), "spec.cases");
    assert!(count >= 120);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn spec_and_otp_suite_cases_snapshots() {
    let _guard = snapshot_settings().bind_to_scope();
    for term in parse_terms_recovering(&fixture("spec.cases"), true) {
        let term = term.unwrap();
        let line = run_case(&term);
        let status = if line.ok { "ok" } else { "error" };
        // The input beside the output: mode, scripts, the applications moved to and from.
        let input = term.as_tuple().map(|t| &t[2..]).unwrap_or_default();
        let input: Vec<String> = ["mode", "scripts", "apps", "pre_apps"]
            .iter()
            .zip(input)
            .map(|(label, t)| format!("{label}: {}", pretty(t)))
            .collect();
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(
                format!("translate_{}", line.name),
                format!("{}\n---\n{status}\n{}", input.join("\n"), pretty(&line.value))
            );
        });
    }
}

/// The applications a case names, decoded as the case runner does.
fn apps(t: &Term<'_>) -> Apps {
    Apps(
        t.list_items()
            .unwrap()
            .into_iter()
            .map(|i| {
                let e = i.to_term();
                let items = e.as_tuple().unwrap();
                let mods: Vec<String> = items[2]
                    .list_items()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_atom().unwrap().to_string())
                    .collect();
                let mods: Vec<&str> = mods.iter().map(String::as_str).collect();
                Application::new(
                    items[0].as_atom().unwrap(),
                    &items[1].as_charlist().unwrap(),
                    &mods,
                )
            })
            .collect(),
    )
}

#[test]
fn every_error_kind_has_otps_reason_and_a_sentence() {
    let _guard = snapshot_settings().bind_to_scope();
    let text = fixture("error_kinds.cases");
    let mut rendered = String::new();
    for term in parse_terms_recovering(&text, true) {
        let term = term.unwrap();
        let items = term.as_tuple().unwrap();
        let name = items[1].as_atom().unwrap().to_string();
        let scripts: Vec<Term<'_>> = match items[3].as_tuple() {
            Some([_, s]) => s
                .list_items()
                .unwrap()
                .iter()
                .map(|i| i.to_term())
                .collect(),
            _ => vec![items[3].clone()],
        };
        let err = translate_terms(
            Mode::Up,
            &scripts,
            &apps(&items[4]),
            &apps(&items[5]),
            &TranslateOptions::default(),
        )
        .expect_err(&name);
        let reason = err.reason();
        assert_eq!(
            reason.tagged().map(|(t, _)| t).or(reason.as_atom()),
            Some(name.as_str()),
            "{name}: reason {reason}"
        );
        rendered.push_str(&format!("{reason}\n    {err}\n"));
    }
    insta::assert_snapshot!("translate_error_sentences", rendered);
}

/// OTP gives the same reasons, except where OTP crashes (we give our own reason).
#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn every_error_kind_equals_otp() {
    let (count, bad, _) = compare(&fixture("error_kinds.cases"), "error_kinds.cases");
    assert!(count >= 30);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
