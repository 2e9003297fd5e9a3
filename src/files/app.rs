//! `.app` files: `{application, Name, [{Key, Value}]}` (grammar/app_rel.ebnf). The one decoder
//! of `.app` files: `relup check` reports every problem ([`decode_app`]), release planning
//! takes systools' first ([`read_app_term`]); both read the keys with one reader
//! (`app_keys`, whose [`AppKey`] and [`KeyProblem`] are re-exported here).

use serde::Serialize;

use super::app_keys::{AppKeyError, read_keys};
use super::fields::Sink;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::instr::Atom;
use crate::term::{Term, TermKind};

pub use super::app_keys::{AppKey, KeyProblem};

/// A decoded `.app`: every key systools reads (sasl's `#application{}` record without what
/// the release adds: start type and directory).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    /// The application name.
    pub name: Atom,
    /// `vsn`.
    pub vsn: String,
    /// `id` (empty when absent).
    pub id: String,
    /// `description` (empty when absent).
    pub description: String,
    /// `modules`, in file order.
    pub modules: Vec<Atom>,
    /// `registered`.
    pub registered: Vec<Atom>,
    /// `applications`: the applications that must be started first.
    pub applications: Vec<Atom>,
    /// `optional_applications`: those of `applications` that may be absent.
    pub optional_applications: Vec<Atom>,
    /// `included_applications`.
    pub included_applications: Vec<Atom>,
    /// `mod`: the callback module and its start argument.
    pub r#mod: Option<(Atom, Term<'static>)>,
    /// `start_phases` (`None` is `undefined`, the default).
    pub start_phases: Option<Vec<(Atom, Term<'static>)>>,
    /// `env`.
    pub env: Vec<(Atom, Term<'static>)>,
    /// `maxT`: a positive integer, or `None` for `infinity` (the default).
    pub max_t: Option<Term<'static>>,
    /// `maxP`: a positive integer, or `None` for `infinity` (the default).
    pub max_p: Option<Term<'static>>,
}

impl App {
    /// An application with this name and every key at its default.
    pub fn named(name: Atom) -> App {
        App {
            name,
            vsn: String::new(),
            id: String::new(),
            description: String::new(),
            modules: Vec::new(),
            registered: Vec::new(),
            applications: Vec::new(),
            optional_applications: Vec::new(),
            included_applications: Vec::new(),
            r#mod: None,
            start_phases: None,
            env: Vec::new(),
            max_t: None,
            max_p: None,
        }
    }

    /// The fields of sasl's `#application{}` from `id` to `start_phases`, as OTP prints them
    /// inside error terms (the caller adds name, type, vsn and directory).
    pub fn record_fields(&self) -> [Term<'static>; 12] {
        let atoms = |l: &[Atom]| Term::list(l.iter().map(Atom::to_term).collect());
        let pairs = |l: &[(Atom, Term<'static>)]| {
            Term::list(
                l.iter()
                    .map(|(k, v)| Term::tuple(vec![k.to_term(), v.clone()]))
                    .collect(),
            )
        };
        let limit = |l: &Option<Term<'static>>| l.clone().unwrap_or_else(|| Term::atom("infinity"));
        [
            Term::string(self.id.clone()),
            Term::string(self.description.clone()),
            atoms(&self.modules),
            atoms(&self.applications),
            atoms(&self.optional_applications),
            atoms(&self.included_applications),
            atoms(&self.registered),
            pairs(&self.env),
            limit(&self.max_t),
            limit(&self.max_p),
            self.r#mod.as_ref().map_or_else(Term::nil, |(m, a)| {
                Term::tuple(vec![m.to_term(), a.clone()])
            }),
            self.start_phases
                .as_deref()
                .map_or_else(|| Term::atom("undefined"), pairs),
        ]
    }
}

