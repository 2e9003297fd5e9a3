//! `relup simulate --node SCENARIO --relup RELUP --to VSN`: predict what an upgrade does to a
//! running node.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};

use relup::exec::scenario::{ChildModules, Scenario};
use relup::exec::sim_types::Status;
use relup::exec::{ExecOptions, SimulatedRuntime, Simulation, describe, select_script, simulate};
use relup::files::decode_relup;
use relup::instr::LowLevel;
use relup::term::{decode_source, parse_terms};

use super::json::{self, Problem};
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
    /// The target release's `lib` directory: the child specs of supervisors the script
    /// loads are read from their new beams (what their `init/1` returns), when the scenario
    /// does not give them.
    #[arg(long, value_name = "DIR")]
    lib: Option<PathBuf>,
    /// Print a JSON document (README, "JSON output").
    #[arg(long)]
    json: bool,
}

/// Adds to the scenario the child specs of each supervisor module the script loads, read
/// from its beam in `lib/APP-VSN/ebin` (child ids from `init/1`; each child taken to run the
/// module its id names).
pub(crate) fn new_supervisor_specs(
    scenario: &mut Scenario,
    script: &[LowLevel],
    lib: &std::path::Path,
) {
    for i in script {
        let LowLevel::LoadObjectCode {
            application,
            vsn,
            modules,
        } = i
        else {
            continue;
        };
        let Some(vsn) = vsn.as_charlist().map(|v| v.into_owned()) else {
            continue;
        };
        for m in modules {
            let beam_file =
                relup::plan::ebin_dir(lib, application.as_str(), &vsn).join(format!("{m}.beam"));
            let beam = std::fs::read(&beam_file)
                .ok()
                .and_then(|b| relup::Beam::parse(&b).ok());
            // The new code's -vsn, which a downgrade's code_change is given.
            if let Some(module_vsn) = beam.as_ref().and_then(beam_vsn) {
                scenario
                    .module_vsns
                    .entry((m.clone(), vsn.clone()))
                    .or_insert(module_vsn);
            }
            let is_supervisor = scenario.supervisors.keys().any(|(sm, _)| sm == m);
            if !is_supervisor || scenario.supervisors.contains_key(&(m.clone(), vsn.clone())) {
                continue;
            }
            let Some(children) = beam
                .as_ref()
                .and_then(|b| relup::appup::child_specs::supervisor_info(b).children)
            else {
                continue;
            };
            let specs = children
                .into_iter()
                .map(|id| {
                    let id = relup::instr::Atom::from(id.as_str());
                    (id.clone(), ChildModules::List(vec![id]))
                })
                .collect();
            scenario.supervisors.insert((m.clone(), vsn.clone()), specs);
        }
    }
}

/// A beam's `-vsn` as release_handler reads it (`release_handler_1:get_vsn/1`): a string
/// whole, else the one element of the list (the default is the MD5 as an integer).
fn beam_vsn(beam: &relup::Beam) -> Option<relup::Term<'static>> {
    let attrs = beam.attributes().ok()??;
    let vsn = attrs
        .list_items()?
        .iter()
        .find_map(|a| match a.to_term().as_tuple() {
            Some([k, v]) if k.is_atom("vsn") => Some(v.clone().into_owned()),
            _ => None,
        })?;
    if vsn.as_charlist().is_some() {
        return Some(vsn);
    }
    match vsn.list_items()?.as_slice() {
        [one] => Some(one.to_term().into_owned()),
        _ => Some(vsn),
    }
}

/// A scenario file's text as a [`Scenario`]; `shown` names it in errors.
pub(crate) fn parse_scenario(scenario_text: &str, shown: &str) -> Result<Scenario, CliError> {
    let terms = parse_terms(scenario_text).map_err(|e| {
        let lc = relup::span::line_col(scenario_text, e.span.lo());
        format!("{shown}:{}:{}: {e}", lc.line, lc.col)
    })?;
    Ok(Scenario::from_terms(&terms).map_err(|e| {
        let lc = relup::span::line_col(scenario_text, e.span.lo());
        format!(
            "{shown}:{}:{}: {e} (the scenario format is in README.md, \"Scenario files\")",
            lc.line, lc.col
        )
    })?)
}

