//! High-level appup scripts → one low-level relup script, exactly as
//! `systools_rc:translate_scripts/4` does it. Each pass is a module of this folder; the list
//! in [`translate`] is the whole pipeline, in OTP's order, so errors come in OTP's precedence.

mod applications;
mod check;
mod dependent;
mod emulator;
mod error;
mod fxhash;
mod merge;
mod split;

use std::collections::HashMap;

use fxhash::FxHashMap;

use serde::Serialize;

pub use error::TranslateError;

use crate::instr::{Atom, Instruction, LowLevel, Mode, StartType, decode_instruction};
use crate::term::{Term, TermKind};

/// An application as `translate` sees it (sasl's `#application{}` record, the fields that
/// matter): name, version, modules in `.app` order, and start type from the `.rel` file.
/// It is the translator's input, not a file model: an `.app` ([`crate::files::App`])
/// converts into it with `From`, a release's application ([`crate::plan::AppRecord`]) with
/// its start type; the oracle's case files give it directly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application {
    /// The application name.
    pub name: Atom,
    /// Its version; a string in practice (kept as a term: OTP copies it as it is).
    pub vsn: Term<'static>,
    /// Its modules, in `.app` order.
    pub modules: Vec<Atom>,
    /// Its start type in the release (`permanent` unless the `.rel` says otherwise).
    pub start_type: StartType,
}

impl Application {
    /// An application with a string version and permanent start type.
    pub fn new(name: &str, vsn: &str, modules: &[&str]) -> Self {
        Application {
            name: Atom::from(name),
            vsn: Term::string(vsn.to_string()),
            modules: modules.iter().map(|m| Atom::from(*m)).collect(),
            start_type: StartType::Permanent,
        }
    }
}

/// The applications of one release, in the order OTP is given them (start order).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Apps(pub Vec<Application>);

impl Apps {
    /// The first application with this name.
    pub fn find(&self, name: &Atom) -> Option<&Application> {
        self.0.iter().find(|a| &a.name == name)
    }

    /// For each module, the index of the first application that lists it.
    pub(crate) fn module_owners(&self) -> FxHashMap<&Atom, usize> {
        let total = self.0.iter().map(|a| a.modules.len()).sum();
        let mut owners = FxHashMap::with_capacity_and_hasher(total, Default::default());
        for (n, app) in self.0.iter().enumerate() {
            for m in &app.modules {
                owners.entry(m).or_insert(n);
            }
        }
        owners
    }
}

/// Options of a translation.
#[derive(Debug, Clone, Default)]
pub struct TranslateOptions {
    /// Where dependencies leave the order of two instructions open, OTP takes an order from
    /// ETS hash iteration (it can change between VM runs). By default we put the instruction
    /// that comes first in the script first. With a rank per module, the lower rank goes first
    /// instead: giving the order OTP chose reproduces its output exactly.
    pub module_rank: Option<HashMap<Atom, usize>>,
}

/// Translates typed appup scripts (one per application, in order) into one low-level script.
/// `apps` is the release being moved **to**, `pre_apps` the one moved from (so on downgrade
/// `apps` is the old release), as in `translate_scripts(Mode, Scripts, Appls, PreAppls)`.
///
/// # Errors
/// The first error in OTP's precedence (see [`TranslateError`]).
pub fn translate(
    mode: Mode,
    scripts: Vec<Vec<Instruction>>,
    apps: &Apps,
    pre_apps: &Apps,
) -> Result<Vec<LowLevel>, TranslateError> {
    translate_with(mode, scripts, apps, pre_apps, &TranslateOptions::default())
}

/// [`translate`] with options (the tie-break of open orders).
///
/// # Errors
/// As [`translate`].
pub fn translate_with(
    mode: Mode,
    scripts: Vec<Vec<Instruction>>,
    apps: &Apps,
    pre_apps: &Apps,
    options: &TranslateOptions,
) -> Result<Vec<LowLevel>, TranslateError> {
    let (before, after) = split::split_merge(scripts, instruction_shape, Instruction::to_term)?;
    translate_merged(mode, before, after, apps, pre_apps, options)
}

