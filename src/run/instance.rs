//! One running instance of the supervised command: started with the listening sockets and the
//! socket-activation variables, watched by two threads (one waits for its exit, one reads its
//! `sd_notify` socket), and signalled through a pidfd so that a signal can never reach a
//! recycled process id.
//!
//! `LISTEN_PID` must be the instance's own pid, which is only known after the fork; the
//! instance is therefore started through `/bin/sh -c 'LISTEN_PID=$$; export LISTEN_PID; exec
//! "$@"'`: the shell learns its pid and `exec` keeps it for the command.

use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use rustix::process::{Pid, PidfdFlags, Signal, kill_process, kill_process_group, pidfd_open};

use super::RunOptions;
use super::event::Ending;

/// What the watcher threads tell the supervisor.
#[derive(Debug)]
pub(super) enum Msg {
    /// A signal arrived (its number).
    Signal(i32),
    /// Instance `id` sent `READY=1`.
    Ready(u64),
    /// Instance `id` ended.
    Exited(u64, Ending),
}

/// What an instance is started with.
pub(super) struct Launch<'a> {
    pub opts: &'a RunOptions,
    pub listen_fds: usize,
    pub fd_names: String,
    pub notify_dir: &'a std::path::Path,
}

/// A started instance.
pub(super) struct Instance {
    pub id: u64,
    pub pid: u32,
    pub started: Instant,
    pidfd: Option<OwnedFd>,
    notify_path: PathBuf,
    done: Arc<AtomicBool>,
}

impl Instance {
    /// Starts instance `id`; its exit and its readiness arrive on `tx`.
    pub fn start(id: u64, launch: &Launch<'_>, tx: &Sender<Msg>) -> std::io::Result<Instance> {
        let notify_path = launch.notify_dir.join(format!("notify-{id}.sock"));
        let _ = std::fs::remove_file(&notify_path);
        let notify = UnixDatagram::bind(&notify_path)?;
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg("LISTEN_PID=$$; export LISTEN_PID; exec \"$@\"")
            .arg("relup-run")
            .args(&launch.opts.command)
            .env("LISTEN_FDS", launch.listen_fds.to_string())
            .env("LISTEN_FDNAMES", &launch.fd_names)
            .env("NOTIFY_SOCKET", &notify_path)
            .env("RELUP_RUN_PID", std::process::id().to_string())
            .env("RELUP_RUN_INSTANCE", id.to_string())
            .env(
                "RELUP_RUN_READY_TIMEOUT",
                launch.opts.ready_timeout.as_secs_f64().to_string(),
            )
            .env(
                "RELUP_RUN_DRAIN_TIMEOUT",
                launch.opts.drain_timeout.as_secs_f64().to_string(),
            )
            .env_remove("LISTEN_PID")
            .stdin(Stdio::null())
            // Its own process group: a terminal's ^C reaches `relup run` only, which then
            // stops the instances in order.
            .process_group(0);
        if launch.listen_fds == 0 {
            cmd.env_remove("LISTEN_FDS").env_remove("LISTEN_FDNAMES");
        }
        if launch.opts.stdout_to_stderr {
            cmd.stdout(Stdio::from(std::io::stderr()));
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_file(&notify_path);
                return Err(e);
            }
        };
        let pid = child.id();
        let pidfd = pidfd_open(Pid::from_child(&child), PidfdFlags::empty()).ok();
        let done = Arc::new(AtomicBool::new(false));
        let exit_tx = tx.clone();
        std::thread::spawn(move || {
            let ending = match child.wait() {
                Ok(s) => match (s.code(), s.signal()) {
                    (Some(c), _) => Ending::Code(c),
                    (None, Some(sig)) => Ending::Signal(sig),
                    (None, None) => Ending::Code(-1),
                },
                Err(_) => Ending::Code(-1),
            };
            let _ = exit_tx.send(Msg::Exited(id, ending));
        });
        let ready_tx = tx.clone();
        let ready_done = done.clone();
        std::thread::spawn(move || read_notify(id, notify, &ready_done, &ready_tx));
        Ok(Instance {
            id,
            pid,
            started: Instant::now(),
            pidfd,
            notify_path,
            done,
        })
    }

    /// Sends `SIGTERM` to the instance's process.
    pub fn terminate(&self) {
        self.signal(Signal::TERM);
    }

    /// Sends `SIGKILL` to the instance's whole process group (helpers it started included).
    pub fn kill(&self) {
        self.signal(Signal::KILL);
        if let Some(p) = Pid::from_raw(self.pid as i32) {
            let _ = kill_process_group(p, Signal::KILL);
        }
    }

    fn signal(&self, sig: Signal) {
        match &self.pidfd {
            Some(fd) => {
                let _ = rustix::process::pidfd_send_signal(fd, sig);
            }
            None => {
                if let Some(p) = Pid::from_raw(self.pid as i32) {
                    let _ = kill_process(p, sig);
                }
            }
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        let _ = std::fs::remove_file(&self.notify_path);
    }
}

/// Reads `sd_notify` datagrams (newline-separated `KEY=VALUE`) until `READY=1` or until the
/// instance is gone.
fn read_notify(id: u64, sock: UnixDatagram, done: &AtomicBool, tx: &Sender<Msg>) {
    let _ = sock.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = [0u8; 4096];
    while !done.load(Ordering::Relaxed) {
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let ready = buf[..n]
            .split(|b| *b == b'\n')
            .any(|line| line == b"READY=1");
        if ready {
            let _ = tx.send(Msg::Ready(id));
            return;
        }
    }
}
