//! What the simulated node is made of: loaded code, processes, supervisors' child specs,
//! the trace, and the errors the simulator reports.

use super::*;

/// A loaded module's versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadedModule {
    /// The current version (`None` after `delete`).
    pub current: Option<String>,
    /// The old version, until purged.
    pub old: Option<String>,
}

/// A process's life.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Running.
    Running,
    /// Suspended by `sys:suspend`.
    Suspended,
    /// Dead, with the reason.
    Dead(String),
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Running => f.write_str("running"),
            Status::Suspended => f.write_str("suspended"),
            Status::Dead(reason) => write!(f, "dead ({reason})"),
        }
    }
}

/// A simulated process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Process {
    /// Its name.
    pub name: Atom,
    /// Module → the version of it the process executes.
    pub runs: BTreeMap<Atom, String>,
    /// Behaviour or local loop.
    pub loop_kind: LoopKind,
    /// Its state.
    pub state: Option<Term<'static>>,
    /// Which version's data format its state has.
    pub state_vsn: Option<String>,
    /// Its supervisor and child id.
    pub child_of: Option<(Pid, Atom)>,
    /// The application it is the top supervisor of.
    pub top_of: Option<Atom>,
    /// Running, suspended or dead.
    pub status: Status,
}

/// A child spec of a running supervisor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildSpec {
    /// The child id.
    pub id: Atom,
    /// Its modules.
    pub modules: ChildModules,
    /// The running child, if any.
    pub pid: Option<Pid>,
}

/// Everything about the node that an upgrade can change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeState {
    /// Loaded code.
    pub modules: BTreeMap<Atom, LoadedModule>,
    /// Processes by pid (dead ones stay, with their reason).
    pub processes: BTreeMap<Pid, Process>,
    /// Child specs of each supervisor process.
    pub supervisors: BTreeMap<Pid, Vec<ChildSpec>>,
}

/// An operation the simulator refuses, or an injected fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// release_handler asked a child declared with `modules = dynamic` for its modules
    /// (`get_modules`) and it did not answer: only gen_event processes do. Every suspend and
    /// stop walks all supervision trees, so this fails the upgrade whatever module it is for.
    #[error(
        "get_modules_failed: {0} ({1}) is a dynamic child that does not answer get_modules (only a gen_event does)"
    )]
    GetModulesFailed(Pid, Atom),
    /// A fault injected at this instruction.
    #[error("injected fault at instruction {0}")]
    Injected(usize),
    /// An injected timeout.
    #[error("timeout (injected at instruction {0})")]
    Timeout(usize),
    /// `load` without object code read for the module.
    #[error("no object code was read for {0}")]
    NoObjectCode(Atom),
    /// The process is dead.
    #[error("noproc: {0}")]
    NoProc(Pid),
    /// `sys:change_code` on a process that is not suspended.
    #[error("{0} is not suspended: sys answers unknown_system_msg")]
    NotSuspended(Pid),
    /// No declared migration matches the state.
    #[error("no migration of {module} {} matches the state {state}", .mode.atom())]
    NoMigration {
        /// The module.
        module: Atom,
        /// Which code_change.
        mode: Mode,
        /// The state.
        state: String,
    },
    /// A suspended supervisor met while walking the tree (`error(suspended_supervisor)`).
    #[error("suspended supervisor {0} met while looking for processes")]
    SuspendedSupervisor(Pid),
    /// A supervisor child operation on an unknown supervisor or child.
    #[error("{0}")]
    Supervisor(String),
    /// The scenario's supervision links form a cycle (a supervisor is its own descendant).
    #[error("the supervision tree has a cycle: {}; a supervisor cannot be its own descendant", .0.join(" -> "))]
    SupervisionCycle(Vec<String>),
    /// A declared migration would build a state larger than the simulator keeps.
    #[error(
        "the migration of {module} would make a state of {terms} terms (more than {MAX_STATE_TERMS}): does it copy the old state into the new one?"
    )]
    StateTooLarge {
        /// The module whose code_change it is.
        module: Atom,
        /// How many terms the new state would have.
        terms: usize,
    },
}

/// The largest state (in terms) a migration may build: past it the simulation stops with
/// [`SimError::StateTooLarge`] instead of doubling a state at every step.
pub const MAX_STATE_TERMS: usize = 1_000_000;

/// Refuses supervision links that come back to where they started: walking such a tree (as
/// release_handler does) would never end.
pub(super) fn check_acyclic(state: &NodeState) -> Result<(), SimError> {
    let mut done: std::collections::BTreeSet<Pid> = std::collections::BTreeSet::new();
    for &start in state.processes.keys() {
        let mut path: Vec<Pid> = Vec::new();
        let mut cur = Some(start);
        while let Some(pid) = cur {
            if done.contains(&pid) {
                break;
            }
            if let Some(at) = path.iter().position(|p| *p == pid) {
                let names = path[at..]
                    .iter()
                    .chain(std::iter::once(&pid))
                    .map(|p| {
                        state
                            .processes
                            .get(p)
                            .map_or(p.to_string(), |x| x.name.to_string())
                    })
                    .collect();
                return Err(SimError::SupervisionCycle(names));
            }
            path.push(pid);
            cur = state
                .processes
                .get(&pid)
                .and_then(|p| p.child_of.as_ref().map(|(s, _)| *s));
        }
        done.extend(path);
    }
    Ok(())
}
