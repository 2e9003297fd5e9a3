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

    /// The scenario's description of the process named `name` (restarted processes keep
    /// their name).
    pub(super) fn spec_named(&self, name: &Atom) -> Option<&crate::exec::scenario::ProcessSpec> {
        self.scenario.processes.get(*self.spec_of.get(name)?)
    }

    /// A supervised process died abnormally (a purge killed it): its supervisor restarts it
    /// by its restart type, at once if the supervisor runs, or when it is resumed (a
    /// suspended supervisor handles the exit afterwards).
    pub(super) fn child_died(&mut self, pid: Pid) {
        let Some(p) = self.state.processes.get(&pid).cloned() else {
            return;
        };
        let Some((sup, id)) = p.child_of.clone() else {
            return;
        };
        let restart = self
            .spec_named(&p.name)
            .map(|s| s.restart)
            .unwrap_or_default();
        if restart == crate::exec::scenario::Restart::Temporary {
            return;
        }
        match self.state.processes.get(&sup).map(|s| s.status.clone()) {
            Some(Status::Running) => self.restart_after_exit(sup, &id, p.loop_kind),
            Some(Status::Suspended) => self.pending_restarts.push((sup, id, p.loop_kind)),
            _ => {}
        }
    }

    /// The restarts a supervisor owes, now that it runs again.
    pub(super) fn supervisor_resumed(&mut self, sup: Pid) {
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_restarts)
            .into_iter()
            .partition(|(s, _, _)| *s == sup);
        self.pending_restarts = later;
        for (sup, id, loop_kind) in now {
            self.restart_after_exit(sup, &id, loop_kind);
        }
    }

    /// One restart, counted against the supervisor's intensity: past it the supervisor
    /// terminates its children and itself (`reached_max_restart_intensity`).
    fn restart_after_exit(&mut self, sup: Pid, id: &Atom, loop_kind: LoopKind) {
        let count = {
            let c = self.restarts.entry(sup).or_insert(0);
            *c += 1;
            *c
        };
        let sup_name = self.name(sup);
        let intensity = self.spec_named(&sup_name).map_or(1, |s| s.intensity);
        if count > intensity {
            let children: Vec<Pid> = self
                .state
                .supervisors
                .get(&sup)
                .map(|specs| specs.iter().filter_map(|c| c.pid).collect())
                .unwrap_or_default();
            for child in children {
                self.kill(child, "shutdown");
            }
            self.kill(sup, "reached_max_restart_intensity");
            self.event(EventKind::SupervisorGaveUp {
                pid: sup,
                name: sup_name,
                restarts: count,
            });
            return;
        }
        if let Ok(pid) = self.start_child(sup, id) {
            if let Some(p) = self.state.processes.get_mut(&pid) {
                p.loop_kind = loop_kind;
            }
            self.event(EventKind::ChildRestarted {
                supervisor: sup_name.to_string(),
                id: id.clone(),
                pid,
            });
        }
    }

    /// `application:stop(App)`: its top supervisor and every process under it end
    /// (`shutdown`); processes outside the tree are untouched.
    pub(super) fn stop_application(&mut self, app: &Atom) {
        let tops: Vec<Pid> = self
            .alive()
            .filter(|(_, p)| p.top_of.as_ref() == Some(app))
            .map(|(pid, _)| *pid)
            .collect();
        // Each live process under its supervisor, in one pass.
        let mut children: BTreeMap<Pid, Vec<Pid>> = BTreeMap::new();
        for (pid, p) in self.alive() {
            if let Some((sup, _)) = &p.child_of {
                children.entry(*sup).or_default().push(*pid);
            }
        }
        let mut ended = 0;
        let mut stack = tops;
        let mut seen = std::collections::BTreeSet::new();
        while let Some(pid) = stack.pop() {
            if !seen.insert(pid) {
                continue;
            }
            stack.extend(children.get(&pid).into_iter().flatten().copied());
            self.kill(pid, "shutdown");
            ended += 1;
        }
        self.event(EventKind::ApplicationStopped {
            application: app.clone(),
            processes: ended,
        });
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
