//! What an operator should know before running an upgrade: the hazards the simulation finds
//! while it runs (purges that kill, data-format windows) and after (processes left on old
//! code, unsupervised users of changed modules, brutal purges at `make_permanent`).

use super::*;

/// Something an operator should know before running the upgrade.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "hazard", rename_all = "snake_case")]
pub enum Hazard {
    /// A purge kills a process that still runs old code (at instruction `index`).
    KilledByPurge {
        /// The instruction it happens at.
        index: usize,
        /// The process.
        pid: Pid,
        /// The process's name.
        name: Atom,
        /// The module concerned.
        module: Atom,
        /// The version of the module the process runs.
        version: String,
    },
    /// `make_permanent` will brutal-purge old code that this process still runs.
    KilledAtMakePermanent {
        /// The process.
        pid: Pid,
        /// The process's name.
        name: Atom,
        /// The module concerned.
        module: Atom,
        /// The version of the module the process runs.
        version: String,
    },
    /// The process uses a module the upgrade changes but no supervisor reaches it: it is
    /// never suspended nor code-changed.
    Unsupervised {
        /// The process.
        pid: Pid,
        /// The process's name.
        name: Atom,
        /// The module concerned.
        module: Atom,
    },
    /// After the upgrade the process still runs a version that is not current.
    LeftOnOldCode {
        /// The process.
        pid: Pid,
        /// The process's name.
        name: Atom,
        /// The module concerned.
        module: Atom,
        /// The version of the module the process runs.
        version: String,
    },
    /// `soft_purge` refused: processes still run the old code of the module.
    SoftPurgeRefused {
        /// The instruction it happens at.
        index: usize,
        /// The module concerned.
        module: Atom,
    },
    /// A suspend failed or timed out: the process was not suspended nor code-changed.
    NotSuspended {
        /// The instruction it happens at.
        index: usize,
        /// The process.
        pid: Pid,
        /// The process's name.
        name: Atom,
    },
    /// `code_change` failed.
    CodeChangeFailed {
        /// The instruction it happens at.
        index: usize,
        /// The process.
        pid: Pid,
        /// The process's name.
        name: Atom,
        /// The module concerned.
        module: Atom,
        /// Why code_change failed.
        reason: String,
    },
    /// Between instructions `from` and `to` the running process can call `library` in a
    /// version whose data format differs from its state's.
    DataFormatWindow {
        /// The first instruction of the window.
        from: usize,
        /// The last instruction of the window.
        to: usize,
        /// The process.
        pid: Pid,
        /// The process's name.
        name: Atom,
        /// The library the process may call.
        library: Atom,
        /// The version its state's data format belongs to.
        state_vsn: String,
        /// The library's version in the window.
        library_vsn: String,
    },
    /// The process holds a fun of code that a purge removed: it survives the purge (OTP 25
    /// does not count funs as uses of old code), but calling the fun fails with `badfun`.
    FunOfPurgedCode {
        /// The instruction of the purge.
        index: usize,
        /// The process.
        pid: Pid,
        /// The process's name.
        name: Atom,
        /// The module whose code the fun belongs to.
        module: Atom,
        /// The version purged.
        version: String,
    },
}

impl SimulatedRuntime {
    /// The old code of `module` at `version` is gone: processes holding funs of it are told.
    pub(super) fn old_code_purged(&mut self, module: &Atom, version: &str) {
        let holders: Vec<Pid> = self
            .funs
            .iter()
            .filter(|(_, m, v)| m == module && v == version)
            .map(|(pid, _, _)| *pid)
            .filter(|pid| {
                self.state
                    .processes
                    .get(pid)
                    .is_some_and(|p| !matches!(p.status, Status::Dead(_)))
            })
            .collect();
        for pid in holders {
            let name = self.name(pid);
            self.hazards.push(Hazard::FunOfPurgedCode {
                index: self.index,
                pid,
                name,
                module: module.clone(),
                version: version.to_string(),
            });
        }
    }

    pub(super) fn track_windows(&mut self, at: usize) {
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
    pub(super) fn reachable(&self) -> Vec<Pid> {
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

    pub(super) fn faulted(&self, f: impl Fn(&Fault) -> bool) -> bool {
        self.faults.iter().any(f)
    }
}

impl Hazard {
    /// What this hazard rests on.
    pub fn basis(&self) -> super::Basis {
        match self {
            Hazard::DataFormatWindow { .. } => super::Basis::Declared("calls, data_format_changes"),
            Hazard::CodeChangeFailed { .. } => super::Basis::Declared("migration"),
            Hazard::FunOfPurgedCode { .. } => super::Basis::Declared("holds_fun"),
            _ => super::Basis::OtpRule,
        }
    }
}
