//! The scenario file: a running node described in Erlang terms, for the simulator.
//!
//! ```erlang
//! {release, "0.1.0"}.                                  % the release the node runs
//! {module, demo_srv, [{current, "0.1.0"}]}.            % loaded code: current (and old) version
//! {module, m, [{current, "2"}, {old, "1"}]}.
//! {supervisor, demo_sup, "0.1.0", [{demo_srv, [demo_srv]}]}.   % child specs of a supervisor
//! {supervisor, demo_sup, "0.2.0", [{demo_srv, [demo_srv]},     %   module, per version:
//!                                  {demo_extra, [demo_extra]}]}. %   {Id, Modules | dynamic}
//! {process, demo_sup, [{runs, [{demo_sup, "0.1.0"}]}, {top_supervisor, demo}]}.
//! {process, demo_srv, [{runs, [{demo_srv, "0.1.0"}]}, {child_of, demo_sup, demo_srv},
//!                      {state, {state, 0, 1700000000}}]}.
//! {process, looper, [{runs, [{m, "1"}]}, {loop, local}]}.       % unsupervised, local loop
//! {migration, demo_srv, up, {state, '$1', '$2'}, {state, '$1', '$2', "0.1.0"}}.
//! {migration, demo_srv, down, {state, '$1', '$2', '_'}, {state, '$1', '$2'}}.
//! {child_start, demo_extra, [{state, ready}]}.        % how restart_child starts a child
//! {calls, demo_srv, [demo_lib]}.                       % which modules a module's code calls
//! {data_format_changes, [demo_lib]}.                   % modules whose data differs by version
//! ```
//!
//! Processes get pids `<0.N.0>` in file order from 80 up. A migration's pattern binds
//! `'$1'`, `'$2'`, ... and `'_'` matches anything.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::instr::{Atom, Mode};
use crate::span::Span;
use crate::term::Term;

/// How a process runs its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopKind {
    /// A `gen_*` behaviour: every message is handled by a fully qualified call to its
    /// callback module, so it moves to the current code at its next message.
    Behaviour,
    /// A plain loop of local calls: it stays in the version it runs until it makes a fully
    /// qualified call.
    Local,
}

/// A child's modules: a list, or `dynamic` (asked from the process).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildModules {
    /// `[Module]` from the child spec.
    List(Vec<Atom>),
    /// `dynamic`.
    Dynamic,
}

/// When a supervisor restarts a child that exited (OTP's `restart` of a child spec).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// Always (OTP's default).
    #[default]
    Permanent,
    /// After an abnormal exit (a kill by a purge is one).
    Transient,
    /// Never.
    Temporary,
}

/// One process of the scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessSpec {
    /// Its name.
    pub name: Atom,
    /// The modules it executes, and which version of each.
    pub runs: Vec<(Atom, String)>,
    /// Behaviour or local loop.
    pub loop_kind: LoopKind,
    /// Its state (a gen_server's state term).
    pub state: Option<Term<'static>>,
    /// `{child_of, Supervisor, ChildId}`.
    pub child_of: Option<(Atom, Atom)>,
    /// `{top_supervisor, App}`: the root of an application's supervision tree.
    pub top_of: Option<Atom>,
    /// `{restart, permanent | transient | temporary}` of its child spec (default permanent).
    pub restart: Restart,
    /// `{sys, false}`: not a `sys` process (a plain loop): it never answers `sys:suspend`.
    pub sys: bool,
    /// `{holds_fun, Module}`: its state holds a fun of Module's code as loaded at the start.
    pub holds_funs: Vec<Atom>,
    /// `{behaviour, gen_event}`: answers release_handler's `get_modules` (needed for a child
    /// declared with `modules = dynamic`); any other behaviour (the default) does not.
    pub answers_get_modules: bool,
    /// `{intensity, MaxR}` of a supervisor: more restarts than this (within the upgrade, which
    /// is shorter than OTP's default period of 5 s) and it terminates its children and
    /// itself. OTP's default is 1.
    pub intensity: u32,
}

/// A declared state migration of one module's code_change in one direction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Migration {
    /// The module whose code_change this is.
    pub module: Atom,
    /// Which code_change: `up` or `down`.
    pub mode: Mode,
    /// What the old state must match.
    pub pattern: Term<'static>,
    /// The new state (with the pattern's bindings).
    pub result: Term<'static>,
}

