//! The release files: `.appup`, `relup`, `.app`, `.rel` and `sys.config`, decoded from Erlang
//! terms into typed models, with every problem reported as a [`Diagnostic`] carrying a span.
//! What `relup check` runs on one file is [`crate::check`], which adds the translation's
//! checks of appup scripts (a later layer).

pub mod app;
mod app_keys;
pub mod appup;
mod fields;
mod from_str;
pub mod rel;
pub mod releases;
pub mod relup;
pub mod version_key;

use crate::diagnostic::Code;
use std::path::Path;

use serde::Serialize;

pub use app::{App, AppKey, AppTermError, KeyProblem, decode_app, read_app_term};
pub use appup::{Appup, Clause, decode_appup, decode_appup_entries, decode_appup_lenient};
pub use from_str::FileError;
pub use rel::{Rel, RelApp, RelTermError, decode_rel, read_rel_term};
pub use releases::{InstalledRelease, StartErlData, decode_releases, decode_start_erl_data};
pub use relup::{Relup, RelupEntry, decode_relup};
pub use version_key::{KeyRegex, RegexError, VersionKey};

use crate::diagnostic::Diagnostic;
use crate::term::{ParseError, ParseErrorKind, Term};

/// The kinds of file `relup check` understands (the names as rebar3, relx and
/// release_handler lay them out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// `ebin/<App>.appup`.
    Appup,
    /// `releases/<Vsn>/relup`.
    Relup,
    /// `ebin/<App>.app`.
    App,
    /// `releases/<Vsn>/<Name>.rel`.
    Rel,
    /// `sys.config` (or any `.config`).
    Config,
    /// `releases/RELEASES`, release_handler's list of installed releases.
    Releases,
    /// `releases/start_erl.data`: `ErtsVsn RelVsn` (plain text).
    StartErlData,
}

impl FileKind {
    /// The kind a file's name says, if it says one.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        match name {
            "RELEASES" => return Some(FileKind::Releases),
            "start_erl.data" => return Some(FileKind::StartErlData),
            _ if name.ends_with(".app.src") => return Some(FileKind::App),
            _ if name.ends_with(".appup.src") => return Some(FileKind::Appup),
            _ => {}
        }
        Some(match path.extension().and_then(|e| e.to_str()) {
            Some("appup") => FileKind::Appup,
            Some("app") => FileKind::App,
            Some("rel") => FileKind::Rel,
            Some("config") => FileKind::Config,
            Some("relup") => FileKind::Relup,
            _ if name == "relup" => FileKind::Relup,
            _ => return None,
        })
    }

    /// The kind the first term's shape suggests.
    pub fn from_content(first: &Term<'_>) -> FileKind {
        match first.tagged() {
            Some(("application", 3)) => return FileKind::App,
            Some(("release", 4)) => return FileKind::Rel,
            _ => {}
        }
        if first
            .list_items()
            .and_then(|l| l.first().map(|i| i.to_term()))
            .is_some_and(|t| matches!(t.tagged(), Some(("release", 6))))
        {
            return FileKind::Releases;
        }
        match first.as_tuple() {
            Some([_, up, _])
                if up.list_items().is_some_and(|l| {
                    l.iter()
                        .any(|e| matches!(e.to_term().as_tuple(), Some([_, _, _])))
                }) =>
            {
                FileKind::Relup
            }
            Some([_, _, _]) => FileKind::Appup,
            _ => FileKind::Config,
        }
    }
}

/// The application a file is named after: `NAME` of `NAME.app`, `NAME.app.src`,
/// `NAME.appup` or `NAME.appup.src`.
pub fn app_name_of(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    [".app.src", ".appup.src", ".app", ".appup"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .or_else(|| path.file_stem()?.to_str())
}

/// A syntax error as a diagnostic (code named after its kind).
pub fn parse_diagnostic(e: &ParseError) -> Diagnostic {
    let code = match e.kind {
        ParseErrorKind::Unexpected { .. } => Code::SyntaxError,
        ParseErrorKind::Unterminated(_) => Code::Unterminated,
        ParseErrorKind::MissingDot => Code::MissingDot,
        ParseErrorKind::Variable(_) => Code::Variable,
        ParseErrorKind::ReservedWord(_) => Code::ReservedWord,
        ParseErrorKind::IntegerTooLarge => Code::IntegerTooLarge,
        ParseErrorKind::BadBase(_) => Code::BadBase,
        ParseErrorKind::FloatOutOfRange => Code::FloatOutOfRange,
        ParseErrorKind::BadEscape(_) => Code::BadEscape,
        ParseErrorKind::BadBinarySegment(_) => Code::BadBinarySegment,
        ParseErrorKind::AtomTooLong => Code::AtomTooLong,
        ParseErrorKind::TooDeep(_) => Code::TooDeep,
        ParseErrorKind::InvalidUtf8 => Code::InvalidUtf8,
        ParseErrorKind::TrailingText => Code::TrailingText,
    };
    Diagnostic::error(code, Some(e.span), e.kind.to_string())
}

/// The diagnostics of a `sys.config`.
// config ::= "[" ( "{" atom "," term "}" | string ) ( "," ( "{" atom "," term "}" | string ) )* "]"
pub fn check_config(terms: &[Term<'_>]) -> Vec<Diagnostic> {
    let mut sink = fields::Sink::default();
    let first = sink.only_term(
        terms,
        "a sys.config holds one list",
        "a sys.config holds exactly one term",
        crate::diagnostic::Severity::Error,
    );
    if let Some(items) = first.and_then(|f| sink.list(f, Code::BadConfig, "a sys.config")) {
        for item in items {
            let ok = matches!(item.as_tuple(), Some([k, _]) if k.as_atom().is_some())
                || item.as_charlist().is_some();
            if !ok {
                sink.error(
                    Code::BadConfigEntry,
                    item,
                    format!(
                        "a sys.config entry is {{App, [{{Par, Val}}]}} or a file name, found {item}"
                    ),
                );
            }
        }
    }
    sink.0
}
