//! Pass 9: dependency instructions → low-level (`systools_rc:translate_dependent_instrs/3`).
//!
//! `update`, `load_module` and `delete_module` are grouped by their `DepMods` ([`crate::order`])
//! and each group is emitted where its first member stands:
//! `suspend` (dependency order), the loads (reversed on upgrade, so dependencies load first),
//! `code_change` (on downgrade, dynamic modules' before the loads and static ones' after),
//! `resume` (reverse order). Each load gets a one-module `load_object_code` naming the first
//! application of the target release that lists the module.

use std::collections::HashMap;

use super::fxhash::FxHashMap;

use super::{Apps, TranslateError};
use crate::instr::{Atom, Change, LowLevel, ModType, Mode, PurgeMethod, SuspendItem, Timeout};
use crate::order;
use crate::term::Term;

/// The output of the pass: generated `load_object_code`s and the after-PONR script.
pub(crate) struct Lowered {
    pub object_code: Vec<LowLevel>,
    pub after: Vec<LowLevel>,
    /// Which restart atoms `after` holds (for pass 11).
    pub restarts: super::emulator::Restarts,
}

/// A dependency instruction (`update`, `load_module`, `add_module` as a load, `delete_module`).
#[derive(Debug, Clone)]
pub(crate) struct Dep {
    pub module: Atom,
    pub dep_mods: Vec<Atom>,
    pub kind: DepKind,
}

/// What a dependency instruction does to its module.
#[derive(Debug, Clone)]
pub(crate) enum DepKind {
    Update {
        mod_type: ModType,
        timeout: Timeout,
        change: Change,
        pre: PurgeMethod,
        post: PurgeMethod,
    },
    Load {
        pre: PurgeMethod,
        post: PurgeMethod,
    },
    Delete,
}

/// An after-PONR instruction once application instructions are expanded (pass 7's output).
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Dep(Dep),
    Low(LowLevel),
}

/// Runs the pass on the after-PONR script (application instructions already expanded).
pub(crate) fn run(
    mode: Mode,
    after: Vec<Step>,
    apps: &Apps,
    module_rank: Option<&HashMap<Atom, usize>>,
) -> Result<Lowered, TranslateError> {
    let deps: Vec<&Dep> = after
        .iter()
        .filter_map(|s| if let Step::Dep(d) = s { Some(d) } else { None })
        .collect();
    let edges = dependency_edges(&deps)?;
    let rank: Option<Vec<usize>> = module_rank.map(|ranks| {
        deps.iter()
            .enumerate()
            .map(|(n, d)| ranks.get(&d.module).copied().unwrap_or(usize::MAX / 2 + n))
            .collect()
    });
    let groups = order::dependency_order(&edges, rank.as_deref());
    let mut group_of = vec![0; deps.len()];
    for g in 0..groups.len() {
        for &m in groups.group(g) {
            group_of[m] = g;
        }
    }
    let owner = apps.module_owners();
    let mut emitted = vec![false; groups.len()];
    // Room for everything the groups can emit (suspend, resume and two code_changes per group
    // of updates, a remove and a purge per delete), so the output never grows by copying.
    let updates = deps
        .iter()
        .filter(|d| matches!(d.kind, DepKind::Update { .. }))
        .count();
    let deletes = deps
        .iter()
        .filter(|d| matches!(d.kind, DepKind::Delete))
        .count();
    let capacity = after.len() + deletes + 4 * updates;
    let mut out = Lowered {
        object_code: Vec::new(),
        after: Vec::with_capacity(capacity),
        restarts: Default::default(),
    };
    let mut next_dep = 0;
    for step in &after {
        match step {
            Step::Dep(_) => {
                let g = group_of[next_dep];
                next_dep += 1;
                if !std::mem::replace(&mut emitted[g], true) {
                    translate_group(mode, groups.group(g), &deps, apps, &owner, &mut out)?;
                }
            }
            Step::Low(l) => {
                out.restarts.new_emulator |= *l == LowLevel::RestartNewEmulator;
                out.restarts.emulator |= *l == LowLevel::RestartEmulator;
                out.after.push(l.clone());
            }
        }
    }
    Ok(out)
}