/// A parsed scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scenario {
    /// The release the node runs.
    pub release: String,
    /// Loaded modules: current and old version.
    pub modules: BTreeMap<Atom, (Option<String>, Option<String>)>,
    /// Child specs per supervisor module and version.
    pub supervisors: BTreeMap<(Atom, String), Vec<(Atom, ChildModules)>>,
    /// The processes, in file order.
    pub processes: Vec<ProcessSpec>,
    /// State migrations.
    pub migrations: Vec<Migration>,
    /// Initial options of children started by `restart_child`.
    pub child_start: BTreeMap<Atom, Option<Term<'static>>>,
    /// Which modules each module calls.
    pub calls: BTreeMap<Atom, Vec<Atom>>,
    /// Modules whose data format differs between versions.
    pub data_format_changes: Vec<Atom>,
    /// `{module_vsn, Module, AppVsn, Vsn}`: the `-vsn` attribute of Module in that version of
    /// its application (release_handler hands it to `code_change`; without it the
    /// simulator assumes the application's version).
    pub module_vsns: BTreeMap<(Atom, String), Term<'static>>,
}

/// A scenario term that does not have the documented shape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ScenarioError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

fn err(t: &Term<'_>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        message: message.into(),
        span: t.span,
    }
}

fn atom(t: &Term<'_>, what: &str) -> Result<Atom, ScenarioError> {
    t.as_atom()
        .map(Atom::from)
        .ok_or_else(|| err(t, format!("{what} must be an atom, found {t}")))
}

fn string(t: &Term<'_>, what: &str) -> Result<String, ScenarioError> {
    t.as_charlist()
        .map(|s| s.into_owned())
        .ok_or_else(|| err(t, format!("{what} must be a string, found {t}")))
}

fn items<'t, 'a>(t: &'t Term<'a>, what: &str) -> Result<Vec<Term<'static>>, ScenarioError> {
    t.list_items()
        .map(|l| l.iter().map(|i| i.to_term()).collect())
        .ok_or_else(|| err(t, format!("{what} must be a list, found {t}")))
}

fn atoms(t: &Term<'_>, what: &str) -> Result<Vec<Atom>, ScenarioError> {
    items(t, what)?.iter().map(|i| atom(i, what)).collect()
}

