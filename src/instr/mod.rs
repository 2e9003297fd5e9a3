//! The two instruction languages of release handling, as closed typed enums:
//! [`Instruction`] (what an `.appup` script may hold: high-level instructions and low-level
//! ones written by hand) and [`LowLevel`] (what a `relup` holds and `release_handler` runs).
//!
//! Every variant has every field explicit: the decoder ([`decode_instruction`]) expands OTP's
//! short forms (`{update, M}`, `{update, M, supervisor}`, ...) with OTP's defaults, so later
//! passes never look at a tuple's arity again. [`Instruction::to_term`] and
//! [`LowLevel::to_term`] give the Erlang term back (normal form).

mod decode;
mod encode;
mod options;
mod syntax_error;

use std::fmt;

use serde::Serialize;

pub use decode::{decode_instruction, expand_term};
pub use options::{Change, ModType, Mode, PurgeMethod, StartType, Timeout};
pub use syntax_error::{SyntaxError, SyntaxErrorKind};

use crate::term::Term;

/// An Erlang atom naming a module, an application, a function or a node. The text is shared:
/// a module named in many instructions (suspend, load, resume, load_object_code) is one
/// allocation, and cloning an atom is a reference-count increment.
#[derive(Debug, Clone, Eq, PartialOrd, Ord)]
pub struct Atom(std::sync::Arc<str>);

impl std::hash::Hash for Atom {
    /// By text, consistent with equality (equal pointers imply equal text).
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.hash(h);
    }
}

impl PartialEq for Atom {
    /// The same shared text is the same atom without comparing characters.
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Atom {
    /// The atom's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The atom as a term.
    pub fn to_term(&self) -> Term<'static> {
        Term::atom(self.0.to_string())
    }

    /// The atom as a term borrowing its text.
    pub fn term(&self) -> Term<'_> {
        Term::atom(&*self.0)
    }
}

impl Serialize for Atom {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Self {
        Atom(std::sync::Arc::from(s))
    }
}

impl std::ops::Deref for Atom {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::term::write_atom(f, &self.0)
    }
}

/// `{Module, Function, Args}` as `apply` and `sync_nodes` take it. `args` is any list
/// (OTP only checks `is_list`, so an improper list passes and is kept as written).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mfa {
    /// The module.
    pub module: Atom,
    /// The function.
    pub function: Atom,
    /// The argument list.
    pub args: Term<'static>,
}

/// One element of a `suspend` list: `Mod` or `{Mod, Timeout}` (kept as written).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuspendItem {
    /// The module whose processes are suspended.
    pub module: Atom,
    /// `None` for a bare `Mod`; `Some(t)` for `{Mod, t}`.
    pub timeout: Option<Timeout>,
}

/// Where `sync_nodes` finds its nodes: a list, or an MFA that returns one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncTarget {
    /// `[Node]`.
    Nodes(Vec<Atom>),
    /// `{M, F, A}`, applied at run time.
    Mfa(Mfa),
}

/// An instruction as an `.appup` script may hold it, in OTP's normal form
/// (`systools_rc:expand_script/1` then `normalize_instrs/1`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Instruction {
    /// `{update, Mod, ModType, Timeout, Change, PrePurge, PostPurge, DepMods}`: synchronized
    /// replacement: suspend the module's processes, load, optionally code_change, resume.
    Update {
        /// The module.
        module: Atom,
        /// `static` or `dynamic` (default `dynamic`; `{update, M, supervisor}` is `static`).
        mod_type: ModType,
        /// Suspend timeout (default `default`).
        timeout: Timeout,
        /// `soft` or `{advanced, Extra}` (default `soft`).
        change: Change,
        /// Purge method before the load (default `brutal_purge`).
        pre_purge: PurgeMethod,
        /// Purge method after the load (default `brutal_purge`).
        post_purge: PurgeMethod,
        /// Modules this one depends on (they must be updated in the same relup).
        dep_mods: Vec<Atom>,
    },
    /// `{load_module, Mod, PrePurge, PostPurge, DepMods}`: simple code replacement.
    LoadModule {
        /// The module.
        module: Atom,
        /// Purge method before the load.
        pre_purge: PurgeMethod,
        /// Purge method after the load.
        post_purge: PurgeMethod,
        /// Modules this one depends on.
        dep_mods: Vec<Atom>,
    },
    /// `{add_module, Mod, DepMods}`: a new module (loaded with brutal purges).
    AddModule {
        /// The module.
        module: Atom,
        /// Modules this one depends on.
        dep_mods: Vec<Atom>,
    },
    /// `{delete_module, Mod, DepMods}`: remove then purge the module.
    DeleteModule {
        /// The module.
        module: Atom,
        /// Modules this one depends on.
        dep_mods: Vec<Atom>,
    },
    /// `{add_application, App, StartType}` (default start type `permanent`).
    AddApplication {
        /// The application.
        application: Atom,
        /// How it is started after its modules are loaded.
        start_type: StartType,
    },
    /// `{remove_application, App}`: stop, remove its modules, unload.
    RemoveApplication {
        /// The application.
        application: Atom,
    },
    /// `{restart_application, App}`: stop, remove old modules, load new ones, start.
    RestartApplication {
        /// The application.
        application: Atom,
    },
    /// A low-level instruction written in the appup by hand (passed through unchanged).
    /// Serialized as the low-level instruction itself (its own `op` tag).
    #[serde(untagged)]
    Low(LowLevel),
}

