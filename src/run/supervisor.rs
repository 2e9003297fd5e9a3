//! The supervisor's loop: one thread reacts to signals, readiness and exits (all arriving on
//! one channel) and to its own deadlines (ready timeout, drain timeout, restart delay).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::event::{Event, Role, StartReason, UpgradeFailure};
use super::instance::{Instance, Launch, Msg};
use super::{RunError, RunOptions, Sockets};

const MAX_RESTART_DELAY: Duration = Duration::from_secs(30);

enum State {
    Current,
    Starting { deadline: Instant },
    Draining { deadline: Instant, killed: bool },
}

impl State {
    fn role(&self) -> Role {
        match self {
            State::Current => Role::Current,
            State::Starting { .. } => Role::Starting,
            State::Draining { .. } => Role::Draining,
        }
    }
}

struct Supervisor<'a> {
    opts: &'a RunOptions,
    launch: Launch<'a>,
    tx: Sender<Msg>,
    instances: Vec<(Instance, State)>,
    next_id: u64,
    restart_at: Option<Instant>,
    restart_delay: Duration,
    stopping: bool,
    emit: &'a mut dyn FnMut(&Event),
}

/// Supervises the command on the sockets until `SIGTERM` or `SIGINT` (handled here for the
/// whole process, with `SIGHUP`, while this runs) has stopped every instance. Each transition
/// is passed to `on_event`.
pub fn supervise(
    opts: &RunOptions,
    sockets: &Sockets,
    on_event: &mut dyn FnMut(&Event),
) -> Result<(), RunError> {
    if opts.command.is_empty() {
        return Err(RunError::NoCommand);
    }
    let notify_dir = NotifyDir::create().map_err(RunError::Setup)?;
    let mut signals = Signals::new([SIGHUP, SIGTERM, SIGINT]).map_err(RunError::Setup)?;
    let signals_handle = signals.handle();
    let (tx, rx) = channel();
    let signal_tx = tx.clone();
    let signal_thread = std::thread::spawn(move || {
        for s in signals.forever() {
            if signal_tx.send(Msg::Signal(s)).is_err() {
                break;
            }
        }
    });
    for b in sockets.bound() {
        on_event(&Event::listening(b));
    }
    let mut sup = Supervisor {
        opts,
        launch: Launch {
            opts,
            listen_fds: sockets.len(),
            fd_names: sockets.names(),
            notify_dir: &notify_dir.0,
        },
        tx,
        instances: Vec::new(),
        next_id: 1,
        restart_at: None,
        restart_delay: opts.restart_delay,
        stopping: false,
        emit: on_event,
    };
    let result = match sup.start(StartReason::Initial) {
        Ok(()) => {
            sup.run(&rx);
            Ok(())
        }
        Err(e) => Err(RunError::Spawn {
            command: opts.command[0].to_string_lossy().into_owned(),
            source: e,
        }),
    };
    signals_handle.close();
    let _ = signal_thread.join();
    result
}

