//! Erlang terms as they appear in release files (`.appup`, `relup`, `.app`, `.rel`,
//! `sys.config`): the data model, the nom parser ([`parse_terms`]) and the printer
//! (`Term`'s `Display` prints like `io_lib:format("~0p", [T])`).
//!
//! A [`Term`] borrows its atoms and strings from the source text where it can (no escape to
//! decode), so parsing allocates only for tuples, lists and maps. [`Term::into_owned`] detaches a
//! term from its source.
//!
//! Equality follows Erlang's exact term equality (`=:=`): a string *is* a list of character
//! codes (`"AB" == [65,66]`), `""` is `[]`, `[a|[b]]` is `[a,b]`; spans never take part.

mod bigint;
mod compound;
mod error;
mod lexical;

pub(crate) mod pretty;
mod print;

use std::borrow::Cow;

pub use bigint::{BigInteger, MAX_BASED_DIGITS};
pub use error::{ParseError, ParseErrorKind};

pub use pretty::{pretty, pretty_at};
pub use print::{Encoding, atom_needs_quotes, write_atom, write_term_as};

use crate::span::Span;

/// The deepest nesting of tuples, lists, maps and binaries the parser accepts (OTP has no
/// bound; this one keeps the memory of a pathological file bounded); deeper input is a
/// [`ParseErrorKind::TooDeep`] error. Every recursive walk over terms runs through
/// [`with_stack`], so no depth up to this overflows a thread's stack.
pub const MAX_DEPTH: usize = 10_000;

/// Runs one level of a recursive walk over terms, on a new stack segment when the current
/// one is nearly used up (`stacker`): deep terms cost memory, never a stack overflow.
pub fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, f)
}

/// One Erlang term with the byte span it was parsed from.
#[derive(Debug)]
pub struct Term<'a> {
    /// Where the term stands in its source (empty for terms built in code).
    pub span: Span,
    /// What the term is.
    pub kind: TermKind<'a>,
}

/// The shapes an Erlang term in a release file can take.
#[derive(Debug, Clone)]
pub enum TermKind<'a> {
    /// An atom, unquoted text (`foo`, `'Foo bar'`).
    Atom(Cow<'a, str>),
    /// An integer (`42`, `-7`, `16#FF`, `$a`) that fits 64 bits. Build integers with
    /// [`TermKind::int`], which picks this or [`TermKind::BigInt`].
    Int(i64),
    /// An integer beyond 64 bits, of any size (boxed: rare, and it keeps every term small).
    BigInt(Box<BigInteger>),
    /// A float (`1.0`, `2.5e-3`).
    Float(f64),
    /// A non-empty string literal, i.e. a proper list of character codes (`"1.0"`).
    String(Cow<'a, str>),
    /// A binary (`<<"1\\.0.*">>`, `<<1,2>>`).
    Binary(Cow<'a, [u8]>),
    /// A tuple.
    Tuple(Vec<Term<'a>>),
    /// A list: its elements and, for an improper list, its tail (never a list itself).
    List(Vec<Term<'a>>, Option<Box<Term<'a>>>),
    /// A map, pairs in source order.
    Map(Vec<(Term<'a>, Term<'a>)>),
}

impl TermKind<'_> {
    /// The integer `value` in its canonical representation.
    pub fn int(value: i128) -> TermKind<'static> {
        match i64::try_from(value) {
            Ok(small) => TermKind::Int(small),
            Err(_) => TermKind::BigInt(Box::new(BigInteger::from(value))),
        }
    }
}

/// One element of a list as [`Term::list_items`] sees it: a term, or a character of a string.
#[derive(Debug, Clone, Copy)]
pub enum Item<'t, 'a> {
    /// A list element that is a term in its own right.
    Term(&'t Term<'a>),
    /// A character code of a string literal (a list of integers), with the string's span.
    Char(u32, Span),
}

impl<'t, 'a> Item<'t, 'a> {
    /// The element as an owned term.
    pub fn to_term(self) -> Term<'static> {
        match self {
            Item::Term(t) => t.clone().into_owned(),
            Item::Char(c, span) => Term::new(span, TermKind::Int(i64::from(c))),
        }
    }

    /// The atom this element is, if it is one.
    pub fn as_atom(self) -> Option<&'t str> {
        match self {
            Item::Term(t) => t.as_atom(),
            Item::Char(..) => None,
        }
    }

    /// The span of the element (a string's characters share the string's span).
    pub fn span(self) -> Span {
        match self {
            Item::Term(t) => t.span,
            Item::Char(_, s) => s,
        }
    }
}

impl<'a> Term<'a> {
    /// A term with the given span.
    pub fn new(span: Span, kind: TermKind<'a>) -> Self {
        Term { span, kind }
    }

