//! Compound rules of the term grammar (`grammar/term.ebnf`): terms, tuples, lists, maps,
//! binaries and the `.`-terminated file. Recursion carries a depth so that hostile nesting is
//! an error ([`ParseErrorKind::TooDeep`]) rather than a stack overflow.

use std::borrow::Cow;

use nom::Parser as _;
use nom::character::complete::char as one_char;

use super::error::{ParseError, ParseErrorKind};
use super::lexical::{
    Number, PErr, PResult, bare_atom, char_literal, fail, map_open, number, quoted_atom, string, ws,
};
use super::{MAX_DEPTH, Term, TermKind};
use crate::span::Span;

/// The term parser over one source text; offsets are computed against `src`.
///
/// Elements of tuples and lists are collected on one shared scratch stack and moved into a
/// vector of exactly the right size when the compound closes: one allocation per compound,
/// none wasted on growth.
pub(crate) struct Parser<'a> {
    src: &'a str,
    lenient: bool,
    scratch: std::cell::RefCell<Vec<Term<'a>>>,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, lenient: bool) -> Self {
        Parser {
            src,
            lenient,
            scratch: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Moves the elements pushed since `mark` off the scratch stack into an exact-size vector.
    fn take_from(&self, mark: usize) -> Vec<Term<'a>> {
        let mut stack = self.scratch.borrow_mut();
        let mut items = Vec::with_capacity(stack.len() - mark);
        items.extend(stack.drain(mark..));
        items
    }

    fn push(&self, t: Term<'a>) {
        self.scratch.borrow_mut().push(t);
    }

    fn mark(&self) -> usize {
        self.scratch.borrow().len()
    }

    /// Drops what a failed compound left on the stack.
    fn reset(&self, mark: usize) {
        self.scratch.borrow_mut().truncate(mark);
    }

    fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn span(&self, start: &str, rest: &str) -> Span {
        Span::new(self.offset(start), self.offset(rest))
    }

    fn to_error(&self, e: nom::Err<PErr>) -> ParseError {
        let e = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => PErr {
                rest: 0,
                len: 0,
                kind: ParseErrorKind::Unterminated("input"),
            },
        };
        let start = self.src.len().saturating_sub(e.rest);
        ParseError::new(e.kind, Span::new(start, start + e.len))
    }

    // file ::= ws ( term ws dot ws )*
    pub(crate) fn file(&self) -> Result<Vec<Term<'a>>, ParseError> {
        let mut terms = Vec::new();
        let (mut i, _) = ws(self.src).map_err(|e| self.to_error(e))?;
        while !i.is_empty() {
            let (after_term, t) = self.term(i, 0).map_err(|e| self.to_error(e))?;
            let (rest, _) = ws(after_term).map_err(|e| self.to_error(e))?;
            let (rest, _) = self.dot(rest).map_err(|e| self.dot_error(e, after_term))?;
            let (rest, _) = ws(rest).map_err(|e| self.to_error(e))?;
            terms.push(t);
            i = rest;
        }
        Ok(terms)
    }

    /// One term with optional surrounding white space and nothing else.
    pub(crate) fn single(&self) -> Result<Term<'a>, ParseError> {
        let run = |i: &'a str| -> PResult<'a, Term<'a>> {
            let (i, _) = ws(i)?;
            let (i, t) = self.term(i, 0)?;
            let (i, _) = ws(i)?;
            let i = i.strip_prefix('.').map_or(i, |r| r);
            let (i, _) = ws(i)?;
            if !i.is_empty() {
                return fail(PErr::at(i, i.len(), ParseErrorKind::TrailingText));
            }
            Ok((i, t))
        };
        run(self.src).map(|(_, t)| t).map_err(|e| self.to_error(e))
    }

    /// A missing dot is reported right after the term, not where the next text starts.
    fn dot_error(&self, e: nom::Err<PErr>, after_term: &'a str) -> ParseError {
        let mut err = self.to_error(e);
        if err.kind == ParseErrorKind::MissingDot && !self.src[err.span.lo()..].starts_with('.') {
            let at = self.offset(after_term);
            err.span = Span::new(at, at);
        }
        err
    }

    // dot ::= "." ( white | "%" | EOF )
    fn dot(&self, i: &'a str) -> PResult<'a, ()> {
        match i.strip_prefix('.') {
            Some(rest) if rest.is_empty() || rest.starts_with(|c: char| c <= ' ' || c == '%') => {
                Ok((rest, ()))
            }
            _ => fail(PErr::at(
                i,
                i.chars().next().map_or(0, char::len_utf8),
                ParseErrorKind::MissingDot,
            )),
        }
    }

    // term ::= number_term | atom | string_seq | char_literal | binary | tuple | list | map
    pub(crate) fn term(&self, i: &'a str, depth: usize) -> PResult<'a, Term<'a>> {
        let Some(&b) = i.as_bytes().first() else {
            return fail(PErr::unexpected(i, "a term"));
        };
        // A lower-case ASCII letter starts a bare atom: the most common term by far.
        if b.is_ascii_lowercase() {
            let (rest, a) = bare_atom(i, self.lenient)?;
            return Ok((
                rest,
                Term::new(self.span(i, rest), TermKind::Atom(Cow::Borrowed(a))),
            ));
        }
        let first = if b.is_ascii() {
            char::from(b)
        } else {
            i.chars().next().unwrap_or('\0')
        };
        let (rest, kind) = match first {
            '{' => self.nested(i, depth, Self::tuple)?,
            '[' => self.nested(i, depth, Self::list)?,
            '#' => self.nested(i, depth, Self::map)?,
            '<' if i.starts_with("<<") => self.nested(i, depth, Self::binary)?,
            '"' => self.string_seq(i)?,
            '\'' => quoted_atom(i).map(|(r, a)| (r, TermKind::Atom(a)))?,
            '$' => char_literal(i).map(|(r, c)| (r, TermKind::Int(i64::from(c as u32))))?,
            '-' | '+' | '0'..='9' => self.number_term(i)?,
            c if super::lexical::is_name_char(c) => {
                bare_atom(i, self.lenient).map(|(r, a)| (r, TermKind::Atom(Cow::Borrowed(a))))?
            }
            _ => return fail(PErr::unexpected(i, "a term")),
        };
        Ok((rest, Term::new(self.span(i, rest), kind)))
    }

    /// Runs a compound rule one level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested(
        &self,
        i: &'a str,
        depth: usize,
        rule: fn(&Self, &'a str, usize) -> PResult<'a, TermKind<'a>>,
    ) -> PResult<'a, TermKind<'a>> {
        if depth >= MAX_DEPTH {
            return fail(PErr::at(i, 1, ParseErrorKind::TooDeep(MAX_DEPTH)));
        }
        super::with_stack(|| rule(self, i, depth + 1))
    }

    // number_term ::= ( "-" | "+" )? ws number
    fn number_term(&self, i: &'a str) -> PResult<'a, TermKind<'a>> {
        let (sign, body) = match i.as_bytes()[0] {
            b'-' => (-1, ws(&i[1..])?.0),
            b'+' => (1, ws(&i[1..])?.0),
            _ => (1, i),
        };
        let (rest, n) = match number(body) {
            Ok(ok) => ok,
            Err(nom::Err::Error(_)) => {
                return fail(PErr::unexpected(body, "a number after the sign"));
            }
            Err(e) => return Err(e),
        };
        let kind = match n {
            Number::Int(v) => TermKind::int(if sign < 0 { -v } else { v }),
            Number::Big(b) => TermKind::BigInt(Box::new(if sign < 0 { b.negated() } else { b })),
            Number::Float(f) => TermKind::Float(if sign < 0 { -f } else { f }),
        };
        Ok((rest, kind))
    }

    // string_seq ::= string ( ws string )*
    fn string_seq(&self, i: &'a str) -> PResult<'a, TermKind<'a>> {
        let (mut rest, mut text) = string(i)?;
        loop {
            let (after_ws, _) = ws(rest)?;
            if !after_ws.starts_with('"') {
                break;
            }
            let (after, more) = string(after_ws)?;
            text.to_mut().push_str(&more);
            rest = after;
        }
        let kind = if text.is_empty() {
            TermKind::List(Vec::new(), None)
        } else {
            TermKind::String(text)
        };
        Ok((rest, kind))
    }

    /// `open ws [ item ( ws "," ws item )* ] ws close`, where `item` parses one element.
    fn sequence<T>(
        &self,
        i: &'a str,
        close: char,
        what: &'static str,
        mut item: impl FnMut(&'a str) -> PResult<'a, T>,
    ) -> PResult<'a, Vec<T>> {
        let (mut i, _) = ws(i)?;
        let mut out = Vec::new();
        if let Some(rest) = i.strip_prefix(close) {
            return Ok((rest, out));
        }
        loop {
            let (rest, x) = item(i)?;
            out.push(x);
            let (rest, _) = ws(rest)?;
            if let Some(r) = rest.strip_prefix(',') {
                i = ws(r)?.0;
            } else if let Some(r) = rest.strip_prefix(close) {
                return Ok((r, out));
            } else {
                return fail(PErr::unexpected(rest, what));
            }
        }
    }

    // tuple ::= "{" ws ( term ( ws "," ws term )* )? ws "}"
    fn tuple(&self, i: &'a str, depth: usize) -> PResult<'a, TermKind<'a>> {
        let (i, _) = one_char('{').parse(i)?;
        let mark = self.mark();
        match self.stacked_sequence(i, '}', depth) {
            Ok((rest, _)) => Ok((rest, TermKind::Tuple(self.take_from(mark)))),
            Err(e) => {
                self.reset(mark);
                Err(e)
            }
        }
    }

    /// `ws [ term ( ws "," ws term )* ] ws close`, pushing the terms on the scratch stack.
    fn stacked_sequence(&self, i: &'a str, close: char, depth: usize) -> PResult<'a, &'a str> {
        let (mut i, _) = ws(i)?;
        if let Some(rest) = i.strip_prefix(close) {
            return Ok((rest, rest));
        }
        loop {
            let (rest, t) = self.term(i, depth)?;
            self.push(t);
            let (rest, _) = ws(rest)?;
            if let Some(r) = rest.strip_prefix(',') {
                i = ws(r)?.0;
            } else if let Some(r) = rest.strip_prefix(close) {
                return Ok((r, r));
            } else {
                return fail(PErr::unexpected(rest, "`,` or `}`"));
            }
        }
    }

    // list ::= "[" ws ( term ( ws "," ws term )* ( ws "|" ws term )? )? ws "]"
    fn list(&self, i: &'a str, depth: usize) -> PResult<'a, TermKind<'a>> {
        let (i, _) = one_char('[').parse(i)?;
        let mark = self.mark();
        let result = self.list_items(i, depth);
        match result {
            Ok((rest, tail)) => {
                let items = self.take_from(mark);
                Ok((
                    rest,
                    match tail {
                        Some(tail) => cons(items, tail),
                        None => TermKind::List(items, None),
                    },
                ))
            }
            Err(e) => {
                self.reset(mark);
                Err(e)
            }
        }
    }

    /// The elements of a list (pushed on the scratch stack) and its tail, if improper.
    fn list_items(&self, i: &'a str, depth: usize) -> PResult<'a, Option<Term<'a>>> {
        let (mut i, _) = ws(i)?;
        if let Some(rest) = i.strip_prefix(']') {
            return Ok((rest, None));
        }
        loop {
            let (rest, t) = self.term(i, depth)?;
            self.push(t);
            let (rest, _) = ws(rest)?;
            if let Some(r) = rest.strip_prefix(',') {
                i = ws(r)?.0;
            } else if let Some(r) = rest.strip_prefix('|') {
                let (r, _) = ws(r)?;
                let (r, tail) = self.term(r, depth)?;
                let (r, _) = ws(r)?;
                let Some(r) = r.strip_prefix(']') else {
                    return fail(PErr::unexpected(r, "`]`"));
                };
                return Ok((r, Some(tail)));
            } else if let Some(r) = rest.strip_prefix(']') {
                return Ok((r, None));
            } else {
                return fail(PErr::unexpected(rest, "`,`, `|` or `]`"));
            }
        }
    }

    // map ::= map_open ws ( assoc ( ws "," ws assoc )* )? ws "}"
    fn map(&self, i: &'a str, depth: usize) -> PResult<'a, TermKind<'a>> {
        let (i, _) = map_open(i)
            .map_err(|_| nom::Err::Failure(PErr::unexpected(&i[1..], "`{` after `#`")))?;
        let (rest, pairs) = self.sequence(i, '}', "`,` or `}`", |i| self.assoc(i, depth))?;
        Ok((rest, TermKind::Map(pairs)))
    }

    // assoc ::= term ws "=>" ws term
    fn assoc(&self, i: &'a str, depth: usize) -> PResult<'a, (Term<'a>, Term<'a>)> {
        let (rest, key) = self.term(i, depth)?;
        let (rest, _) = ws(rest)?;
        let Some(rest) = rest.strip_prefix("=>") else {
            return fail(PErr::unexpected(rest, "`=>`"));
        };
        let (rest, _) = ws(rest)?;
        let (rest, value) = self.term(rest, depth)?;
        Ok((rest, (key, value)))
    }

    // binary ::= "<<" ws ( segment ( ws "," ws segment )* )? ws ">>"
    fn binary(&self, i: &'a str, _depth: usize) -> PResult<'a, TermKind<'a>> {
        let i = &i[2..];
        let (mut i, _) = ws(i)?;
        let mut bytes: Vec<u8> = Vec::new();
        let mut borrowed: Option<&'a str> = None;
        let mut segments = 0;
        if let Some(rest) = i.strip_prefix(">>") {
            return Ok((rest, TermKind::Binary(Cow::Borrowed(&[]))));
        }
        loop {
            let (rest, seg) = self.segment(i)?;
            segments += 1;
            match seg {
                Segment::Text(Cow::Borrowed(s), false) if segments == 1 && s.is_ascii() => {
                    borrowed = Some(s)
                }
                other => {
                    if let Some(b) = borrowed.take() {
                        bytes.extend_from_slice(b.as_bytes());
                    }
                    other.append_to(&mut bytes, i)?;
                }
            }
            let (rest, _) = ws(rest)?;
            if let Some(r) = rest.strip_prefix(',') {
                i = ws(r)?.0;
            } else if let Some(r) = rest.strip_prefix(">>") {
                let kind = match borrowed {
                    Some(s) if segments == 1 => TermKind::Binary(Cow::Borrowed(s.as_bytes())),
                    _ => TermKind::Binary(Cow::Owned(bytes)),
                };
                return Ok((r, kind));
            } else {
                return fail(PErr::unexpected(rest, "`,` or `>>`"));
            }
        }
    }

    // segment ::= ( string_seq | integer | char_literal ) ( "/" ( "utf8" | "integer" | "binary" ) )?
    fn segment(&self, i: &'a str) -> PResult<'a, Segment<'a>> {
        let (rest, seg) = match i.chars().next() {
            Some('"') => match self.string_seq(i)? {
                (r, TermKind::String(s)) => (r, Segment::Text(s, false)),
                (r, _) => (r, Segment::Text(Cow::Borrowed(""), false)),
            },
            Some('$') => char_literal(i).map(|(r, c)| (r, Segment::Int(i128::from(c as u32))))?,
            Some('-' | '0'..='9') => match self.number_term(i)? {
                (r, TermKind::Int(v)) => (r, Segment::Int(i128::from(v))),
                (r, TermKind::BigInt(v)) => (r, Segment::Int(v.to_i128().unwrap_or(i128::MAX))),
                _ => {
                    return fail(PErr::at(
                        i,
                        1,
                        ParseErrorKind::BadBinarySegment("a float".into()),
                    ));
                }
            },
            _ => return fail(PErr::unexpected(i, "a binary segment (string or integer)")),
        };
        let (after_ws, _) = ws(rest)?;
        let Some(spec) = after_ws.strip_prefix('/') else {
            return Ok((rest, seg));
        };
        let (spec_rest, _) = ws(spec)?;
        let name_len = spec_rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .count();
        let name = &spec_rest[..name_len];
        let seg = match (seg, name) {
            (Segment::Text(s, _), "utf8") => Segment::Text(s, true),
            (Segment::Int(v), "utf8") => Segment::Utf8(v),
            (seg, "integer") => seg,
            _ => {
                return fail(PErr::at(
                    spec,
                    name_len.max(1),
                    ParseErrorKind::BadBinarySegment(format!("type `/{name}`")),
                ));
            }
        };
        Ok((&spec_rest[name_len..], seg))
    }
}

/// One segment of a binary literal before it is turned into bytes.
enum Segment<'a> {
    /// A string; `true` when it is marked `/utf8`.
    Text(Cow<'a, str>, bool),
    /// An 8-bit integer segment.
    Int(i128),
    /// An integer segment marked `/utf8` (one code point).
    Utf8(i128),
}

impl Segment<'_> {
    fn append_to<'i>(self, bytes: &mut Vec<u8>, at: &'i str) -> PResult<'i, ()> {
        let bad = |what: String| fail(PErr::at(at, 1, ParseErrorKind::BadBinarySegment(what)));
        match self {
            Segment::Text(s, true) => bytes.extend_from_slice(s.as_bytes()),
            Segment::Text(s, false) => {
                for c in s.chars() {
                    let Ok(b) = u8::try_from(c as u32) else {
                        return bad(format!("character {c:?} does not fit 8 bits (use /utf8)"));
                    };
                    bytes.push(b);
                }
            }
            Segment::Int(v) => match u8::try_from(v) {
                Ok(b) => bytes.push(b),
                Err(_) => return bad(format!("{v} does not fit 8 bits")),
            },
            Segment::Utf8(v) => match u32::try_from(v).ok().and_then(char::from_u32) {
                Some(c) => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                None => return bad(format!("{v} is not a Unicode code point")),
            },
        }
        Ok((at, ()))
    }
}

