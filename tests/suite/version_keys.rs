//! Appup version keys against OTP's own lookup (`systools_relup:appup_search_for_version/2`
//! through `tests/otp/vsn_keys.escript`): hand-picked patterns where regex engines part ways
//! with PCRE, and generated PCRE patterns, each on several versions. Same answer (match, no
//! match, or OTP crashes where we report an invalid regex) for every pair.

use relup::files::VersionKey;

use crate::casegen::Rng;
use crate::common::run_oracle;

/// Patterns where engines differ: classes, escapes, quantifiers, PCRE-only syntax,
/// backtracking limits, anchors, Unicode.
const PICKED: &[&str] = &[
    r"[[0-9]+\.1",
    r"[]]",
    r"[^.]+",
    r"[\w-.]+",
    r"[.-9]+",
    r"[[:digit:].]+",
    r"\d+\.\d+",
    r"\w+",
    r"\D*",
    r"a{,3}",
    r"a{2}",
    r"1{1,}\.0",
    r"\Q1.0\E",
    r"\Q1.0",
    r"1\.0\Z",
    r"1\.0\z",
    r"1\.0$",
    r"^1\.0",
    r"\A1",
    r"(?|(1)|(2))\.0",
    r"(1)\.(?1)",
    r"(1)\.\1",
    r"(1)\.\g{1}",
    r"(?<v>1)\.\k<v>",
    r"(*UTF8)1\.0",
    r"(*UCP)\d\.\d",
    r"\R",
    r"1\R?",
    r"\X+",
    r"\061\.0",
    r"\x{31}\.0",
    r"\x31\.0",
    r"\o{61}",
    r"\p{N}+\.\p{N}+",
    r"\h",
    r"1\K\.0",
    r"(?i)RC",
    r"1\.0-(?i)rc1",
    r"(?=1)1\.0",
    r"(?!2)\d\.0",
    r"(?<=1)\.0",
    r"(?#comment)1\.0",
    r"(?x) 1 \. 0 ",
    r"1|1\.0",
    r"1\.0|1",
    r"1\.0*?",
    r"1\.0++",
    r"(a+)+$",
    r"(a|a)*b",
    r"(\d+)*x",
    r".*",
    r".+",
    r"",
    r"(",
    r"[a",
    r"a{3,1}",
    r"\",
    r"(?P<n>1)\.0",
    r"\c",
    r"é\.0",
    r"\N",
    r"1\.0\n?",
    r"[\d-z]+",
    r"(?s).+",
    r"(?m)^1\.0$",
    r"\b1\.0\b",
    r"\w+\.0",
    r"\w*\.0",
    r"\w?\.0",
    r"\w{1,3}\.0",
    r"\w{2}",
    r"\w{2,3}",
    r"\w{2,}",
    r"\w++\.0",
    r"\w+?\.0",
    r"(?:\w)+\.0",
    r"\W+",
    r"\W?",
    r"\W{2}",
    r"[\w]+\.0",
];

const VERSIONS: &[&str] = &[
    "1.0",
    "1.0.1",
    "2.0",
    "10.2.3",
    "0.5.1",
    "1.0-rc1",
    "1.0-RC1",
    "[3.1",
    "]",
    "a{,3}",
    "aaa",
    "11.0",
    "1.01",
    "١.٠",
    "é.0",
    "é",
    "éé",
    "é×",
    "1.0\n",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac",
    "1111111111111111111111111111111111x",
    "",
];

