//! Diagnostics: what `relup check` and the file decoders report, with a severity, a stable
//! code, a sentence, the span it concerns and, where OTP has one, OTP's reason term.
//! Rendered as `path:line:col: error: ...` with a caret snippet, or as JSON.

mod code;

use serde::Serialize;

pub use code::Code;

use crate::span::{LineCol, LineIndex, Span, render_snippet_in};

/// How many characters of a message or reason a diagnostic keeps: a term quoted in a message
/// can be as large as the file, and the output must stay bounded.
pub const MAX_MESSAGE: usize = 600;

/// `text` cut to [`MAX_MESSAGE`] characters, with `...` where it was cut.
fn clipped(text: String) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The file is rejected (by OTP, or it cannot be read at all).
    Error,
    /// OTP accepts the file but something is certainly off.
    Warning,
}

/// One finding about a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The kind of finding (e.g. `bad_purge_method`, `shadowed_clause`).
    pub code: Code,
    /// A sentence saying what is wrong and why (at most [`MAX_MESSAGE`] characters).
    pub message: String,
    /// OTP's reason term, where OTP reports this (printed with `~0p`).
    pub reason: Option<String>,
    /// Where in the file (absent when the finding concerns the whole file).
    pub span: Option<Span>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: Code, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: clipped(message.into()),
            reason: None,
            span,
        }
    }

    /// A warning.
    pub fn warning(code: Code, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: clipped(message.into()),
            reason: None,
            span,
        }
    }

    /// Attaches OTP's reason term (its text cut to [`MAX_MESSAGE`] characters).
    pub fn with_reason(mut self, reason: impl ToString) -> Self {
        self.reason = Some(clipped(reason.to_string()));
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:col: severity: message [reason]` and a caret snippet. Indexes the source
    /// each call: use [`Diagnostic::render_in`] for the diagnostics of one file.
    pub fn render(&self, source: &str, path: &str) -> String {
        self.render_in(&LineIndex::new(source), source, path)
    }

    /// [`Diagnostic::render`] with the file's [`LineIndex`].
    pub fn render_in(&self, index: &LineIndex, source: &str, path: &str) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let message = match &self.reason {
            Some(r) => format!("{} [{}: {r}]", self.message, self.code),
            None => format!("{} [{}]", self.message, self.code),
        };
        match self.span {
            Some(span) => render_snippet_in(index, source, path, span, severity, &message),
            None => format!("{path}: {severity}: {message}\n"),
        }
    }

    /// The diagnostic with its position as line and column, for JSON output.
    pub fn located(&self, index: &LineIndex, source: &str, path: &str) -> LocatedDiagnostic {
        LocatedDiagnostic {
            path: path.to_string(),
            start: self.span.map(|s| index.line_col(source, s.lo())),
            end: self.span.map(|s| index.line_col(source, s.hi())),
            diagnostic: self.clone(),
        }
    }
}

/// A diagnostic with its file and line/column positions (the JSON form).
#[derive(Debug, Clone, Serialize)]
pub struct LocatedDiagnostic {
    /// The file.
    pub path: String,
    /// Where the span starts.
    pub start: Option<LineCol>,
    /// Where it ends.
    pub end: Option<LineCol>,
    /// The finding.
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}
