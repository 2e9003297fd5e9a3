//! `relup node snapshot|install`: a live node over Erlang distribution.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use relup::node::{ConnectOptions, Connection, DistError, snapshot};

use super::json;
use super::{CliError, emit, read_input};

/// Arguments of `relup node`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Connects as a hidden node (EPMD on ERL_EPMD_PORT, default 4369; the cookie from --cookie or
~/.erlang.cookie). Nothing is loaded on the node.

  relup node snapshot --node NAME@HOST [-o FILE]
      the running node as a scenario file for `relup simulate --node FILE`: its release,
      loaded modules (old code marked), supervisors and their children, the processes
      release_handler would suspend (its own rule), gen_server states (up to a size cap)
  relup node check --node NAME@HOST --relup FILE --to VSN [--lib DIR]
      the pre-flight: snapshot, simulate the relup on it, and rehearse every code_change
      the script calls on a scratch node (never the live one) with the new code and copies
      of the live states; a second snapshot shows the live node unchanged. Exit 1: no go
      (with several --node, any node's no go).
  relup node apply --node NAME@HOST (--relup FILE | --appup FILE --app FILE) --from VSN
                   [--down] --lib DIR
      run the script through relup's executor on the node, without release_handler (for
      systems not packaged as releases): object code from DIR/APP-VSN/ebin sent over the
      connection; a failure before the point of no return leaves the node as it was; the
      suspension window (first suspend to last resume) is reported.
  relup node install --node NAME@HOST --release VSN [--tar FILE]
      send the tarball into the node's releases/VSN/ (with --tar) and unpack it, then
      check_install_release, install_release, make_permanent; each step timed, the first
      failure named and explained. Upgrade, downgrade and re-upgrade alike. With several
      --node: one node at a time, stopping at the first failure; when the relup uses
      sync_nodes, every node prepared first and install_release on all at once.

