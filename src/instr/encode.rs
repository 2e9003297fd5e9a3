//! Typed instructions back to Erlang terms, in OTP's normal form (the shapes
//! `systools_rc` prints after normalization).

use super::{Atom, Change, Instruction, LowLevel, Mfa, SuspendItem, SyncTarget};
use crate::term::Term;

fn tagged(tag: &'static str, items: impl IntoIterator<Item = Term<'static>>) -> Term<'static> {
    let mut all = vec![Term::atom(tag)];
    all.extend(items);
    Term::tuple(all)
}

fn atoms(list: &[Atom]) -> Term<'static> {
    Term::list(list.iter().map(Atom::to_term).collect())
}

impl Change {
    /// `soft` or `{advanced, Extra}`.
    pub fn to_term(&self) -> Term<'static> {
        match self {
            Change::Soft => Term::atom("soft"),
            Change::Advanced(extra) => Term::tuple(vec![Term::atom("advanced"), extra.clone()]),
        }
    }
}

impl Mfa {
    /// `{M, F, A}`.
    pub fn to_term(&self) -> Term<'static> {
        Term::tuple(vec![
            self.module.to_term(),
            self.function.to_term(),
            self.args.clone(),
        ])
    }
}

impl SuspendItem {
    /// `Mod` or `{Mod, Timeout}`.
    pub fn to_term(&self) -> Term<'static> {
        match self.timeout {
            None => self.module.to_term(),
            Some(t) => Term::tuple(vec![self.module.to_term(), t.to_term()]),
        }
    }
}

impl Instruction {
    /// The instruction as an Erlang term in normal form (e.g. every `update` as an 8-tuple).
    pub fn to_term(&self) -> Term<'static> {
        match self {
            Instruction::Update {
                module,
                mod_type,
                timeout,
                change,
                pre_purge,
                post_purge,
                dep_mods,
            } => tagged(
                "update",
                [
                    module.to_term(),
                    Term::atom(mod_type.atom()),
                    timeout.to_term(),
                    change.to_term(),
                    Term::atom(pre_purge.atom()),
                    Term::atom(post_purge.atom()),
                    atoms(dep_mods),
                ],
            ),
            Instruction::LoadModule {
                module,
                pre_purge,
                post_purge,
                dep_mods,
            } => tagged(
                "load_module",
                [
                    module.to_term(),
                    Term::atom(pre_purge.atom()),
                    Term::atom(post_purge.atom()),
                    atoms(dep_mods),
                ],
            ),
            Instruction::AddModule { module, dep_mods } => {
                tagged("add_module", [module.to_term(), atoms(dep_mods)])
            }
            Instruction::DeleteModule { module, dep_mods } => {
                tagged("delete_module", [module.to_term(), atoms(dep_mods)])
            }
            Instruction::AddApplication {
                application,
                start_type,
            } => tagged(
                "add_application",
                [application.to_term(), Term::atom(start_type.atom())],
            ),
            Instruction::RemoveApplication { application } => {
                tagged("remove_application", [application.to_term()])
            }
            Instruction::RestartApplication { application } => {
                tagged("restart_application", [application.to_term()])
            }
            Instruction::Low(low) => low.to_term(),
        }
    }
}

impl LowLevel {
    /// The instruction as the Erlang term a relup holds.
    pub fn to_term(&self) -> Term<'static> {
        match self {
            LowLevel::LoadObjectCode {
                application,
                vsn,
                modules,
            } => tagged(
                "load_object_code",
                [Term::tuple(vec![
                    application.to_term(),
                    vsn.clone(),
                    atoms(modules),
                ])],
            ),
            LowLevel::PointOfNoReturn => Term::atom("point_of_no_return"),
            LowLevel::Load {
                module,
                pre_purge,
                post_purge,
            } => tagged("load", [purge_triple(module, *pre_purge, *post_purge)]),
            LowLevel::Remove {
                module,
                pre_purge,
                post_purge,
            } => tagged("remove", [purge_triple(module, *pre_purge, *post_purge)]),
            LowLevel::Purge { modules } => tagged("purge", [atoms(modules)]),
            LowLevel::Suspend { modules } => tagged(
                "suspend",
                [Term::list(
                    modules.iter().map(SuspendItem::to_term).collect(),
                )],
            ),
            LowLevel::Resume { modules } => tagged("resume", [atoms(modules)]),
            LowLevel::CodeChange { mode, changes } => {
                let list = Term::list(
                    changes
                        .iter()
                        .map(|(m, extra)| Term::tuple(vec![m.to_term(), extra.clone()]))
                        .collect(),
                );
                match mode {
                    None => tagged("code_change", [list]),
                    Some(mode) => tagged("code_change", [Term::atom(mode.atom()), list]),
                }
            }
            LowLevel::Stop { modules } => tagged("stop", [atoms(modules)]),
            LowLevel::Start { modules } => tagged("start", [atoms(modules)]),
            LowLevel::SyncNodes { id, target } => {
                let target = match target {
                    SyncTarget::Nodes(nodes) => atoms(nodes),
                    SyncTarget::Mfa(mfa) => mfa.to_term(),
                };
                tagged("sync_nodes", [id.clone(), target])
            }
            LowLevel::Apply { mfa } => tagged("apply", [mfa.to_term()]),
            LowLevel::RestartNewEmulator => Term::atom("restart_new_emulator"),
            LowLevel::RestartEmulator => Term::atom("restart_emulator"),
            LowLevel::Restart => Term::atom("restart"),
            LowLevel::Reboot => Term::atom("reboot"),
        }
    }
}

fn purge_triple(module: &Atom, pre: super::PurgeMethod, post: super::PurgeMethod) -> Term<'static> {
    Term::tuple(vec![
        module.to_term(),
        Term::atom(pre.atom()),
        Term::atom(post.atom()),
    ])
}
