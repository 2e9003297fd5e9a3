//! What `relup run` reports: one event per transition of an instance or of the supervisor,
//! as a log line for people and as a JSON line (`--json`) for tools.

use serde::Serialize;

use super::listen::Bound;

/// Why an instance was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartReason {
    /// The first instance.
    Initial,
    /// `SIGHUP`: the new instance of an upgrade.
    Upgrade,
    /// The current instance died without an upgrade.
    Restart,
}

/// How an instance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// It exited with a status code.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Code(c) => write!(f, "exit status {c}"),
            Ending::Signal(s) => write!(f, "signal {s}"),
        }
    }
}

/// What an instance was doing when it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Serving: the instance new connections go to.
    Current,
    /// Started by an upgrade, not ready yet.
    Starting,
    /// Told to stop (`SIGTERM`), finishing its connections.
    Draining,
}

/// Why an upgrade did not happen; the old instance keeps serving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum UpgradeFailure {
    /// The new instance exited before it reported `READY=1`.
    Exited {
        /// How it ended.
        ending: Ending,
    },
    /// The new instance did not report `READY=1` in time; it is stopped.
    NotReady {
        /// The `--ready-timeout`, in milliseconds.
        timeout_ms: u64,
    },
    /// The new instance could not be started at all.
    Spawn {
        /// The system's reason.
        message: String,
    },
}

/// One transition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A socket is bound and will be passed to every instance.
    Listening {
        /// Its name in `LISTEN_FDNAMES`.
        name: String,
        /// The bound address.
        address: String,
        /// The descriptor the instances find it at.
        fd: i32,
    },
    /// An instance was started.
    Started {
        /// Its number (1, 2, ... in order of start).
        instance: u64,
        /// Its process id.
        pid: u32,
        /// Why.
        reason: StartReason,
    },
    /// An instance reported `READY=1`.
    Ready {
        /// Its number.
        instance: u64,
        /// Its process id.
        pid: u32,
        /// Milliseconds from its start.
        after_ms: u64,
    },
    /// An upgrade finished: new connections go to `instance`, `replaced` drains.
    Upgraded {
        /// The new instance.
        instance: u64,
        /// The instance it replaces, if one was serving.
        replaced: Option<u64>,
    },
    /// An upgrade did not happen; the current instance keeps serving.
    UpgradeFailed {
        /// The new instance (its number; 0 when it could not be started).
        instance: u64,
        /// Why.
        reason: UpgradeFailure,
    },
    /// A `SIGHUP` while an upgrade is still waiting for its new instance: ignored.
    UpgradeBusy {
        /// The instance still starting.
        instance: u64,
    },
    /// An instance was sent `SIGTERM`: it stops accepting and finishes its connections.
    Draining {
        /// Its number.
        instance: u64,
        /// Its process id.
        pid: u32,
        /// Milliseconds it has before it is killed.
        deadline_ms: u64,
    },
    /// An instance did not stop within the drain timeout and was killed (`SIGKILL`).
    Killed {
        /// Its number.
        instance: u64,
        /// Its process id.
        pid: u32,
    },
    /// An instance ended.
    Exited {
        /// Its number.
        instance: u64,
        /// Its process id.
        pid: u32,
        /// What it was doing.
        role: Role,
        /// How it ended.
        ending: Ending,
    },
    /// The current instance died without an upgrade; a new one starts after a delay.
    Restarting {
        /// Milliseconds until it starts.
        after_ms: u64,
    },
    /// `SIGTERM` or `SIGINT`: every instance is told to stop, then `relup run` exits.
    Stopping {
        /// The signal's name.
        signal: &'static str,
    },
    /// Every instance has ended; `relup run` exits.
    Stopped,
}

impl Event {
    /// The `listening` event of a bound socket.
    pub fn listening(b: &Bound) -> Event {
        Event::Listening {
            name: b.name.clone(),
            address: b.address.clone(),
            fd: b.fd,
        }
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Listening { name, address, fd } => {
                write!(f, "listening on {address} (fd {fd}, {name})")
            }
            Event::Started {
                instance,
                pid,
                reason,
            } => {
                let why = match reason {
                    StartReason::Initial => "",
                    StartReason::Upgrade => " for an upgrade",
                    StartReason::Restart => " to replace one that died",
                };
                write!(f, "instance {instance} (pid {pid}) started{why}")
            }
            Event::Ready {
                instance,
                pid,
                after_ms,
            } => write!(
                f,
                "instance {instance} (pid {pid}) is ready after {after_ms} ms"
            ),
            Event::Upgraded {
                instance,
                replaced: Some(old),
            } => write!(
                f,
                "upgraded: instance {instance} takes new connections, instance {old} drains"
            ),
            Event::Upgraded {
                instance,
                replaced: None,
            } => write!(f, "instance {instance} takes new connections"),
            Event::UpgradeFailed { instance, reason } => {
                let why = match reason {
                    UpgradeFailure::Exited { ending } => {
                        format!("it ended ({ending}) before READY=1")
                    }
                    UpgradeFailure::NotReady { timeout_ms } => {
                        format!("it sent no READY=1 within {timeout_ms} ms; it is stopped")
                    }
                    UpgradeFailure::Spawn { message } => format!("it could not start: {message}"),
                };
                write!(
                    f,
                    "upgrade failed: instance {instance}: {why}; the current instance keeps serving"
                )
            }
            Event::UpgradeBusy { instance } => write!(
                f,
                "SIGHUP ignored: instance {instance} of the last upgrade is not ready yet"
            ),
            Event::Draining {
                instance,
                pid,
                deadline_ms,
            } => write!(
                f,
                "instance {instance} (pid {pid}) sent SIGTERM; it drains for at most {deadline_ms} ms"
            ),
            Event::Killed { instance, pid } => write!(
                f,
                "instance {instance} (pid {pid}) did not stop within the drain timeout: killed"
            ),
            Event::Exited {
                instance,
                pid,
                role,
                ending,
            } => {
                let role = match role {
                    Role::Current => "serving",
                    Role::Starting => "starting",
                    Role::Draining => "draining",
                };
                write!(f, "instance {instance} (pid {pid}, {role}) ended: {ending}")
            }
            Event::Restarting { after_ms } => {
                write!(
                    f,
                    "no instance is serving: starting a new one in {after_ms} ms"
                )
            }
            Event::Stopping { signal } => write!(f, "{signal}: stopping every instance"),
            Event::Stopped => write!(f, "every instance has ended; exiting"),
        }
    }
}
