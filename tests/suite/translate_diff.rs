//! Differential tests of translation against OTP's own `systools_rc:translate_scripts/4`,
//! run through `tests/otp/translate.escript` on the same case files.
//!
//! Where OTP's order depends on ETS hash iteration (independent components inside one
//! dependency group), the oracle's `--components` column tells which order OTP took; we feed
//! it to our translation as the tie-break ([`TranslateOptions::module_rank`]) and then compare
//! exactly. That our own default order is a valid one is pinned in `order.rs`'s tests.

use std::collections::HashMap;

use relup::cases::{CaseLine, run_case_with};
use relup::instr::{Atom, decode_instruction};
use relup::passes::TranslateOptions;
use relup::term::{Term, parse_terms_recovering};

use crate::casegen::{Rng, case, single_instruction_case};
use crate::common::{OracleLine, is_otp_crash, parse_oracle_lines, run_oracle};

/// OTP's order inside each component, as a rank per module.
fn rank_from_components(components: Option<&Term<'_>>) -> TranslateOptions {
    let mut rank = HashMap::new();
    if let Some(groups) = components.and_then(Term::list_items) {
        for group in groups {
            for m in group.to_term().list_items().unwrap_or_default() {
                if let Some(a) = m.as_atom() {
                    let next = rank.len();
                    rank.entry(Atom::from(a)).or_insert(next);
                }
            }
        }
    }
    TranslateOptions {
        module_rank: Some(rank),
    }
}

/// Compares one of our lines with the oracle's; returns a description of a mismatch.
pub fn mismatch(ours: &CaseLine, otp: &OracleLine) -> Option<String> {
    if ours.name != otp.name {
        return Some(format!("name {} vs {}", ours.name, otp.name));
    }
    if !otp.ok && is_otp_crash(&otp.value) {
        return (ours.ok).then(|| {
            format!(
                "{}: OTP crashes ({}) but we accept: {}",
                ours.name, otp.value, ours.value
            )
        });
    }
    if ours.ok != otp.ok || ours.value != otp.value {
        return Some(format!(
            "{}\n  ours: {} {}\n  otp:  {} {}",
            ours.name, ours.ok, ours.value, otp.ok, otp.value
        ));
    }
    None
}

/// Every reason `translate_scripts` can give (plus OTP crashes), which the generated cases
/// must all produce.
const EVERY_ERROR_KIND: &[&str] = &[
    "bad_instruction",
    "bad_module",
    "bad_change",
    "bad_mod_type",
    "bad_purge_method",
    "bad_list",
    "bad_args_list",
    "bad_node",
    "bad_application",
    "bad_start_type",
    "bad_func",
    "bad_lib",
    "bad_lib_vsn",
    "bad_timeout",
    "bad_mode",
    "bad_code_change",
    "not_yet_implemented",
    "too_many_point_of_no_return",
    "bad_op_before_point_of_no_return",
    "no_object_code",
    "suspended_not_resumed",
    "resumed_not_suspended",
    "start_not_stop",
    "stop_not_start",
    "no_such_application",
    "removed_application_present",
    "muldef_module",
    "undef_module",
    "no_such_module",
    "conflicting_versions",
    "EXIT",
];

/// Runs `cases` through the oracle and through us (with OTP's tie-break), returning
/// (number of cases, mismatches, the oracle's lines).
pub fn compare(cases: &str, label: &str) -> (usize, Vec<String>, Vec<OracleLine>) {
    let otp = parse_oracle_lines(&run_oracle("translate", &["--components"], cases, label));
    let terms = parse_terms_recovering(cases, true);
    assert_eq!(terms.len(), otp.len(), "one oracle line per case");
    let mut bad = Vec::new();
    for (term, otp_line) in terms.iter().zip(&otp) {
        let term = term.as_ref().expect("generated cases parse");
        let ours = run_case_with(term, &rank_from_components(otp_line.components.as_ref()));
        bad.extend(mismatch(&ours, otp_line));
    }
    (otp.len(), bad, otp)
}

