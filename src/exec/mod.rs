//! Running a low-level script with `release_handler`'s semantics
//! (`release_handler_1:eval_script/5`) against any [`Loader`]:
//!
//! 1. the soft_purge pre-check: a `load`/`remove` whose PrePurge is `soft_purge` on a module
//!    whose old code is still run fails with `{old_processes, Mod}` before anything runs;
//! 2. the part before `point_of_no_return` runs (reading object code changes nothing on the
//!    node; a failure there is returned and the node keeps running as it was);
//! 3. the part after it is syntax-checked before any of it runs
//!    (`illegal_instruction_after_point_of_no_return`);
//! 4. it runs; a failure is reported with its index and OTP's consequence (the node restarts
//!    into the old permanent release); `restart_emulator` ends evaluation.
//!
//! The result lists the modules left unpurged with their PostPurge method.

mod loader;
pub mod scenario;
mod sim;

use std::collections::BTreeMap;

use serde::Serialize;

pub use loader::{ChildRef, Loader, Pid};
pub use sim::{Event, Fault, Hazard, NodeState, SimError, SimulatedRuntime};

/// The simulated node's state types.
pub mod sim_types {
    pub use super::sim::{ChildSpec, LoadedModule, NodeState, Process, Status};
}

use crate::instr::{Atom, CodeChangeMode, LowLevel, PurgeMethod, Timeout};

/// `install_release` options that change evaluation.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecOptions {
    /// `{suspend_timeout, T}`: overrides every suspend timeout.
    pub suspend_timeout: Option<Timeout>,
    /// `{code_change_timeout, T}`: the timeout of every `sys:change_code`.
    pub code_change_timeout: Option<Timeout>,
}

/// What a successful evaluation did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Modules whose old code is still in use, with their PostPurge method (`soft_purge`: the
    /// release handler retries every 10 s; `brutal_purge`: purged at `make_permanent`).
    pub unpurged: Vec<(Atom, PurgeMethod)>,
    /// Processes that could not be suspended (left running, not code-changed).
    pub not_suspended: Vec<(Atom, Pid)>,
    /// True when `restart_emulator` ended the script (the node reboots into the new release).
    pub restarted: bool,
    /// How many instructions ran.
    pub instructions_run: usize,
}

/// Why an evaluation stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExecError<E: std::error::Error + 'static> {
    /// `{error, {old_processes, Mod}}`: the soft_purge pre-check refused; nothing ran.
    #[error(
        "{module} still has processes in old code and its PrePurge is soft_purge: nothing was done"
    )]
    OldProcesses {
        /// The module.
        module: Atom,
    },
    /// A failure before `point_of_no_return`: `install_release` returns `{error, Reason}` and
    /// the node keeps running the old release unchanged.
    #[error("instruction {index} failed before point_of_no_return; the node is unchanged")]
    BeforePointOfNoReturn {
        /// The instruction's index in the script.
        index: usize,
        /// What failed.
        #[source]
        source: E,
    },
    /// An instruction release_handler does not accept after `point_of_no_return`; detected
    /// before any of that part runs, so the node is unchanged.
    #[error(
        "instruction {index} ({instruction}) is not allowed after point_of_no_return; the node is unchanged"
    )]
    IllegalAfterPointOfNoReturn {
        /// The instruction's index.
        index: usize,
        /// The instruction.
        instruction: Box<LowLevel>,
    },
    /// `restart_new_emulator` anywhere but first: `{error, restart_new_emulator}` before the
    /// point of no return.
    #[error("restart_new_emulator at {index}: it is only honoured as the first instruction")]
    MisplacedRestartNewEmulator {
        /// The instruction's index.
        index: usize,
    },
    /// A failure after `point_of_no_return`: the node restarts (`init:restart()`) into the
    /// old permanent release; whatever ran before stays lost.
    #[error(
        "instruction {index} failed after point_of_no_return: the node restarts into the old permanent release"
    )]
    AfterPointOfNoReturn {
        /// The instruction's index.
        index: usize,
        /// What failed.
        #[source]
        source: E,
    },
    /// `{code_change_failed, Pid, Mod, Vsn, Reason}` after the point of no return.
    #[error(
        "code_change of {module} failed in {pid} at instruction {index}: the node restarts into the old permanent release"
    )]
    CodeChangeFailed {
        /// The instruction's index.
        index: usize,
        /// The process.
        pid: Pid,
        /// The module.
        module: Atom,
        /// Why.
        #[source]
        source: E,
    },
}

