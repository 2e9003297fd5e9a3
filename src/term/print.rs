//! Terms back to Erlang text, on one line, the way `io_lib:format("~0p", [T])` writes them:
//! no spaces after commas, printable Latin-1 lists as strings, atoms quoted only when they
//! must be, binaries as `<<"text">>` when printable and `<<1,2>>` otherwise.
//!
//! `parse(print(t)) == t` holds for every term the parser accepts (property test in
//! `tests/suite/roundtrip.rs`). Maps are printed in source order, whereas Erlang sorts keys.

use std::fmt::{self, Write};

use super::{Term, TermKind};

impl fmt::Display for Term<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_term(f, self)
    }
}

/// How characters beyond Latin-1 are written: `~p` escapes them (`\x{400}`), `~tp` writes
/// them as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `~p`.
    Latin1,
    /// `~tp`.
    Unicode,
}

/// Writes a term on one line in the given encoding (`~0p` or `~0tp`).
pub fn write_term_as<W: Write>(out: &mut W, t: &Term<'_>, enc: Encoding) -> fmt::Result {
    if enc == Encoding::Latin1 {
        return write_term(out, t);
    }
    match &t.kind {
        TermKind::Atom(a) => write_atom_as(out, a, enc),
        TermKind::Binary(b) => write_binary_as(out, b, enc),
        TermKind::Tuple(items) => {
            out.write_char('{')?;
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.write_char(',')?;
                }
                write_term_as(out, item, enc)?;
            }
            out.write_char('}')
        }
        TermKind::List(items, tail) if tail.is_some() || !is_printable_list(items) => {
            out.write_char('[')?;
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.write_char(',')?;
                }
                write_term_as(out, item, enc)?;
            }
            if let Some(tail) = tail {
                out.write_char('|')?;
                write_term_as(out, tail, enc)?;
            }
            out.write_char(']')
        }
        TermKind::Map(pairs) => {
            out.write_str("#{")?;
            for (n, (k, v)) in pairs.iter().enumerate() {
                if n > 0 {
                    out.write_char(',')?;
                }
                write_term_as(out, k, enc)?;
                out.write_str(" => ")?;
                write_term_as(out, v, enc)?;
            }
            out.write_char('}')
        }
        _ => write_term(out, t),
    }
}

fn is_printable_list(items: &[Term<'_>]) -> bool {
    !items.is_empty()
        && items.iter().all(|t| {
            t.as_int()
                .and_then(|i| u32::try_from(i).ok())
                .is_some_and(is_printable_latin1)
        })
}

fn write_term<W: Write>(out: &mut W, t: &Term<'_>) -> fmt::Result {
    match t.kind {
        TermKind::Tuple(_) | TermKind::List(..) | TermKind::Map(_) => {
            super::with_stack(|| write_term_here(out, t))
        }
        _ => write_term_here(out, t),
    }
}

fn write_term_here<W: Write>(out: &mut W, t: &Term<'_>) -> fmt::Result {
    match &t.kind {
        TermKind::Atom(a) => write_atom(out, a),
        TermKind::Int(i) => write!(out, "{i}"),
        TermKind::BigInt(i) => write!(out, "{i}"),
        TermKind::Float(x) => out.write_str(&format_float(*x)),
        TermKind::String(s) => write_chars(out, s.chars().map(|c| c as u32), None),
        TermKind::Binary(b) => write_binary(out, b),
        TermKind::Tuple(items) => {
            out.write_char('{')?;
            write_seq(out, items)?;
            out.write_char('}')
        }
        TermKind::List(items, tail) => write_list(out, items, tail.as_deref()),
        TermKind::Map(pairs) => {
            out.write_str("#{")?;
            for (n, (k, v)) in pairs.iter().enumerate() {
                if n > 0 {
                    out.write_char(',')?;
                }
                write_term(out, k)?;
                out.write_str(" => ")?;
                write_term(out, v)?;
            }
            out.write_char('}')
        }
    }
}

fn write_seq<W: Write>(out: &mut W, items: &[Term<'_>]) -> fmt::Result {
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.write_char(',')?;
        }
        write_term(out, item)?;
    }
    Ok(())
}

