//! `.rel` files: `{release, {Name, Vsn}, {erts, ErtsVsn}, [AppSpec]}` (grammar/app_rel.ebnf).
//! The one decoder of `.rel` files, with `systools_make:check_rel/1`'s rules (OTP 25) and
//! reasons: `relup check` reports every problem ([`decode_rel`]), release planning takes
//! systools' first ([`read_rel_term`]).

use serde::Serialize;

use super::app_keys::atom_list;
use super::fields::Sink;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::instr::{Atom, StartType};
use crate::span::Span;
use crate::term::{Term, TermKind};

/// A decoded `.rel`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rel {
    /// The release name.
    pub name: String,
    /// The release version.
    pub vsn: String,
    /// The erts version.
    pub erts_vsn: String,
    /// The applications, in file order.
    pub applications: Vec<RelApp>,
}

/// One application of a release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelApp {
    /// The application.
    pub name: Atom,
    /// Its version.
    pub vsn: String,
    /// Its start type (default permanent).
    pub start_type: StartType,
    /// The included applications, when the `.rel` gives them (overriding the `.app`).
    pub included_applications: Option<Vec<Atom>>,
}

impl Rel {
    /// sasl's `#release{}` record: `{release, Name, Vsn, ErtsVsn, Applications, InclApps}`
    /// (OTP quotes it in `missing_sasl`).
    pub fn to_term(&self) -> Term<'static> {
        let atoms = |l: &[Atom]| Term::list(l.iter().map(Atom::to_term).collect());
        let apps = self
            .applications
            .iter()
            .map(|a| {
                Term::tuple(vec![
                    a.name.to_term(),
                    Term::string(a.vsn.clone()),
                    Term::atom(a.start_type.atom()),
                ])
            })
            .collect();
        let incl = self
            .applications
            .iter()
            .filter_map(|a| {
                let l = a.included_applications.as_ref()?;
                Some(Term::tuple(vec![a.name.to_term(), atoms(l)]))
            })
            .collect();
        Term::tuple(vec![
            Term::atom("release"),
            Term::string(self.name.clone()),
            Term::string(self.vsn.clone()),
            Term::string(self.erts_vsn.clone()),
            Term::list(apps),
            Term::list(incl),
        ])
    }

    /// The version of application `name` in this release.
    pub fn app_vsn(&self, name: &Atom) -> Option<&str> {
        self.applications
            .iter()
            .find(|a| &a.name == name)
            .map(|a| a.vsn.as_str())
    }

    /// The start type of the first entry for `name` (as systools looks it up).
    fn start_type_of(&self, name: &str) -> Option<StartType> {
        self.applications
            .iter()
            .find(|a| a.name.as_str() == name)
            .map(|a| a.start_type)
    }
}

