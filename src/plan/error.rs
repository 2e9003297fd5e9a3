//! Errors and warnings of relup planning, each with OTP's term (`{error, Module, Reason}` as
//! `systools:make_relup` returns it, or the warning term), a sentence, and the file concerned.

use std::path::PathBuf;

use serde::Serialize;

use crate::passes::TranslateError;
use crate::term::Term;

/// The systools module an error comes from (the middle element of `{error, Module, Reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Reading the releases and applications (`systools_make`).
    SystoolsMake,
    /// Planning (`systools_relup`).
    SystoolsRelup,
    /// Translating the scripts (`systools_rc`).
    SystoolsRc,
}

impl Origin {
    fn atom(self) -> &'static str {
        match self {
            Origin::SystoolsMake => "systools_make",
            Origin::SystoolsRelup => "systools_relup",
            Origin::SystoolsRc => "systools_rc",
        }
    }
}

fn where_(file: &Option<PathBuf>, position: &Option<(u32, u32)>) -> String {
    match (file, position) {
        (Some(f), Some((line, col))) => format!("{}:{line}:{col}: ", f.display()),
        (Some(f), None) => format!("{}: ", f.display()),
        _ => String::new(),
    }
}

/// Why a relup cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", where_(.file, .position))]
pub struct PlanError {
    /// Which stage failed.
    pub origin: Origin,
    /// OTP's reason term.
    pub reason: Term<'static>,
    /// What went wrong, in words.
    pub message: String,
    /// The file concerned, when there is one.
    pub file: Option<PathBuf>,
    /// The translation error, when translation failed.
    pub translate: Option<Box<TranslateError>>,
    /// The 1-based line and column in `file` of what the error is about, when known (the
    /// appup instruction a translation error concerns).
    pub position: Option<(u32, u32)>,
}

impl PlanError {
    /// An error from `origin` with OTP's `reason`.
    pub fn new(
        origin: Origin,
        reason: Term<'static>,
        message: impl Into<String>,
        file: Option<PathBuf>,
    ) -> Self {
        PlanError {
            origin,
            reason,
            message: message.into(),
            file,
            translate: None,
            position: None,
        }
    }

    /// `{error, Module, Reason}` as `make_relup` returns it.
    pub fn to_term(&self) -> Term<'static> {
        Term::tuple(vec![
            Term::atom("error"),
            Term::atom(self.origin.atom()),
            self.reason.clone(),
        ])
    }
}

impl From<(TranslateError, Option<PathBuf>)> for PlanError {
    fn from((e, file): (TranslateError, Option<PathBuf>)) -> Self {
        PlanError {
            origin: Origin::SystoolsRc,
            reason: e.reason(),
            message: e.to_string(),
            file,
            translate: Some(Box::new(e)),
            position: None,
        }
    }
}

/// A warning of `make_relup`, with its term and a sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// OTP's warning term (e.g. `{erts_vsn_changed,{{"r","13.1.5"},{"r","13.0"}}}`).
    pub term: Term<'static>,
    /// What it means.
    pub message: String,
    /// The file concerned, when there is one.
    pub file: Option<PathBuf>,
}
