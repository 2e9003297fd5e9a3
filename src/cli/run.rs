//! `relup run`: hold the listening sockets and hand them from one instance of a command to the
//! next on `SIGHUP` (see `relup::run`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use relup::run::{Event, ListenAddr, RunOptions, Sockets, supervise};

use super::CliError;

/// Arguments of `relup run`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The command's instances inherit the sockets as fds 3, 4, ... with LISTEN_FDS, LISTEN_PID and \
LISTEN_FDNAMES (systemd's socket activation), and report readiness by sending READY=1 to the \
datagram socket in NOTIFY_SOCKET. SIGHUP starts a new instance; when it is ready the old one \
gets SIGTERM and drains. SIGTERM or SIGINT stops every instance and exits.")]
pub struct Args {
    /// Where to listen: HOST:PORT (IPv4, or [IPv6]:PORT), or unix:PATH; NAME=ADDR names it in
    /// LISTEN_FDNAMES. Repeat for several sockets (fds 3, 4, ... in this order).
    #[arg(long = "listen", value_name = "ADDR")]
    listen: Vec<String>,
    /// Seconds a new instance has to send READY=1 before the upgrade is abandoned.
    #[arg(long, value_name = "SECONDS", default_value = "60")]
    ready_timeout: f64,
    /// Seconds an instance told to stop (SIGTERM) may take before it is killed.
    #[arg(long, value_name = "SECONDS", default_value = "30")]
    drain_timeout: f64,
    /// Write relup run's own pid to this file (replaced atomically; removed at exit).
    #[arg(long, value_name = "FILE")]
    pid_file: Option<PathBuf>,
    /// Print each event as one JSON object per line on standard output (`event`, its fields
    /// and `schema_version`; the instances' standard output then goes to standard error).
    /// A failure to start is the usual JSON document.
    #[arg(long)]
    json: bool,
    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

fn seconds(flag: &str, s: f64) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| CliError {
            code: "usage",
            message: format!("--{flag} {s}: a number of seconds above 0"),
        })
}

/// Runs `relup run`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let addrs = args
        .listen
        .iter()
        .map(|a| a.parse::<ListenAddr>())
        .collect::<Result<Vec<_>, _>>()?;
    let mut opts = RunOptions::new(args.command);
    opts.ready_timeout = seconds("ready-timeout", args.ready_timeout)?;
    opts.drain_timeout = seconds("drain-timeout", args.drain_timeout)?;
    opts.stdout_to_stderr = args.json;
    let sockets = Sockets::bind(&addrs)?;
    let own_pid = format!("{}\n", std::process::id());
    if let Some(file) = &args.pid_file {
        relup::plan::write_atomically(file, own_pid.as_bytes())?;
    }
    let json = args.json;
    let mut on_event = |e: &Event| {
        say!("relup run: {e}");
        if json {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.insert("schema_version".into(), 1.into());
            }
            let _ = super::emit(&format!("{v}\n"));
        }
    };
    let result = supervise(&opts, &sockets, &mut on_event);
    if let Some(file) = &args.pid_file {
        if std::fs::read_to_string(file).is_ok_and(|s| s == own_pid) {
            let _ = std::fs::remove_file(file);
        }
    }
    result?;
    Ok(ExitCode::SUCCESS)
}
