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

mod event;
mod hazard;
mod runtime;
mod state;
mod supervisor;

use std::collections::BTreeMap;

use serde::Serialize;

use super::loader::{ChildRef, Loader, Pid};
use super::scenario::{
    ChildModules, LoopKind, Scenario, match_pattern, substitute, substituted_size,
};
use crate::instr::{Atom, LowLevel, Mfa, Mode, SyncTarget, Timeout};
use crate::term::Term;

pub use event::{Basis, Event, EventKind};
pub use hazard::Hazard;
pub use state::*;

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
    /// Restarts each supervisor made during the upgrade (against its intensity).
    restarts: BTreeMap<Pid, u32>,
    /// Children killed while their supervisor was suspended: `(supervisor, id, loop)`.
    pending_restarts: Vec<(Pid, Atom, LoopKind)>,
    /// Funs held in states: `(process, module, version of its code)`.
    funs: Vec<(Pid, Atom, String)>,
    /// Each process name's description in the scenario (its first, as a name is looked up
    /// for every process a suspend or a restart meets).
    spec_of: BTreeMap<Atom, usize>,
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
                .map(|i| Pid::new(80 + i as u32))
        };
        for (i, p) in scenario.processes.iter().enumerate() {
            let pid = Pid::new(80 + i as u32);
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
        let mut spec_of = BTreeMap::new();
        for (i, p) in scenario.processes.iter().enumerate() {
            spec_of.entry(p.name.clone()).or_insert(i);
        }
        let mut funs = Vec::new();
        for (i, p) in scenario.processes.iter().enumerate() {
            for m in &p.holds_funs {
                if let Some(vsn) = scenario.modules.get(m).and_then(|l| l.0.clone()) {
                    funs.push((Pid::new(80 + i as u32), m.clone(), vsn));
                }
            }
        }
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
            restarts: BTreeMap::new(),
            pending_restarts: Vec::new(),
            funs,
            spec_of,
        })
    }

    /// What `release_handler:make_permanent/1` does to the code the script left unpurged:
    /// `code:purge/1` of each `brutal_purge` module, which kills the processes still in
    /// its old code (and their supervisors restart them). `soft_purge` modules stay (the
    /// release handler retries them on a timer).
    pub fn make_permanent(&mut self, unpurged: &[(Atom, crate::instr::PurgeMethod)]) {
        for (module, method) in unpurged {
            if *method == crate::instr::PurgeMethod::BrutalPurge {
                let _ = self.purge(module);
            }
        }
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

    fn event(&mut self, kind: EventKind) {
        self.events.push(Event {
            index: Some(self.index),
            kind,
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
        self.old_code_purged(module, version);
        let victims = self.executing(module, version);
        for pid in &victims {
            let name = self.name(*pid);
            self.event(EventKind::KilledByPurge {
                pid: *pid,
                name: name.clone(),
                module: module.clone(),
                version: version.to_string(),
            });
            self.hazards.push(Hazard::KilledByPurge {
                index: self.index,
                pid: *pid,
                name,
                module: module.clone(),
                version: version.to_string(),
            });
            self.kill(*pid, &format!("killed: purged {module} {version}"));
            self.child_died(*pid);
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
                        moved.push(EventKind::MovesToCurrent {
                            pid: *pid,
                            name: p.name.clone(),
                            module: m.clone(),
                            vsn: cur.clone(),
                        });
                        *v = cur;
                    }
                }
            }
        }
        for kind in moved {
            self.event(kind);
        }
        self.track_windows(self.index);
    }
}
