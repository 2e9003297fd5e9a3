//! The simulator against real OTP nodes, case by case (`real_vs_sim_cases.rs` holds the
//! cases). Each case is real Erlang code: compiled with `erlc`, started on a fresh node
//! (own epmd, unique name and cookie), changed by release_handler's own evaluation of a
//! low-level script (`release_handler_1:eval_script/5`, what `install_release` runs), and
//! observed: for each named process whether it is the same process, a restarted one or dead,
//! and its state; for each module its current version and whether old code remains; the
//! script's outcome. The same situation written as a scenario goes through the simulator with
//! the same script and is observed the same way. Every difference is a failed case.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use relup::exec::scenario::Scenario;
use relup::exec::{ExecOptions, Hazard, SimulatedRuntime, execute};
use relup::instr::{Instruction, LowLevel, decode_instruction};
use relup::node::dist::{atom, charlist, tuple};
use relup::node::terms::from_eetf;
use relup::node::{ConnectOptions, Connection};
use relup::term::{parse_term, parse_terms};

use crate::common::temp_path;
use crate::live_apply::{connect_when_up, plain_node, private_epmd};
use crate::real_vs_sim_cases::{CASES, Case};

/// What is seen of a node after the script, real or simulated, in one comparable form.
#[derive(Debug, PartialEq)]
struct Observed {
    /// `ok` or `failed`.
    outcome: String,
    /// Per observed name: `same`, `restarted` or `dead`, and the state (or `-`).
    processes: Vec<(String, String, String)>,
    /// Per observed module: current version (or `-`), and whether old code remains.
    modules: Vec<(String, String, bool)>,
    /// For a case with a probe: the hazards seen (real: what the probe found happening;
    /// simulated: the hazards predicted, by kind).
    hazards: Vec<String>,
}

impl std::fmt::Display for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "outcome {}", self.outcome)?;
        for (n, life, state) in &self.processes {
            write!(f, "; {n}: {life}")?;
            if state != "-" {
                write!(f, " {state}")?;
            }
        }
        for (m, vsn, old) in &self.modules {
            write!(f, "; {m} {vsn}{}", if *old { " (+old)" } else { "" })?;
        }
        if !self.hazards.is_empty() {
            write!(f, "; hazards {}", self.hazards.join(","))?;
        }
        Ok(())
    }
}

fn script(case: &Case) -> Vec<LowLevel> {
    parse_term(case.script)
        .unwrap()
        .list_items()
        .unwrap()
        .iter()
        .map(|i| match decode_instruction(&i.to_term()).unwrap() {
            Instruction::Low(l) => l,
            other => panic!("{}: not low-level: {other}", case.name),
        })
        .collect()
}

/// The simulator's prediction: the script executed on the scenario, then (when the case
/// says so) what `make_permanent` does with the code left unpurged.
fn simulated(case: &Case) -> Observed {
    let scenario = Scenario::from_terms(&parse_terms(case.scenario).unwrap())
        .unwrap_or_else(|e| panic!("{}: scenario: {e}", case.name));
    let mut node = SimulatedRuntime::new(scenario).unwrap();
    let initial = node.state().processes.clone();
    let outcome = execute(&script(case), &mut node, &ExecOptions::default());
    if let Ok(report) = &outcome {
        node.finish(&report.unpurged);
        if case.make_permanent {
            node.make_permanent(&report.unpurged);
        }
    }
    // The hazards a probe can see happen on a real node, by kind.
    let mut hazards: Vec<String> = if case.probe.is_empty() {
        Vec::new()
    } else {
        node.hazards()
            .iter()
            .filter_map(|h| match h {
                Hazard::FunOfPurgedCode { .. } => Some("badfun".to_string()),
                Hazard::DataFormatWindow { .. } => Some("data_format_window".to_string()),
                _ => None,
            })
            .collect()
    };
    hazards.sort();
    hazards.dedup();
    let state = node.state();
    let processes = case
        .names
        .iter()
        .map(|&(name, with_state)| {
            let first = initial
                .iter()
                .find(|(_, p)| p.name.as_str() == name)
                .map(|(pid, _)| *pid);
            let alive = state
                .processes
                .iter()
                .filter(|(_, p)| p.name.as_str() == name)
                .rfind(|(_, p)| !matches!(p.status, relup::exec::sim_types::Status::Dead(_)));
            let (life, shown) = match alive {
                None => ("dead", "-".to_string()),
                Some((pid, p)) => (
                    if Some(*pid) == first {
                        "same"
                    } else {
                        "restarted"
                    },
                    match (&p.state, with_state) {
                        (Some(s), true) => s.to_string(),
                        _ => "-".to_string(),
                    },
                ),
            };
            (name.to_string(), life.to_string(), shown)
        })
        .collect();
    let modules = case
        .modules
        .iter()
        .map(|&m| {
            let l = state
                .modules
                .iter()
                .find(|(k, _)| k.as_str() == m)
                .map(|(_, l)| l);
            (
                m.to_string(),
                l.and_then(|l| l.current.clone())
                    .unwrap_or_else(|| "-".into()),
                l.is_some_and(|l| l.old.is_some()),
            )
        })
        .collect();
    Observed {
        outcome: if outcome.is_ok() { "ok" } else { "failed" }.into(),
        processes,
        modules,
        hazards,
    }
}

