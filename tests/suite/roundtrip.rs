//! `parse(print(t)) == t` for arbitrary terms: atoms that need quotes and escapes, integers of
//! every size and sign, floats, strings with any characters, binaries, nested tuples, proper
//! and improper lists, maps.

use proptest::prelude::*;
use relup::term::{Term, TermKind, parse_term};

fn atom_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-zA-Z0-9_@]{0,8}",
        "[A-Z_][a-z]{0,4}",
        prop::sample::select(vec![
            "case", "end", "", "a b", "it's", "é", "\\", "\n", "'", "\u{400}x", "ÿ", "À"
        ])
        .prop_map(String::from),
        prop::collection::vec(any::<char>(), 0..6).prop_map(|c| c.into_iter().collect()),
    ]
}

fn leaf() -> impl Strategy<Value = Term<'static>> {
    prop_oneof![
        atom_text().prop_map(Term::atom),
        any::<i64>().prop_map(|i| Term::int(i128::from(i))),
        any::<i128>().prop_map(Term::int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Term::new(Default::default(), TermKind::Float(f))),
        prop::collection::vec(any::<char>(), 0..8)
            .prop_map(|c| Term::string(c.into_iter().collect::<String>())),
        "[ -~]{0,10}".prop_map(Term::string),
        prop::collection::vec(any::<u8>(), 0..8)
            .prop_map(|b| Term::new(Default::default(), TermKind::Binary(b.into()))),
    ]
}

fn term() -> impl Strategy<Value = Term<'static>> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Term::tuple),
            prop::collection::vec(inner.clone(), 0..5).prop_map(Term::list),
            (prop::collection::vec(inner.clone(), 1..4), inner.clone())
                .prop_filter("a tail that is a list makes a proper list", |(_, t)| !t
                    .is_list())
                .prop_map(|(items, tail)| Term::new(
                    Default::default(),
                    TermKind::List(items, Some(Box::new(tail)))
                )),
            prop::collection::vec((inner.clone(), inner), 0..3)
                .prop_map(|p| Term::new(Default::default(), TermKind::Map(p))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn printed_terms_parse_back_equal(t in term()) {
        let printed = t.to_string();
        let parsed = parse_term(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(&parsed, &t, "printed as {}", printed);
        // Printing is a function of the term: the reparse prints the same text.
        prop_assert_eq!(parsed.to_string(), printed.clone());
    }
}

#[test]
fn strings_are_lists_of_character_codes() {
    assert_eq!(
        parse_term("\"AB\"").unwrap(),
        parse_term("[65,66]").unwrap()
    );
    assert_eq!(parse_term("\"\"").unwrap(), parse_term("[]").unwrap());
    assert_eq!(parse_term("[a|[b]]").unwrap(), parse_term("[a,b]").unwrap());
    assert_eq!(
        parse_term("[$a|\"bc\"]").unwrap(),
        parse_term("\"abc\"").unwrap()
    );
    assert_eq!(parse_term("[65,66]").unwrap().to_string(), "\"AB\"");
    assert_eq!(parse_term("\"a\" \"b\"").unwrap().to_string(), "\"ab\"");
    assert_ne!(parse_term("[a|b]").unwrap(), parse_term("[a,b]").unwrap());
}
