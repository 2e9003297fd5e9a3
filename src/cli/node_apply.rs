//! `relup node apply`: a low-level script run on a live node through relup's executor
//! ([`relup::node::LiveNode`]), without release_handler.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use relup::exec::{ExecOptions, execute, with_source};
use relup::instr::{LowLevel, Mode};
use relup::node::{Connection, LiveNode};
use relup::{App, Appup, appup_script};

use super::json::Problem;
use super::simulate::read_relup;
use super::{CliError, read_input};

/// What `relup node apply` needs beyond the connection.
pub struct ApplyArgs {
    /// A relup holding the script.
    pub relup: Option<PathBuf>,
    /// An appup holding the script.
    pub appup: Option<PathBuf>,
    /// The new `.app` (with an appup).
    pub app: Option<PathBuf>,
    /// The version moved from (up) or back to (down).
    pub from: String,
    /// Downgrade.
    pub down: bool,
    /// Where object code is read.
    pub lib: PathBuf,
    /// JSON output.
    pub json: bool,
}

fn text(path: &std::path::Path) -> Result<String, CliError> {
    Ok(String::from_utf8_lossy(&read_input(path)?).into_owned())
}

fn script(args: &ApplyArgs) -> Result<Vec<LowLevel>, CliError> {
    let mode = if args.down { Mode::Down } else { Mode::Up };
    if let Some(relup) = &args.relup {
        let relup = read_relup(relup)?;
        let entries = if args.down { &relup.down } else { &relup.up };
        return entries
            .iter()
            .find(|e| e.vsn == args.from)
            .map(|e| e.instructions.clone())
            .ok_or_else(|| CliError {
                code: "usage",
                message: format!("the relup has no entry for {}", args.from),
            });
    }
    let (Some(appup), Some(app)) = (&args.appup, &args.app) else {
        return Err(CliError {
            code: "usage",
            message: "give --relup FILE, or --appup FILE with --app FILE".into(),
        });
    };
    let appup: Appup = text(appup)?.parse()?;
    let app: App = text(app)?.parse()?;
    Ok(appup_script(&appup, &app, &args.from, mode)?)
}

/// Runs `relup node apply`.
pub fn run(mut conn: Connection, args: ApplyArgs) -> Result<ExitCode, CliError> {
    let script = script(&args)?;
    let node = conn.node().to_string();
    let mut live = LiveNode::new(&mut conn, &args.lib);
    let result = execute(&script, &mut live, &ExecOptions::default());
    let window = live.suspension_window();
    let window_ms = window.map(|w| w.as_secs_f64() * 1000.0);
    super::node::report(
        args.json,
        result.is_ok(),
        || {
            let errors = match &result {
                Err(e) => vec![Problem::new("execution_failed", with_source(e))],
                Ok(_) => Vec::new(),
            };
            let fields = json!({
                "node": node,
                "instructions": script.len(),
                "instructions_run": result.as_ref().map(|r| r.instructions_run).ok(),
                "suspension_window_ms": window_ms,
            });
            (fields, errors)
        },
        || {
            let mut out = match &result {
                Ok(r) => format!(
                    "applied on {node}: {} of {} instructions",
                    r.instructions_run,
                    script.len()
                ),
                Err(e) => format!("failed on {node}: {}", with_source(e)),
            };
            if let Some(ms) = window_ms {
                out.push_str(&format!("; suspension window {ms:.2} ms"));
            }
            out.push('\n');
            out
        },
    )
}