fn case_count() -> usize {
    crate::common::env_count("RELUP_DIFF_CASES", 12_000)
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn translation_equals_otp_on_generated_cases() {
    let mut g = Rng::new(0x5eed_2026);
    let n = case_count();
    let mut text = String::new();
    for i in 0..n {
        // Mostly valid cases; every 4th with invalid fields.
        let bad = if i % 4 == 3 { 8 } else { 0 };
        text.push_str(&case(&mut g, &format!("c{i}"), 1 + i % 6, bad));
    }
    let (count, bad, otp) = compare(&text, "generated.cases");
    let oks = otp.iter().filter(|l| l.ok).count();
    eprintln!(
        "translate differential: {count} cases ({oks} ok in OTP), {} mismatches",
        bad.len()
    );
    assert!(
        oks > count / 3,
        "too few accepted cases ({oks}) to exercise the passes"
    );
    let kinds: std::collections::BTreeSet<String> = otp
        .iter()
        .filter(|l| !l.ok)
        .map(|l| {
            l.value
                .tagged()
                .map_or_else(|| l.value.to_string(), |(t, _)| t.to_string())
        })
        .collect();
    let missing: Vec<&str> = EVERY_ERROR_KIND
        .iter()
        .copied()
        .filter(|k| !kinds.contains(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "the generator never produced: {missing:?}"
    );
    assert!(
        bad.is_empty(),
        "{} mismatches, first ones:\n{}",
        bad.len(),
        bad[..bad.len().min(8)].join("\n")
    );
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn syntax_check_equals_otp_on_single_instructions() {
    let mut g = Rng::new(0xdec0de);
    let n = 6_000;
    let text: String = (0..n)
        .map(|i| single_instruction_case(&mut g, &format!("s{i}")))
        .collect();
    let otp = parse_oracle_lines(&run_oracle("translate", &[], &text, "single.cases"));
    let terms = parse_terms_recovering(&text, true);
    let mut mismatches = Vec::new();
    let mut rejected = 0;
    for (term, otp_line) in terms.iter().zip(&otp) {
        let term = term.as_ref().unwrap();
        let items = term.as_tuple().unwrap();
        let instr = &items[3].list_items().unwrap()[0].to_term();
        let ours = decode_instruction(instr);
        // OTP's syntax reasons are `{bad_*, X}` and `{not_yet_implemented, X}`; any other
        // outcome means the instruction passed the syntax check.
        let otp_syntax = !otp_line.ok
            && matches!(otp_line.value.tagged(), Some((tag, 2)) if tag.starts_with("bad_") || tag == "not_yet_implemented")
            && !matches!(
                otp_line.value.tagged(),
                Some(("bad_op_before_point_of_no_return", _))
            );
        let otp_crash = !otp_line.ok && is_otp_crash(&otp_line.value);
        match (&ours, otp_syntax) {
            (Err(e), true) if e.reason() == otp_line.value => rejected += 1,
            (Err(_), false) if otp_crash => rejected += 1,
            (Ok(_), false) if !otp_crash => {}
            _ => mismatches.push(format!(
                "{instr}: ours {:?}, otp {} {}",
                ours.map(|i| i.to_string())
                    .map_err(|e| e.reason().to_string()),
                otp_line.ok,
                otp_line.value
            )),
        }
    }
    eprintln!(
        "syntax differential: {n} single instructions, {rejected} rejected by both, {} mismatches",
        mismatches.len()
    );
    assert!(rejected > n / 5);
    assert!(
        mismatches.is_empty(),
        "{}",
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}

/// The example case files (`tests/fixtures/oracle/*.cases`: hash orders, the oracle's own
/// error lines) equal OTP, with OTP's order inside each component as the tie-break.
#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn oracle_example_cases_equal_otp() {
    let files = crate::common::oracle_examples("cases");
    assert!(files.len() >= 2);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (count, bad, _) = compare(&text, "example.cases");
        assert!(count >= 4, "{}", path.display());
        assert!(bad.is_empty(), "{}: {}", path.display(), bad.join("\n"));
    }
}
