//! `SimulatedRuntime`: a model of a running BEAM node that predicts what an upgrade does.
//!
//! * Code server: at most two versions of a module (current and old). Loading purges the old
//!   version first, killing the processes still in it; `soft_purge` refuses while any
//!   process runs old code; `delete` makes the current code old.
//! * Processes run given versions of modules. A behaviour process (`gen_server`, ...) waits in
//!   its behaviour's loop between messages, with no frame of its callback module on its
//!   stack: purges neither kill it nor wait for it, and it runs the current callback code at
//!   its next message (after any instruction while it is not suspended). A local loop
//!   executes its module's code all the time: it stays in its version, blocks soft purges of
//!   it, and dies when that version is purged.
//! * Supervision trees decide what `suspend` finds: the top supervisor (by its module) and
//!   the children whose child-spec modules name the module (or `dynamic` ones that run it).
//!   Unsupervised processes are never suspended or code-changed.
//! * `sys` suspend / change_code / resume; gen_server state migrated by the scenario's
//!   declared migrations; a supervisor's code_change re-reads its child specs: a new child is
//!   added but not started, a removed one keeps running.
//! * Fault injection: make an instruction fail, make its suspends and code_changes time out,
//!   or kill a process before it.
//!
//! The node state ([`NodeState`]) is what a failure before the point of no return must leave
//! untouched; object code read before it is kept apart (release_handler holds it in memory).

use std::collections::BTreeMap;

use serde::Serialize;

use super::loader::{ChildRef, Loader, Pid};
use super::scenario::{
    ChildModules, LoopKind, Scenario, match_pattern, substitute, substituted_size,
};
use crate::instr::{Atom, CodeChangeMode, LowLevel, Mfa, SyncTarget, Timeout};
use crate::term::Term;

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

/// One thing that happened, for the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The instruction being evaluated (none for the analysis after the script).
    pub index: Option<usize>,
    /// What happened.
    pub text: String,
}

/// Something an operator should know before running the upgrade.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "hazard", rename_all = "snake_case")]
pub enum Hazard {
    /// A purge kills a process that still runs old code (at instruction `index`).
    KilledByPurge {
        index: usize,
        pid: Pid,
        name: Atom,
        module: Atom,
        version: String,
    },
    /// `make_permanent` will brutal-purge old code that this process still runs.
    KilledAtMakePermanent {
        pid: Pid,
        name: Atom,
        module: Atom,
        version: String,
    },
    /// The process uses a module the upgrade changes but no supervisor reaches it: it is
    /// never suspended nor code-changed.
    Unsupervised { pid: Pid, name: Atom, module: Atom },
    /// After the upgrade the process still runs a version that is not current.
    LeftOnOldCode {
        pid: Pid,
        name: Atom,
        module: Atom,
        version: String,
    },
    /// `soft_purge` refused: processes still run the old code of the module.
    SoftPurgeRefused { index: usize, module: Atom },
    /// A suspend failed or timed out: the process was not suspended nor code-changed.
    NotSuspended { index: usize, pid: Pid, name: Atom },
    /// `code_change` failed.
    CodeChangeFailed {
        index: usize,
        pid: Pid,
        name: Atom,
        module: Atom,
        reason: String,
    },
    /// Between instructions `from` and `to` the running process can call `library` in a
    /// version whose data format differs from its state's.
    DataFormatWindow {
        from: usize,
        to: usize,
        pid: Pid,
        name: Atom,
        library: Atom,
        state_vsn: String,
        library_vsn: String,
    },
}

