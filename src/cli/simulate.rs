//! `relup simulate --node SCENARIO --relup RELUP --to VSN`: predict what an upgrade does to a
//! running node.

use std::path::PathBuf;
use std::process::ExitCode;

use relup::exec::scenario::Scenario;
use relup::exec::{ExecOptions, SimulatedRuntime, select_script, simulate};
use relup::files::decode_relup;
use relup::term::{decode_source, parse_terms};

use super::{CliError, emit, read_input};

/// Arguments of `relup simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario: the running node, in Erlang terms.
    #[arg(long, value_name = "SCENARIO")]
    node: PathBuf,
    /// The relup file.
    #[arg(long, value_name = "RELUP")]
    relup: PathBuf,
    /// The release version to go to.
    #[arg(long, value_name = "VSN")]
    to: String,
    /// Print the simulation as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `relup simulate`: exit 0 when the script completes, 1 when it fails.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let scenario_bytes = read_input(&args.node)?;
    let scenario_text =
        decode_source(&scenario_bytes).map_err(|e| format!("{}: {e}", args.node.display()))?;
    let terms = parse_terms(&scenario_text).map_err(|e| format!("{}: {e}", args.node.display()))?;
    let scenario = Scenario::from_terms(&terms).map_err(|e| {
        let lc = relup::span::line_col(&scenario_text, e.span.lo());
        format!("{}:{}:{}: {e}", args.node.display(), lc.line, lc.col)
    })?;
    let relup_bytes = read_input(&args.relup)?;
    let relup_text =
        decode_source(&relup_bytes).map_err(|e| format!("{}: {e}", args.relup.display()))?;
    let relup_terms =
        parse_terms(&relup_text).map_err(|e| format!("{}: {e}", args.relup.display()))?;
    let (relup, diags) = decode_relup(&relup_terms);
    let relup = relup.ok_or_else(|| {
        format!(
            "{}: not a valid relup: {}",
            args.relup.display(),
            diags
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let current = scenario.release.clone();
    let (script, direction) = select_script(&relup, &current, &args.to)?;
    let node = SimulatedRuntime::new(scenario)?;
    let sim = simulate(node, script, direction, &ExecOptions::default());
    if args.json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&sim)?))?;
    } else {
        emit(&sim.render())?;
    }
    Ok(if sim.outcome.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
