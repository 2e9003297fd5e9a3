//! Syntax errors of the term parser: a kind and the span where it was found.

use crate::span::Span;

/// A syntax error in Erlang term text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Where (byte offsets into the parsed text).
    pub span: Span,
}

impl ParseError {
    /// An error of `kind` at `span`.
    pub fn new(kind: ParseErrorKind, span: Span) -> Self {
        ParseError { kind, span }
    }
}

/// The kinds of syntax error, each named after the grammar rule that could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// A character that cannot start or continue a term here.
    #[error("unexpected {found}, expected {expected}")]
    Unexpected {
        /// What was found (a quoted character or "end of input").
        found: String,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// A quoted atom, string or binary string that is never closed.
    #[error("unterminated {0}")]
    Unterminated(&'static str),
    /// A term not followed by `.` and white space (or the end of the file).
    #[error("missing `.` after term (a term in a file ends with a dot and white space)")]
    MissingDot,
    /// A variable (a name starting with an upper-case letter or `_`): files hold only constants.
    #[error(
        "variable `{0}` is not allowed in a term file (atoms start with a lower-case letter; quote other atoms)"
    )]
    Variable(String),
    /// A reserved word used as a bare atom (`case`, `end`, ...), which `file:consult` rejects.
    #[error("reserved word `{0}` cannot be a bare atom; write '{0}'")]
    ReservedWord(String),
    /// A based integer (`16#...`) of more than [`super::MAX_BASED_DIGITS`] digits
    /// (decimal integers of any size are read).
    #[error(
        "based integer literal of more than 20000 digits (decimal integers of any size are read)"
    )]
    IntegerTooLarge,
    /// `Base#Digits` with a base outside 2..=36 or a digit not valid in the base.
    #[error("bad based integer: {0}")]
    BadBase(String),
    /// A float literal Rust cannot represent (overflow to infinity).
    #[error("float literal out of range")]
    FloatOutOfRange,
    /// An escape sequence that denotes no character.
    #[error("bad escape sequence: {0}")]
    BadEscape(String),
    /// A binary segment the parser does not support (only strings and integers 0..=255).
    #[error("unsupported binary segment: {0}")]
    BadBinarySegment(String),
    /// An atom longer than Erlang's limit of 255 characters.
    #[error("atom too long (Erlang atoms hold at most 255 characters)")]
    AtomTooLong,
    /// Nesting deeper than [`crate::term::MAX_DEPTH`].
    #[error("terms nested deeper than {0} levels")]
    TooDeep(usize),
    /// The file is not valid UTF-8 and does not declare `coding: latin-1`.
    #[error("invalid UTF-8 (declare `%% coding: latin-1` on the first line for Latin-1 files)")]
    InvalidUtf8,
    /// A single term was expected but the text holds more.
    #[error("unexpected text after the term")]
    TrailingText,
}
