//! The [`Loader`] operations on the simulated node: what each low-level instruction does to it.

use super::*;

impl Loader for SimulatedRuntime {
    type Error = SimError;

    fn instruction(&mut self, index: usize, instruction: &LowLevel) -> Result<(), SimError> {
        if index > 0 {
            self.next_messages();
        }
        self.index = index;
        self.event(EventKind::Instruction {
            instruction: instruction.clone(),
        });
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
                self.event(EventKind::FaultKill {
                    pid,
                    name: name.clone(),
                });
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
        self.event(EventKind::ReadObjectCode {
            application: application.clone(),
            vsn: v,
            modules: modules.len(),
        });
        Ok(())
    }

    fn has_old_processes(&mut self, module: &Atom) -> Result<bool, SimError> {
        let old = self.state.modules.get(module).and_then(|l| l.old.clone());
        Ok(old.is_some_and(|o| !self.executing(module, &o).is_empty()))
    }

    fn point_of_no_return(&mut self) -> Result<(), SimError> {
        self.event(EventKind::PointOfNoReturn);
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
        self.event(EventKind::Load {
            module: module.clone(),
            vsn,
            previous: loaded.current,
        });
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
            self.old_code_purged(module, &old);
            return Ok(true);
        }
        self.event(EventKind::OldCodeStays {
            module: module.clone(),
            old,
            users,
        });
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
        self.event(EventKind::Purge {
            module: module.clone(),
            old,
        });
        Ok(killed)
    }

    fn delete(&mut self, module: &Atom) -> Result<(), SimError> {
        if let Some(l) = self.state.modules.get_mut(module) {
            l.old = l.current.take();
        }
        self.changed.push(module.clone());
        self.event(EventKind::Delete {
            module: module.clone(),
        });
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
                    ChildModules::Dynamic => {
                        if !self
                            .spec_named(&cp.name)
                            .is_some_and(|s| s.answers_get_modules)
                        {
                            return Err(SimError::GetModulesFailed(child, cp.name.clone()));
                        }
                        cp.runs.contains_key(module)
                    }
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
        // A process that is not a sys process never answers sys:suspend: the call times out
        // (release_handler goes on without it).
        let not_sys = self
            .state
            .processes
            .get(&pid)
            .and_then(|p| self.spec_named(&p.name))
            .is_some_and(|s| !s.sys);
        if not_sys || self.faulted(|f| *f == Fault::Timeout(self.index)) {
            let name = self.name(pid);
            self.event(EventKind::SuspendTimeout {
                pid,
                name: name.clone(),
            });
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
        self.event(EventKind::Suspend { pid, name });
        Ok(())
    }

    fn code_change(
        &mut self,
        pid: Pid,
        module: &Atom,
        mode: Mode,
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
            s.event(EventKind::CodeChangeFailed {
                module: module.clone(),
                pid,
                name: name.clone(),
                reason: e.to_string(),
            });
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
        let declared = self
            .scenario
            .migrations
            .iter()
            .any(|m| &m.module == module && m.mode == mode);
        if self.state.supervisors.contains_key(&pid) {
            self.supervisor_code_change(pid, module);
        } else if !declared {
            // Nothing says what this code_change does (a snapshot of a live node, say): the
            // state is kept as it is, and the trace says the migration was not predicted.
            self.event(EventKind::CodeChangeNotModelled {
                module: module.clone(),
                pid,
                name: name.clone(),
            });
        } else {
            let up = mode == Mode::Up;
            let old_state = p.state.clone().unwrap_or_else(|| Term::atom("undefined"));
            let target = if up {
                current.clone()
            } else {
                self.staged.get(module).cloned().unwrap_or_default()
            };
            // What release_handler hands code_change: the -vsn of the module loaded before
            // (up) or {down, the -vsn of the one loaded now} (down); the application's
            // version where the scenario does not declare the module's.
            let module_vsn = |app_vsn: &str| {
                self.scenario
                    .module_vsns
                    .get(&(module.clone(), app_vsn.to_string()))
                    .cloned()
                    .unwrap_or_else(|| Term::string(app_vsn.to_string()))
            };
            let vsn_term = if up {
                module_vsn(&p.runs.get(module).cloned().unwrap_or_default())
            } else {
                Term::tuple(vec![Term::atom("down"), module_vsn(&target)])
            };
            let matched = self
                .scenario
                .migrations
                .iter()
                .filter(|m| &m.module == module && m.mode == mode)
                .find_map(|m| {
                    let mut b = BTreeMap::new();
                    match_pattern(&m.pattern, &old_state, &mut b).then(|| {
                        // '$vsn' in a result is the version code_change is given.
                        b.insert("$vsn".to_string(), vsn_term.clone());
                        (m, b)
                    })
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
                        mode,
                        state: old_state.to_string(),
                    },
                );
            };
            let vsn_arg = vsn_term.to_string();
            self.event(EventKind::CodeChange {
                module: module.clone(),
                pid,
                name: name.clone(),
                vsn: vsn_arg,
                extra: extra.clone(),
                old_state,
                new_state: new_state.clone(),
            });
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
        self.event(EventKind::Resume { pid, name });
        self.supervisor_resumed(pid);
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
            self.event(EventKind::ChildTerminated {
                supervisor: sup.to_string(),
                id: id.clone(),
                pid,
            });
            out.push(ChildRef {
                supervisor: sup,
                id,
            });
        }
        Ok(out)
    }

    fn restart_child(&mut self, child: &ChildRef) -> Result<(), SimError> {
        let pid = self.start_child(child.supervisor, &child.id)?;
        self.event(EventKind::ChildRestarted {
            supervisor: child.supervisor.to_string(),
            id: child.id.clone(),
            pid,
        });
        Ok(())
    }

    fn apply(&mut self, mfa: &Mfa) -> Result<(), SimError> {
        match mfa.module.as_str() {
            "supervisor" => self.supervisor_apply(mfa),
            "application" if mfa.function.as_str() == "stop" => {
                let app = mfa.args.list_items().and_then(|a| {
                    a.first()
                        .and_then(|t| t.to_term().as_atom().map(Atom::from))
                });
                if let Some(app) = app {
                    self.stop_application(&app);
                }
                Ok(())
            }
            _ => {
                self.event(EventKind::ApplyNotModelled { mfa: mfa.clone() });
                Ok(())
            }
        }
    }

    fn sync_nodes(&mut self, id: &Term<'static>, _target: &SyncTarget) -> Result<(), SimError> {
        self.event(EventKind::SyncNodes { id: id.clone() });
        Ok(())
    }

    fn restart_emulator(&mut self, new_emulator: bool) -> Result<(), SimError> {
        self.event(EventKind::RestartEmulator { new_emulator });
        Ok(())
    }
}