impl Scenario {
    /// Reads a scenario from its file's terms.
    ///
    /// # Errors
    /// The first term that does not have a documented shape.
    pub fn from_terms(terms: &[Term<'_>]) -> Result<Scenario, ScenarioError> {
        let mut s = Scenario::default();
        for t in terms {
            let Some((tag, _)) = t.tagged() else {
                return Err(err(
                    t,
                    format!("a scenario term is a tagged tuple, found {t}"),
                ));
            };
            let a = &t.as_tuple().unwrap_or(&[])[1..];
            match (tag, a) {
                ("release", [v]) => s.release = string(v, "the release version")?,
                ("module", [m, opts]) => {
                    let (mut current, mut old) = (None, None);
                    for o in items(opts, "module options")? {
                        match o.as_tuple() {
                            Some([k, v]) if k.is_atom("current") => {
                                current = Some(string(v, "a version")?)
                            }
                            Some([k, v]) if k.is_atom("old") => old = Some(string(v, "a version")?),
                            _ => {
                                return Err(err(
                                    &o,
                                    format!(
                                        "a module option is {{current, Vsn}} or {{old, Vsn}}, found {o}"
                                    ),
                                ));
                            }
                        }
                    }
                    s.modules.insert(atom(m, "a module")?, (current, old));
                }
                ("supervisor", [m, v, specs]) => {
                    let mut children = Vec::new();
                    for c in items(specs, "child specs")? {
                        let Some([id, mods]) = c.as_tuple() else {
                            return Err(err(
                                &c,
                                format!("a child spec is {{Id, Modules | dynamic}}, found {c}"),
                            ));
                        };
                        let mods = if mods.is_atom("dynamic") {
                            ChildModules::Dynamic
                        } else {
                            ChildModules::List(atoms(mods, "child modules")?)
                        };
                        children.push((atom(id, "a child id")?, mods));
                    }
                    s.supervisors.insert(
                        (atom(m, "a supervisor module")?, string(v, "a version")?),
                        children,
                    );
                }
                ("process", [name, opts]) => s.processes.push(process(name, opts)?),
                ("migration", [m, dir, pattern, result]) => s.migrations.push(Migration {
                    module: atom(m, "a module")?,
                    mode: match dir.as_atom() {
                        Some("up") => Mode::Up,
                        Some("down") => Mode::Down,
                        _ => return Err(err(dir, "a migration's direction is up or down")),
                    },
                    pattern: pattern.clone().into_owned(),
                    result: result.clone().into_owned(),
                }),
                ("child_start", [m, opts]) => {
                    let state =
                        items(opts, "child options")?
                            .iter()
                            .find_map(|o| match o.as_tuple() {
                                Some([k, v]) if k.is_atom("state") => Some(v.clone()),
                                _ => None,
                            });
                    s.child_start.insert(atom(m, "a child id")?, state);
                }
                ("calls", [m, callees]) => {
                    s.calls
                        .insert(atom(m, "a module")?, atoms(callees, "called modules")?);
                }
                ("data_format_changes", [mods]) => s.data_format_changes = atoms(mods, "modules")?,
                ("module_vsn", [m, app_vsn, vsn]) => {
                    s.module_vsns.insert(
                        (atom(m, "a module")?, string(app_vsn, "a version")?),
                        vsn.clone().into_owned(),
                    );
                }
                _ => return Err(err(t, format!("unknown scenario term {t}"))),
            }
        }
        Ok(s)
    }
}

fn process(name: &Term<'_>, opts: &Term<'_>) -> Result<ProcessSpec, ScenarioError> {
    let mut p = ProcessSpec {
        name: atom(name, "a process name")?,
        runs: Vec::new(),
        loop_kind: LoopKind::Behaviour,
        state: None,
        child_of: None,
        top_of: None,
        restart: Restart::Permanent,
        sys: true,
        answers_get_modules: false,
        holds_funs: Vec::new(),
        intensity: 1,
    };
    for o in items(opts, "process options")? {
        match o.as_tuple() {
            Some([k, v]) if k.is_atom("runs") => {
                for r in items(v, "runs")? {
                    let Some([m, vsn]) = r.as_tuple() else {
                        return Err(err(&r, "runs holds {Module, Vsn}"));
                    };
                    p.runs
                        .push((atom(m, "a module")?, string(vsn, "a version")?));
                }
            }
            Some([k, v]) if k.is_atom("loop") => {
                p.loop_kind = if v.is_atom("local") {
                    LoopKind::Local
                } else {
                    LoopKind::Behaviour
                };
            }
            Some([k, v]) if k.is_atom("state") => p.state = Some(v.clone()),
            Some([k, v]) if k.is_atom("top_supervisor") => {
                p.top_of = Some(atom(v, "an application")?)
            }
            Some([k, v]) if k.is_atom("restart") => {
                p.restart = match v.as_atom() {
                    Some("permanent") => Restart::Permanent,
                    Some("transient") => Restart::Transient,
                    Some("temporary") => Restart::Temporary,
                    _ => {
                        return Err(err(
                            v,
                            format!("restart is permanent, transient or temporary, found {v}"),
                        ));
                    }
                }
            }
            Some([k, v]) if k.is_atom("sys") => {
                p.sys = match v.as_atom() {
                    Some("true") => true,
                    Some("false") => false,
                    _ => return Err(err(v, format!("sys is true or false, found {v}"))),
                }
            }
            // Inside a long call of the module's code (a callback that has not returned):
            // its frames hold that version as a local loop's do, until the call ends.
            Some([k, _module]) if k.is_atom("in_callback") => p.loop_kind = LoopKind::Local,
            Some([k, m]) if k.is_atom("holds_fun") => p.holds_funs.push(atom(m, "a module")?),
            Some([k, v]) if k.is_atom("behaviour") => {
                p.answers_get_modules = atom(v, "a behaviour")?.as_str() == "gen_event";
            }
            Some([k, v]) if k.is_atom("intensity") => {
                p.intensity = v
                    .as_int()
                    .and_then(|i| u32::try_from(i).ok())
                    .ok_or_else(|| err(v, format!("intensity is a count, found {v}")))?
            }
            Some([k, sup, id]) if k.is_atom("child_of") => {
                p.child_of = Some((atom(sup, "a supervisor")?, atom(id, "a child id")?))
            }
            _ => return Err(err(&o, format!("unknown process option {o}"))),
        }
    }
    if p.runs.is_empty() {
        return Err(err(
            opts,
            "a process runs at least one module: {runs, [{Module, Vsn}]}",
        ));
    }
    Ok(p)
}

/// Matches `pattern` against `t`, binding `'$N'` atoms; `'_'` matches anything.
pub fn match_pattern(
    pattern: &Term<'_>,
    t: &Term<'_>,
    bindings: &mut BTreeMap<String, Term<'static>>,
) -> bool {
    crate::term::with_stack(|| match_pattern_here(pattern, t, bindings))
}

fn match_pattern_here(
    pattern: &Term<'_>,
    t: &Term<'_>,
    bindings: &mut BTreeMap<String, Term<'static>>,
) -> bool {
    if let Some(a) = pattern.as_atom() {
        if a == "_" {
            return true;
        }
        if a.starts_with('$') {
            if let Some(bound) = bindings.get(a) {
                return bound == t;
            }
            bindings.insert(a.to_string(), t.clone().into_owned());
            return true;
        }
    }
    match (pattern.as_tuple(), t.as_tuple()) {
        (Some(p), Some(v)) => {
            p.len() == v.len() && p.iter().zip(v).all(|(p, v)| match_pattern(p, v, bindings))
        }
        _ => match (pattern.list_items(), t.list_items()) {
            (Some(p), Some(v)) if pattern.is_list() && t.is_list() => {
                p.len() == v.len()
                    && p.iter()
                        .zip(&v)
                        .all(|(p, v)| match_pattern(&p.to_term(), &v.to_term(), bindings))
            }
            _ => pattern == t,
        },
    }
}

/// `result` with the bindings substituted.
pub fn substitute(result: &Term<'_>, bindings: &BTreeMap<String, Term<'static>>) -> Term<'static> {
    crate::term::with_stack(|| substitute_here(result, bindings))
}