/// A low-level instruction, as a `relup` holds it (OTP `relup(4)`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LowLevel {
    /// `{load_object_code, {Lib, LibVsn, [Mod]}}`: read the modules' object code, not load it.
    LoadObjectCode {
        /// The application (library) holding the modules.
        application: Atom,
        /// Its version (a string in practice; OTP only checks that it is a list). Boxed,
        /// like the other rare payloads, to keep every instruction small.
        vsn: Box<Term<'static>>,
        /// The modules to read.
        modules: Vec<Atom>,
    },
    /// `point_of_no_return`: failures after it restart the node into the old release.
    PointOfNoReturn,
    /// `{load, {Mod, PrePurge, PostPurge}}`.
    Load {
        /// The module.
        module: Atom,
        /// Checked before anything runs: `soft_purge` refuses while old processes exist.
        pre_purge: PurgeMethod,
        /// What happens to old code processes still run after the load.
        post_purge: PurgeMethod,
    },
    /// `{remove, {Mod, PrePurge, PostPurge}}`.
    Remove {
        /// The module.
        module: Atom,
        /// As for `load`.
        pre_purge: PurgeMethod,
        /// As for `load`.
        post_purge: PurgeMethod,
    },
    /// `{purge, [Mod]}`.
    Purge {
        /// The modules.
        modules: Vec<Atom>,
    },
    /// `{suspend, [Mod | {Mod, Timeout}]}`.
    Suspend {
        /// The modules, with their timeouts as written.
        modules: Vec<SuspendItem>,
    },
    /// `{resume, [Mod]}`.
    Resume {
        /// The modules.
        modules: Vec<Atom>,
    },
    /// `{code_change, [{Mod, Extra}]}` (mode `None`, meaning `up`) or
    /// `{code_change, Mode, [{Mod, Extra}]}`.
    CodeChange {
        /// `up`/`down`, or `None` for the two-element form.
        mode: Option<Mode>,
        /// Module and `Extra` argument pairs.
        changes: Vec<(Atom, Term<'static>)>,
    },
    /// `{stop, [Mod]}`.
    Stop {
        /// The modules.
        modules: Vec<Atom>,
    },
    /// `{start, [Mod]}`.
    Start {
        /// The modules.
        modules: Vec<Atom>,
    },
    /// `{sync_nodes, Id, [Node] | {M, F, A}}`.
    SyncNodes {
        /// Any term naming the synchronization point.
        id: Box<Term<'static>>,
        /// The nodes, or how to find them.
        target: Box<SyncTarget>,
    },
    /// `{apply, {M, F, A}}`.
    Apply {
        /// What to call.
        mfa: Box<Mfa>,
    },
    /// `restart_new_emulator`: reboot into a new emulator (moved first on upgrade).
    RestartNewEmulator,
    /// `restart_emulator`: reboot at the end of the script (moved last).
    RestartEmulator,
    /// `restart`: a legacy atom systools passes through; release_handler rejects it.
    Restart,
    /// `reboot`: a legacy atom systools passes through; release_handler rejects it.
    Reboot,
}

impl fmt::Display for LowLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_term(), f)
    }
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_term(), f)
    }
}

/// A low-level script as one Erlang list.
pub fn script_to_term(script: &[LowLevel]) -> Term<'static> {
    Term::list(script.iter().map(LowLevel::to_term).collect())
}

/// [`script_to_term`], borrowing the instructions' atoms and terms (no copies of text).
pub fn script_term(script: &[LowLevel]) -> Term<'_> {
    Term::list(script.iter().map(LowLevel::term).collect())
}

impl Instruction {
    /// The module a dependency instruction (`update`, `load_module`, `add_module`,
    /// `delete_module`) is about; `None` for the others.
    pub fn module(&self) -> Option<&Atom> {
        match self {
            Instruction::Update { module, .. }
            | Instruction::LoadModule { module, .. }
            | Instruction::AddModule { module, .. }
            | Instruction::DeleteModule { module, .. } => Some(module),
            _ => None,
        }
    }
}

#[cfg(test)]
mod size_tests {
    /// Translation and planning move hundreds of thousands of these: rare payloads are boxed.
    #[test]
    fn a_low_level_instruction_takes_at_most_56_bytes() {
        assert!(
            std::mem::size_of::<super::LowLevel>() <= 56,
            "{}",
            std::mem::size_of::<super::LowLevel>()
        );
    }
}
