//! Lexical rules of the term grammar (`grammar/term.ebnf`): white space, comments, atoms,
//! strings, numbers, characters and escapes.
//!
//! Each function is a nom parser over `&str` and names its rule in a comment of the form `rule ::= ...`;
//! `tests/suite/grammar.rs` checks that these comments and the grammar file agree. Scanning
//! works on bytes where the rule is ASCII, so the common case never decodes a character.

use std::borrow::Cow;

use nom::IResult;
use nom::Parser as _;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::char as one_char;
use nom::combinator::opt;

use super::error::ParseErrorKind;

/// The parser's nom error: what went wrong and how much input was left where it happened
/// (the offset is `source.len() - rest`), plus the length of the offending text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PErr {
    pub rest: usize,
    pub len: usize,
    pub kind: ParseErrorKind,
}

impl PErr {
    pub(crate) fn at(input: &str, len: usize, kind: ParseErrorKind) -> Self {
        PErr {
            rest: input.len(),
            len,
            kind,
        }
    }

    /// "unexpected X, expected `what`" at the start of `input`.
    pub(crate) fn unexpected(input: &str, expected: &'static str) -> Self {
        let (found, len) = match input.chars().next() {
            None => ("end of input".to_string(), 0),
            Some(c) => (format!("{c:?}"), c.len_utf8()),
        };
        PErr::at(input, len, ParseErrorKind::Unexpected { found, expected })
    }
}

impl<'a> nom::error::ParseError<&'a str> for PErr {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        PErr::unexpected(input, "a term")
    }
    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a str, T, PErr>;

/// A failure the caller must not backtrack from (nom's `cut`).
pub(crate) fn fail<T>(e: PErr) -> PResult<'static, T> {
    Err(nom::Err::Failure(e))
}

// ws ::= ( white | comment )*
pub(crate) fn ws(mut i: &str) -> PResult<'_, ()> {
    // Most calls find no white space at all.
    if i.as_bytes()
        .first()
        .is_none_or(|&b| b > b' ' && b != b'%' && b < 0x80)
    {
        return Ok((i, ()));
    }
    loop {
        // ASCII white space is by far the common case: skip it bytewise.
        let skip = i.bytes().take_while(|&b| b <= b' ').count();
        let trimmed = i[skip..].trim_start_matches(is_white);
        if let Some(rest) = trimmed.strip_prefix('%') {
            i = comment(rest)?.0;
        } else {
            return Ok((trimmed, ()));
        }
    }
}

// white ::= [#x00-#x20] | #xA0
fn is_white(c: char) -> bool {
    c <= ' ' || c == '\u{a0}'
}

// comment ::= "%" [^#x0A]*
fn comment(i: &str) -> PResult<'_, ()> {
    let end = i.find('\n').unwrap_or(i.len());
    Ok((&i[end..], ()))
}

// atom ::= bare_atom | quoted_atom
// (term() dispatches on the first character: `'` starts a quoted atom.)

// bare_atom ::= lower name_char*
pub(crate) fn bare_atom(i: &str, lenient: bool) -> PResult<'_, &str> {
    // ASCII fast path; a non-ASCII byte sends the rest of the name through `char` checks.
    let ascii = i
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'@')
        .count();
    let (rest, name) = if i.as_bytes().get(ascii).is_some_and(|b| !b.is_ascii()) {
        take_while1(is_name_char).parse(i)?
    } else if ascii == 0 {
        return Err(nom::Err::Error(PErr::unexpected(i, "an atom")));
    } else {
        (&i[ascii..], &i[..ascii])
    };
    let first = name.chars().next().unwrap_or('A');
    if !is_lower(first) {
        return fail(PErr::at(
            i,
            name.len(),
            ParseErrorKind::Variable(name.to_string()),
        ));
    }
    if !lenient && is_reserved(name) {
        return fail(PErr::at(
            i,
            name.len(),
            ParseErrorKind::ReservedWord(name.to_string()),
        ));
    }
    check_atom_length(i, name)?;
    Ok((rest, name))
}