    /// An atom term built in code (empty span).
    pub fn atom(name: impl Into<Cow<'a, str>>) -> Self {
        Term::new(Span::default(), TermKind::Atom(name.into()))
    }

    /// An integer term built in code.
    pub fn int(value: i128) -> Self {
        Term::new(Span::default(), TermKind::int(value))
    }

    /// A string (list of character codes) built in code; `""` becomes `[]`.
    pub fn string(text: impl Into<Cow<'a, str>>) -> Self {
        let text = text.into();
        if text.is_empty() {
            Term::nil()
        } else {
            Term::new(Span::default(), TermKind::String(text))
        }
    }

    /// A tuple built in code.
    pub fn tuple(items: Vec<Term<'a>>) -> Self {
        Term::new(Span::default(), TermKind::Tuple(items))
    }

    /// A proper list built in code.
    pub fn list(items: Vec<Term<'a>>) -> Self {
        Term::new(Span::default(), TermKind::List(items, None))
    }

    /// The empty list `[]`.
    pub fn nil() -> Self {
        Term::list(Vec::new())
    }

    /// Detaches the term from the text it was parsed from.
    pub fn into_owned(mut self) -> Term<'static> {
        let kind = match std::mem::replace(&mut self.kind, TermKind::Int(0)) {
            TermKind::Atom(a) => TermKind::Atom(Cow::Owned(a.into_owned())),
            TermKind::Int(i) => TermKind::Int(i),
            TermKind::BigInt(i) => TermKind::BigInt(i),
            TermKind::Float(f) => TermKind::Float(f),
            TermKind::String(s) => TermKind::String(Cow::Owned(s.into_owned())),
            TermKind::Binary(b) => TermKind::Binary(Cow::Owned(b.into_owned())),
            TermKind::Tuple(items) => with_stack(|| TermKind::Tuple(owned_vec(items))),
            TermKind::List(items, tail) => with_stack(|| {
                TermKind::List(owned_vec(items), tail.map(|t| Box::new(t.into_owned())))
            }),
            TermKind::Map(pairs) => with_stack(|| {
                TermKind::Map(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect(),
                )
            }),
        };
        Term {
            span: self.span,
            kind,
        }
    }

    /// A copy of the term that borrows its atoms, strings and binaries from `self`: only
    /// tuples, lists and maps are allocated again.
    pub fn reborrow(&self) -> Term<'_> {
        with_stack(|| self.reborrow_here())
    }

    fn reborrow_here(&self) -> Term<'_> {
        let kind = match &self.kind {
            TermKind::Atom(a) => TermKind::Atom(Cow::Borrowed(a)),
            TermKind::Int(i) => TermKind::Int(*i),
            TermKind::BigInt(i) => TermKind::BigInt(i.clone()),
            TermKind::Float(f) => TermKind::Float(*f),
            TermKind::String(s) => TermKind::String(Cow::Borrowed(s)),
            TermKind::Binary(b) => TermKind::Binary(Cow::Borrowed(b)),
            TermKind::Tuple(items) => TermKind::Tuple(items.iter().map(Term::reborrow).collect()),
            TermKind::List(items, tail) => TermKind::List(
                items.iter().map(Term::reborrow).collect(),
                tail.as_ref().map(|t| Box::new(t.reborrow())),
            ),
            TermKind::Map(pairs) => TermKind::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.reborrow(), v.reborrow()))
                    .collect(),
            ),
        };
        Term {
            span: self.span,
            kind,
        }
    }

    /// The atom's text, if this is an atom.
    pub fn as_atom(&self) -> Option<&str> {
        match &self.kind {
            TermKind::Atom(a) => Some(a),
            _ => None,
        }
    }

    /// True when this is the atom `name`.
    pub fn is_atom(&self, name: &str) -> bool {
        self.as_atom() == Some(name)
    }

    /// The integer value, if this is an integer.
    pub fn as_int(&self) -> Option<i128> {
        match &self.kind {
            TermKind::Int(i) => Some(i128::from(*i)),
            TermKind::BigInt(i) => i.to_i128(),
            _ => None,
        }
    }

    /// The elements of a tuple.
    pub fn as_tuple(&self) -> Option<&[Term<'a>]> {
        match &self.kind {
            TermKind::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// True for `[]`, `""`, a string, or any cons cell: Erlang's `is_list/1`.
    pub fn is_list(&self) -> bool {
        matches!(self.kind, TermKind::List(..) | TermKind::String(_))
    }

    /// True for `[]` (or `""`).
    pub fn is_nil(&self) -> bool {
        matches!(&self.kind, TermKind::List(items, None) if items.is_empty())
    }

    /// The elements of a proper list (a string yields its characters); `None` for anything
    /// else, including an improper list.
    pub fn list_items(&self) -> Option<Vec<Item<'_, 'a>>> {
        match &self.kind {
            TermKind::List(items, None) => Some(items.iter().map(Item::Term).collect()),
            TermKind::String(s) => {
                Some(s.chars().map(|c| Item::Char(c as u32, self.span)).collect())
            }
            _ => None,
        }
    }

    /// The text of a proper list of character codes (Erlang's "string"), if it is one.
    /// `[]` is the empty string.
    pub fn as_charlist(&self) -> Option<Cow<'_, str>> {
        match &self.kind {
            TermKind::String(s) => Some(Cow::Borrowed(s)),
            TermKind::List(items, None) => items
                .iter()
                .map(|t| {
                    t.as_int()
                        .and_then(|i| u32::try_from(i).ok())
                        .and_then(char::from_u32)
                })
                .collect::<Option<String>>()
                .map(Cow::Owned),
            _ => None,
        }
    }

    /// The tag and arity when this is a tuple whose first element is an atom.
    pub fn tagged(&self) -> Option<(&str, usize)> {
        let items = self.as_tuple()?;
        Some((items.first()?.as_atom()?, items.len()))
    }
}

