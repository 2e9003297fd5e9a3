//! Errors and warnings of relup planning. Every error is one variant of a closed enum,
//! [`PlanErrorKind`], which yields OTP's reason term (`{error, Module, Reason}` as
//! `systools:make_relup` returns it) and a sentence; [`PlanError`] adds the file and the
//! position in it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::files::RelTermError;
use crate::instr::{Atom, Mode};
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
    /// The module's name.
    pub fn atom(self) -> &'static str {
        match self {
            Origin::SystoolsMake => "systools_make",
            Origin::SystoolsRelup => "systools_relup",
            Origin::SystoolsRc => "systools_rc",
        }
    }
}

/// What went wrong while planning: one variant per error OTP's `make_relup` returns (and the
/// few where OTP crashes and we answer instead).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanErrorKind {
    /// The `.rel` file cannot be opened or parsed; OTP's reason (`{error, {open, F, R}}`, ...).
    #[error("cannot read the .rel file: {0}")]
    RelUnreadable(Term<'static>),
    /// The `.rel` is not one systools accepts (`badly_formatted_release`, `illegal_name`,
    /// `illegal_form`, `illegal_applications`, `missing_mandatory_app`, `mandatory_app`).
    #[error("{0}")]
    Rel(RelTermError),
    /// A list of `{error_reading, ...}` / `{bad_application_name, ...}`: `.app` files that
    /// cannot be read or do not match the `.rel`.
    #[error("cannot read the applications of the release: {}", list(.0))]
    ApplicationsUnreadable(Vec<Term<'static>>),
    /// `{undefined_applications, Apps}`: used or included but not in the release.
    #[error("applications used or included but not in the release: {}", atoms(.0))]
    UndefinedApplications(Vec<Atom>),
    /// `{duplicate_register, Dups}`: two applications register the same name.
    #[error("two applications of the release register the same process name: {0}")]
    DuplicateRegister(Term<'static>),
    /// `{duplicate_include, Dups}`: an application is included twice.
    #[error("an application is included by two applications of the release: {0}")]
    DuplicateInclude(Term<'static>),
    /// `{duplicate_modules, Dups}`: a module is in two applications.
    #[error("a module is in more than one application of the release: {}", list(.0))]
    DuplicateModules(Vec<Term<'static>>),
    /// `{circular_dependencies, Apps}`.
    #[error("applications depend on each other in a circle: {0}")]
    CircularDependencies(Term<'static>),
    /// `{apps, [{circular_dependencies, ...}, {undefined_applications, ...}]}`.
    #[error("applications depend on each other in a circle ({circular}) and use applications not in the release ({})", atoms(.undefined))]
    CircularAndUndefined {
        /// The applications in a circle, `{Name, Vsn}`.
        circular: Term<'static>,
        /// The undefined applications.
        undefined: Vec<Atom>,
    },
    /// `{missing_sasl, Release}`: a release without sasl cannot be upgraded.
    #[error("no sasl application in release {name}, {vsn}: it cannot be upgraded")]
    MissingSasl {
        /// The `#release{}` record.
        release: Term<'static>,
        /// The release name.
        name: String,
        /// The release version.
        vsn: String,
    },
    /// `{file_problem, {File, Why}}`: an appup that cannot be read, or is not
    /// `{Vsn, UpFrom, DownTo}`.
    #[error("{what}")]
    AppupProblem {
        /// The appup file.
        appup: PathBuf,
        /// OTP's `Why`.
        why: Term<'static>,
        /// What it means.
        what: String,
    },
    /// `{bad_appup, File, Why}`: our answer where OTP crashes (a version list that is not a
    /// list, an invalid regex met before a match).
    #[error("{why}")]
    BadAppup {
        /// The appup file.
        appup: PathBuf,
        /// Why.
        why: String,
    },
    /// `{no_relup, File, App, BaseVsn}`: no entry of the appup matches the base version.
    #[error("no {} entry for {app} {vsn} in the appup matches version {base_vsn}", if *.mode == Mode::Up { "UpFrom" } else { "DownTo" })]
    NoRelup {
        /// The appup file.
        appup: PathBuf,
        /// The `#application{}` record.
        record: Term<'static>,
        /// The application.
        app: Atom,
        /// Its version in the new release.
        vsn: String,
        /// The version moved from or to.
        base_vsn: String,
        /// Which list was searched.
        mode: Mode,
    },
    /// `{warnings_treated_as_errors, Warnings}`.
    #[error("warnings treated as errors")]
    WarningsAsErrors(Vec<Term<'static>>),
    /// `{file_problem, {"relup", {Step, Posix}}}`: the relup file cannot be written.
    #[error("could not {step} the relup file: {io}")]
    WriteRelup {
        /// `open`, `write`, ...
        step: &'static str,
        /// The POSIX error atom.
        posix: &'static str,
        /// The system's sentence.
        io: String,
    },
    /// Translation of the scripts failed (`systools_rc`).
    #[error("{0}")]
    Translate(Box<TranslateError>),
}

fn list(items: &[Term<'_>]) -> String {
    Term::list(items.to_vec()).to_string()
}

fn atoms(items: &[Atom]) -> String {
    Term::list(items.iter().map(Atom::to_term).collect()).to_string()
}

fn charlist(p: &Path) -> Term<'static> {
    Term::string(p.to_string_lossy().into_owned())
}

fn tag(tag: &'static str, t: Term<'static>) -> Term<'static> {
    Term::tuple(vec![Term::atom(tag), t])
}

impl PlanErrorKind {
    /// Which systools module reports it.
    pub fn origin(&self) -> Origin {
        use PlanErrorKind::*;
        match self {
            RelUnreadable(_)
            | Rel(_)
            | ApplicationsUnreadable(_)
            | UndefinedApplications(_)
            | DuplicateRegister(_)
            | DuplicateInclude(_)
            | DuplicateModules(_)
            | CircularDependencies(_)
            | CircularAndUndefined { .. } => Origin::SystoolsMake,
            MissingSasl { .. }
            | AppupProblem { .. }
            | BadAppup { .. }
            | NoRelup { .. }
            | WarningsAsErrors(_)
            | WriteRelup { .. } => Origin::SystoolsRelup,
            Translate(_) => Origin::SystoolsRc,
        }
    }

    /// OTP's reason term (the third element of `{error, Module, Reason}`).
    pub fn reason(&self) -> Term<'static> {
        use PlanErrorKind::*;
        let undefined = |a: &[Atom]| {
            tag(
                "undefined_applications",
                Term::list(a.iter().map(Atom::to_term).collect()),
            )
        };
        match self {
            RelUnreadable(t) => t.clone(),
            Rel(e) => e.reason(),
            ApplicationsUnreadable(t) => Term::list(t.clone()),
            UndefinedApplications(a) => undefined(a),
            DuplicateRegister(t) => tag("duplicate_register", t.clone()),
            DuplicateInclude(t) => tag("duplicate_include", t.clone()),
            DuplicateModules(t) => tag("duplicate_modules", Term::list(t.clone())),
            CircularDependencies(t) => tag("circular_dependencies", t.clone()),
            CircularAndUndefined {
                circular,
                undefined: u,
            } => tag(
                "apps",
                Term::list(vec![
                    tag("circular_dependencies", circular.clone()),
                    undefined(u),
                ]),
            ),
            MissingSasl { release, .. } => tag("missing_sasl", release.clone()),
            AppupProblem { appup, why, .. } => tag(
                "file_problem",
                Term::tuple(vec![charlist(appup), why.clone()]),
            ),
            BadAppup { appup, why } => Term::tuple(vec![
                Term::atom("bad_appup"),
                charlist(appup),
                Term::string(why.clone()),
            ]),
            NoRelup {
                appup,
                record,
                base_vsn,
                ..
            } => Term::tuple(vec![
                Term::atom("no_relup"),
                charlist(appup),
                record.clone(),
                Term::string(base_vsn.clone()),
            ]),
            WarningsAsErrors(w) => tag("warnings_treated_as_errors", Term::list(w.clone())),
            WriteRelup { step, posix, .. } => tag(
                "file_problem",
                Term::tuple(vec![
                    Term::string("relup"),
                    Term::tuple(vec![Term::atom(*step), Term::atom(*posix)]),
                ]),
            ),
            Translate(e) => e.reason(),
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

/// Why a relup cannot be made: what ([`PlanErrorKind`]), in which file, and where in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{kind}", where_(.file, .position))]
pub struct PlanError {
    /// What went wrong (boxed: errors travel in `Result`s that are mostly `Ok`).
    pub kind: Box<PlanErrorKind>,
    /// The file concerned, when there is one.
    pub file: Option<PathBuf>,
    /// The 1-based line and column in `file` of what the error is about, when known (the
    /// appup instruction a translation error concerns).
    pub position: Option<(u32, u32)>,
}

impl PlanError {
    /// An error about `file`.
    pub fn at(kind: PlanErrorKind, file: &Path) -> Self {
        PlanError {
            kind: Box::new(kind),
            file: Some(file.to_path_buf()),
            position: None,
        }
    }

    /// A translation error, with the appup file and position of the instruction it concerns
    /// when known.
    pub fn translate(e: TranslateError, place: Option<(PathBuf, (u32, u32))>) -> Self {
        let (file, position) = place.map_or((None, None), |(f, p)| (Some(f), Some(p)));
        PlanError {
            kind: Box::new(PlanErrorKind::Translate(Box::new(e))),
            file,
            position,
        }
    }

    /// Which systools module reports it.
    pub fn origin(&self) -> Origin {
        self.kind.origin()
    }

    /// OTP's reason term.
    pub fn reason(&self) -> Term<'static> {
        self.kind.reason()
    }

    /// The translation error, when translation failed.
    pub fn translate_error(&self) -> Option<&TranslateError> {
        match &*self.kind {
            PlanErrorKind::Translate(e) => Some(e),
            _ => None,
        }
    }

    /// `{error, Module, Reason}` as `make_relup` returns it.
    pub fn to_term(&self) -> Term<'static> {
        Term::tuple(vec![
            Term::atom("error"),
            Term::atom(self.origin().atom()),
            self.reason(),
        ])
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