Exit status: 0 done, 1 a release_handler step failed, 2 the node could not be reached or
asked.")]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Args)]
struct Common {
    /// The node, `name@host`. `snapshot`, `check` and `install` take it several times (a
    /// cluster: one scenario and one pre-flight per node; a rolling install, one node at a
    /// time, stopping at the first failure with the nodes after it untouched, or all nodes
    /// together when the relup uses `sync_nodes`).
    #[arg(long, required = true)]
    node: Vec<String>,
    /// The node's cookie (default: ~/.erlang.cookie).
    #[arg(long)]
    cookie: Option<String>,
    /// Seconds to wait for the connection and for each call.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Print a JSON document (README, "JSON output").
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Write the running node as a scenario file.
    Snapshot {
        #[command(flatten)]
        common: Common,
        /// Where to write the scenario (default: standard output).
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// Pre-flight: snapshot, simulate, rehearse every code_change on a scratch node.
    Check {
        #[command(flatten)]
        common: Common,
        /// The relup file.
        #[arg(long)]
        relup: PathBuf,
        /// The release version to go to.
        #[arg(long)]
        to: String,
        /// The new release's lib directory (default: ROOT/lib for ROOT/releases/VSN/relup).
        #[arg(long)]
        lib: Option<PathBuf>,
        /// Seconds a rehearsed code_change may take.
        #[arg(long, default_value_t = 5)]
        code_change_timeout: u64,
    },
    /// Run a low-level script on the node without release_handler (modules loaded by hand).
    Apply {
        #[command(flatten)]
        common: Common,
        /// The script: the relup entry for --from (up; down with --down).
        #[arg(long, conflicts_with = "appup")]
        relup: Option<PathBuf>,
        /// The script: this appup's entry for --from, with the new .app (--app).
        #[arg(long, requires = "app")]
        appup: Option<PathBuf>,
        /// The new application's .app file (with --appup).
        #[arg(long)]
        app: Option<PathBuf>,
        /// The version the node runs now (up) or goes back to (down).
        #[arg(long)]
        from: String,
        /// Run the downgrade entry.
        #[arg(long)]
        down: bool,
        /// Where the object code is read: DIR/APP-VSN/ebin/MOD.beam.
        #[arg(long)]
        lib: PathBuf,
    },
    /// Install a release on the node (unpack, check, install, make permanent).
    Install {
        #[command(flatten)]
        common: Common,
        /// The release version to install.
        #[arg(long)]
        release: String,
        /// The release tarball, sent to the node first.
        #[arg(long)]
        tar: Option<PathBuf>,
    },
}

fn connect_to(common: &Common, node: &str) -> Result<Connection, CliError> {
    let options = ConnectOptions {
        cookie: common.cookie.clone(),
        epmd_port: None,
        timeout: Duration::from_secs(common.timeout.max(1)),
    };
    Connection::connect(node, &options).map_err(node_error)
}

/// The one node a command that does not take a cluster works on.
fn connect(common: &Common) -> Result<Connection, CliError> {
    match common.node.as_slice() {
        [node] => connect_to(common, node),
        _ => Err(CliError {
            code: "usage",
            message: "this command works on one node: give --node once (snapshot, check and install take several)".into(),
        }),
    }
}

/// Prints the outcome of a `relup node` command (its JSON document when `json_out`, else the
/// text) and gives its exit status: 1 when not `ok`.
pub(crate) fn report(
    json_out: bool,
    ok: bool,
    json_fields: impl FnOnce() -> (serde_json::Value, Vec<json::Problem>),
    text: impl FnOnce() -> String,
) -> Result<ExitCode, CliError> {
    if json_out {
        let (fields, errors) = json_fields();
        emit(&json::text(&json::document(
            "node",
            ok,
            fields,
            &errors,
            &[],
        )))?;
    } else {
        emit(&text())?;
    }
    Ok(super::exit_status(ok))
}

/// A distribution error as the CLI's error, with a code that says what kind.
pub(crate) fn node_error(e: DistError) -> CliError {
    let code = match &e {
        DistError::BadNodeName(_) | DistError::NoCookie(_) => "usage",
        DistError::CookieRefused { .. } => "cookie_refused",
        DistError::UnknownNode { .. } | DistError::Epmd { .. } => "node_unreachable",
        DistError::Timeout { .. } => "timeout",
        _ => "node_error",
    };
    CliError {
        code,
        message: e.to_string(),
    }
}

/// Runs `relup node`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.action {
        Action::Snapshot { common, output } => {
            let several = common.node.len() > 1;
            let mut docs = Vec::new();
            let mut text = String::new();
            for node in &common.node {
                let mut conn = connect_to(&common, node)?;
                let started = std::time::Instant::now();
                let snap = snapshot(&mut conn).map_err(node_error)?;
                let took = started.elapsed();
                // Several nodes: -o is a directory with one NODE.scenario each.
                let path = output.as_ref().map(|o| {
                    if several {
                        o.join(format!("{node}.scenario"))
                    } else {
                        o.clone()
                    }
                });
                if let Some(path) = &path {
                    if several {
                        std::fs::create_dir_all(output.as_ref().unwrap_or(path))?;
                    }
                    relup::plan::write_atomically(path, snap.scenario.as_bytes())?;
                    text.push_str(&format!(
                        "snapshot of {node}: {} processes, {} modules, in {:.1} ms -> {}\n",
                        snap.processes,
                        snap.modules,
                        took.as_secs_f64() * 1000.0,
                        path.display()
                    ));
                } else {
                    text.push_str(&snap.scenario);
                }
                docs.push(json!({
                    "node": node,
                    "processes": snap.processes,
                    "modules": snap.modules,
                    "millis": took.as_secs_f64() * 1000.0,
                    "output": path.as_ref().map(|p| p.display().to_string()),
                    "scenario": path.is_none().then_some(&snap.scenario),
                }));
            }
            report(
                common.json,
                true,
                || {
                    let fields = if several {
                        json!({ "snapshots": docs })
                    } else {
                        docs.pop().unwrap_or_default()
                    };
                    (fields, Vec::new())
                },
                || text,
            )
        }
        Action::Check {
            common,
            relup,
            to,
            lib,
            code_change_timeout,
        } => super::node_check::run(
            &common.node,
            |node| connect_to(&common, node),
            &super::node_check::CheckArgs {
                relup,
                to,
                lib,
                code_change_timeout,
                json: common.json,
            },
        ),
        Action::Apply {
            common,
            relup,
            appup,
            app,
            from,
            down,
            lib,
        } => super::node_apply::run(
            connect(&common)?,
            super::node_apply::ApplyArgs {
                relup,
                appup,
                app,
                from,
                down,
                lib,
                json: common.json,
            },
        ),
        Action::Install {
            common,
            release,
            tar,
        } => {
            let tar = tar.as_ref().map(|t| read_input(t)).transpose()?;
            let mut conns = Vec::new();
            for node in &common.node {
                conns.push((node.clone(), connect_to(&common, node)?));
            }
            super::node_install::run(conns, &release, tar, common.json)
        }
    }
}
