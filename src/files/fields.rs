//! Small decoding helpers shared by the file decoders: each checks one field's shape and
//! records a diagnostic (with the field's span) when it is wrong.

use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::instr::Atom;
use crate::term::Term;

/// Collects diagnostics while a file is decoded.
#[derive(Debug, Default)]
pub struct Sink(pub Vec<Diagnostic>);

impl Sink {
    /// Records an error about `t`.
    pub fn error(&mut self, code: Code, t: &Term<'_>, message: impl Into<String>) {
        self.0.push(Diagnostic::error(code, Some(t.span), message));
    }

    /// Records a warning about `t`.
    pub fn warning(&mut self, code: Code, t: &Term<'_>, message: impl Into<String>) {
        self.0
            .push(Diagnostic::warning(code, Some(t.span), message));
    }

    /// The term of a file that holds exactly one: an `empty_file` error (`empty` says what the
    /// file should hold) when there is none, an `extra_term` diagnostic of `extra_severity`
    /// for each term after the first (a warning where the reader ignores the rest).
    pub fn only_term<'t, 'a>(
        &mut self,
        terms: &'t [Term<'a>],
        empty: &str,
        extra: &str,
        extra_severity: Severity,
    ) -> Option<&'t Term<'a>> {
        let Some((first, rest)) = terms.split_first() else {
            self.0.push(Diagnostic::error(Code::EmptyFile, None, empty));
            return None;
        };
        for t in rest {
            match extra_severity {
                Severity::Error => self.error(Code::ExtraTerm, t, extra),
                Severity::Warning => self.warning(Code::ExtraTerm, t, extra),
            }
        }
        Some(first)
    }

    /// True when an error was recorded.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// A string field (a proper list of character codes), or an error.
    pub fn string(&mut self, t: &Term<'_>, code: Code, what: &str) -> Option<String> {
        match t.as_charlist() {
            Some(s) => Some(s.into_owned()),
            None => {
                self.error(code, t, format!("{what} must be a string, found {t}"));
                None
            }
        }
    }

    /// An atom field, or an error.
    pub fn atom(&mut self, t: &Term<'_>, code: Code, what: &str) -> Option<Atom> {
        match t.as_atom() {
            Some(a) => Some(Atom::from(a)),
            None => {
                self.error(code, t, format!("{what} must be an atom, found {t}"));
                None
            }
        }
    }

    /// A proper list, or an error.
    pub fn list<'t, 'a>(
        &mut self,
        t: &'t Term<'a>,
        code: Code,
        what: &str,
    ) -> Option<&'t [Term<'a>]> {
        match &t.kind {
            crate::term::TermKind::List(items, None) => Some(items),
            _ if t.as_charlist().is_some() => {
                self.error(
                    code,
                    t,
                    format!("{what} must be a list of terms, found the string {t}"),
                );
                None
            }
            _ => {
                self.error(code, t, format!("{what} must be a list, found {t}"));
                None
            }
        }
    }
}
