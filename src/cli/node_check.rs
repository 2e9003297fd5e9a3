//! `relup node check`: the pre-flight. A snapshot of the live node, the relup simulated on it,
//! every `code_change` rehearsed on a scratch node with the live states, and a second snapshot
//! showing the live node unchanged.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use relup::exec::{ExecOptions, SimulatedRuntime, describe, select_script, simulate};
use relup::node::rehearse::rehearse;
use relup::node::{Connection, snapshot};

use super::CliError;
use super::json::Problem;
use super::simulate::{new_supervisor_specs, parse_scenario, read_relup};

/// What `relup node check` needs beyond the connection.
pub struct CheckArgs {
    /// The relup file.
    pub relup: PathBuf,
    /// The release to go to.
    pub to: String,
    /// The target release's `lib` directory.
    pub lib: Option<PathBuf>,
    /// Seconds a rehearsed `code_change` may take.
    pub code_change_timeout: u64,
    /// JSON output.
    pub json: bool,
}

/// The lines of a scenario that describe processes and code, without states (which traffic
/// changes): equal before and after means the check left the node as it was.
fn shape(scenario: &str) -> Vec<String> {
    scenario
        .lines()
        .filter(|l| l.starts_with("{process,") || l.starts_with("{module,"))
        .map(|l| l.split(",{state,").next().unwrap_or(l).to_string())
        .collect()
}

/// The release root's `lib` for a relup at `ROOT/releases/VSN/relup`.
fn default_lib(relup: &Path) -> Option<PathBuf> {
    let lib = relup.parent()?.parent()?.parent()?.join("lib");
    lib.is_dir().then_some(lib)
}

/// One node's check: its verdict, its JSON fields and errors, its text.
pub struct NodeCheck {
    /// Go or no go.
    pub ok: bool,
    /// The JSON fields of this node.
    pub fields: serde_json::Value,
    /// The problems found.
    pub errors: Vec<Problem>,
    /// The report a person reads.
    pub text: String,
}

/// Runs the check on each node (`connect` opens a connection to one), and prints one report:
/// a cluster goes only if every node does.
pub fn run(
    nodes: &[String],
    mut connect: impl FnMut(&str) -> Result<Connection, CliError>,
    args: &CheckArgs,
) -> Result<ExitCode, CliError> {
    let mut checks = Vec::new();
    for node in nodes {
        let mut conn = connect(node)?;
        checks.push(check(&mut conn, args)?);
    }
    let ok = checks.iter().all(|c| c.ok);
    super::node::report(
        args.json,
        ok,
        || {
            let errors: Vec<Problem> = checks.iter().flat_map(|c| c.errors.clone()).collect();
            let fields = match checks.as_slice() {
                [one] => one.fields.clone(),
                many => json!({ "checks": many.iter().map(|c| &c.fields).collect::<Vec<_>>() }),
            };
            (fields, errors)
        },
        || {
            let mut text: String = checks.iter().map(|c| c.text.as_str()).collect();
            if checks.len() > 1 {
                text.push_str(&format!(
                    "cluster of {} nodes: {}\n",
                    checks.len(),
                    if ok { "go" } else { "no go" }
                ));
            }
            text
        },
    )
}

/// The check of one node.
pub fn check(conn: &mut Connection, args: &CheckArgs) -> Result<NodeCheck, CliError> {
    let node = conn.node().to_string();
    let before = snapshot(conn).map_err(super::node::node_error)?;
    let mut scenario = parse_scenario(&before.scenario, &format!("snapshot of {node}"))?;
    let relup = read_relup(&args.relup)?;
    let current = scenario.release.clone();
    let (script, direction) = select_script(&relup, &current, &args.to)?;
    let lib = args.lib.clone().or_else(|| default_lib(&args.relup));
    if let Some(lib) = &lib {
        new_supervisor_specs(&mut scenario, script, lib);
    }
    let sim = simulate(
        SimulatedRuntime::new(scenario)?,
        script,
        Some(direction),
        &ExecOptions::default(),
    );
    let rehearsal = match &lib {
        Some(lib) => Some(
            rehearse(
                conn,
                script,
                lib,
                Duration::from_secs(args.code_change_timeout.max(1)),
            )
            .map_err(super::node::node_error)?,
        ),
        None => None,
    };
    let after = snapshot(conn).map_err(super::node::node_error)?;
    let unchanged = shape(&before.scenario) == shape(&after.scenario);
    let sim_ok = sim.outcome.is_ok();
    let rehearsal_ok = rehearsal.as_ref().is_none_or(|r| r.ok());
    let ok = sim_ok && rehearsal_ok && unchanged;
    let mut errors = Vec::new();
    {
        if let Err(e) = &sim.outcome {
            errors.push(Problem::new(
                "simulation_failed",
                format!("{node}: {}", relup::exec::with_source(e)),
            ));
        }
        for c in rehearsal
            .iter()
            .flat_map(|r| &r.calls)
            .filter(|c| c.outcome != "ok")
        {
            errors.push(Problem::new(
                "code_change_failed",
                format!(
                    "{node}: instruction {}: code_change of {} in {} gives {}: {}",
                    c.index, c.module, c.process, c.outcome, c.detail
                ),
            ));
        }
        if !unchanged {
            errors.push(Problem::new(
                "node_changed",
                format!("{node}: the live node's processes or code changed during the check"),
            ));
        }
    }
    let fields = json!({
        "node": node,
        "from": current,
        "to": args.to,
        "simulation": super::simulate::document(&sim, &current, &args.to),
        "rehearsal": rehearsal,
        "node_unchanged": unchanged,
        "ok": ok,
    });
    let text = {
        let mut text = format!(
            "pre-flight of {node}: {} processes snapshotted; {}\n",
            before.processes,
            sim_line(&sim)
        );
        for h in &sim.hazards {
            text.push_str(&format!("  hazard: {}\n", describe(h)));
        }
        match &rehearsal {
            Some(r) => {
                text.push_str(&format!(
                    "rehearsal on a scratch node: {} code_change call(s)\n",
                    r.calls.len()
                ));
                for c in &r.calls {
                    text.push_str(&format!(
                        "  [{:>2}] code_change {} in {}: {} {}\n",
                        c.index, c.module, c.process, c.outcome, c.detail
                    ));
                }
                for m in &r.skipped {
                    text.push_str(&format!("  {m}: new code not found, not rehearsed\n"));
                }
            }
            None => {
                text.push_str("rehearsal skipped: give --lib (the new release's lib directory)\n")
            }
        }
        text.push_str(&format!(
            "live node unchanged by the check: {}\nverdict: {}\n",
            if unchanged { "yes" } else { "NO" },
            if ok { "go" } else { "no go" }
        ));
        text
    };
    Ok(NodeCheck {
        ok,
        fields,
        errors,
        text,
    })
}

fn sim_line(sim: &relup::exec::Simulation) -> String {
    match &sim.outcome {
        Ok(r) => format!(
            "simulation: the script completes ({} instructions, {} hazard(s))",
            r.instructions_run,
            sim.hazards.len()
        ),
        Err(e) => format!("simulation: FAILS: {}", relup::exec::with_source(e)),
    }
}
