//! The `~tp` layout (`relup::term::pretty`) equals `io_lib:format("~tp", [T])` byte for byte,
//! on random nested terms and on relup-shaped terms, checked against a real OTP.

use std::process::Command;

use relup::term::{Term, TermKind, parse_term, pretty};

use crate::casegen::Rng;
use crate::common::temp_path;

const PRINT_TP: &str = r#"#!/usr/bin/env escript
%%! -noshell
main([In, Out]) ->
    {ok, Terms} = file:consult(In),
    {ok, Fd} = file:open(Out, [write, {encoding, utf8}]),
    [io:format(Fd, "~tp~n\x{1}~n", [T]) || T <- Terms],
    ok = file:close(Fd).
"#;

fn random_term(g: &mut Rng, depth: usize) -> Term<'static> {
    let atoms = [
        "a",
        "load",
        "point_of_no_return",
        "brutal_purge",
        "a_rather_long_module_name_for_wrapping",
        "Quoted Atom",
        "x",
    ];
    match if depth == 0 { g.below(5) } else { g.below(10) } {
        0 => Term::atom(g.pick(&atoms).to_string()),
        1 => Term::int(g.next() as i64 as i128 >> g.below(60)),
        2 => Term::string(
            g.pick(&["1.0", "0.2.0", "hello world", "a\nb", ""])
                .to_string(),
        ),
        3 => Term::nil(),
        4 => Term::new(
            Default::default(),
            TermKind::Binary(
                g.pick(&[&b"1\\.0.*"[..], &[1, 2, 3], b"abc"])
                    .to_vec()
                    .into(),
            ),
        ),
        5 | 6 => Term::tuple(
            (0..1 + g.below(5))
                .map(|_| random_term(g, depth - 1))
                .collect(),
        ),
        7 | 8 => Term::list((0..g.below(7)).map(|_| random_term(g, depth - 1)).collect()),
        _ => {
            let items: Vec<Term<'static>> = (0..1 + g.below(3))
                .map(|_| random_term(g, depth - 1))
                .collect();
            Term::new(
                Default::default(),
                TermKind::List(items, Some(Box::new(Term::atom("tail")))),
            )
        }
    }
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn pretty_layout_equals_io_lib_tp() {
    let mut g = Rng::new(0x77);
    let mut terms: Vec<Term<'static>> = (0..1500).map(|i| random_term(&mut g, 3 + i % 3)).collect();
    // Relup-shaped terms: the files systools writes.
    let relups = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/files/demo.relup"
    ))
    .unwrap();
    terms.extend(
        relup::term::parse_terms(&relups)
            .unwrap()
            .into_iter()
            .map(Term::into_owned),
    );
    let input = temp_path("pretty.terms");
    let output = temp_path("pretty.out");
    let script = temp_path("print_tp.escript");
    std::fs::write(&script, PRINT_TP).unwrap();
    std::fs::write(
        &input,
        terms.iter().map(|t| format!("{t}.\n")).collect::<String>(),
    )
    .unwrap();
    let status = Command::new("escript")
        .arg(&script)
        .arg(&input)
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success());
    let otp = std::fs::read_to_string(&output).unwrap();
    let otp: Vec<&str> = otp.split("\n\u{1}\n").collect();
    let mut bad = 0;
    for (n, t) in terms.iter().enumerate() {
        let ours = pretty(t);
        if ours != otp[n] {
            bad += 1;
            if bad <= 3 {
                eprintln!("term {n}: {t}\n--- otp\n{}\n--- ours\n{ours}", otp[n]);
            }
        }
        assert_eq!(parse_term(&ours).unwrap(), *t, "pretty output reads back");
    }
    for f in [input, output, script] {
        let _ = std::fs::remove_file(f);
    }
    let multi_line = terms.iter().filter(|t| pretty(t).contains('\n')).count();
    eprintln!(
        "pretty: {} terms, {multi_line} laid out on several lines, {bad} differ",
        terms.len()
    );
    assert!(
        multi_line > terms.len() / 4,
        "only {multi_line} multi-line layouts"
    );
    assert_eq!(
        bad,
        0,
        "{bad} of {} layouts differ from io_lib's ~tp",
        terms.len()
    );
}