/// Erlang's reserved words: `erl_scan` never makes bare atoms of them.
fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "after"
            | "and"
            | "andalso"
            | "band"
            | "begin"
            | "bnot"
            | "bor"
            | "bsl"
            | "bsr"
            | "bxor"
            | "case"
            | "catch"
            | "cond"
            | "div"
            | "end"
            | "fun"
            | "if"
            | "let"
            | "not"
            | "of"
            | "or"
            | "orelse"
            | "receive"
            | "rem"
            | "try"
            | "when"
            | "xor"
    )
}

// lower ::= [a-z] | [#xDF-#xFF] - #xF7
pub(crate) fn is_lower(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

// upper ::= [A-Z] | [#xC0-#xDE] - #xD7
pub(crate) fn is_upper(c: char) -> bool {
    c.is_ascii_uppercase() || (('\u{c0}'..='\u{de}').contains(&c) && c != '\u{d7}')
}

// name_char ::= lower | upper | [0-9] | "_" | "@"
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '@' || is_lower(c) || is_upper(c)
}

fn check_atom_length<'a>(at: &'a str, name: &str) -> PResult<'a, ()> {
    if name.len() > 255 && name.chars().count() > 255 {
        return fail(PErr::at(at, name.len(), ParseErrorKind::AtomTooLong));
    }
    Ok((at, ()))
}

// quoted_atom ::= "'" ( [^'\\] | escape )* "'"
pub(crate) fn quoted_atom(i: &str) -> PResult<'_, Cow<'_, str>> {
    let (rest, text) = quoted(i, '\'', "quoted atom")?;
    check_atom_length(i, text.as_ref())?;
    Ok((rest, text))
}

// string ::= '"' ( [^"\\] | escape )* '"'
pub(crate) fn string(i: &str) -> PResult<'_, Cow<'_, str>> {
    quoted(i, '"', "string")
}

/// Text between `quote`s with escapes decoded; borrowed when there is no escape.
fn quoted<'a>(i: &'a str, quote: char, what: &'static str) -> PResult<'a, Cow<'a, str>> {
    let (body, _) = one_char(quote).parse(i)?;
    let stop = |c: char| c == quote || c == '\\';
    // Quotes and backslashes are ASCII, so a byte scan finds the end of the plain run.
    let q = quote as u8;
    let plain_len = body
        .bytes()
        .position(|b| b == q || b == b'\\')
        .unwrap_or(body.len());
    let (mut rest, plain) = (&body[plain_len..], &body[..plain_len]);
    if let Some(after) = rest.strip_prefix(quote) {
        return Ok((after, Cow::Borrowed(plain)));
    }
    let mut text = String::from(plain);
    loop {
        match rest.chars().next() {
            None => return fail(PErr::at(i, 1, ParseErrorKind::Unterminated(what))),
            Some(c) if c == quote => return Ok((&rest[1..], Cow::Owned(text))),
            Some('\\') => {
                let (after, c) = escape(rest)?;
                text.push(c);
                rest = after;
            }
            Some(_) => {
                let (after, run) = take_while(|c| !stop(c)).parse(rest)?;
                text.push_str(run);
                rest = after;
            }
        }
    }
}

// escape ::= "\" ( octal_escape | hex_escape | control_escape | named_escape | any_char )
pub(crate) fn escape(i: &str) -> PResult<'_, char> {
    let (body, _) = one_char('\\').parse(i)?;
    let mut chars = body.chars();
    let Some(c) = chars.next() else {
        return fail(PErr::at(
            i,
            1,
            ParseErrorKind::BadEscape("`\\` at end of input".into()),
        ));
    };
    match c {
        '0'..='7' => octal_escape(body),
        'x' => hex_escape(&body[1..], i),
        '^' => control_escape(&body[1..], i),
        _ => Ok((&body[c.len_utf8()..], named_escape(c))),
    }
}

// named_escape ::= [bdefnrstv]  (other characters stand for themselves)
fn named_escape(c: char) -> char {
    match c {
        'b' => '\u{8}',
        'd' => '\u{7f}',
        'e' => '\u{1b}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        's' => ' ',
        't' => '\t',
        'v' => '\u{b}',
        other => other,
    }
}

// octal_escape ::= [0-7] [0-7]? [0-7]?
fn octal_escape(i: &str) -> PResult<'_, char> {
    let len = i
        .bytes()
        .take(3)
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    let value = u32::from_str_radix(&i[..len], 8).unwrap_or(0);
    let c = char::from_u32(value).unwrap_or('\0');
    Ok((&i[len..], c))
}

