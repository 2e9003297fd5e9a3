//! The keys of an `.app` as `systools_make:parse_application/4` reads them (OTP 25): each key
//! is found the way `lists:keysearch/3` finds it (the first tuple whose first element is the
//! key, whatever its size), and checked in systools' order with its rules, so the first
//! problem found is the reason systools gives. `relup check` reports every problem; release
//! planning stops at the first. One reader serves both, so they cannot disagree.

use crate::instr::Atom;
use crate::span::Span;
use crate::term::{Term, TermKind};

use super::app::App;

/// A key of an `.app` that systools reads, in the order it reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppKey {
    /// `vsn` (a string; required).
    Vsn,
    /// `id` (a string; default `""`).
    Id,
    /// `description` (a string; required).
    Description,
    /// `modules` (a list of atoms; required).
    Modules,
    /// `registered` (a list of atoms; required).
    Registered,
    /// `applications` (a list of atoms; required).
    Applications,
    /// `optional_applications` (a list of atoms; default `[]`).
    OptionalApplications,
    /// `included_applications` (a list of atoms; default `[]`).
    IncludedApplications,
    /// `mod` (`{Module, StartArgs}` or `[]`; default `[]`).
    Mod,
    /// `start_phases` (`[{Phase, Args}]` or `undefined`; default `undefined`).
    StartPhases,
    /// `env` (`[{Par, Val}]`; default `[]`).
    Env,
    /// `maxT` (a positive integer or `infinity`; default `infinity`).
    MaxT,
    /// `maxP` (a positive integer or `infinity`; default `infinity`).
    MaxP,
}

impl AppKey {
    /// Every key, in systools' order (the order its errors take precedence in).
    pub const ALL: [AppKey; 13] = [
        AppKey::Vsn,
        AppKey::Id,
        AppKey::Description,
        AppKey::Modules,
        AppKey::Registered,
        AppKey::Applications,
        AppKey::OptionalApplications,
        AppKey::IncludedApplications,
        AppKey::Mod,
        AppKey::StartPhases,
        AppKey::Env,
        AppKey::MaxT,
        AppKey::MaxP,
    ];

    /// The key as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            AppKey::Vsn => "vsn",
            AppKey::Id => "id",
            AppKey::Description => "description",
            AppKey::Modules => "modules",
            AppKey::Registered => "registered",
            AppKey::Applications => "applications",
            AppKey::OptionalApplications => "optional_applications",
            AppKey::IncludedApplications => "included_applications",
            AppKey::Mod => "mod",
            AppKey::StartPhases => "start_phases",
            AppKey::Env => "env",
            AppKey::MaxT => "maxT",
            AppKey::MaxP => "maxP",
        }
    }

    /// True when systools refuses an `.app` without it (`missing_param`).
    pub fn required(self) -> bool {
        matches!(
            self,
            AppKey::Vsn
                | AppKey::Description
                | AppKey::Modules
                | AppKey::Registered
                | AppKey::Applications
        )
    }
}

impl std::fmt::Display for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why systools refuses an `.app`'s keys (`parse_application/4`'s thrown reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AppKeyError {
    /// `{missing_param, Key}`: the key is absent, or its first entry is not `{Key, Value}`
    /// (for `mod`: not `{Module, StartArgs}` or `[]`).
    #[error("systools finds no usable {0} key")]
    Missing(AppKey),
    /// `{bad_param, Key}`: the key's value breaks its rule.
    #[error("systools refuses the value of {0}")]
    Bad(AppKey),
}

impl AppKeyError {
    /// The key at fault.
    pub fn key(self) -> AppKey {
        match self {
            AppKeyError::Missing(k) | AppKeyError::Bad(k) => k,
        }
    }

    /// OTP's reason: `{missing_param, Key}` or `{bad_param, Key}`.
    pub fn reason(self) -> Term<'static> {
        let tag = match self {
            AppKeyError::Missing(_) => "missing_param",
            AppKeyError::Bad(_) => "bad_param",
        };
        Term::tuple(vec![Term::atom(tag), Term::atom(self.key().as_str())])
    }
}

/// One problem with one key: what systools says, where, and a sentence for a person.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyProblem {
    /// What systools says.
    pub error: AppKeyError,
    /// The entry or value at fault (the whole application term when the key is absent).
    pub span: Span,
    /// A sentence naming what was found.
    pub message: String,
    /// True when the key is absent altogether (not written wrong).
    pub absent: bool,
}