/// The application an `.app` file describes, as translation sees it, started `permanent`.
impl From<&App> for crate::passes::Application {
    fn from(app: &App) -> Self {
        crate::passes::Application {
            name: app.name.clone(),
            vsn: Term::string(app.vsn.clone()),
            modules: app.modules.clone(),
            start_type: crate::instr::StartType::Permanent,
        }
    }
}

/// Why systools refuses an `.app`'s term (`parse_application/4`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppTermError {
    /// `badly_formatted_application`: not `{application, Atom, List}`.
    #[error("an .app holds {{application, Name, [{{Key, Value}}]}}")]
    BadlyFormatted,
    /// A key systools refuses (the first, in its order).
    #[error("{}", .0.message)]
    Key(KeyProblem),
}

impl AppTermError {
    /// OTP's reason for `term` (the application term this error is about):
    /// `{badly_formatted_application, Term}` or `{{bad_param | missing_param, Key}, Term}`.
    pub fn reason(&self, term: &Term<'_>) -> Term<'static> {
        let whole = term.clone().into_owned();
        match self {
            AppTermError::BadlyFormatted => {
                Term::tuple(vec![Term::atom("badly_formatted_application"), whole])
            }
            AppTermError::Key(p) => Term::tuple(vec![p.error.reason(), whole]),
        }
    }
}

/// The entries of an `.app`'s key list as systools searches them: a proper list's elements;
/// none in a string (its elements are integers); `None` for anything else.
fn dict_entries<'t, 'a>(dict: &'t Term<'a>) -> Option<&'t [Term<'a>]> {
    match &dict.kind {
        TermKind::List(items, None) => Some(items),
        _ if dict.as_charlist().is_some() => Some(&[]),
        _ => None,
    }
}

/// Splits `{application, Name, Dict}` with an atom name and a proper-list dict.
fn application_parts<'t, 'a>(t: &'t Term<'a>) -> Option<(&'t str, &'t Term<'a>)> {
    match t.as_tuple() {
        Some([tag, name, dict]) if tag.is_atom("application") && dict.is_list() => {
            Some((name.as_atom()?, dict))
        }
        _ => None,
    }
}

/// Reads an `.app`'s term as systools does: the application, or systools' first objection.
/// (A dict that is an improper list makes systools crash; here it is badly formatted.)
pub fn read_app_term(t: &Term<'_>) -> Result<App, AppTermError> {
    let (name, dict) = application_parts(t).ok_or(AppTermError::BadlyFormatted)?;
    let items = dict_entries(dict).ok_or(AppTermError::BadlyFormatted)?;
    let (app, problems) = read_keys(Atom::from(name), items, t.span);
    match problems.into_iter().next() {
        Some(first) => Err(AppTermError::Key(first)),
        None => Ok(app),
    }
}

