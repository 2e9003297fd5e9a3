//! Typed instructions back to Erlang terms, in OTP's normal form (the shapes
//! `systools_rc` prints after normalization).

use super::{Atom, Change, Instruction, LowLevel, Mfa, SuspendItem, SyncTarget};
use crate::term::Term;

fn tagged<'a>(tag: &'static str, items: impl IntoIterator<Item = Term<'a>>) -> Term<'a> {
    let mut all = vec![Term::atom(tag)];
    all.extend(items);
    Term::tuple(all)
}

fn atoms(list: &[Atom]) -> Term<'_> {
    Term::list(list.iter().map(Atom::term).collect())
}

impl Change {
    /// `soft` or `{advanced, Extra}`.
    pub fn term(&self) -> Term<'_> {
        match self {
            Change::Soft => Term::atom("soft"),
            Change::Advanced(extra) => Term::tuple(vec![Term::atom("advanced"), extra.reborrow()]),
        }
    }
}

impl Mfa {
    /// `{M, F, A}`.
    pub fn term(&self) -> Term<'_> {
        Term::tuple(vec![
            self.module.term(),
            self.function.term(),
            self.args.reborrow(),
        ])
    }
}

impl SuspendItem {
    /// `Mod` or `{Mod, Timeout}`.
    pub fn term(&self) -> Term<'_> {
        match self.timeout {
            None => self.module.term(),
            Some(t) => Term::tuple(vec![self.module.term(), t.to_term()]),
        }
    }
}

impl Instruction {
    /// The instruction as an Erlang term in normal form (e.g. every `update` as an 8-tuple).
    pub fn term(&self) -> Term<'_> {
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
                    module.term(),
                    Term::atom(mod_type.atom()),
                    timeout.to_term(),
                    change.term(),
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
                    module.term(),
                    Term::atom(pre_purge.atom()),
                    Term::atom(post_purge.atom()),
                    atoms(dep_mods),
                ],
            ),
            Instruction::AddModule { module, dep_mods } => {
                tagged("add_module", [module.term(), atoms(dep_mods)])
            }
            Instruction::DeleteModule { module, dep_mods } => {
                tagged("delete_module", [module.term(), atoms(dep_mods)])
            }
            Instruction::AddApplication {
                application,
                start_type,
            } => tagged(
                "add_application",
                [application.term(), Term::atom(start_type.atom())],
            ),
            Instruction::RemoveApplication { application } => {
                tagged("remove_application", [application.term()])
            }
            Instruction::RestartApplication { application } => {
                tagged("restart_application", [application.term()])
            }
            Instruction::Low(low) => low.term(),
        }
    }
}

impl LowLevel {
    /// The instruction as the Erlang term a relup holds.
    pub fn term(&self) -> Term<'_> {
        match self {
            LowLevel::LoadObjectCode {
                application,
                vsn,
                modules,
            } => tagged(
                "load_object_code",
                [Term::tuple(vec![
                    application.term(),
                    vsn.reborrow(),
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
                        .map(|(m, extra)| Term::tuple(vec![m.term(), extra.reborrow()]))
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
                let target = match &**target {
                    SyncTarget::Nodes(nodes) => atoms(nodes),
                    SyncTarget::Mfa(mfa) => mfa.term(),
                };
                tagged("sync_nodes", [id.reborrow(), target])
            }
            LowLevel::Apply { mfa } => tagged("apply", [mfa.term()]),
            LowLevel::RestartNewEmulator => Term::atom("restart_new_emulator"),
            LowLevel::RestartEmulator => Term::atom("restart_emulator"),
            LowLevel::Restart => Term::atom("restart"),
            LowLevel::Reboot => Term::atom("reboot"),
        }
    }
}

fn purge_triple(module: &Atom, pre: super::PurgeMethod, post: super::PurgeMethod) -> Term<'_> {
    Term::tuple(vec![
        module.term(),
        Term::atom(pre.atom()),
        Term::atom(post.atom()),
    ])
}

/// Owned versions of the borrowing `term()` encoders.
macro_rules! owned_term {
    ($($t:ty),*) => {$(
        impl $t {
            /// The term, detached from `self`.
            pub fn to_term(&self) -> Term<'static> {
                self.term().into_owned()
            }
        }
    )*};
}

owned_term!(Change, Mfa, SuspendItem, Instruction, LowLevel);