impl Supervisor<'_> {
    fn run(&mut self, rx: &Receiver<Msg>) {
        loop {
            if self.stopping && self.instances.is_empty() {
                (self.emit)(&Event::Stopped);
                return;
            }
            let wait = self
                .next_deadline()
                .map_or(Duration::from_secs(1), |d| {
                    d.saturating_duration_since(Instant::now())
                })
                .min(Duration::from_secs(1));
            match rx.recv_timeout(wait) {
                Ok(Msg::Signal(SIGHUP)) => self.upgrade(),
                Ok(Msg::Signal(s)) => self.stop(if s == SIGINT { "SIGINT" } else { "SIGTERM" }),
                Ok(Msg::Ready(id)) => self.ready(id),
                Ok(Msg::Exited(id, ending)) => self.exited(id, ending),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            self.deadlines();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let states = self.instances.iter().filter_map(|(_, s)| match s {
            State::Starting { deadline } => Some(*deadline),
            State::Draining {
                deadline,
                killed: false,
            } => Some(*deadline),
            _ => None,
        });
        states.chain(self.restart_at).min()
    }

    fn start(&mut self, reason: StartReason) -> std::io::Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        let inst = Instance::start(id, &self.launch, &self.tx)?;
        (self.emit)(&Event::Started {
            instance: id,
            pid: inst.pid,
            reason,
        });
        let state = match reason {
            StartReason::Upgrade => State::Starting {
                deadline: Instant::now() + self.opts.ready_timeout,
            },
            _ => State::Current,
        };
        self.instances.push((inst, state));
        Ok(())
    }

    fn upgrade(&mut self) {
        if self.stopping {
            return;
        }
        let busy = self.instances.iter().find_map(|(i, s)| match s {
            State::Starting { .. } => Some(i.id),
            _ => None,
        });
        if let Some(instance) = busy {
            (self.emit)(&Event::UpgradeBusy { instance });
            return;
        }
        if let Err(e) = self.start(StartReason::Upgrade) {
            (self.emit)(&Event::UpgradeFailed {
                instance: 0,
                reason: UpgradeFailure::Spawn {
                    message: e.to_string(),
                },
            });
        }
    }

    fn stop(&mut self, signal: &'static str) {
        if self.stopping {
            // A second ^C: no more waiting.
            for (inst, state) in &mut self.instances {
                if let State::Draining { killed, .. } = state {
                    if !*killed {
                        inst.kill();
                        *killed = true;
                    }
                }
            }
            return;
        }
        self.stopping = true;
        self.restart_at = None;
        (self.emit)(&Event::Stopping { signal });
        for i in 0..self.instances.len() {
            self.drain(i);
        }
    }

    fn drain(&mut self, index: usize) {
        let drain = self.opts.drain_timeout;
        let (inst, state) = &mut self.instances[index];
        if matches!(state, State::Draining { .. }) {
            return;
        }
        inst.terminate();
        *state = State::Draining {
            deadline: Instant::now() + drain,
            killed: false,
        };
        let event = Event::Draining {
            instance: inst.id,
            pid: inst.pid,
            deadline_ms: drain.as_millis() as u64,
        };
        (self.emit)(&event);
    }

    fn ready(&mut self, id: u64) {
        let Some(index) = self.instances.iter().position(|(i, _)| i.id == id) else {
            return;
        };
        let (inst, state) = &mut self.instances[index];
        if matches!(state, State::Draining { .. }) {
            return;
        }
        let was_starting = matches!(state, State::Starting { .. });
        *state = State::Current;
        let event = Event::Ready {
            instance: id,
            pid: inst.pid,
            after_ms: inst.started.elapsed().as_millis() as u64,
        };
        (self.emit)(&event);
        self.restart_delay = self.opts.restart_delay;
        if !was_starting {
            return;
        }
        let old: Vec<usize> = (0..self.instances.len())
            .filter(|&j| j != index && matches!(self.instances[j].1, State::Current))
            .collect();
        (self.emit)(&Event::Upgraded {
            instance: id,
            replaced: old.last().map(|&j| self.instances[j].0.id),
        });
        for j in old {
            self.drain(j);
        }
    }

    fn exited(&mut self, id: u64, ending: super::Ending) {
        let Some(index) = self.instances.iter().position(|(i, _)| i.id == id) else {
            return;
        };
        let (inst, state) = self.instances.remove(index);
        let role = state.role();
        (self.emit)(&Event::Exited {
            instance: id,
            pid: inst.pid,
            role,
            ending,
        });
        drop(inst);
        if role == Role::Starting {
            (self.emit)(&Event::UpgradeFailed {
                instance: id,
                reason: UpgradeFailure::Exited { ending },
            });
        }
        self.restart_if_nothing_serves();
    }

    /// With no instance serving or about to, a new one is started after the restart delay.
    fn restart_if_nothing_serves(&mut self) {
        let covered = self
            .instances
            .iter()
            .any(|(_, s)| matches!(s, State::Current | State::Starting { .. }));
        if self.stopping || covered || self.restart_at.is_some() {
            return;
        }
        let delay = self.restart_delay;
        self.restart_delay = (delay * 2).min(MAX_RESTART_DELAY);
        self.restart_at = Some(Instant::now() + delay);
        (self.emit)(&Event::Restarting {
            after_ms: delay.as_millis() as u64,
        });
    }

    fn deadlines(&mut self) {
        let now = Instant::now();
        if self.restart_at.is_some_and(|t| t <= now) {
            self.restart_at = None;
            if self.start(StartReason::Restart).is_err() {
                self.restart_if_nothing_serves();
            }
        }
        let timeout_ms = self.opts.ready_timeout.as_millis() as u64;
        for index in 0..self.instances.len() {
            let (inst, state) = &mut self.instances[index];
            match state {
                State::Starting { deadline } if *deadline <= now => {
                    let event = Event::UpgradeFailed {
                        instance: inst.id,
                        reason: UpgradeFailure::NotReady { timeout_ms },
                    };
                    (self.emit)(&event);
                    self.drain(index);
                }
                State::Draining {
                    deadline,
                    killed: killed @ false,
                } if *deadline <= now => {
                    inst.kill();
                    *killed = true;
                    let event = Event::Killed {
                        instance: inst.id,
                        pid: inst.pid,
                    };
                    (self.emit)(&event);
                }
                _ => {}
            }
        }
        self.restart_if_nothing_serves();
    }
}

/// A private directory (mode 0700) for the instances' notify sockets, removed at the end.
struct NotifyDir(PathBuf);

impl NotifyDir {
    fn create() -> std::io::Result<NotifyDir> {
        use std::os::unix::fs::DirBuilderExt;
        let mut attempt = 0;
        loop {
            let name = format!("relup-run-{}", crate::plan::unguessable_suffix(attempt));
            let dir = std::env::temp_dir().join(name);
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(NotifyDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for NotifyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