/// Reads the keys of `{application, Name, Dict}` (Dict's elements given) into an [`App`]:
/// every problem, in systools' order. Fields with a problem keep their defaults.
pub(super) fn read_keys(name: Atom, dict: &[Term<'_>], whole: Span) -> (App, Vec<KeyProblem>) {
    let mut app = App::named(name);
    let mut problems = Vec::new();
    for key in AppKey::ALL {
        // app_key ::= "{" atom "," term "}"
        let entry = dict
            .iter()
            .find(|t| matches!(t.as_tuple(), Some([k, ..]) if k.is_atom(key.as_str())));
        let Some(entry) = entry else {
            if key.required() {
                problems.push(KeyProblem {
                    error: AppKeyError::Missing(key),
                    span: whole,
                    message: format!("the application has no {key} key; systools needs one"),
                    absent: true,
                });
            }
            continue;
        };
        let value = match entry.as_tuple() {
            Some([_, v]) => v,
            _ => {
                problems.push(KeyProblem {
                    error: AppKeyError::Missing(key),
                    span: entry.span,
                    message: format!("an application key is {{Key, Value}}, found {entry}"),
                    absent: false,
                });
                continue;
            }
        };
        if let Err((error, span, message)) = read_value(&mut app, key, value) {
            problems.push(KeyProblem {
                error,
                span,
                message,
                absent: false,
            });
        }
    }
    (app, problems)
}

type ValueError = (AppKeyError, Span, String);

fn read_value(app: &mut App, key: AppKey, v: &Term<'_>) -> Result<(), ValueError> {
    let bad = |at: &Term<'_>, message: String| (AppKeyError::Bad(key), at.span, message);
    match key {
        AppKey::Vsn | AppKey::Id | AppKey::Description => {
            // string_p/1: unicode:characters_to_list(S) =:= S.
            let s = v
                .as_charlist()
                .ok_or_else(|| bad(v, format!("{key} must be a string, found {v}")))?
                .into_owned();
            match key {
                AppKey::Vsn => app.vsn = s,
                AppKey::Id => app.id = s,
                _ => app.description = s,
            }
        }
        AppKey::Modules
        | AppKey::Registered
        | AppKey::Applications
        | AppKey::OptionalApplications
        | AppKey::IncludedApplications => {
            let atoms = atom_list(v).map_err(|at| match at {
                Some(at) => bad(
                    at,
                    format!("each element of {key} must be an atom, found {at}"),
                ),
                None => bad(v, format!("{key} must be a list of atoms, found {v}")),
            })?;
            *match key {
                AppKey::Modules => &mut app.modules,
                AppKey::Registered => &mut app.registered,
                AppKey::Applications => &mut app.applications,
                AppKey::OptionalApplications => &mut app.optional_applications,
                _ => &mut app.included_applications,
            } = atoms;
        }
        AppKey::Mod => match v.as_tuple() {
            Some([m, args]) if m.as_atom().is_some() => {
                app.r#mod = m.as_atom().map(|m| (Atom::from(m), own(args)));
            }
            _ if v.is_nil() => app.r#mod = None,
            _ => {
                return Err((
                    AppKeyError::Missing(key),
                    v.span,
                    format!("mod is {{Module, StartArgs}}, found {v}"),
                ));
            }
        },
        AppKey::StartPhases if v.is_atom("undefined") => app.start_phases = None,
        AppKey::StartPhases | AppKey::Env => {
            let pairs = atom_pairs(v).map_err(|at| {
                let at = at.unwrap_or(v);
                bad(
                    at,
                    format!("{key} is a list of {{Atom, Value}}, found {at}"),
                )
            })?;
            match key {
                AppKey::Env => app.env = pairs,
                _ => app.start_phases = Some(pairs),
            }
        }
        AppKey::MaxT | AppKey::MaxP => {
            let ok = v.is_atom("infinity")
                || match &v.kind {
                    TermKind::Int(i) => *i > 0,
                    TermKind::BigInt(b) => !b.is_negative(),
                    _ => false,
                };
            if !ok {
                return Err(bad(
                    v,
                    format!("{key} is a positive integer or infinity, found {v}"),
                ));
            }
            let limit = (!v.is_atom("infinity")).then(|| own(v));
            match key {
                AppKey::MaxT => app.max_t = limit,
                _ => app.max_p = limit,
            }
        }
    }
    Ok(())
}

fn own(t: &Term<'_>) -> Term<'static> {
    t.clone().into_owned()
}

/// The elements of a proper list, each read by `read`. `Err(Some(element))` names the first
/// element `read` refuses; `Err(None)` means not a proper list. A string's elements are
/// integers, so of strings only `""` can pass.
fn each<'t, 'a, T>(
    v: &'t Term<'a>,
    read: impl Fn(&Term<'a>) -> Option<T>,
) -> Result<Vec<T>, Option<&'t Term<'a>>> {
    match &v.kind {
        TermKind::List(items, None) => items.iter().map(|i| read(i).ok_or(Some(i))).collect(),
        _ if v.list_items().is_some_and(|items| items.is_empty()) => Ok(Vec::new()),
        _ => Err(None),
    }
}

/// `a_list_p/1`: a proper list of atoms (errors as [`each`]'s).
pub(super) fn atom_list<'t, 'a>(v: &'t Term<'a>) -> Result<Vec<Atom>, Option<&'t Term<'a>>> {
    each(v, |i| i.as_atom().map(Atom::from))
}

/// `t_list_p/1`: a proper list of `{Atom, Value}` (errors as [`each`]'s).
fn atom_pairs<'t, 'a>(v: &'t Term<'a>) -> Result<Vec<(Atom, Term<'static>)>, Option<&'t Term<'a>>> {
    each(v, |i| match i.as_tuple() {
        Some([k, val]) => Some((Atom::from(k.as_atom()?), own(val))),
        _ => None,
    })
}