fn owned_vec(items: Vec<Term<'_>>) -> Vec<Term<'static>> {
    items.into_iter().map(Term::into_owned).collect()
}

/// Clones level by level through [`with_stack`] (a derived clone recurses unguarded).
impl Clone for Term<'_> {
    fn clone(&self) -> Self {
        let kind = if self.is_compound() {
            with_stack(|| self.kind.clone())
        } else {
            self.kind.clone()
        };
        Term {
            span: self.span,
            kind,
        }
    }
}

/// Drops the children through [`with_stack`]: the drop of a deep term recurses too.
impl Drop for Term<'_> {
    fn drop(&mut self) {
        if self.is_compound() {
            let kind = std::mem::replace(&mut self.kind, TermKind::Int(0));
            with_stack(|| drop(kind));
        }
    }
}

impl PartialEq for Term<'_> {
    fn eq(&self, other: &Self) -> bool {
        if self.is_compound() {
            with_stack(|| self.eq_here(other))
        } else {
            self.eq_here(other)
        }
    }
}

impl Term<'_> {
    /// Tuples, lists and maps: the terms that hold terms (a walk recurses through them).
    fn is_compound(&self) -> bool {
        matches!(
            self.kind,
            TermKind::Tuple(_) | TermKind::List(..) | TermKind::Map(_)
        )
    }

    fn eq_here(&self, other: &Self) -> bool {
        use TermKind::*;
        match (&self.kind, &other.kind) {
            (Atom(a), Atom(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (BigInt(a), BigInt(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits() || a == b,
            (Binary(a), Binary(b)) => a == b,
            (Tuple(a), Tuple(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(..) | String(_), List(..) | String(_)) => lists_equal(self, other),
            _ => false,
        }
    }
}

/// Element-wise comparison of two lists where either may be a string literal.
fn lists_equal(a: &Term<'_>, b: &Term<'_>) -> bool {
    let (ia, ib) = (flat_items(a), flat_items(b));
    ia.len() == ib.len()
        && ia.iter().zip(&ib).all(|(x, y)| item_eq(*x, *y))
        && list_tail(a) == list_tail(b)
}

fn list_tail<'t, 'a>(t: &'t Term<'a>) -> Option<&'t Term<'a>> {
    match &t.kind {
        TermKind::List(_, tail) => tail.as_deref(),
        _ => None,
    }
}

fn flat_items<'t, 'a>(t: &'t Term<'a>) -> Vec<Item<'t, 'a>> {
    match &t.kind {
        TermKind::List(items, _) => items.iter().map(Item::Term).collect(),
        TermKind::String(s) => s.chars().map(|c| Item::Char(c as u32, t.span)).collect(),
        _ => Vec::new(),
    }
}

fn item_eq(a: Item<'_, '_>, b: Item<'_, '_>) -> bool {
    match (a, b) {
        (Item::Term(x), Item::Term(y)) => x == y,
        (Item::Char(c, _), Item::Char(d, _)) => c == d,
        (Item::Char(c, _), Item::Term(t)) | (Item::Term(t), Item::Char(c, _)) => {
            t.as_int() == Some(i128::from(c))
        }
    }
}

/// Parses every `.`-terminated term of `source`, as `file:consult/1` reads a file.
///
/// # Errors
/// The first syntax error, with the byte span where it was found.
pub fn parse_terms(source: &str) -> Result<Vec<Term<'_>>, ParseError> {
    compound::Parser::new(source, false).file()
}

/// Like [`parse_terms`], but also accepts Erlang's reserved words (`case`, `end`, ...) as bare
/// atoms, as the oracle's case files (`{case, Name, ...}`) need.
///
/// # Errors
/// The first syntax error, with its span.
pub fn parse_terms_lenient(source: &str) -> Result<Vec<Term<'_>>, ParseError> {
    compound::Parser::new(source, true).file()
}

/// Parses exactly one term with no terminating `.` (used for terms given on a command line).
///
/// # Errors
/// A syntax error, or text after the term.
pub fn parse_term(source: &str) -> Result<Term<'_>, ParseError> {
    compound::Parser::new(source, false).single()
}

/// Decodes a file's bytes into text the way Erlang's `epp` does: UTF-8 unless a `coding:`
/// comment on the first two lines says `latin-1`.
///
/// # Errors
/// [`ParseErrorKind::InvalidUtf8`] at the first byte that is not UTF-8.
pub fn decode_source(bytes: &[u8]) -> Result<Cow<'_, str>, ParseError> {
    if declares_latin1(bytes) {
        return Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()));
    }
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        let at = e.valid_up_to();
        ParseError::new(ParseErrorKind::InvalidUtf8, Span::new(at, at + 1))
    })
}