fn substitute_here(result: &Term<'_>, bindings: &BTreeMap<String, Term<'static>>) -> Term<'static> {
    if let Some(bound) = result.as_atom().and_then(|a| bindings.get(a)) {
        return bound.clone();
    }
    match result.as_tuple() {
        Some(items) => Term::tuple(items.iter().map(|i| substitute(i, bindings)).collect()),
        None => match &result.kind {
            crate::term::TermKind::List(items, None) => {
                Term::list(items.iter().map(|i| substitute(i, bindings)).collect())
            }
            _ => result.clone().into_owned(),
        },
    }
}

/// How many terms [`substitute`] would build (saturating): a migration that copies a bound
/// variable several times doubles the state at each step, so the simulator checks this first.
pub fn substituted_size(result: &Term<'_>, bindings: &BTreeMap<String, Term<'static>>) -> usize {
    crate::term::with_stack(|| substituted_size_here(result, bindings))
}

fn substituted_size_here(result: &Term<'_>, bindings: &BTreeMap<String, Term<'static>>) -> usize {
    if let Some(bound) = result.as_atom().and_then(|a| bindings.get(a)) {
        return term_size(bound);
    }
    let items = match (&result.kind, result.as_tuple()) {
        (_, Some(items)) => items,
        (crate::term::TermKind::List(items, None), _) => items.as_slice(),
        _ => return 1,
    };
    items.iter().fold(1usize, |acc, i| {
        acc.saturating_add(substituted_size(i, bindings))
    })
}

/// The number of terms in `t` (itself and everything inside), without recursion.
pub fn term_size(t: &Term<'_>) -> usize {
    let mut count = 0usize;
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        count += 1;
        match &t.kind {
            crate::term::TermKind::Tuple(items) => stack.extend(items),
            crate::term::TermKind::List(items, tail) => {
                stack.extend(items);
                stack.extend(tail.as_deref());
            }
            crate::term::TermKind::Map(pairs) => {
                for (k, v) in pairs {
                    stack.push(k);
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    count
}