impl<E: std::error::Error + 'static> ExecError<E> {
    /// True when the node is left exactly as it was before the script.
    pub fn node_unchanged(&self) -> bool {
        !matches!(
            self,
            ExecError::AfterPointOfNoReturn { .. } | ExecError::CodeChangeFailed { .. }
        )
    }
}

/// Evaluates `script` against `loader` as `release_handler` does.
///
/// # Errors
/// See [`ExecError`]: which part failed decides what happened to the node.
pub fn execute<L: Loader>(
    script: &[LowLevel],
    loader: &mut L,
    options: &ExecOptions,
) -> Result<Report, ExecError<L::Error>> {
    check_old_processes(script, loader)?;
    let ponr = script
        .iter()
        .position(|i| *i == LowLevel::PointOfNoReturn)
        .unwrap_or(0);
    let mut state = EvalState::default();
    for (index, instr) in script.iter().enumerate().take(ponr) {
        let first_new_emulator = index == 0 && *instr == LowLevel::RestartNewEmulator;
        if *instr == LowLevel::RestartNewEmulator && !first_new_emulator {
            return Err(ExecError::MisplacedRestartNewEmulator { index });
        }
        let step = loader.instruction(index, instr).and_then(|()| {
            if first_new_emulator {
                loader.restart_emulator(true).map(|()| Flow::Next)
            } else {
                eval(instr, loader, options, &mut state)
            }
        });
        step.map_err(|source| ExecError::BeforePointOfNoReturn { index, source })?;
        state.run += 1;
    }
    for (index, instr) in script.iter().enumerate().skip(ponr) {
        if !allowed_after_ponr(instr) {
            return Err(ExecError::IllegalAfterPointOfNoReturn {
                index,
                instruction: Box::new(instr.clone()),
            });
        }
    }
    for (index, instr) in script.iter().enumerate().skip(ponr) {
        loader
            .instruction(index, instr)
            .map_err(|source| ExecError::AfterPointOfNoReturn { index, source })?;
        let flow = match eval(instr, loader, options, &mut state) {
            Ok(flow) => flow,
            Err(source) => {
                return Err(match state.code_change_failure.take() {
                    Some((pid, module)) => ExecError::CodeChangeFailed {
                        index,
                        pid,
                        module,
                        source,
                    },
                    None => ExecError::AfterPointOfNoReturn { index, source },
                });
            }
        };
        state.run += 1;
        if flow == Flow::Restart {
            return Ok(state.report(true));
        }
    }
    Ok(state.report(false))
}

/// Step 1: `{old_processes, Mod}` for soft-purged loads and removes of modules in use.
fn check_old_processes<L: Loader>(
    script: &[LowLevel],
    loader: &mut L,
) -> Result<(), ExecError<L::Error>> {
    for (index, instr) in script.iter().enumerate() {
        if let LowLevel::Load {
            module,
            pre_purge: PurgeMethod::SoftPurge,
            ..
        }
        | LowLevel::Remove {
            module,
            pre_purge: PurgeMethod::SoftPurge,
            ..
        } = instr
        {
            let busy = loader
                .has_old_processes(module)
                .map_err(|source| ExecError::BeforePointOfNoReturn { index, source })?;
            if busy {
                return Err(ExecError::OldProcesses {
                    module: module.clone(),
                });
            }
        }
    }
    Ok(())
}

