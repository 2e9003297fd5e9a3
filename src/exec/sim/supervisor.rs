//! Supervisors: starting a child from its spec, the `supervisor:*` calls an `apply` makes, and
//! a supervisor's `code_change` re-reading its child specs.

use super::*;

impl SimulatedRuntime {
    /// Starts child `id` of supervisor `sup` in the current code of its modules.
    pub(super) fn start_child(&mut self, sup: Pid, id: &Atom) -> Result<Pid, SimError> {
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
        let pid = Pid::new(self.next_pid);
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

    pub(super) fn pid_named(&self, name: &Term<'_>) -> Option<Pid> {
        let n = name.as_atom()?;
        self.alive()
            .find(|(_, p)| p.name.as_str() == n)
            .map(|(pid, _)| *pid)
    }

    pub(super) fn supervisor_apply(&mut self, mfa: &Mfa) -> Result<(), SimError> {
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
                // release_handler ignores what an apply returns: {error, not_found} and
                // {error, running} do not fail the upgrade.
                let spec = self
                    .state
                    .supervisors
                    .get(&sup_pid)
                    .and_then(|s| s.iter().find(|c| c.id == id));
                match spec.map(|c| c.pid.is_some()) {
                    Some(false) => {
                        let pid = self.start_child(sup_pid, &id)?;
                        self.event(EventKind::ChildStarted {
                            supervisor: sup.to_string(),
                            id: id.clone(),
                            pid,
                        });
                    }
                    running => self.event(EventKind::RestartChildRefused {
                        supervisor: sup.to_string(),
                        id: id.clone(),
                        reason: if running.is_some() {
                            "running"
                        } else {
                            "not_found"
                        },
                    }),
                }
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
                    self.event(EventKind::ChildTerminated {
                        supervisor: sup.to_string(),
                        id: id.clone(),
                        pid,
                    });
                }
            }
            "delete_child" => {
                if let Some(specs) = self.state.supervisors.get_mut(&sup_pid) {
                    specs.retain(|c| c.id != id || c.pid.is_some());
                }
                self.event(EventKind::ChildSpecDeleted {
                    supervisor: sup.to_string(),
                    id: id.clone(),
                });
            }
            _ => self.event(EventKind::ApplyNotModelled { mfa: mfa.clone() }),
        }
        Ok(())
    }

    /// A supervisor's code_change: re-reads the child specs of the new code (`init/1`):
    /// ids in both keep their pid, new ids are added but not started, removed ids stay.
    pub(super) fn supervisor_code_change(&mut self, pid: Pid, module: &Atom) {
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
            self.event(EventKind::NoChildSpecs {
                pid,
                module: module.clone(),
                vsn,
            });
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
        self.event(EventKind::ChildSpecsReread {
            pid,
            module: module.clone(),
            vsn,
            added,
            kept,
        });
        self.state.supervisors.insert(pid, merged);
    }
}