/// Translates scripts given as Erlang terms (each a list of instruction terms). Misplaced
/// instructions are reported before syntax errors, as OTP does.
///
/// # Errors
/// As [`translate`], plus syntax errors with OTP's reasons.
pub fn translate_terms(
    mode: Mode,
    scripts: &[Term<'_>],
    apps: &Apps,
    pre_apps: &Apps,
    options: &TranslateOptions,
) -> Result<Vec<LowLevel>, TranslateError> {
    // A string is a list of integers: a string used as a script, or as an instruction, stands
    // for its characters, kept here so that the split can borrow every instruction.
    let chars_of = |s: &Term<'_>| -> Vec<Term<'static>> {
        s.list_items()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.to_term())
            .collect()
    };
    let chars: Vec<Vec<Term<'static>>> = scripts
        .iter()
        .flat_map(|s| match &s.kind {
            TermKind::String(_) => vec![chars_of(s)],
            TermKind::List(items, None) => items
                .iter()
                .filter(|i| matches!(i.kind, TermKind::String(_)))
                .map(chars_of)
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut strings = chars.iter();
    let scripts: Vec<Vec<&Term<'_>>> = scripts
        .iter()
        .map(|s| match &s.kind {
            TermKind::String(_) => Ok(strings
                .next()
                .map(|c| c.iter().collect())
                .unwrap_or_default()),
            // `expand_script/1`: an instruction that is a list is spliced into the script.
            TermKind::List(items, None) => Ok(items
                .iter()
                .flat_map(|i| -> Vec<&Term<'_>> {
                    match &i.kind {
                        TermKind::String(_) => strings
                            .next()
                            .map(|c| c.iter().collect())
                            .unwrap_or_default(),
                        TermKind::List(inner, None) => inner.iter().collect(),
                        _ => vec![i],
                    }
                })
                .collect()),
            _ => Err(TranslateError::ScriptNotAList(s.clone().into_owned())),
        })
        .collect::<Result<_, _>>()?;
    let shape = |t: &&Term<'_>| split::term_shape(t);
    let to_term = |t: &&Term<'_>| crate::instr::expand_term(t);
    let (before, after) = split::split_merge(scripts, shape, to_term)?;
    let decode = |ts: Vec<&Term<'_>>| {
        ts.into_iter()
            .map(decode_instruction)
            .collect::<Result<Vec<_>, _>>()
    };
    let before = decode(before)?;
    let after = decode(after)?;
    translate_merged(mode, before, after, apps, pre_apps, options)
}

fn instruction_shape(i: &Instruction) -> split::Shape {
    match i {
        Instruction::Low(LowLevel::PointOfNoReturn) => split::Shape::PointOfNoReturn,
        Instruction::Low(LowLevel::LoadObjectCode { .. }) => split::Shape::LoadObjectCode,
        Instruction::Low(LowLevel::Apply { .. }) => split::Shape::Apply,
        _ => split::Shape::Other,
    }
}

/// Passes 6 to 12 on the merged script, split at its single point of no return.
fn translate_merged(
    mode: Mode,
    before: Vec<Instruction>,
    after: Vec<Instruction>,
    apps: &Apps,
    pre_apps: &Apps,
    options: &TranslateOptions,
) -> Result<Vec<LowLevel>, TranslateError> {
    check::run(&before, &after)?;
    let after = applications::run(after, apps, pre_apps)?;
    let lowered = dependent::run(mode, after, apps, options.module_rank.as_ref())?;
    let mut before: Vec<LowLevel> = before.into_iter().filter_map(low_before).collect();
    before.extend(lowered.object_code);
    let before = merge::run(before)?;
    let (before, mut script) = emulator::run(mode, before, lowered.after, lowered.restarts);
    final_check(&before)?;
    // The after part is by far the larger: put the short before part in front of it in place.
    script.splice(0..0, before.into_iter().chain([LowLevel::PointOfNoReturn]));
    Ok(script)
}

/// Before the point of no return only `load_object_code` and `apply` can stand (pass 2).
fn low_before(i: Instruction) -> Option<LowLevel> {
    match i {
        Instruction::Low(l) => Some(l),
        _ => None,
    }
}

/// Pass 12's re-check: a generated `load_object_code` whose application version is not a
/// list (only possible with odd application records) is `{bad_lib_vsn, V}`.
fn final_check(before: &[LowLevel]) -> Result<(), TranslateError> {
    for i in before {
        if let LowLevel::LoadObjectCode { vsn, .. } = i {
            if !vsn.is_list() {
                return Err(TranslateError::Syntax(crate::instr::SyntaxError {
                    kind: crate::instr::SyntaxErrorKind::BadLibVsn,
                    culprit: (**vsn).clone(),
                    span: crate::span::Span::default(),
                }));
            }
        }
    }
    Ok(())
}

/// The dependency cycles among a script's `update` / `load_module` / `add_module` /
/// `delete_module` instructions: each cycle's modules in script order. OTP keeps a cycle in
/// appup order; this says which modules that concerns. DepMods naming no instruction are
/// ignored here (translation reports them as `undef_module`).
pub fn dependency_cycles(script: &[Instruction]) -> Vec<Vec<Atom>> {
    let deps: Vec<(&Atom, &[Atom])> = script
        .iter()
        .filter_map(|i| match i {
            Instruction::Update {
                module, dep_mods, ..
            }
            | Instruction::LoadModule {
                module, dep_mods, ..
            }
            | Instruction::AddModule { module, dep_mods }
            | Instruction::DeleteModule { module, dep_mods } => Some((module, dep_mods.as_slice())),
            _ => None,
        })
        .collect();
    let index: HashMap<&Atom, usize> = deps.iter().enumerate().map(|(n, (m, _))| (*m, n)).collect();
    let edges: Vec<Vec<usize>> = deps
        .iter()
        .map(|(_, d)| d.iter().filter_map(|m| index.get(m).copied()).collect())
        .collect();
    crate::order::dependency_cycles(&edges)
        .into_iter()
        .map(|c| c.into_iter().map(|n| deps[n].0.clone()).collect())
        .collect()
}