/// `release_handler_1:check_script/1`'s list of what may follow the point of no return.
fn allowed_after_ponr(i: &LowLevel) -> bool {
    !matches!(
        i,
        LowLevel::LoadObjectCode { .. }
            | LowLevel::RestartNewEmulator
            | LowLevel::Restart
            | LowLevel::Reboot
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Next,
    Restart,
}

/// What evaluation remembers between instructions.
#[derive(Default)]
struct EvalState {
    suspended: BTreeMap<Atom, Vec<Pid>>,
    stopped: BTreeMap<Atom, Vec<ChildRef>>,
    unpurged: Vec<(Atom, PurgeMethod)>,
    not_suspended: Vec<(Atom, Pid)>,
    code_change_failure: Option<(Pid, Atom)>,
    run: usize,
}

impl EvalState {
    fn report(self, restarted: bool) -> Report {
        Report {
            unpurged: self.unpurged,
            not_suspended: self.not_suspended,
            restarted,
            instructions_run: self.run,
        }
    }

    /// After a load or remove: soft-purge the old code, or remember it as unpurged.
    fn after_load<L: Loader>(
        &mut self,
        loader: &mut L,
        module: &Atom,
        post: PurgeMethod,
    ) -> Result<(), L::Error> {
        let purged = loader.soft_purge(module)?;
        self.unpurged.retain(|(m, _)| m != module);
        if !purged {
            self.unpurged.push((module.clone(), post));
        }
        Ok(())
    }
}

fn eval<L: Loader>(
    instr: &LowLevel,
    loader: &mut L,
    options: &ExecOptions,
    st: &mut EvalState,
) -> Result<Flow, L::Error> {
    match instr {
        LowLevel::LoadObjectCode {
            application,
            vsn,
            modules,
        } => loader.read_object_code(application, vsn, modules)?,
        LowLevel::PointOfNoReturn => loader.point_of_no_return()?,
        LowLevel::Load {
            module, post_purge, ..
        } => {
            loader.load(module)?;
            st.after_load(loader, module, *post_purge)?;
        }
        LowLevel::Remove {
            module, post_purge, ..
        } => {
            loader.purge(module)?;
            loader.delete(module)?;
            st.after_load(loader, module, *post_purge)?;
        }
        LowLevel::Purge { modules } => {
            for m in modules {
                loader.purge(m)?;
            }
        }
        LowLevel::Suspend { modules } => {
            for item in modules {
                let timeout = options
                    .suspend_timeout
                    .or(item.timeout)
                    .unwrap_or(Timeout::Default);
                for pid in loader.processes_using(&item.module)? {
                    match loader.suspend(pid, timeout) {
                        Ok(()) => st
                            .suspended
                            .entry(item.module.clone())
                            .or_default()
                            .push(pid),
                        // OTP ignores a failed suspend: the process is left running, unchanged.
                        Err(_) => st.not_suspended.push((item.module.clone(), pid)),
                    }
                }
            }
        }
        LowLevel::Resume { modules } => {
            for m in modules {
                for pid in st.suspended.remove(m).unwrap_or_default() {
                    let _ = loader.resume(pid);
                }
            }
        }
        LowLevel::CodeChange { mode, changes } => {
            let mode = mode.unwrap_or(CodeChangeMode::Up);
            let timeout = options.code_change_timeout.unwrap_or(Timeout::Default);
            for (module, extra) in changes {
                for pid in st.suspended.get(module).cloned().unwrap_or_default() {
                    if let Err(e) = loader.code_change(pid, module, mode, extra, timeout) {
                        st.code_change_failure = Some((pid, module.clone()));
                        return Err(e);
                    }
                }
            }
        }
        LowLevel::Stop { modules } => {
            for m in modules {
                let children = loader.stop_children(m)?;
                st.stopped.entry(m.clone()).or_default().extend(children);
            }
        }
        LowLevel::Start { modules } => {
            for m in modules {
                for child in st.stopped.remove(m).unwrap_or_default() {
                    let _ = loader.restart_child(&child);
                }
            }
        }
        LowLevel::SyncNodes { id, target } => loader.sync_nodes(id, target)?,
        LowLevel::Apply { mfa } => loader.apply(mfa)?,
        LowLevel::RestartEmulator => {
            loader.restart_emulator(false)?;
            return Ok(Flow::Restart);
        }
        // Only reachable before the point of no return (checked after it); evaluating them
        // there is what release_handler does with an unknown instruction: nothing.
        LowLevel::RestartNewEmulator | LowLevel::Restart | LowLevel::Reboot => {}
    }
    Ok(Flow::Next)
}

/// The outcome of simulating an upgrade on a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    /// `up` or `down`, and the versions.
    pub direction: String,
    /// The report, or why evaluation stopped.
    pub outcome: Result<Report, String>,
    /// True when the node ends exactly as it started (a failure before the point of no
    /// return).
    pub node_unchanged: bool,
    /// Everything that happened.
    pub events: Vec<Event>,
    /// What an operator should know.
    pub hazards: Vec<Hazard>,
    /// The node afterwards.
    pub final_state: sim::NodeState,
}