fn write_list<W: Write>(out: &mut W, items: &[Term<'_>], tail: Option<&Term<'_>>) -> fmt::Result {
    if tail.is_none() && !items.is_empty() {
        let codes: Option<Vec<u32>> = items
            .iter()
            .map(|t| t.as_int().and_then(|i| u32::try_from(i).ok()))
            .collect();
        if let Some(codes) = codes.filter(|c| c.iter().all(|&c| is_printable_latin1(c))) {
            return write_chars(out, codes.into_iter(), None);
        }
    }
    out.write_char('[')?;
    write_seq(out, items)?;
    if let Some(tail) = tail {
        out.write_char('|')?;
        write_term(out, tail)?;
    }
    out.write_char(']')
}

/// `io_lib:printable_latin1_list/1` for one character.
pub(crate) fn is_printable_latin1(c: u32) -> bool {
    matches!(c, 32..=126 | 160..=255 | 8..=13 | 27)
}

/// Writes characters as a string literal; a string with a non-printable character is written
/// as a list of integers, as `~p` does.
fn write_chars<W: Write>(
    out: &mut W,
    codes: impl Iterator<Item = u32> + Clone,
    _: Option<()>,
) -> fmt::Result {
    if !codes.clone().all(is_printable_latin1) {
        out.write_char('[')?;
        for (n, c) in codes.enumerate() {
            if n > 0 {
                out.write_char(',')?;
            }
            write!(out, "{c}")?;
        }
        return out.write_char(']');
    }
    out.write_char('"')?;
    for c in codes {
        write_string_char(out, c, '"')?;
    }
    out.write_char('"')
}

/// `io_lib:string_char/4` in Latin-1 mode: how one character is written between quotes.
fn write_string_char<W: Write>(out: &mut W, c: u32, quote: char) -> fmt::Result {
    write_string_char_as(out, c, quote, Encoding::Latin1)
}

/// `io_lib:string_char/4`: in Unicode mode characters from 160 up are written as they are.
fn write_string_char_as<W: Write>(out: &mut W, c: u32, quote: char, enc: Encoding) -> fmt::Result {
    if enc == Encoding::Unicode && c >= 160 {
        if let Some(ch) = char::from_u32(c) {
            return out.write_char(ch);
        }
    }
    let named = match c {
        10 => Some('n'),
        13 => Some('r'),
        9 => Some('t'),
        11 => Some('v'),
        8 => Some('b'),
        12 => Some('f'),
        27 => Some('e'),
        127 => Some('d'),
        _ => None,
    };
    match char::from_u32(c) {
        Some(ch) if ch == quote || ch == '\\' => write!(out, "\\{ch}"),
        Some(ch) if (32..=126).contains(&c) || (160..=255).contains(&c) => out.write_char(ch),
        _ if named.is_some() => write!(out, "\\{}", named.unwrap_or('?')),
        _ if c < 160 => write!(out, "\\{}{}{}", (c >> 6) & 7, (c >> 3) & 7, c & 7),
        _ => write!(out, "\\x{{{c:X}}}"),
    }
}

/// Writes an atom as `io_lib:write_atom/1` does: bare when it reads back as the same atom,
/// otherwise in single quotes with escapes.
pub fn write_atom<W: Write>(out: &mut W, name: &str) -> fmt::Result {
    write_atom_as(out, name, Encoding::Latin1)
}

/// [`write_atom`] in a given encoding.
pub fn write_atom_as<W: Write>(out: &mut W, name: &str, enc: Encoding) -> fmt::Result {
    if !atom_needs_quotes(name) {
        return out.write_str(name);
    }
    out.write_char('\'')?;
    for c in name.chars() {
        write_string_char_as(out, c as u32, '\'', enc)?;
    }
    out.write_char('\'')
}

/// True when `name` must be quoted to read back as an atom: it is empty, does not start with a
/// lower-case letter, holds a character other than letters, digits, `_` and `@`, or is a
/// reserved word.
pub fn atom_needs_quotes(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    !super::lexical::is_lower(first)
        || !chars.all(super::lexical::is_name_char)
        || super::lexical::bare_atom(name, false).is_err()
}

/// In Unicode mode a binary that is valid UTF-8 with printable characters is written as
/// `<<"text"/utf8>>` (or `<<"text">>` when every character is one byte).
fn write_binary_as<W: Write>(out: &mut W, bytes: &[u8], enc: Encoding) -> fmt::Result {
    if enc == Encoding::Unicode && !bytes.is_empty() {
        if let Ok(text) = std::str::from_utf8(bytes) {
            if text.chars().all(|c| is_printable_latin1(c as u32))
                && text.len() != text.chars().count()
            {
                out.write_str("<<\"")?;
                for c in text.chars() {
                    write_string_char_as(out, c as u32, '"', enc)?;
                }
                return out.write_str("\"/utf8>>");
            }
        }
    }
    write_binary(out, bytes)
}

fn write_binary<W: Write>(out: &mut W, bytes: &[u8]) -> fmt::Result {
    out.write_str("<<")?;
    if !bytes.is_empty() && bytes.iter().all(|&b| is_printable_latin1(u32::from(b))) {
        out.write_char('"')?;
        for &b in bytes {
            write_string_char(out, u32::from(b), '"')?;
        }
        out.write_char('"')?;
    } else {
        for (n, b) in bytes.iter().enumerate() {
            if n > 0 {
                out.write_char(',')?;
            }
            write!(out, "{b}")?;
        }
    }
    out.write_str(">>")
}

/// Formats a float as Erlang's `io_lib:write/1` does (`float_to_list(F, [short])`): the
/// shortest digits that read back to the same float, in plain notation when the exponent is
/// small and as `1.0e-10` otherwise.
pub fn format_float(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde±x".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    let n = digits.len() as i32;
    // Erlang picks the shorter of plain and scientific notation, preferring plain on a tie.
    let plain = plain_notation(&digits, exp);
    let frac = if n > 1 { &digits[1..] } else { "0" };
    let scientific = format!("{}.{}e{}", &digits[..1], frac, exp);
    if plain.len() <= scientific.len() {
        format!("{sign}{plain}")
    } else {
        format!("{sign}{scientific}")
    }
}

fn plain_notation(digits: &str, exp: i32) -> String {
    let n = digits.len() as i32;
    if exp < 0 {
        format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
    } else if exp + 1 >= n {
        format!("{}{}.0", digits, "0".repeat((exp + 1 - n) as usize))
    } else {
        let point = (exp + 1) as usize;
        format!("{}.{}", &digits[..point], &digits[point..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_are_quoted_only_when_needed() {
        let cases = [
            ("foo", "foo"),
            ("Foo", "'Foo'"),
            ("a b", "'a b'"),
            ("", "''"),
            ("case", "'case'"),
            ("a@b_1", "a@b_1"),
            ("it's", "'it\\'s'"),
            ("é", "é"),
        ];
        for (atom, text) in cases {
            let mut s = String::new();
            write_atom(&mut s, atom).unwrap();
            assert_eq!(s, text);
        }
    }

    #[test]
    fn floats_print_shortest_round_trip() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (-2.5, "-2.5"),
            (1.0e-10, "1.0e-10"),
            (1.0e22, "1.0e22"),
            (123456.0, "123456.0"),
        ];
        for (x, text) in cases {
            assert_eq!(format_float(x), text);
        }
    }
}