/// Why systools refuses a `.rel` (`check_rel/1`'s reasons).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RelTermError {
    /// `badly_formatted_release`.
    #[error("a .rel holds {{release, {{Name, Vsn}}, {{erts, Vsn}}, [App]}}")]
    BadlyFormatted,
    /// `{illegal_name, Name}`: the release name is not a string.
    #[error("the release name must be a string, found {0}")]
    IllegalName(Term<'static>),
    /// `{illegal_form, Vsn}`: the release version is not a string.
    #[error("the release version must be a string, found {0}")]
    IllegalVsn(Term<'static>),
    /// `{illegal_form, {erts, Vsn}}`: the erts version is not a string.
    #[error("the erts version must be a string, found {0}")]
    IllegalErtsVsn(Term<'static>),
    /// `{illegal_applications, Entries}`: malformed application entries.
    #[error("malformed application entries in the .rel: {}", Term::list(.0.clone()))]
    IllegalApplications(Vec<Term<'static>>),
    /// `{missing_mandatory_app, App}`: kernel or stdlib is not in the release.
    #[error("every release needs {0}")]
    MissingMandatoryApp(Atom),
    /// `{mandatory_app, App, Type}`: kernel or stdlib is not permanent.
    #[error("{0} must be permanent, not {ty}", ty = .1.atom())]
    MandatoryAppNotPermanent(Atom, StartType),
}

impl RelTermError {
    /// OTP's reason term.
    pub fn reason(&self) -> Term<'static> {
        let tag = |tag: &'static str, t: Term<'static>| Term::tuple(vec![Term::atom(tag), t]);
        match self {
            RelTermError::BadlyFormatted => Term::atom("badly_formatted_release"),
            RelTermError::IllegalName(t) => tag("illegal_name", t.clone()),
            RelTermError::IllegalVsn(t) => tag("illegal_form", t.clone()),
            RelTermError::IllegalErtsVsn(t) => tag(
                "illegal_form",
                Term::tuple(vec![Term::atom("erts"), t.clone()]),
            ),
            RelTermError::IllegalApplications(t) => {
                tag("illegal_applications", Term::list(t.clone()))
            }
            RelTermError::MissingMandatoryApp(a) => tag("missing_mandatory_app", a.to_term()),
            RelTermError::MandatoryAppNotPermanent(a, t) => Term::tuple(vec![
                Term::atom("mandatory_app"),
                a.to_term(),
                Term::atom(t.atom()),
            ]),
        }
    }
}

/// One problem of a `.rel`, in systools' order: its error, and where and how `relup check`
/// reports it.
struct Problem {
    error: RelTermError,
    code: Code,
    span: Span,
    message: String,
}

/// What the reader found: the release (when its shape and strings are right), every problem
/// in systools' order, and whether sasl is missing (a warning).
struct Read {
    rel: Option<Rel>,
    problems: Vec<Problem>,
    missing_sasl: Option<Span>,
}

impl Read {
    /// Stopped at these problems: systools gets no further.
    fn failed(problems: Vec<Problem>) -> Read {
        Read {
            rel: None,
            problems,
            missing_sasl: None,
        }
    }
}

fn problem(error: RelTermError, code: Code, at: &Term<'_>, message: String) -> Problem {
    Problem {
        error,
        code,
        span: at.span,
        message,
    }
}

/// `check_rel1/1`: the shape, the strings, every application entry, then the mandatory
/// applications (only when all else is right, as systools gets there only then).
fn read_rel(first: &Term<'_>) -> Read {
    let mut problems = Vec::new();
    let formatted = |code, at: &Term<'_>, message: String| {
        problem(RelTermError::BadlyFormatted, code, at, message)
    };
    // rel ::= "{" "release" "," "{" string "," string "}" "," "{" "erts" "," string "}" "," "[" ( rel_app ( "," rel_app )* )? "]" "}"
    let Some([_, name_vsn, erts, apps]) = first
        .as_tuple()
        .filter(|t| t.len() == 4 && t[0].is_atom("release"))
    else {
        let message = RelTermError::BadlyFormatted.to_string();
        return Read::failed(vec![formatted(Code::BadRel, first, message)]);
    };
    let name_vsn = name_vsn.as_tuple().filter(|t| t.len() == 2).ok_or_else(|| {
        formatted(
            Code::BadRelName,
            name_vsn,
            format!("the release is {{Name, Vsn}}, found {name_vsn}"),
        )
    });
    let erts_vsn = match erts.as_tuple() {
        Some([tag, v]) if tag.is_atom("erts") => Ok(v),
        _ => Err(formatted(
            Code::BadErts,
            erts,
            format!("the erts entry is {{erts, Vsn}}, found {erts}"),
        )),
    };
    let entries = match &apps.kind {
        TermKind::List(items, None) => Ok(items.as_slice()),
        _ if apps.list_items().is_some_and(|i| i.is_empty()) => Ok(&[][..]),
        _ => Err(formatted(
            Code::BadRelApps,
            apps,
            format!("the applications must be a list, found {apps}"),
        )),
    };
    let (name_vsn, erts_vsn, entries) = match (name_vsn, erts_vsn, entries) {
        (Ok(n), Ok(e), Ok(a)) => (n, e, a),
        (n, e, a) => {
            problems.extend([n.err(), e.err(), a.err()].into_iter().flatten());
            return Read::failed(problems);
        }
    };
    let own = |t: &Term<'_>| t.clone().into_owned();
    let mut string = |t: &Term<'_>, error: fn(Term<'static>) -> RelTermError, code, what: &str| {
        let s = t.as_charlist().map(|s| s.into_owned());
        if s.is_none() {
            let message = format!("{what} must be a string, found {t}");
            problems.push(problem(error(own(t)), code, t, message));
        }
        s
    };
    let name = string(
        &name_vsn[0],
        RelTermError::IllegalName,
        Code::BadRelName,
        "the release name",
    );
    let vsn = string(
        &name_vsn[1],
        RelTermError::IllegalVsn,
        Code::BadRelVsn,
        "the release version",
    );
    let erts_vsn = string(
        erts_vsn,
        RelTermError::IllegalErtsVsn,
        Code::BadErtsVsn,
        "the erts version",
    );
    let mut applications = Vec::new();
    for entry in entries {
        match rel_app(entry) {
            Ok(app) => applications.push(app),
            Err((code, at, message)) => problems.push(Problem {
                error: RelTermError::IllegalApplications(vec![own(entry)]),
                code,
                span: at,
                message,
            }),
        }
    }
    let (Some(name), Some(vsn), Some(erts_vsn), true) = (name, vsn, erts_vsn, problems.is_empty())
    else {
        return Read::failed(problems);
    };
    let rel = Rel {
        name,
        vsn,
        erts_vsn,
        applications,
    };
    for mandatory in ["kernel", "stdlib"] {
        let error = match rel.start_type_of(mandatory) {
            None => RelTermError::MissingMandatoryApp(Atom::from(mandatory)),
            Some(StartType::Permanent) => continue,
            Some(t) => RelTermError::MandatoryAppNotPermanent(Atom::from(mandatory), t),
        };
        let code = match error {
            RelTermError::MissingMandatoryApp(_) => Code::MissingMandatoryApp,
            _ => Code::MandatoryApp,
        };
        problems.push(problem(error.clone(), code, apps, error.to_string()));
    }
    let missing_sasl = rel.start_type_of("sasl").is_none().then_some(apps.span);
    Read {
        rel: problems.is_empty().then_some(rel),
        problems,
        missing_sasl,
    }
}