/// Why no script can be simulated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimulateError {
    /// `{no_matching_relup, ToVsn, CurrentVsn}` (release_handler's lookup, §4.2).
    #[error("the relup has no script from {current} to {to} (release_handler: no_matching_relup)")]
    NoMatchingRelup {
        /// The version asked for.
        to: String,
        /// The version the node runs.
        current: String,
    },
}

/// Picks the script as `release_handler:install_release` does: the relup of the target
/// release with an upgrade entry for the current version, else the current release's relup
/// with a downgrade entry for the target.
///
/// # Errors
/// No matching entry.
pub fn select_script<'r>(
    relup: &'r crate::files::Relup,
    current: &str,
    to: &str,
) -> Result<(&'r [LowLevel], String), SimulateError> {
    if relup.vsn == to {
        if let Some(e) = relup.up.iter().find(|e| e.vsn == current) {
            return Ok((&e.instructions, format!("up from {current} to {to}")));
        }
    }
    if relup.vsn == current {
        if let Some(e) = relup.down.iter().find(|e| e.vsn == to) {
            return Ok((&e.instructions, format!("down from {current} to {to}")));
        }
    }
    Err(SimulateError::NoMatchingRelup {
        to: to.to_string(),
        current: current.to_string(),
    })
}

/// Runs `script` on the simulated node and analyses the result.
pub fn simulate(
    mut node: SimulatedRuntime,
    script: &[LowLevel],
    direction: String,
    options: &ExecOptions,
) -> Simulation {
    let before = node.state().clone();
    let result = execute(script, &mut node, options);
    let (outcome, unpurged) = match result {
        Ok(report) => {
            let unpurged = report.unpurged.clone();
            (Ok(report), unpurged)
        }
        Err(e) => (
            Err(format!(
                "{e}{}",
                std::error::Error::source(&e)
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            )),
            Vec::new(),
        ),
    };
    if outcome.is_ok() {
        node.finish(&unpurged);
    }
    let node_unchanged = *node.state() == before;
    Simulation {
        direction,
        outcome,
        node_unchanged,
        events: node.events().to_vec(),
        hazards: node.hazards().to_vec(),
        final_state: node.state().clone(),
    }
}