/// A relup file, decoded.
pub(crate) fn read_relup(path: &std::path::Path) -> Result<relup::Relup, CliError> {
    let relup_bytes = read_input(path)?;
    let relup_text = decode_source(&relup_bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let relup_terms = parse_terms(&relup_text).map_err(|e| {
        let lc = relup::span::line_col(&relup_text, e.span.lo());
        format!("{}:{}:{}: {e}", path.display(), lc.line, lc.col)
    })?;
    let (relup, diags) = decode_relup(&relup_terms);
    Ok(relup.ok_or_else(|| {
        format!(
            "{}: not a valid relup ({}); `relup check {}` shows where",
            path.display(),
            diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
            path.display()
        )
    })?)
}

/// Runs `relup simulate`: exit 0 when the script completes, 1 when it fails.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let scenario_bytes = read_input(&args.node)?;
    let scenario_text =
        decode_source(&scenario_bytes).map_err(|e| format!("{}: {e}", args.node.display()))?;
    let scenario = parse_scenario(&scenario_text, &args.node.display().to_string())?;
    let relup = read_relup(&args.relup)?;
    let current = scenario.release.clone();
    let (script, direction) = select_script(&relup, &current, &args.to)?;
    let mut scenario = scenario;
    if let Some(lib) = &args.lib {
        new_supervisor_specs(&mut scenario, script, lib);
    }
    let node = SimulatedRuntime::new(scenario)?;
    let sim = simulate(node, script, Some(direction), &ExecOptions::default());
    if args.json {
        emit(&json::text(&document(&sim, &current, &args.to)))?;
    } else {
        emit(&sim.render())?;
    }
    Ok(super::exit_status(sim.outcome.is_ok()))
}

/// The simulation as a JSON document.
pub(crate) fn document(sim: &Simulation, from: &str, to: &str) -> Value {
    let outcome = match &sim.outcome {
        Ok(r) => json!({
            "instructions_run": r.instructions_run,
            "restarted": r.restarted,
            "unpurged": r.unpurged.iter().map(|(m, p)| json!({"module": m.as_str(), "post_purge": p.atom()})).collect::<Vec<_>>(),
            "not_suspended": r.not_suspended.iter().map(|(m, p)| json!({"module": m.as_str(), "pid": p.to_string()})).collect::<Vec<_>>(),
        }),
        Err(_) => Value::Null,
    };
    let state = &sim.final_state;
    let fields = json!({
        "direction": sim.direction.as_ref().map(|d| d.mode.atom()),
        "from": from,
        "to": to,
        "result": outcome,
        "node_unchanged": sim.node_unchanged,
        "events": sim.events.iter().map(|e| {
            let tag = serde_json::to_value(&e.kind).ok().and_then(|v| v.get("event").cloned());
            json!({"index": e.index, "event": tag, "text": e.kind.to_string(), "basis": e.kind.basis()})
        }).collect::<Vec<_>>(),
        "hazards": sim.hazards.iter().map(|h| {
            let mut v = serde_json::to_value(h).unwrap_or(Value::Null);
            v["message"] = json!(describe(h));
            v["basis"] = json!(h.basis());
            v
        }).collect::<Vec<_>>(),
        "final_state": {
            "modules": state.modules.iter().map(|(m, l)| json!({"module": m.as_str(), "current": l.current, "old": l.old})).collect::<Vec<_>>(),
            "processes": state.processes.iter().map(|(pid, p)| {
                let (status, reason) = match &p.status {
                    Status::Running => ("running", None),
                    Status::Suspended => ("suspended", None),
                    Status::Dead(r) => ("dead", Some(r.clone())),
                };
                json!({
                    "pid": pid.to_string(),
                    "name": p.name.as_str(),
                    "status": status,
                    "exit_reason": reason,
                    "runs": p.runs.iter().map(|(m, v)| json!({"module": m.as_str(), "vsn": v})).collect::<Vec<_>>(),
                    "state": p.state.as_ref().map(json::term),
                })
            }).collect::<Vec<_>>(),
            "supervisors": state.supervisors.iter().map(|(pid, specs)| json!({
                "pid": pid.to_string(),
                "children": specs.iter().map(|c| json!({"id": c.id.as_str(), "pid": c.pid.map(|p| p.to_string())})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        },
    });
    let errors: Vec<Problem> = match &sim.outcome {
        Err(e) => vec![Problem::new(
            "execution_failed",
            relup::exec::with_source(e),
        )],
        Ok(_) => Vec::new(),
    };
    json::document("simulate", sim.outcome.is_ok(), fields, &errors, &[])
}