// hex_escape ::= "x" ( hex hex | "{" hex+ "}" )
fn hex_escape<'a>(i: &'a str, start: &'a str) -> PResult<'a, char> {
    let bad = |what: &str| {
        fail(PErr::at(
            start,
            2,
            ParseErrorKind::BadEscape(what.to_string()),
        ))
    };
    let (rest, digits) = if let Some(body) = i.strip_prefix('{') {
        let Some(end) = body.find('}') else {
            return bad("`\\x{` without `}`");
        };
        (&body[end + 1..], &body[..end])
    } else {
        let n = i.bytes().take(2).take_while(u8::is_ascii_hexdigit).count();
        if n < 2 {
            return bad("`\\x` needs two hex digits or `{...}`");
        }
        (&i[2..], &i[..2])
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return bad("bad hex digits");
    }
    match u32::from_str_radix(digits, 16)
        .ok()
        .and_then(char::from_u32)
    {
        Some(c) => Ok((rest, c)),
        None => bad("not a Unicode scalar value"),
    }
}

// control_escape ::= "^" any_char
fn control_escape<'a>(i: &'a str, start: &'a str) -> PResult<'a, char> {
    match i.chars().next() {
        Some(c) => Ok((
            &i[c.len_utf8()..],
            char::from_u32(c as u32 & 31).unwrap_or('\0'),
        )),
        None => fail(PErr::at(
            start,
            2,
            ParseErrorKind::BadEscape("`\\^` at end of input".into()),
        )),
    }
}

// char_literal ::= "$" ( escape | any_char )
pub(crate) fn char_literal(i: &str) -> PResult<'_, char> {
    let (body, _) = one_char('$').parse(i)?;
    match body.chars().next() {
        None => fail(PErr::unexpected(body, "a character after `$`")),
        Some('\\') => escape(body),
        Some(c) => Ok((&body[c.len_utf8()..], c)),
    }
}

/// A number literal: an integer or a float.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Number {
    Int(i128),
    /// Beyond 128 bits.
    Big(super::BigInteger),
    Float(f64),
}

// integer ::= based_integer | digits
// (number() reads digits, then decides on `.`, `#` or neither.)

// number ::= float | integer
pub(crate) fn number(i: &str) -> PResult<'_, Number> {
    let (rest, int_digits) = digits(i)?;
    if let Some(frac) = rest
        .strip_prefix('.')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        return float(i, frac);
    }
    if let Some(body) = rest.strip_prefix('#') {
        return based(i, int_digits, body);
    }
    let value = match parse_decimal(int_digits) {
        Some(v) => Number::Int(v),
        None => Number::Big(super::BigInteger::from_decimal(false, int_digits)),
    };
    Ok((rest, value))
}

fn too_large(at: &str, text: &str) -> nom::Err<PErr> {
    nom::Err::Failure(PErr::at(at, text.len(), ParseErrorKind::IntegerTooLarge))
}

// digits ::= [0-9] ( "_"? [0-9] )*
fn digits(i: &str) -> PResult<'_, &str> {
    let bytes = i.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_digit) {
        return Err(nom::Err::Error(PErr::unexpected(i, "a digit")));
    }
    let mut end = 1;
    while end < bytes.len() {
        match bytes[end] {
            b'0'..=b'9' => end += 1,
            b'_' if bytes.get(end + 1).is_some_and(u8::is_ascii_digit) => end += 2,
            _ => break,
        }
    }
    Ok((&i[end..], &i[..end]))
}

fn parse_decimal(text: &str) -> Option<i128> {
    text.bytes()
        .filter(|&b| b != b'_')
        .try_fold(0i128, |acc, b| {
            acc.checked_mul(10)?.checked_add(i128::from(b - b'0'))
        })
}

// float ::= digits "." digits exponent?
fn float<'a>(start: &'a str, frac: &'a str) -> PResult<'a, Number> {
    let (mut rest, _) = digits(frac)?;
    // exponent ::= [eE] ( "+" | "-" )? digits
    let (after_e, e) = opt(one_char('e').or(one_char('E'))).parse(rest)?;
    if e.is_some() {
        let (after_sign, _) = opt(one_char('+').or(one_char('-'))).parse(after_e)?;
        if let Ok((after_exp, _)) = digits(after_sign) {
            rest = after_exp;
        }
    }
    let text: String = start[..start.len() - rest.len()]
        .chars()
        .filter(|&c| c != '_')
        .collect();
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok((rest, Number::Float(f))),
        _ => fail(PErr::at(start, text.len(), ParseErrorKind::FloatOutOfRange)),
    }
}