/// Writes and compiles the case's applications under `lib` (`APP-VSN/ebin`, an `.app` per
/// version listing its modules, with `APP_app` as its callback module when the case has one).
fn build(case: &Case, lib: &Path) {
    let mut apps: Vec<(&str, &str)> = case.sources.iter().map(|s| (s.0, s.1)).collect();
    apps.dedup();
    for (app, vsn) in apps {
        let ebin = lib.join(format!("{app}-{vsn}/ebin"));
        std::fs::create_dir_all(&ebin).unwrap();
        let mods: Vec<&str> = case
            .sources
            .iter()
            .filter(|s| s.0 == app && s.1 == vsn)
            .map(|s| s.2)
            .collect();
        let mut files = Vec::new();
        for s in case.sources.iter().filter(|s| s.0 == app && s.1 == vsn) {
            let file = ebin.join(format!("{}.erl", s.2));
            // A source that sets its own -vsn keeps it; the others get the application's.
            let vsn_attr = if s.3.contains("-vsn(") {
                String::new()
            } else {
                format!("-vsn(\"{vsn}\").\n")
            };
            std::fs::write(&file, format!("-module({}).\n{vsn_attr}{}", s.2, s.3)).unwrap();
            files.push(file);
        }
        crate::common::erlc(&ebin, &files);
        let callback = format!("{app}_app");
        let mod_entry = if mods.contains(&callback.as_str()) {
            format!(", {{mod, {{{callback}, []}}}}")
        } else {
            String::new()
        };
        std::fs::write(
            ebin.join(format!("{app}.app")),
            format!(
                "{{application, {app}, [{{vsn, \"{vsn}\"}}, {{modules, [{}]}}, {{registered, []}}, \
                 {{applications, [kernel, stdlib]}}{mod_entry}]}}.\n",
                mods.join(", ")
            ),
        )
        .unwrap();
    }
}

/// Observes the node after the script: the evaluation's result and the names and modules.
const OBSERVE: &str = "
timer:sleep(200),
Procs = [{N, case whereis(N) of
                 undefined -> dead;
                 P -> {case maps:get(N, Orig, none) of P -> same; _ -> restarted end,
                       case catch sys:get_state(P, 500) of
                           {'EXIT', _} -> nostate;
                           S -> {state, S}
                       end}
             end} || N <- Names],
Mods = [{M, case code:is_loaded(M) of
                false -> not_loaded;
                _ -> proplists:get_value(vsn, erlang:get_module_info(M, attributes))
            end,
         erlang:check_old_code(M)} || M <- Modules],
{Procs, Mods}.
";