/// Edges "i depends on j" by instruction index; errors `muldef_module` then `undef_module`.
fn dependency_edges(deps: &[&Dep]) -> Result<Vec<Vec<usize>>, TranslateError> {
    let mut index: FxHashMap<&Atom, usize> =
        FxHashMap::with_capacity_and_hasher(deps.len(), Default::default());
    for (n, d) in deps.iter().enumerate() {
        if index.insert(&d.module, n).is_some() {
            return Err(TranslateError::MuldefModule {
                module: d.module.clone(),
            });
        }
    }
    deps.iter()
        .map(|d| {
            d.dep_mods
                .iter()
                .map(|m| {
                    index
                        .get(m)
                        .copied()
                        .ok_or_else(|| TranslateError::UndefModule {
                            module: m.clone(),
                            required_by: d.module.clone(),
                        })
                })
                .collect()
        })
        .collect()
}

/// One block of loads/removes for an instruction, kept together when the group is reversed.
/// One instruction's loads or removes, kept together when the group is reversed.
fn push_block(d: &Dep, out: &mut Vec<LowLevel>) {
    let module = d.module.clone();
    match d.kind {
        DepKind::Update { pre, post, .. } | DepKind::Load { pre, post } => {
            out.push(LowLevel::Load {
                module,
                pre_purge: pre,
                post_purge: post,
            })
        }
        DepKind::Delete => {
            let brutal = PurgeMethod::BrutalPurge;
            out.push(LowLevel::Remove {
                module: module.clone(),
                pre_purge: brutal,
                post_purge: brutal,
            });
            out.push(LowLevel::Purge {
                modules: vec![module],
            });
        }
    }
}

/// Adds `module` to the generated `load_object_code` list. OTP makes one entry per load and
/// merges them later (pass 10); extending the previous entry when it names the same
/// application and version gives the same merged result (generated entries never repeat a
/// module: that would be `muldef_module`) with one instruction per run instead of per module.
fn push_object_code(
    list: &mut Vec<LowLevel>,
    application: &Atom,
    vsn: &Term<'static>,
    module: &Atom,
) {
    if let Some(LowLevel::LoadObjectCode {
        application: a,
        vsn: v,
        modules,
    }) = list.last_mut()
    {
        if a == application && **v == *vsn {
            modules.push(module.clone());
            return;
        }
    }
    list.push(LowLevel::LoadObjectCode {
        application: application.clone(),
        vsn: Box::new(vsn.clone()),
        modules: vec![module.clone()],
    });
}

fn translate_group(
    mode: Mode,
    members: &[usize],
    deps: &[&Dep],
    apps: &Apps,
    owner: &FxHashMap<&Atom, usize>,
    out: &mut Lowered,
) -> Result<(), TranslateError> {
    let group = || members.iter().map(|&m| deps[m]);
    for d in group() {
        if matches!(d.kind, DepKind::Update { .. } | DepKind::Load { .. }) {
            let app = owner.get(&d.module).map(|&a| &apps.0[a]).ok_or_else(|| {
                TranslateError::NoSuchModule {
                    module: d.module.clone(),
                }
            })?;
            push_object_code(&mut out.object_code, &app.name, &app.vsn, &d.module);
        }
    }
    let suspend: Vec<SuspendItem> = group()
        .filter_map(|d| match d.kind {
            DepKind::Update { timeout, .. } => Some(SuspendItem {
                module: d.module.clone(),
                timeout: (timeout != Timeout::Default).then_some(timeout),
            }),
            _ => None,
        })
        .collect();
    let advanced = |want: Option<ModType>| -> Vec<(Atom, Term<'static>)> {
        group()
            .filter_map(|d| match d.kind {
                DepKind::Update {
                    mod_type,
                    change: Change::Advanced(ref extra),
                    ..
                } if want.is_none_or(|w| w == mod_type) => {
                    Some((d.module.clone(), (**extra).clone()))
                }
                _ => None,
            })
            .collect()
    };
    let code_change = |mode: Mode, changes: Vec<(Atom, Term<'static>)>| {
        (!changes.is_empty()).then_some(LowLevel::CodeChange {
            mode: Some(mode),
            changes,
        })
    };
    let resume: Vec<Atom> = suspend.iter().rev().map(|s| s.module.clone()).collect();
    if !suspend.is_empty() {
        out.after.push(LowLevel::Suspend { modules: suspend });
    }
    match mode {
        Mode::Up => {
            for d in members.iter().rev().map(|&m| deps[m]) {
                push_block(d, &mut out.after);
            }
            out.after.extend(code_change(Mode::Up, advanced(None)));
        }
        Mode::Down => {
            out.after
                .extend(code_change(Mode::Down, advanced(Some(ModType::Dynamic))));
            for d in group() {
                push_block(d, &mut out.after);
            }
            out.after
                .extend(code_change(Mode::Down, advanced(Some(ModType::Static))));
        }
    }
    if !resume.is_empty() {
        out.after.push(LowLevel::Resume { modules: resume });
    }
    Ok(())
}
