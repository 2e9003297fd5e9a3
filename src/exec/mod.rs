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
mod simulate;

use std::collections::BTreeMap;

use serde::Serialize;

pub use loader::{ChildRef, Loader, Pid};
pub use sim::{Basis, Event, EventKind, Fault, Hazard, NodeState, SimError, SimulatedRuntime};
pub use simulate::{
    Direction, SimulateError, Simulation, describe, select_script, simulate, with_source,
};

/// The simulated node's state types.
pub mod sim_types {
    pub use super::sim::{ChildSpec, LoadedModule, MAX_STATE_TERMS, NodeState, Process, Status};
}

use crate::instr::{Atom, LowLevel, Mode, PurgeMethod, Timeout};

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
#[derive(Debug, Clone, thiserror::Error)]
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
            // release_handler collects the processes of every module of the instruction
            // (one get_supervised_procs) before it suspends any: a supervisor suspended for
            // the first module is not asked for its children again.
            let mut groups = Vec::with_capacity(modules.len());
            for item in modules {
                groups.push(loader.processes_using(&item.module)?);
            }
            for (item, pids) in modules.iter().zip(groups) {
                let timeout = options
                    .suspend_timeout
                    .or(item.timeout)
                    .unwrap_or(Timeout::Default);
                let results = loader.suspend_group(&pids, timeout);
                for (pid, result) in pids.into_iter().zip(results) {
                    match result {
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
                let pids = st.suspended.remove(m).unwrap_or_default();
                let _ = loader.resume_group(&pids);
            }
        }
        LowLevel::CodeChange { mode, changes } => {
            let mode = mode.unwrap_or(Mode::Up);
            let timeout = options.code_change_timeout.unwrap_or(Timeout::Default);
            for (module, extra) in changes {
                let pids = st.suspended.get(module).cloned().unwrap_or_default();
                let results = loader.code_change_group(&pids, module, mode, extra, timeout);
                for (pid, result) in pids.into_iter().zip(results) {
                    if let Err(e) = result {
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