impl Simulation {
    /// The trace, hazards and final state in words.
    pub fn render(&self) -> String {
        let mut out = format!("simulating {}\n\ntrace:\n", self.direction);
        for e in &self.events {
            match e.index {
                Some(i) => out.push_str(&format!("  [{i:>2}] {}\n", e.text)),
                None => out.push_str(&format!("       {}\n", e.text)),
            }
        }
        out.push_str(&match &self.outcome {
            Ok(r) => {
                let unpurged: Vec<String> = r
                    .unpurged
                    .iter()
                    .map(|(m, p)| format!("{m} ({})", p.atom()))
                    .collect();
                format!(
                    "\nresult: ok, {} instructions; old code left unpurged: {}{}\n",
                    r.instructions_run,
                    if unpurged.is_empty() {
                        "none".to_string()
                    } else {
                        unpurged.join(", ")
                    },
                    if r.restarted {
                        "; the emulator restarts"
                    } else {
                        ""
                    }
                )
            }
            Err(e) if self.node_unchanged => format!(
                "\nresult: failed: {e}\nthe node is left as it was (nothing ran past the point of no return)\n"
            ),
            Err(e) => format!(
                "\nresult: failed: {e}\nthe final state below is the node when evaluation stopped, before that restart\n"
            ),
        });
        out.push_str("\nhazards:\n");
        if self.hazards.is_empty() {
            out.push_str("  none\n");
        }
        for h in &self.hazards {
            out.push_str(&format!("  - {}\n", describe(h)));
        }
        out.push_str("\nfinal state:\n");
        for (m, l) in &self.final_state.modules {
            out.push_str(&format!(
                "  module {m}: current {}, old {}\n",
                l.current.as_deref().unwrap_or("none"),
                l.old.as_deref().unwrap_or("none")
            ));
        }
        for (pid, p) in &self.final_state.processes {
            let runs: Vec<String> = p.runs.iter().map(|(m, v)| format!("{m} {v}")).collect();
            let state = p
                .state
                .as_ref()
                .map_or(String::new(), |s| format!(", state {s}"));
            out.push_str(&format!(
                "  process {pid} {}: {}, runs [{}]{state}\n",
                p.name,
                p.status,
                runs.join(", ")
            ));
        }
        for (pid, specs) in &self.final_state.supervisors {
            let specs: Vec<String> = specs
                .iter()
                .map(|c| {
                    format!(
                        "{} ({})",
                        c.id,
                        c.pid.map_or("not running".to_string(), |p| p.to_string())
                    )
                })
                .collect();
            out.push_str(&format!(
                "  supervisor {pid} children: {}\n",
                specs.join(", ")
            ));
        }
        out
    }
}

/// A hazard in words.
pub fn describe(h: &Hazard) -> String {
    match h {
        Hazard::KilledByPurge {
            index,
            pid,
            name,
            module,
            version,
        } => format!(
            "instruction {index} kills {pid} ({name}): it still runs {module} {version}, whose old code is purged"
        ),
        Hazard::KilledAtMakePermanent {
            pid,
            name,
            module,
            version,
        } => format!(
            "make_permanent will kill {pid} ({name}): it still runs {module} {version} (brutal_purge)"
        ),
        Hazard::Unsupervised { pid, name, module } => format!(
            "{pid} ({name}) uses the changed module {module} but no supervisor reaches it: never suspended, never migrated"
        ),
        Hazard::LeftOnOldCode {
            pid,
            name,
            module,
            version,
        } => format!(
            "{pid} ({name}) is left running {module} {version}, which is not the current code"
        ),
        Hazard::SoftPurgeRefused { index, module } => format!(
            "instruction {index}: soft purge of {module} refused, processes still run its old code"
        ),
        Hazard::NotSuspended { index, pid, name } => format!(
            "instruction {index}: {pid} ({name}) could not be suspended and is not code-changed"
        ),
        Hazard::CodeChangeFailed {
            index,
            pid,
            name,
            module,
            reason,
        } => format!(
            "instruction {index}: code_change of {module} in {pid} ({name}) fails: {reason}"
        ),
        Hazard::DataFormatWindow {
            from,
            to,
            pid,
            name,
            library,
            state_vsn,
            library_vsn,
        } => format!(
            "from instruction {from} to {to}, {pid} ({name}) runs with state of {state_vsn} while {library} is {library_vsn}: it can call the new library with old data (declare {library} in its DepMods to close the window)"
        ),
    }
}
