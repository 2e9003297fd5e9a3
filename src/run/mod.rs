//! `relup run`: whole-process upgrades that keep the listening sockets (feature `run`, Unix).
//!
//! Some upgrades cannot be done in place: a new ERTS, a relup that restarts the emulator, a
//! change nobody can write a `code_change` for, a program that is not Erlang. Restarting the
//! node drops every connection while it boots. Here the supervisor binds the listening
//! sockets once and keeps them; each instance of the command inherits them (systemd's socket
//! activation: fds 3.., `LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES`) and reports readiness on
//! `NOTIFY_SOCKET` with `READY=1`. On `SIGHUP` a new instance starts on the same sockets; once
//! it is ready, the old one gets `SIGTERM`, stops accepting and finishes its connections
//! (killed after the drain timeout). Connections waiting in the kernel's accept queue belong
//! to the socket, not to a process, so no client sees a refusal.
//!
//! Authors of servers: every instance accepts on the same socket, so accept without blocking
//! on a connection another instance took (a non-blocking accept that retries, as Erlang's
//! `gen_tcp:accept/1` and most event loops do), stop accepting on `SIGTERM`, and finish the
//! connections already accepted.

mod event;
mod instance;
mod listen;
mod supervisor;

use std::ffi::OsString;
use std::time::Duration;

pub use event::{Ending, Event, Role, StartReason, UpgradeFailure};
pub use listen::{Bound, LISTEN_FDS_START, ListenAddr, ListenKind, Sockets};
pub use supervisor::supervise;

/// How `relup run` supervises.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The command and its arguments.
    pub command: Vec<OsString>,
    /// How long a new instance has to report `READY=1` before the upgrade is abandoned.
    pub ready_timeout: Duration,
    /// How long an instance told to stop may take before it is killed.
    pub drain_timeout: Duration,
    /// The first delay before restarting an instance that died (doubled on each death in a
    /// row, up to 30 s; reset once an instance is ready).
    pub restart_delay: Duration,
    /// Send the instances' standard output to standard error (when standard output carries
    /// JSON events).
    pub stdout_to_stderr: bool,
}

impl RunOptions {
    /// Options for a command with the defaults: 60 s to become ready, 30 s to drain.
    pub fn new(command: Vec<OsString>) -> RunOptions {
        RunOptions {
            command,
            ready_timeout: Duration::from_secs(60),
            drain_timeout: Duration::from_secs(30),
            restart_delay: Duration::from_millis(500),
            stdout_to_stderr: false,
        }
    }
}

/// Why `relup run` could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A `--listen` value that is not an address.
    #[error("--listen {address}: {why}")]
    BadAddress {
        /// The value given.
        address: String,
        /// What is wrong with it.
        why: String,
    },
    /// An address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A listening socket could not be placed at its descriptor.
    #[error("cannot place a listening socket at fd {fd}: {source}")]
    Fd {
        /// The descriptor.
        fd: i32,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A descriptor the sockets need is already open (inherited from the caller).
    #[error(
        "fd {fd} is already open in this process (inherited from whoever started relup run); \
         socket activation needs fds 3.. for the listening sockets"
    )]
    FdTaken {
        /// The descriptor.
        fd: i32,
    },
    /// No command was given.
    #[error("no command to run (relup run [--listen ADDR]... -- COMMAND [ARGS...])")]
    NoCommand,
    /// The first instance could not be started.
    #[error("cannot start {command}: {source}")]
    Spawn {
        /// The command.
        command: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// Signals or the notify directory could not be set up.
    #[error("cannot set up supervision: {0}")]
    Setup(std::io::Error),
}