// based_integer ::= digits "#" [0-9a-zA-Z] ( "_"? [0-9a-zA-Z] )*
fn based<'a>(start: &'a str, base_text: &'a str, body: &'a str) -> PResult<'a, Number> {
    let base = parse_decimal(base_text).filter(|b| (2..=36).contains(b));
    let Some(base) = base else {
        return fail(PErr::at(
            start,
            base_text.len(),
            ParseErrorKind::BadBase(format!("base {base_text} is not in 2..36")),
        ));
    };
    let (_, run) = take_while(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(body)?;
    let run = run.trim_end_matches('_');
    let rest = &body[run.len()..];
    if run.is_empty() || run.starts_with('_') || run.contains("__") {
        return fail(PErr::at(
            start,
            base_text.len() + 1,
            ParseErrorKind::BadBase("missing digits after `#`".into()),
        ));
    }
    let mut values = Vec::new();
    for c in run.chars().filter(|&c| c != '_') {
        let digit = c.to_digit(36).filter(|&d| i128::from(d) < base);
        let Some(digit) = digit else {
            return fail(PErr::at(
                start,
                base_text.len() + 1 + run.len(),
                ParseErrorKind::BadBase(format!("digit `{c}` is not valid in base {base}")),
            ));
        };
        values.push(digit);
    }
    let small = values.iter().try_fold(0i128, |acc, &d| {
        acc.checked_mul(base)?.checked_add(i128::from(d))
    });
    let value = match small {
        Some(v) => Number::Int(v),
        None => {
            let base = u32::try_from(base).unwrap_or(36);
            Number::Big(
                super::BigInteger::from_base(base, &values)
                    .ok_or_else(|| too_large(start, &start[..base_text.len() + 1 + run.len()]))?,
            )
        }
    };
    Ok((rest, value))
}

// map_open ::= "#" ws "{"
pub(crate) fn map_open(i: &str) -> PResult<'_, ()> {
    let (rest, _) = tag("#").parse(i)?;
    let (rest, _) = ws(rest)?;
    let (rest, _) = one_char('{').parse(rest)?;
    Ok((rest, ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_notation() {
        let cases: &[(&str, Number)] = &[
            ("42", Number::Int(42)),
            ("1_000", Number::Int(1000)),
            ("16#FF", Number::Int(255)),
            ("2#1010", Number::Int(10)),
            ("36#z", Number::Int(35)),
            ("1.5", Number::Float(1.5)),
            ("2.5e-3", Number::Float(0.0025)),
            ("1.0E2", Number::Float(100.0)),
        ];
        for (text, expected) in cases {
            assert_eq!(number(text).map(|(_, n)| n), Ok(expected.clone()), "{text}");
        }
    }

    #[test]
    fn integer_then_dot_is_not_a_float() {
        assert_eq!(number("1."), Ok((".", Number::Int(1))));
        assert_eq!(number("1.e5"), Ok((".e5", Number::Int(1))));
    }

    #[test]
    fn escapes_decode_like_erl_scan() {
        let cases = [
            ("\\n", '\n'),
            ("\\s", ' '),
            ("\\101", 'A'),
            ("\\x41", 'A'),
            ("\\x{1F600}", '😀'),
            ("\\^a", '\u{1}'),
            ("\\q", 'q'),
            ("\\d", '\u{7f}'),
        ];
        for (text, expected) in cases {
            assert_eq!(escape(text).map(|(_, c)| c), Ok(expected), "{text}");
        }
    }

    #[test]
    fn bad_base_is_rejected() {
        assert!(matches!(
            number("37#1"),
            Err(nom::Err::Failure(PErr {
                kind: ParseErrorKind::BadBase(_),
                ..
            }))
        ));
        assert!(matches!(
            number("2#2"),
            Err(nom::Err::Failure(PErr {
                kind: ParseErrorKind::BadBase(_),
                ..
            }))
        ));
    }
}