/// An operation the simulator refuses, or an injected fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
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
    #[error("no migration of {module} {mode} matches the state {state}")]
    NoMigration {
        /// The module.
        module: Atom,
        /// `up` or `down`.
        mode: &'static str,
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
fn check_acyclic(state: &NodeState) -> Result<(), SimError> {
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

/// A fault to inject.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Instruction `index` fails.
    Fail(usize),
    /// Suspends and code_changes in instruction `index` time out.
    Timeout(usize),
    /// The named process dies just before instruction `index`.
    Kill(usize, Atom),
}

/// A simulated node (see the module docs).
#[derive(Debug, Clone)]
pub struct SimulatedRuntime {
    state: NodeState,
    scenario: Scenario,
    staged: BTreeMap<Atom, String>,
    changed: Vec<Atom>,
    events: Vec<Event>,
    hazards: Vec<Hazard>,
    faults: Vec<Fault>,
    index: usize,
    next_pid: u32,
    windows: BTreeMap<(Pid, Atom), (usize, String, String)>,
}

impl SimulatedRuntime {
    /// A node as the scenario describes it.
    ///
    /// # Errors
    /// A process naming a supervisor that is not a process of the scenario.
    pub fn new(scenario: Scenario) -> Result<Self, SimError> {
        let mut state = NodeState {
            modules: BTreeMap::new(),
            processes: BTreeMap::new(),
            supervisors: BTreeMap::new(),
        };
        for (m, (current, old)) in &scenario.modules {
            state.modules.insert(
                m.clone(),
                LoadedModule {
                    current: current.clone(),
                    old: old.clone(),
                },
            );
        }
        let pid_of = |name: &Atom| {
            scenario
                .processes
                .iter()
                .position(|p| &p.name == name)
                .map(|i| Pid(80 + i as u32))
        };
        for (i, p) in scenario.processes.iter().enumerate() {
            let pid = Pid(80 + i as u32);
            let child_of = match &p.child_of {
                Some((sup, id)) => Some((
                    pid_of(sup).ok_or_else(|| {
                        SimError::Supervisor(format!("unknown supervisor {sup} of {}", p.name))
                    })?,
                    id.clone(),
                )),
                None => None,
            };
            let runs: BTreeMap<Atom, String> = p.runs.iter().cloned().collect();
            let state_vsn = p.runs.first().map(|(_, v)| v.clone());
            state.processes.insert(
                pid,
                Process {
                    name: p.name.clone(),
                    runs,
                    loop_kind: p.loop_kind,
                    state: p.state.clone(),
                    state_vsn,
                    child_of,
                    top_of: p.top_of.clone(),
                    status: Status::Running,
                },
            );
            if let Some(specs) = p
                .runs
                .first()
                .and_then(|(m, v)| scenario.supervisors.get(&(m.clone(), v.clone())))
            {
                state.supervisors.insert(
                    pid,
                    specs
                        .iter()
                        .map(|(id, modules)| ChildSpec {
                            id: id.clone(),
                            modules: modules.clone(),
                            pid: None,
                        })
                        .collect(),
                );
            }
        }
        let children: Vec<(Pid, Pid, Atom)> = state
            .processes
            .iter()
            .filter_map(|(pid, p)| p.child_of.clone().map(|(s, id)| (s, *pid, id)))
            .collect();
        for (sup, child, id) in children {
            if let Some(spec) = state
                .supervisors
                .get_mut(&sup)
                .and_then(|specs| specs.iter_mut().find(|c| c.id == id))
            {
                spec.pid = Some(child);
            }
        }
        check_acyclic(&state)?;
        let next_pid = 80 + scenario.processes.len() as u32;
        Ok(SimulatedRuntime {
            state,
            scenario,
            staged: BTreeMap::new(),
            changed: Vec::new(),
            events: Vec::new(),
            hazards: Vec::new(),
            faults: Vec::new(),
            index: 0,
            next_pid,
            windows: BTreeMap::new(),
        })
    }

    /// Injects a fault.
    pub fn inject(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// The node's state.
    pub fn state(&self) -> &NodeState {
        &self.state
    }

    /// The trace so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The hazards found so far.
    pub fn hazards(&self) -> &[Hazard] {
        &self.hazards
    }

    /// The release the node runs.
    pub fn release(&self) -> &str {
        &self.scenario.release
    }

    fn event(&mut self, text: String) {
        self.events.push(Event {
            index: Some(self.index),
            text,
        });
    }

    fn name(&self, pid: Pid) -> Atom {
        self.state
            .processes
            .get(&pid)
            .map_or_else(|| Atom::from("?"), |p| p.name.clone())
    }

    fn alive(&self) -> impl Iterator<Item = (&Pid, &Process)> {
        self.state
            .processes
            .iter()
            .filter(|(_, p)| !matches!(p.status, Status::Dead(_)))
    }

    fn kill(&mut self, pid: Pid, reason: &str) {
        if let Some(p) = self.state.processes.get_mut(&pid) {
            p.status = Status::Dead(reason.to_string());
        }
        for specs in self.state.supervisors.values_mut() {
            for c in specs.iter_mut().filter(|c| c.pid == Some(pid)) {
                c.pid = None;
            }
        }
    }

    /// The live processes executing `module` at `version` (only local loops hold frames of
    /// a module between messages).
    fn executing(&self, module: &Atom, version: &str) -> Vec<Pid> {
        self.alive()
            .filter(|(_, p)| {
                p.loop_kind == LoopKind::Local
                    && p.runs.get(module).map(String::as_str) == Some(version)
            })
            .map(|(pid, _)| *pid)
            .collect()
    }

    /// Kills every process that executes `module` at `version` (a purge of that old code).
    fn kill_runners(&mut self, module: &Atom, version: &str) -> bool {
        let victims = self.executing(module, version);
        for pid in &victims {
            let name = self.name(*pid);
            self.event(format!(
                "kill {pid} ({name}): it runs {module} {version}, whose code is purged"
            ));
            self.hazards.push(Hazard::KilledByPurge {
                index: self.index,
                pid: *pid,
                name,
                module: module.clone(),
                version: version.to_string(),
            });
            self.kill(*pid, &format!("killed: purged {module} {version}"));
        }
        !victims.is_empty()
    }

    /// Behaviour processes that are not suspended handle their next message in the current
    /// code of their modules; then the data-format windows are updated.
    fn next_messages(&mut self) {
        let modules = self.state.modules.clone();
        let mut moved = Vec::new();
        for (pid, p) in self.state.processes.iter_mut() {
            if p.status != Status::Running || p.loop_kind != LoopKind::Behaviour {
                continue;
            }
            for (m, v) in p.runs.iter_mut() {
                if let Some(cur) = modules.get(m).and_then(|l| l.current.clone()) {
                    if *v != cur {
                        moved.push(format!(
                            "{pid} ({}) moves to {m} {cur} at its next message",
                            p.name
                        ));
                        *v = cur;
                    }
                }
            }
        }
        for text in moved {
            self.event(text);
        }
        self.track_windows(self.index);
    }

    fn track_windows(&mut self, at: usize) {
        let formats = self.scenario.data_format_changes.clone();
        let procs: Vec<(Pid, Process)> = self.alive().map(|(pid, p)| (*pid, p.clone())).collect();
        for (pid, p) in procs {
            let callees: Vec<Atom> = p
                .runs
                .keys()
                .flat_map(|m| self.scenario.calls.get(m).cloned().unwrap_or_default())
                .filter(|c| formats.contains(c))
                .collect();
            for lib in callees {
                let lib_vsn = self
                    .state
                    .modules
                    .get(&lib)
                    .and_then(|l| l.current.clone())
                    .unwrap_or_default();
                let state_vsn = p.state_vsn.clone().unwrap_or_default();
                let exposed = p.status == Status::Running && lib_vsn != state_vsn;
                let key = (pid, lib.clone());
                match (exposed, self.windows.contains_key(&key)) {
                    (true, false) => {
                        self.windows.insert(key, (at, state_vsn, lib_vsn));
                    }
                    (false, true) => {
                        if let Some((from, s, l)) = self.windows.remove(&key) {
                            self.hazards.push(Hazard::DataFormatWindow {
                                from,
                                to: at,
                                pid,
                                name: p.name.clone(),
                                library: lib,
                                state_vsn: s,
                                library_vsn: l,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The analysis after the script: open windows, processes left on old code, unsupervised
    /// users of changed modules, and what `make_permanent` will kill.
    pub fn finish(&mut self, unpurged: &[(Atom, crate::instr::PurgeMethod)]) {
        self.next_messages();
        let last = self.index;
        for ((pid, lib), (from, s, l)) in std::mem::take(&mut self.windows) {
            let name = self.name(pid);
            self.hazards.push(Hazard::DataFormatWindow {
                from,
                to: last,
                pid,
                name,
                library: lib,
                state_vsn: s,
                library_vsn: l,
            });
        }
        let procs: Vec<(Pid, Process)> = self.alive().map(|(pid, p)| (*pid, p.clone())).collect();
        let reachable = self.reachable();
        for (pid, p) in procs {
            for (m, v) in &p.runs {
                let current = self.state.modules.get(m).and_then(|l| l.current.clone());
                if current.as_deref() != Some(v.as_str()) {
                    self.hazards.push(Hazard::LeftOnOldCode {
                        pid,
                        name: p.name.clone(),
                        module: m.clone(),
                        version: v.clone(),
                    });
                    let brutal = unpurged.iter().any(|(u, method)| {
                        u == m && *method == crate::instr::PurgeMethod::BrutalPurge
                    });
                    if brutal {
                        self.hazards.push(Hazard::KilledAtMakePermanent {
                            pid,
                            name: p.name.clone(),
                            module: m.clone(),
                            version: v.clone(),
                        });
                    }
                }
                if self.changed.contains(m) && !reachable.contains(&pid) {
                    self.hazards.push(Hazard::Unsupervised {
                        pid,
                        name: p.name.clone(),
                        module: m.clone(),
                    });
                }
            }
        }
    }

    /// The processes a supervision-tree walk reaches.
    fn reachable(&self) -> Vec<Pid> {
        let mut out = Vec::new();
        let mut stack: Vec<Pid> = self
            .alive()
            .filter(|(_, p)| p.top_of.is_some())
            .map(|(pid, _)| *pid)
            .collect();
        while let Some(pid) = stack.pop() {
            out.push(pid);
            for c in self.state.supervisors.get(&pid).into_iter().flatten() {
                if let Some(child) = c.pid.filter(|c| {
                    self.state
                        .processes
                        .get(c)
                        .is_some_and(|p| !matches!(p.status, Status::Dead(_)))
                }) {
                    stack.push(child);
                }
            }
        }
        out
    }

    fn faulted(&self, f: impl Fn(&Fault) -> bool) -> bool {
        self.faults.iter().any(f)
    }

    /// Starts child `id` of supervisor `sup` in the current code of its modules.
    fn start_child(&mut self, sup: Pid, id: &Atom) -> Result<Pid, SimError> {
        let spec = self
            .state
            .supervisors
            .get(&sup)
            .and_then(|s| s.iter().find(|c| &c.id == id))
            .cloned()
            .ok_or_else(|| SimError::Supervisor(format!("{sup} has no child spec {id}")))?;
        if spec.pid.is_some() {
            return Err(SimError::Supervisor(format!(
                "child {id} of {sup} is already running"
            )));
        }
        let modules = match &spec.modules {
            ChildModules::List(l) => l.clone(),
            ChildModules::Dynamic => vec![id.clone()],
        };
        let runs: BTreeMap<Atom, String> = modules
            .iter()
            .filter_map(|m| Some((m.clone(), self.state.modules.get(m)?.current.clone()?)))
            .collect();
        let pid = Pid(self.next_pid);
        self.next_pid += 1;
        let state = self.scenario.child_start.get(id).cloned().flatten();
        let state_vsn = runs.values().next().cloned();
        self.state.processes.insert(
            pid,
            Process {
                name: id.clone(),
                runs,
                loop_kind: LoopKind::Behaviour,
                state,
                state_vsn,
                child_of: Some((sup, id.clone())),
                top_of: None,
                status: Status::Running,
            },
        );
        if let Some(c) = self
            .state
            .supervisors
            .get_mut(&sup)
            .and_then(|s| s.iter_mut().find(|c| &c.id == id))
        {
            c.pid = Some(pid);
        }
        Ok(pid)
    }

    fn pid_named(&self, name: &Term<'_>) -> Option<Pid> {
        let n = name.as_atom()?;
        self.alive()
            .find(|(_, p)| p.name.as_str() == n)
            .map(|(pid, _)| *pid)
    }

    fn supervisor_apply(&mut self, mfa: &Mfa) -> Result<(), SimError> {
        let args: Vec<Term<'static>> = mfa
            .args
            .list_items()
            .unwrap_or_default()
            .iter()
            .map(|i| i.to_term())
            .collect();
        let [sup, id] = args.as_slice() else {
            return Err(SimError::Supervisor(format!(
                "supervisor:{} takes [Sup, Id]",
                mfa.function
            )));
        };
        let sup_pid = self
            .pid_named(sup)
            .ok_or_else(|| SimError::Supervisor(format!("no supervisor {sup}")))?;
        let id = Atom::from(id.as_atom().unwrap_or_default());
        match mfa.function.as_str() {
            "restart_child" => {
                let pid = self.start_child(sup_pid, &id)?;
                self.event(format!("supervisor {sup} starts child {id} as {pid}"));
            }
            "terminate_child" => {
                let child = self
                    .state
                    .supervisors
                    .get(&sup_pid)
                    .and_then(|s| s.iter().find(|c| c.id == id))
                    .and_then(|c| c.pid);
                if let Some(pid) = child {
                    self.kill(pid, "shutdown");
                    self.event(format!("supervisor {sup} terminates child {id} ({pid})"));
                }
            }
            "delete_child" => {
                if let Some(specs) = self.state.supervisors.get_mut(&sup_pid) {
                    specs.retain(|c| c.id != id || c.pid.is_some());
                }
                self.event(format!("supervisor {sup} deletes child spec {id}"));
            }
            other => self.event(format!("apply supervisor:{other}: not modelled, no effect")),
        }
        Ok(())
    }

    /// A supervisor's code_change: re-reads the child specs of the new code (`init/1`):
    /// ids in both keep their pid, new ids are added but not started, removed ids stay.
    fn supervisor_code_change(&mut self, pid: Pid, module: &Atom) {
        let vsn = self
            .state
            .modules
            .get(module)
            .and_then(|l| l.current.clone())
            .unwrap_or_default();
        let Some(new_specs) = self
            .scenario
            .supervisors
            .get(&(module.clone(), vsn.clone()))
            .cloned()
        else {
            self.event(format!(
                "{pid}: no child specs known for {module} {vsn}; children unchanged"
            ));
            return;
        };
        let old = self.state.supervisors.remove(&pid).unwrap_or_default();
        let mut merged: Vec<ChildSpec> = new_specs
            .iter()
            .map(|(id, modules)| {
                let running = old.iter().find(|c| &c.id == id).and_then(|c| c.pid);
                ChildSpec {
                    id: id.clone(),
                    modules: modules.clone(),
                    pid: running,
                }
            })
            .collect();
        for c in &old {
            if !merged.iter().any(|m| m.id == c.id) {
                merged.push(c.clone());
            }
        }
        let added: Vec<String> = merged
            .iter()
            .filter(|c| !old.iter().any(|o| o.id == c.id))
            .map(|c| c.id.to_string())
            .collect();
        let kept: Vec<String> = old
            .iter()
            .filter(|o| !new_specs.iter().any(|(id, _)| *id == o.id))
            .map(|o| o.id.to_string())
            .collect();
        self.event(format!("{pid} re-reads its child specs ({module} {vsn}): added, not started: [{}]; removed from the specs but still running: [{}]", added.join(","), kept.join(",")));
        self.state.supervisors.insert(pid, merged);
    }
}

impl Loader for SimulatedRuntime {
    type Error = SimError;

    fn instruction(&mut self, index: usize, instruction: &LowLevel) -> Result<(), SimError> {
        if index > 0 {
            self.next_messages();
        }
        self.index = index;
        self.event(format!("{instruction}"));
        let kills: Vec<Atom> = self
            .faults
            .iter()
            .filter_map(|f| match f {
                Fault::Kill(i, name) if *i == index => Some(name.clone()),
                _ => None,
            })
            .collect();
        for name in kills {
            if let Some(pid) = self.pid_named(&name.to_term()) {
                self.event(format!("fault: {pid} ({name}) dies"));
                self.kill(pid, "killed by fault injection");
            }
        }
        if self.faulted(|f| *f == Fault::Fail(index)) {
            return Err(SimError::Injected(index));
        }
        Ok(())
    }

    fn read_object_code(
        &mut self,
        application: &Atom,
        vsn: &Term<'static>,
        modules: &[Atom],
    ) -> Result<(), SimError> {
        let v = vsn
            .as_charlist()
            .map(|s| s.into_owned())
            .unwrap_or_else(|| vsn.to_string());
        for m in modules {
            self.staged.insert(m.clone(), v.clone());
        }
        self.event(format!(
            "read object code of {application} {v}: {} module(s), nothing loaded yet",
            modules.len()
        ));
        Ok(())
    }

    fn has_old_processes(&mut self, module: &Atom) -> Result<bool, SimError> {
        let old = self.state.modules.get(module).and_then(|l| l.old.clone());
        Ok(old.is_some_and(|o| !self.executing(module, &o).is_empty()))
    }

    fn point_of_no_return(&mut self) -> Result<(), SimError> {
        self.event(
            "point of no return: from here a failure restarts the node into the old release".into(),
        );
        Ok(())
    }

    fn load(&mut self, module: &Atom) -> Result<(), SimError> {
        let vsn = self
            .staged
            .get(module)
            .cloned()
            .ok_or_else(|| SimError::NoObjectCode(module.clone()))?;
        let loaded = self
            .state
            .modules
            .get(module)
            .cloned()
            .unwrap_or(LoadedModule {
                current: None,
                old: None,
            });
        if let Some(old) = &loaded.old {
            self.kill_runners(module, old);
        }
        self.state.modules.insert(
            module.clone(),
            LoadedModule {
                current: Some(vsn.clone()),
                old: loaded.current.clone(),
            },
        );
        self.changed.push(module.clone());
        let was = loaded.current.map_or_else(
            || "not loaded before".to_string(),
            |c| format!("{c} becomes old code"),
        );
        self.event(format!("load {module} {vsn} ({was})"));
        Ok(())
    }

    fn soft_purge(&mut self, module: &Atom) -> Result<bool, SimError> {
        let Some(old) = self.state.modules.get(module).and_then(|l| l.old.clone()) else {
            return Ok(true);
        };
        let users: Vec<String> = self
            .executing(module, &old)
            .into_iter()
            .map(|pid| format!("{pid} ({})", self.name(pid)))
            .collect();
        if users.is_empty() {
            if let Some(l) = self.state.modules.get_mut(module) {
                l.old = None;
            }
            return Ok(true);
        }
        self.event(format!(
            "old code {module} {old} stays: still run by {}",
            users.join(", ")
        ));
        self.hazards.push(Hazard::SoftPurgeRefused {
            index: self.index,
            module: module.clone(),
        });
        Ok(false)
    }

    fn purge(&mut self, module: &Atom) -> Result<bool, SimError> {
        let Some(old) = self.state.modules.get(module).and_then(|l| l.old.clone()) else {
            return Ok(false);
        };
        let killed = self.kill_runners(module, &old);
        if let Some(l) = self.state.modules.get_mut(module) {
            l.old = None;
        }
        self.event(format!("purge {module}: old code {old} removed"));
        Ok(killed)
    }

    fn delete(&mut self, module: &Atom) -> Result<(), SimError> {
        if let Some(l) = self.state.modules.get_mut(module) {
            l.old = l.current.take();
        }
        self.changed.push(module.clone());
        self.event(format!("delete {module}: its current code becomes old"));
        Ok(())
    }

    fn processes_using(&mut self, module: &Atom) -> Result<Vec<Pid>, SimError> {
        let mut out = Vec::new();
        let tops: Vec<Pid> = self
            .alive()
            .filter(|(_, p)| p.top_of.is_some())
            .map(|(pid, _)| *pid)
            .collect();
        let mut stack: Vec<(Pid, bool)> = tops.into_iter().rev().map(|p| (p, true)).collect();
        while let Some((pid, top)) = stack.pop() {
            let Some(p) = self.state.processes.get(&pid) else {
                continue;
            };
            if top && p.runs.contains_key(module) {
                out.push(pid);
            }
            let Some(specs) = self.state.supervisors.get(&pid) else {
                continue;
            };
            if p.status == Status::Suspended {
                return Err(SimError::SuspendedSupervisor(pid));
            }
            for c in specs.iter().rev() {
                let Some(child) = c.pid else { continue };
                let Some(cp) = self.state.processes.get(&child) else {
                    continue;
                };
                if matches!(cp.status, Status::Dead(_)) {
                    continue;
                }
                let uses = match &c.modules {
                    ChildModules::List(l) => l.contains(module),
                    ChildModules::Dynamic => cp.runs.contains_key(module),
                };
                if uses && !out.contains(&child) {
                    out.push(child);
                }
                stack.push((child, false));
            }
        }
        Ok(out)
    }

    fn suspend(&mut self, pid: Pid, _timeout: Timeout) -> Result<(), SimError> {
        if self.faulted(|f| *f == Fault::Timeout(self.index)) {
            let name = self.name(pid);
            self.event(format!(
                "suspend {pid} ({name}) times out: left running, will not be code-changed"
            ));
            self.hazards.push(Hazard::NotSuspended {
                index: self.index,
                pid,
                name,
            });
            return Err(SimError::Timeout(self.index));
        }
        let p = self
            .state
            .processes
            .get_mut(&pid)
            .filter(|p| !matches!(p.status, Status::Dead(_)))
            .ok_or(SimError::NoProc(pid))?;
        p.status = Status::Suspended;
        let name = p.name.clone();
        self.event(format!("suspend {pid} ({name})"));
        Ok(())
    }

    fn code_change(
        &mut self,
        pid: Pid,
        module: &Atom,
        mode: CodeChangeMode,
        extra: &Term<'static>,
        _timeout: Timeout,
    ) -> Result<(), SimError> {
        let index = self.index;
        let name = self.name(pid);
        let fail = |s: &mut Self, e: SimError| {
            s.hazards.push(Hazard::CodeChangeFailed {
                index,
                pid,
                name: name.clone(),
                module: module.clone(),
                reason: e.to_string(),
            });
            s.event(format!(
                "code_change of {module} in {pid} ({name}) fails: {e}"
            ));
            Err(e)
        };
        if self.faulted(|f| *f == Fault::Timeout(index)) {
            return fail(self, SimError::Timeout(index));
        }
        let Some(p) = self.state.processes.get(&pid).cloned() else {
            return fail(self, SimError::NoProc(pid));
        };
        if p.status != Status::Suspended {
            return fail(self, SimError::NotSuspended(pid));
        }
        let current = self
            .state
            .modules
            .get(module)
            .and_then(|l| l.current.clone())
            .unwrap_or_default();
        if self.state.supervisors.contains_key(&pid) {
            self.supervisor_code_change(pid, module);
        } else {
            let up = mode == CodeChangeMode::Up;
            let old_state = p.state.clone().unwrap_or_else(|| Term::atom("undefined"));
            let matched = self
                .scenario
                .migrations
                .iter()
                .filter(|m| &m.module == module && m.up == up)
                .find_map(|m| {
                    let mut b = BTreeMap::new();
                    match_pattern(&m.pattern, &old_state, &mut b).then_some((m, b))
                });
            if let Some((m, b)) = &matched {
                let terms = substituted_size(&m.result, b);
                if terms > MAX_STATE_TERMS {
                    return fail(
                        self,
                        SimError::StateTooLarge {
                            module: module.clone(),
                            terms,
                        },
                    );
                }
            }
            let migrated = matched.map(|(m, b)| substitute(&m.result, &b));
            let Some(new_state) = migrated else {
                return fail(
                    self,
                    SimError::NoMigration {
                        module: module.clone(),
                        mode: if up { "up" } else { "down" },
                        state: old_state.to_string(),
                    },
                );
            };
            let target = if up {
                current.clone()
            } else {
                self.staged.get(module).cloned().unwrap_or_default()
            };
            let vsn_arg = if up {
                p.runs.get(module).cloned().unwrap_or_default()
            } else {
                format!("{{down,{target}}}")
            };
            self.event(format!("code_change {module} in {pid} ({name}), Vsn {vsn_arg}, Extra {extra}: state {old_state} -> {new_state}"));
            if let Some(pm) = self.state.processes.get_mut(&pid) {
                pm.state = Some(new_state);
                pm.state_vsn = Some(target);
            }
        }
        if let Some(pm) = self.state.processes.get_mut(&pid) {
            pm.runs.insert(module.clone(), current);
        }
        Ok(())
    }

    fn resume(&mut self, pid: Pid) -> Result<(), SimError> {
        let p = self
            .state
            .processes
            .get_mut(&pid)
            .filter(|p| p.status == Status::Suspended)
            .ok_or(SimError::NoProc(pid))?;
        p.status = Status::Running;
        let name = p.name.clone();
        self.event(format!("resume {pid} ({name})"));
        Ok(())
    }

    fn stop_children(&mut self, module: &Atom) -> Result<Vec<ChildRef>, SimError> {
        let using = self.processes_using(module)?;
        let mut out = Vec::new();
        for pid in using {
            let Some((sup, id)) = self
                .state
                .processes
                .get(&pid)
                .and_then(|p| p.child_of.clone())
            else {
                continue;
            };
            self.kill(pid, "shutdown");
            self.event(format!("supervisor {sup} terminates child {id} ({pid})"));
            out.push(ChildRef {
                supervisor: sup,
                id,
            });
        }
        Ok(out)
    }

    fn restart_child(&mut self, child: &ChildRef) -> Result<(), SimError> {
        let pid = self.start_child(child.supervisor, &child.id)?;
        self.event(format!(
            "supervisor {} restarts child {} as {pid}",
            child.supervisor, child.id
        ));
        Ok(())
    }

    fn apply(&mut self, mfa: &Mfa) -> Result<(), SimError> {
        match mfa.module.as_str() {
            "supervisor" => self.supervisor_apply(mfa),
            _ => {
                self.event(format!(
                    "apply {}:{}{}: not modelled, no effect on the simulated node",
                    mfa.module, mfa.function, mfa.args
                ));
                Ok(())
            }
        }
    }

    fn sync_nodes(&mut self, id: &Term<'static>, _target: &SyncTarget) -> Result<(), SimError> {
        self.event(format!(
            "sync_nodes {id}: the other nodes are not simulated"
        ));
        Ok(())
    }

    fn restart_emulator(&mut self, new_emulator: bool) -> Result<(), SimError> {
        let what = if new_emulator {
            "restart into a new emulator (new erts and core applications), then continue"
        } else {
            "restart the emulator into the new release: every process restarts"
        };
        self.event(what.to_string());
        Ok(())
    }
}