/// `[Items | Tail]` in normal form: a tail that is itself a list is spliced in, so that
/// `[a|[b]]` equals `[a,b]` and `[a|[]]` equals `[a]`.
fn cons<'a>(mut items: Vec<Term<'a>>, mut tail: Term<'a>) -> TermKind<'a> {
    match std::mem::replace(&mut tail.kind, TermKind::Int(0)) {
        TermKind::List(more, rest) => {
            items.extend(more);
            TermKind::List(items, rest)
        }
        TermKind::String(s) => {
            let span = tail.span;
            items.extend(
                s.chars()
                    .map(|c| Term::new(span, TermKind::Int(i64::from(c as u32)))),
            );
            TermKind::List(items, None)
        }
        other => {
            tail.kind = other;
            TermKind::List(items, Some(Box::new(tail)))
        }
    }
}

impl<'a> Parser<'a> {
    /// One term starting at byte `pos`, followed by white space and a dot.
    pub(crate) fn term_with_dot(&self, pos: usize) -> Result<Term<'a>, ParseError> {
        let run = |i: &'a str| -> PResult<'a, Term<'a>> {
            let (i, t) = self.term(i, 0)?;
            let (i, _) = ws(i)?;
            let (i, _) = self.dot(i)?;
            Ok((i, t))
        };
        run(&self.src[pos..])
            .map(|(_, t)| t)
            .map_err(|e| self.to_error(e))
    }
}

/// The byte offset just past the next dot token at or after `pos` (a `.` followed by white
/// space, `%` or the end), skipping strings, quoted atoms, character literals and comments;
/// the end of the text when there is none.
pub(crate) fn next_dot_end(src: &str, pos: usize) -> usize {
    let b = src.as_bytes();
    let mut i = pos;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'$' => i += if b.get(i + 1) == Some(&b'\\') { 3 } else { 2 },
            b'%' => i = src[i..].find('\n').map_or(b.len(), |n| i + n),
            b'.' if b.get(i + 1).is_none_or(|&c| c <= b' ' || c == b'%') => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}
