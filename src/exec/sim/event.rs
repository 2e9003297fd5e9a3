//! What the simulated node does, one typed event per step, for the trace: callers match on the
//! kind (tests, tools), people read its sentence ([`std::fmt::Display`]).

use std::fmt;

use serde::Serialize;

use super::Pid;
use crate::instr::{Atom, LowLevel, Mfa};
use crate::term::Term;

/// One thing that happened, for the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The instruction being evaluated (none for the analysis after the script).
    pub index: Option<usize>,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// An instruction starts.
    Instruction {
        /// The instruction.
        instruction: LowLevel,
    },
    /// An injected fault kills a process.
    FaultKill {
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
    },
    /// `load_object_code`: object code read, nothing loaded.
    ReadObjectCode {
        /// The application.
        application: Atom,
        /// Its version.
        vsn: String,
        /// How many modules.
        modules: usize,
    },
    /// `point_of_no_return`.
    PointOfNoReturn,
    /// A module's new version is loaded; the current one, if any, becomes old.
    Load {
        /// The module.
        module: Atom,
        /// The version loaded.
        vsn: String,
        /// The version that becomes old code.
        previous: Option<String>,
    },
    /// A soft purge is refused: processes still run the old code.
    OldCodeStays {
        /// The module.
        module: Atom,
        /// Its old version.
        old: String,
        /// Who still runs it (`pid (name)`).
        users: Vec<String>,
    },
    /// Old code removed.
    Purge {
        /// The module.
        module: Atom,
        /// The version removed.
        old: String,
    },
    /// A process killed because the code it runs is purged.
    KilledByPurge {
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
        /// The module.
        module: Atom,
        /// The version it ran.
        version: String,
    },
    /// `remove`: the current code becomes old.
    Delete {
        /// The module.
        module: Atom,
    },
    /// A process is suspended.
    Suspend {
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
    },
    /// A suspend times out: the process runs on and is not code-changed.
    SuspendTimeout {
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
    },
    /// A `code_change` migrates a process's state.
    CodeChange {
        /// The module.
        module: Atom,
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
        /// The `OldVsn` argument (`{down, Vsn}` on downgrade).
        vsn: String,
        /// `Extra`.
        extra: Term<'static>,
        /// The state before.
        old_state: Term<'static>,
        /// The state after.
        new_state: Term<'static>,
    },
    /// A `code_change` the scenario declares no migration for: the state is kept as it is.
    CodeChangeNotModelled {
        /// The module.
        module: Atom,
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
    },
    /// A `code_change` fails.
    CodeChangeFailed {
        /// The module.
        module: Atom,
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
        /// Why.
        reason: String,
    },
    /// A process is resumed.
    Resume {
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
    },
    /// A supervisor starts a child (`supervisor:restart_child`).
    ChildStarted {
        /// The supervisor, as named.
        supervisor: String,
        /// The child id.
        id: Atom,
        /// The new process.
        pid: Pid,
    },
    /// `supervisor:restart_child` returns an error (which release_handler ignores).
    RestartChildRefused {
        /// The supervisor, as named.
        supervisor: String,
        /// The child id.
        id: Atom,
        /// `not_found` (no such child spec) or `running`.
        reason: &'static str,
    },
    /// A supervisor restarted children more often than its intensity allows and terminated
    /// them and itself.
    SupervisorGaveUp {
        /// The supervisor.
        pid: Pid,
        /// Its name.
        name: Atom,
        /// The restarts it made.
        restarts: u32,
    },
    /// A supervisor restarts a child: one stopped by the script (`start`), or one a purge
    /// killed (by its restart type).
    ChildRestarted {
        /// The supervisor.
        supervisor: String,
        /// The child id.
        id: Atom,
        /// The new process.
        pid: Pid,
    },
    /// A supervisor terminates a child.
    ChildTerminated {
        /// The supervisor.
        supervisor: String,
        /// The child id.
        id: Atom,
        /// The process.
        pid: Pid,
    },
    /// `supervisor:delete_child`.
    ChildSpecDeleted {
        /// The supervisor.
        supervisor: String,
        /// The child id.
        id: Atom,
    },
    /// A supervisor's `code_change` with no child specs known for the new version.
    NoChildSpecs {
        /// The supervisor process.
        pid: Pid,
        /// Its callback module.
        module: Atom,
        /// The new version.
        vsn: String,
    },
    /// A supervisor's `code_change` re-reads its child specs.
    ChildSpecsReread {
        /// The supervisor process.
        pid: Pid,
        /// Its callback module.
        module: Atom,
        /// The new version.
        vsn: String,
        /// Child ids added (not started).
        added: Vec<String>,
        /// Child ids gone from the specs but still running.
        kept: Vec<String>,
    },
    /// `application:stop(App)` (also what `remove_application` runs): the application's
    /// supervision tree terminates.
    ApplicationStopped {
        /// The application.
        application: Atom,
        /// How many processes of its tree ended.
        processes: usize,
    },
    /// An `apply` the simulator does not model.
    ApplyNotModelled {
        /// The call.
        mfa: Mfa,
    },
    /// `sync_nodes`: other nodes are not simulated.
    SyncNodes {
        /// The synchronisation id.
        id: Term<'static>,
    },
    /// `restart_new_emulator` or `restart_emulator`.
    RestartEmulator {
        /// `restart_new_emulator`: new erts and core applications.
        new_emulator: bool,
    },
    /// A running behaviour process takes the current code at its next message.
    MovesToCurrent {
        /// The process.
        pid: Pid,
        /// Its name.
        name: Atom,
        /// The module.
        module: Atom,
        /// The current version.
        vsn: String,
    },
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EventKind::*;
        match self {
            Instruction { instruction } => write!(f, "{instruction}"),
            FaultKill { pid, name } => write!(f, "fault: {pid} ({name}) dies"),
            ReadObjectCode {
                application,
                vsn,
                modules,
            } => write!(
                f,
                "read object code of {application} {vsn}: {modules} module(s), nothing loaded yet"
            ),
            PointOfNoReturn => f.write_str(
                "point of no return: from here a failure restarts the node into the old release",
            ),
            Load {
                module,
                vsn,
                previous: None,
            } => write!(f, "load {module} {vsn} (not loaded before)"),
            Load {
                module,
                vsn,
                previous: Some(p),
            } => write!(f, "load {module} {vsn} ({p} becomes old code)"),
            OldCodeStays { module, old, users } => write!(
                f,
                "old code {module} {old} stays: still run by {}",
                users.join(", ")
            ),
            Purge { module, old } => write!(f, "purge {module}: old code {old} removed"),
            KilledByPurge {
                pid,
                name,
                module,
                version,
            } => write!(
                f,
                "kill {pid} ({name}): it runs {module} {version}, whose code is purged"
            ),
            Delete { module } => write!(f, "delete {module}: its current code becomes old"),
            Suspend { pid, name } => write!(f, "suspend {pid} ({name})"),
            SuspendTimeout { pid, name } => write!(
                f,
                "suspend {pid} ({name}) times out: left running, will not be code-changed"
            ),
            CodeChange {
                module,
                pid,
                name,
                vsn,
                extra,
                old_state,
                new_state,
            } => write!(
                f,
                "code_change {module} in {pid} ({name}), Vsn {vsn}, Extra {extra}: state {old_state} -> {new_state}"
            ),
            CodeChangeNotModelled { module, pid, name } => write!(
                f,
                "code_change {module} in {pid} ({name}): no migration declared, state kept as it is (not predicted)"
            ),
            CodeChangeFailed {
                module,
                pid,
                name,
                reason,
            } => write!(
                f,
                "code_change of {module} in {pid} ({name}) fails: {reason}"
            ),
            Resume { pid, name } => write!(f, "resume {pid} ({name})"),
            ChildStarted {
                supervisor,
                id,
                pid,
            } => write!(f, "supervisor {supervisor} starts child {id} as {pid}"),
            RestartChildRefused {
                supervisor,
                id,
                reason,
            } => write!(
                f,
                "supervisor:restart_child({supervisor}, {id}) returns {{error,{reason}}} (ignored by release_handler)"
            ),
            ChildRestarted {
                supervisor,
                id,
                pid,
            } => write!(f, "supervisor {supervisor} restarts child {id} as {pid}"),
            SupervisorGaveUp {
                pid,
                name,
                restarts,
            } => write!(
                f,
                "supervisor {name} ({pid}) reached its restart intensity ({restarts} restarts): it terminates its children and itself"
            ),
            ChildTerminated {
                supervisor,
                id,
                pid,
            } => write!(f, "supervisor {supervisor} terminates child {id} ({pid})"),
            ChildSpecDeleted { supervisor, id } => {
                write!(f, "supervisor {supervisor} deletes child spec {id}")
            }
            NoChildSpecs { pid, module, vsn } => write!(
                f,
                "{pid}: no child specs known for {module} {vsn}; children unchanged"
            ),
            ChildSpecsReread {
                pid,
                module,
                vsn,
                added,
                kept,
            } => write!(
                f,
                "{pid} re-reads its child specs ({module} {vsn}): added, not started: [{}]; removed from the specs but still running: [{}]",
                added.join(","),
                kept.join(",")
            ),
            ApplicationStopped {
                application,
                processes,
            } => write!(
                f,
                "application {application} stopped: its supervision tree ({processes} processes) terminates"
            ),
            ApplyNotModelled { mfa } if mfa.module.as_str() == "supervisor" => write!(
                f,
                "apply supervisor:{}: not modelled, no effect",
                mfa.function
            ),
            ApplyNotModelled { mfa } => write!(
                f,
                "apply {}:{}{}: not modelled, no effect on the simulated node",
                mfa.module, mfa.function, mfa.args
            ),
            SyncNodes { id } => write!(f, "sync_nodes {id}: the other nodes are not simulated"),
            RestartEmulator { new_emulator: true } => f.write_str(
                "restart into a new emulator (new erts and core applications), then continue",
            ),
            RestartEmulator {
                new_emulator: false,
            } => f.write_str("restart the emulator into the new release: every process restarts"),
            MovesToCurrent {
                pid,
                name,
                module,
                vsn,
            } => write!(
                f,
                "{pid} ({name}) moves to {module} {vsn} at its next message"
            ),
        }
    }
}

/// What a prediction rests on: a fact the scenario declares (which the simulator cannot
/// check against the code), or OTP's own rules (release_handler, supervisor, code server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A declared fact: the scenario term named.
    Declared(&'static str),
    /// OTP's rules.
    OtpRule,
    /// Nothing: the simulator says it does not model this.
    NotModelled,
}

impl EventKind {
    /// What this event's prediction rests on.
    pub fn basis(&self) -> Basis {
        match self {
            EventKind::CodeChange { .. } => Basis::Declared("migration"),
            EventKind::CodeChangeFailed { .. } => Basis::Declared("migration"),
            EventKind::ChildStarted { .. } | EventKind::ChildRestarted { .. } => {
                Basis::Declared("child_start")
            }
            EventKind::CodeChangeNotModelled { .. } | EventKind::ApplyNotModelled { .. } => {
                Basis::NotModelled
            }
            _ => Basis::OtpRule,
        }
    }
}
