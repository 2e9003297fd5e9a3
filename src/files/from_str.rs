//! `str::parse` for the file models: the text of an `.appup`, `.app`, `.rel` or `relup` file
//! straight to its typed model, with every diagnostic when it is not one.

use std::str::FromStr;

use super::{App, Appup, Rel, Relup, decode_app, decode_appup, decode_rel, decode_relup};
use crate::diagnostic::Diagnostic;
use crate::term::parse_terms;

/// Why a text is not the file it was parsed as: every diagnostic (errors and warnings, in
/// file order); the first error is the message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", first_error(.diagnostics))]
pub struct FileError {
    /// What the decoder found.
    pub diagnostics: Vec<Diagnostic>,
}

fn first_error(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .find(|d| d.is_error())
        .map_or_else(|| "not a valid file".to_string(), |d| d.message.clone())
}

fn parsed<T>(
    text: &str,
    decode: impl FnOnce(&[crate::term::Term<'_>]) -> (Option<T>, Vec<Diagnostic>),
) -> Result<T, FileError> {
    let terms = parse_terms(text).map_err(|e| FileError {
        diagnostics: vec![super::parse_diagnostic(&e)],
    })?;
    match decode(&terms) {
        (Some(model), _) => Ok(model),
        (None, diagnostics) => Err(FileError { diagnostics }),
    }
}

impl FromStr for Appup {
    type Err = FileError;
    /// An `.appup` (checked on its own; [`decode_appup`] also checks it against its `.app`).
    fn from_str(text: &str) -> Result<Self, FileError> {
        parsed(text, |t| decode_appup(t, None))
    }
}

impl FromStr for App {
    type Err = FileError;
    /// An `.app` file.
    fn from_str(text: &str) -> Result<Self, FileError> {
        parsed(text, |t| decode_app(t, None))
    }
}

impl FromStr for Rel {
    type Err = FileError;
    /// A `.rel` file.
    fn from_str(text: &str) -> Result<Self, FileError> {
        parsed(text, decode_rel)
    }
}

impl FromStr for Relup {
    type Err = FileError;
    /// A `relup` file.
    fn from_str(text: &str) -> Result<Self, FileError> {
        parsed(text, decode_relup)
    }
}