/// Runs the case on a real node.
fn real(case: &Case, port: u16, lib: &Path, serial: usize) -> Observed {
    let tag = format!("{}_{serial}", std::process::id());
    let node = format!("rvs_{tag}@localhost");
    let cookie = format!("rvs_{tag}");
    let _node = plain_node(port, &node, &cookie);
    let options = ConnectOptions {
        cookie: Some(cookie),
        epmd_port: Some(port),
        timeout: Duration::from_secs(30),
    };
    let mut conn: Connection = connect_when_up(&node, &options);
    let mut apps: Vec<&str> = case.sources.iter().map(|s| s.0).collect();
    apps.dedup();
    let first_paths: Vec<eetf::Term> = apps
        .iter()
        .map(|a| {
            let vsn = case.sources.iter().find(|s| s.0 == *a).unwrap().1;
            charlist(&lib.join(format!("{a}-{vsn}/ebin")).display().to_string())
        })
        .collect();
    let names = eetf::Term::from(eetf::List::from(
        case.names.iter().map(|n| atom(n.0)).collect::<Vec<_>>(),
    ));
    let orig = conn
        .eval(
            &format!(
                "[true = code:add_patha(P) || P <- Paths],
                 ok = begin {} end,
                 maps:from_list([{{N, whereis(N)}} || N <- Names]).",
                case.setup
            ),
            vec![
                ("Paths", eetf::Term::from(eetf::List::from(first_paths))),
                ("Names", names.clone()),
                ("Lib", charlist(&lib.display().to_string())),
            ],
        )
        .unwrap_or_else(|e| panic!("{}: setup: {e}", case.name));
    // Where load_object_code finds each application: its last version (release_handler
    // takes the first entry of an application).
    let libs: Vec<eetf::Term> = apps
        .iter()
        .map(|a| {
            let vsn = case.sources.iter().rfind(|s| s.0 == *a).unwrap().1;
            tuple(vec![
                atom(a),
                charlist(vsn),
                charlist(&lib.join(format!("{a}-{vsn}")).display().to_string()),
            ])
        })
        .collect();
    let result = conn
        .eval(
            "{ok, Toks, _} = erl_scan:string(ScriptText ++ \".\"),
             {ok, Script} = erl_parse:parse_term(Toks),
             R = (catch release_handler_1:eval_script(Script, [], LibDirs, [], [])),
             %% release_handler:make_permanent/1 purges the brutal_purge modules left over.
             case {MakePermanent, R} of
                 {true, {ok, Unpurged}} ->
                     [code:purge(M) || {M, brutal_purge} <- Unpurged];
                 _ -> ok
             end,
             R.",
            vec![
                ("ScriptText", charlist(case.script)),
                (
                    "MakePermanent",
                    atom(if case.make_permanent { "true" } else { "false" }),
                ),
                ("LibDirs", eetf::Term::from(eetf::List::from(libs))),
            ],
        )
        .unwrap_or_else(|e| panic!("{}: eval_script: {e}", case.name));
    let modules = eetf::Term::from(eetf::List::from(
        case.modules.iter().map(|m| atom(m)).collect::<Vec<_>>(),
    ));
    let seen = conn
        .eval(
            OBSERVE,
            vec![
                ("Orig", orig.clone()),
                ("Names", names),
                ("Modules", modules),
            ],
        )
        .unwrap_or_else(|e| panic!("{}: observe: {e}", case.name));
    let mut hazards: Vec<String> = if case.probe.is_empty() {
        Vec::new()
    } else {
        let found = conn
            .eval(case.probe, vec![("Orig", orig)])
            .unwrap_or_else(|e| panic!("{}: probe: {e}", case.name));
        from_eetf(&found)
            .list_items()
            .unwrap_or_default()
            .iter()
            .map(|t| t.to_term().to_string())
            .collect()
    };
    hazards.sort();
    hazards.dedup();
    let _ = conn.call("init", "stop", vec![]);
    let seen = from_eetf(&seen);
    let [procs, mods] = seen.as_tuple().unwrap() else {
        panic!("{}: {seen}", case.name)
    };
    let outcome = from_eetf(&result);
    let processes = procs
        .list_items()
        .unwrap()
        .iter()
        .zip(case.names)
        .map(|(p, &(name, with_state))| {
            let p = p.to_term();
            let [_, what] = p.as_tuple().unwrap() else {
                panic!("{p}")
            };
            match what.as_tuple() {
                Some([life, state]) => {
                    let state = match state.as_tuple() {
                        Some([_, s]) if with_state => s.to_string(),
                        _ => "-".to_string(),
                    };
                    (name.to_string(), life.to_string(), state)
                }
                _ => (name.to_string(), "dead".to_string(), "-".to_string()),
            }
        })
        .collect();
    let modules = mods
        .list_items()
        .unwrap()
        .iter()
        .map(|m| {
            let m = m.to_term();
            let [name, vsn, old] = m.as_tuple().unwrap() else {
                panic!("{m}")
            };
            let vsn = vsn
                .as_charlist()
                .map_or_else(|| "-".to_string(), |v| v.into_owned());
            (name.to_string(), vsn, old.is_atom("true"))
        })
        .collect();
    let ok = outcome
        .as_tuple()
        .is_some_and(|t| t.first().is_some_and(|f| f.is_atom("ok")));
    if !ok {
        eprintln!(
            "{}: release_handler_1:eval_script gave {outcome}",
            case.name
        );
    }
    Observed {
        outcome: if ok { "ok" } else { "failed" }.into(),
        processes,
        modules,
        hazards,
    }
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: erl and erlc on PATH (apt-get install erlang-base)"
)]
fn the_simulator_predicts_what_real_nodes_do() {
    let dir = temp_path("real_vs_sim");
    let (port, _epmd) = private_epmd();
    let mut report = String::new();
    let mut failed = Vec::new();
    for (serial, case) in CASES.iter().enumerate() {
        let lib = dir.join(case.name).join("lib");
        build(case, &lib);
        let real = real(case, port, &lib, serial);
        let predicted = simulated(case);
        let agree = real == predicted;
        let _ = writeln!(
            report,
            "{} {}\n  real:      {real}\n  simulated: {predicted}",
            if agree { "PASS" } else { "FAIL" },
            case.name
        );
        if !agree {
            failed.push(case.name);
        }
    }
    let _ = writeln!(
        report,
        "{} passed, {} failed",
        CASES.len() - failed.len(),
        failed.len()
    );
    eprintln!("{report}");
    std::fs::remove_dir_all(&dir).ok();
    assert!(failed.is_empty(), "{report}");
}