/// Decodes a `.app` from its file's terms with every problem as a diagnostic;
/// `expected_name` (from the file name) adds a warning when it differs from the name inside.
/// The model comes back when nothing is an error: a missing key that systools needs is a
/// warning (the application itself loads without it), a key written wrong is an error.
pub fn decode_app(
    terms: &[Term<'_>],
    expected_name: Option<&str>,
) -> (Option<App>, Vec<Diagnostic>) {
    let mut sink = Sink::default();
    let Some(first) = sink.only_term(
        terms,
        "the file holds no term; an .app holds {application, Name, [{Key, Value}]}.",
        "an .app file holds exactly one term",
        Severity::Error,
    ) else {
        return (None, sink.0);
    };
    let mut out = sink.0;
    // app ::= "{" "application" "," atom "," "[" ( app_key ( "," app_key )* )? "]" "}"
    let Some([_, name, dict]) = first
        .as_tuple()
        .filter(|t| t.len() == 3 && t[0].is_atom("application"))
    else {
        out.push(
            Diagnostic::error(
                Code::BadApp,
                Some(first.span),
                AppTermError::BadlyFormatted.to_string(),
            )
            .with_reason("badly_formatted_application"),
        );
        return (None, out);
    };
    let Some(name) = name.as_atom() else {
        out.push(
            Diagnostic::error(
                Code::BadAppName,
                Some(name.span),
                format!("the application name must be an atom, found {name}"),
            )
            .with_reason("badly_formatted_application"),
        );
        return (None, out);
    };
    if let Some(expected) = expected_name.filter(|e| *e != name) {
        out.push(Diagnostic::warning(
            Code::AppNameMismatch,
            Some(first.span),
            format!("the file is named {expected}.app but holds application {name}"),
        ));
    }
    let Some(items) = dict_entries(dict) else {
        let message = format!("the application keys must be a list, found {dict}");
        out.push(
            Diagnostic::error(Code::BadAppKeys, Some(dict.span), message)
                .with_reason("badly_formatted_application"),
        );
        return (None, out);
    };
    // A string is a list of integers: systools finds no key in it (missing_param).
    if matches!(&dict.kind, TermKind::String(s) if !s.is_empty()) {
        let message =
            format!("the application keys must be {{Key, Value}} tuples, found the string {dict}");
        out.push(Diagnostic::error(
            Code::BadAppKeys,
            Some(dict.span),
            message,
        ));
    }
    // OTP skips what is not a tuple tagged with a key it reads; such an entry is a mistake.
    for item in items {
        if !matches!(item.as_tuple(), Some([k, ..]) if k.as_atom().is_some()) {
            let message = format!("an application key is {{Key, Value}}, found {item}");
            out.push(Diagnostic::error(Code::BadAppKey, Some(item.span), message));
        }
    }
    let (app, problems) = read_keys(Atom::from(name), items, first.span);
    // The keys systools needs but the application itself does not: one warning for all.
    let (absent, problems): (Vec<KeyProblem>, Vec<KeyProblem>) = problems
        .into_iter()
        .partition(|p| p.absent && p.error.key() != AppKey::Vsn);
    out.extend(problems.into_iter().map(key_diagnostic));
    if let Some(p) = absent.first() {
        let keys: Vec<&str> = absent.iter().map(|p| p.error.key().as_str()).collect();
        let message = format!(
            "the application has no {} key: systools (make_script, make_relup) refuses it",
            or_list(&keys)
        );
        let reason = p.error.reason().to_string();
        out.push(
            Diagnostic::warning(Code::MissingAppKey, Some(p.span), message).with_reason(reason),
        );
    }
    let ok = !out.iter().any(Diagnostic::is_error);
    (ok.then_some(app), out)
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A key problem as `relup check` reports it.
fn key_diagnostic(p: KeyProblem) -> Diagnostic {
    let key = p.error.key();
    let code = match (p.error, p.absent) {
        // The other absent keys are decode_app's one missing_app_key warning.
        (AppKeyError::Missing(_), true) => Code::MissingVsn,
        (AppKeyError::Missing(AppKey::Mod), false) => Code::BadAppMod,
        (AppKeyError::Missing(_), false) => Code::BadAppKey,
        (AppKeyError::Bad(_), _) => match key {
            AppKey::Vsn => Code::BadAppVsn,
            AppKey::Id => Code::BadAppId,
            AppKey::Description => Code::BadAppDescription,
            AppKey::Modules => Code::BadAppModules,
            AppKey::Registered => Code::BadAppRegistered,
            AppKey::Applications => Code::BadAppApplications,
            AppKey::OptionalApplications => Code::BadAppOptional,
            AppKey::IncludedApplications => Code::BadAppIncluded,
            AppKey::Mod => Code::BadAppMod,
            AppKey::StartPhases => Code::BadAppStartPhases,
            AppKey::Env => Code::BadAppEnv,
            AppKey::MaxT | AppKey::MaxP => Code::BadAppLimit,
        },
    };
    let reason = p.error.reason().to_string();
    Diagnostic::error(code, Some(p.span), p.message).with_reason(reason)
}