fn declares_latin1(bytes: &[u8]) -> bool {
    let head: Vec<&[u8]> = bytes.split(|&b| b == b'\n').take(2).collect();
    head.iter().any(|line| {
        let line = String::from_utf8_lossy(line).to_ascii_lowercase();
        line.trim_start().starts_with('%')
            && line.contains("coding")
            && (line.contains("latin-1") || line.contains("latin1") || line.contains("iso-8859-1"))
    })
}

/// Terms serialize as their one-line Erlang text (`~0p`), which keeps JSON output and
/// snapshots readable and exact.
impl serde::Serialize for Term<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The first term of `source` up to its terminating dot, ignoring whatever follows (as
/// `systools` reads `.rel`, `.app` and `.appup` files: one `io:read` and no more). `None`
/// when the text holds no term.
pub fn parse_first_term(source: &str) -> Option<Result<Term<'_>, ParseError>> {
    let pos = source.len() - lexical_ws_len(source);
    if pos >= source.len() {
        return None;
    }
    let end = compound::next_dot_end(source, pos);
    Some(compound::Parser::new(&source[..end], false).term_with_dot(pos))
}

/// Parses every term of `source`, going on after a syntax error with the next term, the way
/// `erl_scan:tokens/3` + `erl_parse` do: each term is read up to its terminating dot token, so
/// an error costs only that term. `lenient` accepts reserved words as bare atoms.
pub fn parse_terms_recovering(source: &str, lenient: bool) -> Vec<Result<Term<'_>, ParseError>> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &source[pos..];
        let skipped = rest.len() - lexical_ws_len(rest);
        pos += skipped;
        if pos >= source.len() {
            return out;
        }
        let end = compound::next_dot_end(source, pos);
        out.push(compound::Parser::new(&source[..end], lenient).term_with_dot(pos));
        pos = end.max(pos + 1);
    }
}

fn lexical_ws_len(s: &str) -> usize {
    lexical::ws(s).map_or(s.len(), |(rest, _)| rest.len())
}

#[cfg(test)]
mod size_tests {
    /// Parsing throughput depends on terms staying small: a 5 MB appup holds about a million.
    #[test]
    fn a_term_takes_at_most_40_bytes() {
        assert!(std::mem::size_of::<super::Term<'_>>() <= 40);
        assert_eq!(std::mem::size_of::<crate::span::Span>(), 8);
    }
}

#[cfg(test)]
mod depth_tests {
    use super::{MAX_DEPTH, ParseErrorKind, parse_term, pretty};

    /// Every walk over a term of the deepest nesting accepted fits a 2 MB thread stack (Rust's
    /// default for spawned threads) in debug builds: parse, print, pretty-print, clone,
    /// compare, detach from the text, drop. Deeper input is an error.
    #[test]
    fn the_deepest_accepted_term_fits_a_2_mb_thread_in_every_walk() {
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let text = format!(
                    "{}x{}",
                    "[{a, ".repeat(MAX_DEPTH / 2),
                    "}]".repeat(MAX_DEPTH / 2)
                );
                let t = parse_term(&text).unwrap();
                let printed = t.to_string();
                let copy = t.clone();
                assert!(copy == t);
                let owned = t.into_owned();
                assert_eq!(printed.len(), text.len() - MAX_DEPTH / 2);
                let laid_out = pretty(&owned);
                drop(owned);
                drop(copy);
                let deep = format!("{}{}", "{".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
                (
                    laid_out.len() > text.len() / 2,
                    parse_term(&deep).map(|_| ()).map_err(|e| e.kind),
                )
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(result.0);
        assert_eq!(result.1.unwrap_err(), ParseErrorKind::TooDeep(MAX_DEPTH));
    }
}