/// One application entry, legal as `check_appl/1` has it, or why not (code, where, sentence).
// rel_app ::= "{" atom "," string ( "," start_type )? ( "," "[" ( atom ( "," atom )* )? "]" )? "}"
fn rel_app(t: &Term<'_>) -> Result<RelApp, (Code, Span, String)> {
    let shape = || {
        (
            Code::BadRelApp,
            t.span,
            format!(
                "an application is {{Name, Vsn}}, {{Name, Vsn, Type}}, {{Name, Vsn, IncApps}} or {{Name, Vsn, Type, IncApps}}, found {t}"
            ),
        )
    };
    let items = t
        .as_tuple()
        .filter(|i| (2..=4).contains(&i.len()))
        .ok_or_else(shape)?;
    let name = items[0].as_atom().ok_or_else(shape)?;
    let vsn = items[1].as_charlist().ok_or_else(|| {
        let v = &items[1];
        let message = format!("an application version must be a string, found {v}");
        (Code::BadRelApp, v.span, message)
    })?;
    let mut start_type = StartType::Permanent;
    let mut included = None;
    let rest = &items[2..];
    for (i, extra) in rest.iter().enumerate() {
        let is_type_slot = i == 0 && extra.as_atom().is_some();
        if is_type_slot {
            start_type = StartType::from_atom(extra.as_atom().unwrap_or_default()).ok_or_else(
                || {
                    let message = format!("a start type is permanent, transient, temporary, load or none, found {extra}");
                    (Code::BadStartType, extra.span, message)
                },
            )?;
        } else if extra.is_list() && (i + 1 == rest.len()) {
            included = Some(atom_list(extra).map_err(|_| {
                let message =
                    format!("included applications must be a list of atoms, found {extra}");
                (Code::BadRelApp, extra.span, message)
            })?);
        } else {
            return Err(shape());
        }
    }
    Ok(RelApp {
        name: Atom::from(name),
        vsn: vsn.into_owned(),
        start_type,
        included_applications: included,
    })
}

/// Reads a `.rel`'s term as systools does: the release and whether sasl is missing (its
/// `missing_sasl` warning), or systools' first objection (every malformed application entry
/// at once, as `illegal_applications` lists them).
pub fn read_rel_term(t: &Term<'_>) -> Result<(Rel, bool), RelTermError> {
    let read = read_rel(t);
    let mut problems = read.problems.into_iter();
    match (read.rel, problems.next()) {
        (Some(rel), None) => Ok((rel, read.missing_sasl.is_some())),
        (
            _,
            Some(Problem {
                error: RelTermError::IllegalApplications(mut all),
                ..
            }),
        ) => {
            for p in problems {
                if let RelTermError::IllegalApplications(more) = p.error {
                    all.extend(more);
                }
            }
            Err(RelTermError::IllegalApplications(all))
        }
        (_, Some(first)) => Err(first.error),
        (None, None) => Err(RelTermError::BadlyFormatted),
    }
}

/// Decodes a `.rel` from its file's terms, with every problem as a diagnostic.
pub fn decode_rel(terms: &[Term<'_>]) -> (Option<Rel>, Vec<Diagnostic>) {
    let mut sink = Sink::default();
    let Some(first) = sink.only_term(
        terms,
        "the file holds no term; a .rel holds {release, {Name, Vsn}, {erts, Vsn}, [App]}.",
        "a .rel file holds exactly one term",
        Severity::Error,
    ) else {
        return (None, sink.0);
    };
    let mut out = sink.0;
    let read = read_rel(first);
    for p in read.problems {
        let reason = p.error.reason().to_string();
        out.push(Diagnostic::error(p.code, Some(p.span), p.message).with_reason(reason));
    }
    if let Some(at) = read.missing_sasl {
        out.push(Diagnostic::warning(
            Code::MissingSasl,
            Some(at),
            "without sasl the release cannot be upgraded: make_relup refuses it",
        ));
    }
    let ok = !out.iter().any(Diagnostic::is_error);
    (read.rel.filter(|_| ok), out)
}