/// A random PCRE pattern from pieces where engines tend to differ.
fn pattern(g: &mut Rng, depth: usize) -> String {
    const ATOMS: &[&str] = &[
        "1",
        "0",
        "2",
        "a",
        "rc",
        "-",
        r"\.",
        ".",
        r"\d",
        r"\w",
        r"\D",
        r"\s",
        "[0-9]",
        "[[0-9]",
        "[^.]",
        r"[\w-.]",
        r"[\d.]",
        "[]]",
        "[.-9]",
        "[[:digit:]]",
        r"\Q.\E",
        r"\x{31}",
        r"\061",
        r"\R",
        r"\X",
        r"\p{N}",
        r"\h",
        "é",
    ];
    const QUANTS: &[&str] = &[
        "", "", "", "*", "+", "?", "{1,3}", "{,3}", "{2}", "{1,}", "*?", "++", "?+",
    ];
    let n = 1 + g.below(4);
    let mut out = String::new();
    for _ in 0..n {
        let piece = if depth > 0 && g.chance(25) {
            let inner = pattern(g, depth - 1);
            match g.below(6) {
                0 => format!("({inner})"),
                1 => format!("(?:{inner})"),
                2 => format!("(?|{inner}|{})", pattern(g, depth - 1)),
                3 => format!("(?={inner})"),
                4 => format!("({inner}|{})", pattern(g, depth - 1)),
                _ => format!("(?i){inner}"),
            }
        } else {
            ATOMS[g.below(ATOMS.len())].to_string()
        };
        out.push_str(&piece);
        out.push_str(QUANTS[g.below(QUANTS.len())]);
    }
    if g.chance(10) {
        out.insert(0, '^');
    }
    if g.chance(10) {
        out.push_str(["$", r"\Z", r"\z"][g.below(3)]);
    }
    out
}

/// `<<"...">>/utf8` and `"..."` literals for the oracle's input file.
fn erlang_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// OTP's answers for the pairs, in order.
fn otp_answers(pairs: &[(String, String)]) -> Vec<String> {
    let text: String = pairs
        .iter()
        .map(|(p, v)| format!("{{<<{}/utf8>>, {}}}.\n", erlang_string(p), erlang_string(v)))
        .collect();
    run_oracle("vsn_keys", &[], &text, "keys.terms")
        .lines()
        .map(String::from)
        .collect()
}

fn ours(pattern: &str, vsn: &str) -> &'static str {
    match VersionKey::Regex(pattern.to_string()).matches(vsn) {
        Ok(true) => "match",
        Ok(false) => "nomatch",
        Err(_) => "crash",
    }
}

/// Our answers against OTP's: (how many pairs OTP matched, the mismatches).
fn compare(pairs: &[(String, String)]) -> (usize, Vec<String>) {
    let otp = otp_answers(pairs);
    assert_eq!(otp.len(), pairs.len());
    let bad: Vec<String> = pairs
        .iter()
        .zip(&otp)
        .filter(|((p, v), theirs)| ours(p, v) != theirs.as_str())
        .map(|((p, v), theirs)| format!("{p:?} on {v:?}: ours {}, OTP {theirs}", ours(p, v)))
        .collect();
    let matched = otp.iter().filter(|a| *a == "match").count();
    (matched, bad)
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn picked_keys_select_what_otp_selects() {
    let pairs: Vec<(String, String)> = PICKED
        .iter()
        .flat_map(|p| VERSIONS.iter().map(|v| (p.to_string(), v.to_string())))
        .collect();
    let (matched, bad) = compare(&pairs);
    eprintln!(
        "version keys: {} patterns x {} versions, {matched} matches, {} mismatches",
        PICKED.len(),
        VERSIONS.len(),
        bad.len()
    );
    assert!(matched > 50);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn generated_keys_select_what_otp_selects() {
    let n: usize = crate::common::env_count("RELUP_DIFF_KEYS", 10_000);
    let mut g = Rng::new(0x5ee_c0de);
    let (mut matched, mut bad) = (0, Vec::new());
    // In chunks, so that a run of millions keeps OTP's and our memory small.
    let mut left = n;
    while left > 0 {
        let chunk = left.min(250_000);
        left -= chunk;
        let pairs: Vec<(String, String)> = (0..chunk)
            .map(|_| {
                let p = pattern(&mut g, 2);
                let v = VERSIONS[g.below(VERSIONS.len())].to_string();
                (p, v)
            })
            .collect();
        let (m, b) = compare(&pairs);
        matched += m;
        bad.extend(b);
    }
    eprintln!(
        "version keys: {n} generated patterns, {matched} matches, {} mismatches",
        bad.len()
    );
    assert!(matched > n / 50, "only {matched} matches");
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}
