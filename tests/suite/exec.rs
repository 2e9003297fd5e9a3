//! Execution and the simulated node: the scenarios of the issue (module replacement, a
//! gen_server migrated, `{update, Sup, supervisor}`, a static/dynamic downgrade, a library
//! data-format window), the e2e demo's relup predicted on a model of its 0.1.0 node, and
//! faults injected at every instruction index of every scenario.

use std::path::{Path, PathBuf};

use relup::cases::run_case;
use relup::exec::scenario::Scenario;
use relup::exec::{
    EventKind, ExecError, ExecOptions, Fault, Hazard, Pid, SimError, SimulatedRuntime, Simulation,
    select_script, simulate,
};
use relup::files::decode_relup;
use relup::instr::{Instruction, LowLevel, decode_instruction};
use relup::term::{parse_term, parse_terms, parse_terms_recovering};

use crate::common::snapshot_settings;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sim")
}

fn scenario(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).unwrap();
    Scenario::from_terms(&parse_terms(&text).unwrap()).unwrap()
}

/// The scenario's script: its appup instructions translated (the translation is checked
/// against OTP elsewhere).
fn script(dir: &Path) -> Vec<LowLevel> {
    let text = std::fs::read_to_string(dir.join("script.cases")).unwrap();
    let case = parse_terms_recovering(&text, true).remove(0).unwrap();
    let line = run_case(&case);
    assert!(line.ok, "{}", line.value);
    line.value
        .list_items()
        .unwrap()
        .iter()
        .map(|i| match decode_instruction(&i.to_term()).unwrap() {
            Instruction::Low(l) => l,
            other => panic!("not low-level: {other}"),
        })
        .collect()
}

fn run(dir: &str, faults: &[Fault]) -> Simulation {
    let dir = fixtures().join(dir);
    let mut node = SimulatedRuntime::new(scenario(&dir.join("node.scenario"))).unwrap();
    for f in faults {
        node.inject(f.clone());
    }
    simulate(node, &script(&dir), None, &ExecOptions::default())
}

fn process<'s>(sim: &'s Simulation, name: &str) -> (&'s Pid, &'s relup::exec::sim_types::Process) {
    sim.final_state
        .processes
        .iter()
        .rfind(|(_, p)| p.name.as_str() == name)
        .unwrap()
}

const SCENARIOS: [&str; 6] = [
    "a_module_replacement",
    "b_gen_server",
    "c_supervisor",
    "d_downgrade_static_dynamic",
    "e1_library_window",
    "e2_library_depmods",
];

#[test]
fn scenario_traces() {
    let _guard = snapshot_settings().bind_to_scope();
    for name in SCENARIOS {
        let sim = run(name, &[]);
        assert!(sim.outcome.is_ok(), "{name}: {:?}", sim.outcome);
        insta::assert_snapshot!(format!("sim_{name}"), sim.render());
    }
}

#[test]
fn loading_a_third_version_kills_the_process_left_in_the_first_and_keeps_the_other() {
    let sim = run("a_module_replacement", &[]);
    assert!(sim.hazards.iter().any(|h| matches!(h, Hazard::KilledByPurge { name, version, .. } if name.as_str() == "looper" && version == "1")));
    let (_, looper) = process(&sim, "looper");
    assert!(matches!(
        looper.status,
        relup::exec::sim_types::Status::Dead(_)
    ));
    let (_, switched) = process(&sim, "switched");
    assert_eq!(switched.status, relup::exec::sim_types::Status::Running);
    assert_eq!(switched.runs[&"m".into()], "2");
    assert_eq!(
        sim.final_state.modules[&"m".into()].current.as_deref(),
        Some("3")
    );
    assert!(sim.hazards.iter().any(
        |h| matches!(h, Hazard::KilledAtMakePermanent { name, .. } if name.as_str() == "switched")
    ));
    assert!(
        sim.hazards
            .iter()
            .any(|h| matches!(h, Hazard::Unsupervised { name, .. } if name.as_str() == "switched"))
    );
}

#[test]
fn gen_server_keeps_its_pid_and_gets_the_new_state_shape() {
    let before =
        SimulatedRuntime::new(scenario(&fixtures().join("b_gen_server/node.scenario"))).unwrap();
    let pid_before = *before
        .state()
        .processes
        .iter()
        .find(|(_, p)| p.name.as_str() == "srv")
        .unwrap()
        .0;
    let sim = run("b_gen_server", &[]);
    let (pid, srv) = process(&sim, "srv");
    assert_eq!(*pid, pid_before);
    assert_eq!(
        srv.state.as_ref().unwrap(),
        &parse_term("{state,42,[]}").unwrap()
    );
    assert_eq!(srv.runs[&"srv".into()], "2");
    assert!(sim.hazards.is_empty(), "{:?}", sim.hazards);
}

#[test]
fn supervisor_update_knows_the_new_child_but_starts_it_only_on_restart_child() {
    let sim = run("c_supervisor", &[]);
    let reread = sim
        .events
        .iter()
        .position(|e| {
            matches!(&e.kind, EventKind::ChildSpecsReread { added, kept, .. }
                if *added == ["new_worker"] && *kept == ["old_worker"])
        })
        .unwrap();
    let started = sim
        .events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::ChildStarted { id, .. } if id.as_str() == "new_worker"))
        .unwrap();
    assert!(started > reread);
    let (_, old) = process(&sim, "old_worker");
    assert_eq!(old.status, relup::exec::sim_types::Status::Running);
    let (_, new) = process(&sim, "new_worker");
    assert_eq!(new.status, relup::exec::sim_types::Status::Running);
}

#[test]
fn downgrade_runs_dynamic_code_change_before_the_load_and_static_after() {
    let sim = run("d_downgrade_static_dynamic", &[]);
    let at = |load: bool, name: &str| {
        sim.events
            .iter()
            .position(|e| match &e.kind {
                EventKind::Load { module, .. } => load && module.as_str() == name,
                EventKind::CodeChange { module, .. } => !load && module.as_str() == name,
                _ => false,
            })
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert!(at(false, "dyn") < at(true, "dyn"));
    assert!(at(true, "stat") < at(false, "stat"));
    let (_, stat) = process(&sim, "stat");
    assert_eq!(
        stat.state.as_ref().unwrap(),
        &parse_term("{stat_state,9}").unwrap()
    );
    assert!(
        sim.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::CodeChange { vsn, .. } if vsn == "{down,\"1\"}"))
    );
}

#[test]
fn library_loaded_apart_opens_a_window_that_depmods_closes() {
    let apart = run("e1_library_window", &[]);
    let window: Vec<&Hazard> = apart
        .hazards
        .iter()
        .filter(|h| matches!(h, Hazard::DataFormatWindow { .. }))
        .collect();
    assert_eq!(window.len(), 1, "{:?}", apart.hazards);
    assert!(
        matches!(window[0], Hazard::DataFormatWindow { library, state_vsn, library_vsn, .. } if library.as_str() == "lib" && state_vsn == "1" && library_vsn == "2")
    );
    let together = run("e2_library_depmods", &[]);
    assert!(
        !together
            .hazards
            .iter()
            .any(|h| matches!(h, Hazard::DataFormatWindow { .. })),
        "{:?}",
        together.hazards
    );
}

fn demo_simulation(faults: &[Fault]) -> Simulation {
    let relup_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/files/demo.relup"),
    )
    .unwrap();
    let relup = decode_relup(&parse_terms(&relup_text).unwrap()).0.unwrap();
    let mut node =
        SimulatedRuntime::new(scenario(&fixtures().join("demo_0.1.0.scenario"))).unwrap();
    for f in faults {
        node.inject(f.clone());
    }
    let (script, direction) = select_script(&relup, node.release(), "0.2.0").unwrap();
    simulate(node, script, Some(direction), &ExecOptions::default())
}

/// What a real OTP 25 node did when release_handler installed this relup (observed live on
/// the demo these fixtures come from; `live_release.rs` checks the same behaviour on the
/// tally demo today): demo_srv keeps its pid,
/// its state becomes the 0.2.0 record with upgraded_from "0.1.0", demo_extra is started, and
/// demo_sup has both children.
#[test]
fn demo_relup_predicts_what_the_real_node_does() {
    let sim = demo_simulation(&[]);
    assert!(sim.outcome.is_ok(), "{:?}", sim.outcome);
    let (pid, srv) = process(&sim, "demo_srv");
    assert_eq!(*pid, Pid::new(81));
    assert_eq!(
        srv.state.as_ref().unwrap(),
        &parse_term("{state,3,1700000000,\"0.1.0\"}").unwrap()
    );
    let (_, extra) = process(&sim, "demo_extra");
    assert_eq!(extra.status, relup::exec::sim_types::Status::Running);
    let children: Vec<&str> = sim.final_state.supervisors[&Pid::new(80)]
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(children, ["demo_srv", "demo_extra"]);
    assert!(
        !sim.hazards
            .iter()
            .any(|h| matches!(h, Hazard::DataFormatWindow { .. })),
        "{:?}",
        sim.hazards
    );
    let _guard = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("sim_e2e_demo_up", sim.render());
}

/// A scenario's name, script, and how to simulate it with faults.
type FaultCase = (String, Vec<LowLevel>, Box<dyn Fn(&[Fault]) -> Simulation>);

/// Every fault at every index: before the point of no return the node is left exactly as it
/// was; after it the failure names its index; nothing panics.
#[test]
fn faults_at_every_instruction_index() {
    let mut checked = 0;
    let mut cases: Vec<FaultCase> = SCENARIOS
        .iter()
        .map(|name| {
            let n = name.to_string();
            let s = script(&fixtures().join(name));
            (
                n.clone(),
                s,
                Box::new(move |f: &[Fault]| run(&n, f)) as Box<dyn Fn(&[Fault]) -> Simulation>,
            )
        })
        .collect();
    let demo_script = {
        let relup_text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/files/demo.relup"),
        )
        .unwrap();
        decode_relup(&parse_terms(&relup_text).unwrap())
            .0
            .unwrap()
            .up[0]
            .instructions
            .clone()
    };
    cases.push((
        "demo".into(),
        demo_script,
        Box::new(|f: &[Fault]| demo_simulation(f)),
    ));
    for (name, script, sim) in &cases {
        let ponr = script
            .iter()
            .position(|i| *i == LowLevel::PointOfNoReturn)
            .unwrap();
        let names: Vec<String> = sim(&[])
            .final_state
            .processes
            .values()
            .map(|p| p.name.to_string())
            .collect();
        for i in 0..script.len() {
            let failed = sim(&[Fault::Fail(i)]);
            let err = failed
                .outcome
                .as_ref()
                .expect_err("an injected failure fails the script");
            if i < ponr {
                assert!(
                    failed.node_unchanged,
                    "{name}: failure at {i} (before point_of_no_return) changed the node"
                );
                assert!(
                    matches!(err, ExecError::BeforePointOfNoReturn { index, source: SimError::Injected(j) } if *index == i && *j == i),
                    "{name} {i}: {err:?}"
                );
            } else {
                assert!(
                    matches!(err, ExecError::AfterPointOfNoReturn { index, source: SimError::Injected(j) } if *index == i && *j == i),
                    "{name} {i}: {err:?}"
                );
            }
            // A timeout only fails suspends and code_changes; when it fails one before the
            // point of no return, the node is as it was.
            let timed_out = sim(&[Fault::Timeout(i)]);
            if i < ponr && timed_out.outcome.is_err() {
                assert!(timed_out.node_unchanged, "{name}: timeout at {i}");
            }
            // A process dying before an instruction never makes the run panic, and a failure
            // it causes names an instruction.
            for p in &names {
                let killed = sim(&[Fault::Kill(i, p.as_str().into())]);
                if let Err(e) = &killed.outcome {
                    let index = match e {
                        ExecError::BeforePointOfNoReturn { index, .. }
                        | ExecError::AfterPointOfNoReturn { index, .. }
                        | ExecError::CodeChangeFailed { index, .. }
                        | ExecError::IllegalAfterPointOfNoReturn { index, .. } => Some(*index),
                        _ => None,
                    };
                    assert!(
                        index.is_some_and(|n| n >= i),
                        "{name} kill {p} at {i}: {e:?}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} indices");
}

#[test]
fn code_change_timeout_after_the_point_of_no_return_restarts_the_node() {
    let script_len = script(&fixtures().join("b_gen_server")).len();
    let cc = script(&fixtures().join("b_gen_server"))
        .iter()
        .position(|i| matches!(i, LowLevel::CodeChange { .. }))
        .unwrap();
    assert!(cc < script_len);
    let sim = run("b_gen_server", &[Fault::Timeout(cc)]);
    let err = sim.outcome.unwrap_err();
    assert!(
        matches!(&err, ExecError::CodeChangeFailed { index, pid, module, source: SimError::Timeout(_) }
            if *index == cc && pid.to_string() == "<0.81.0>" && module.as_str() == "srv"),
        "{err:?}"
    );
    assert!(!err.node_unchanged());
    assert!(
        sim.hazards
            .iter()
            .any(|h| matches!(h, Hazard::CodeChangeFailed { .. }))
    );
}

#[test]
fn simulate_cli_prints_the_trace_and_exits_0() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relup"))
        .args([
            "simulate",
            "--node",
            "tests/fixtures/sim/demo_0.1.0.scenario",
            "--relup",
            "tests/fixtures/files/demo.relup",
            "--to",
            "0.2.0",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("simulating up from 0.1.0 to 0.2.0"));
    let json = std::process::Command::new(env!("CARGO_BIN_EXE_relup"))
        .args([
            "simulate",
            "--node",
            "tests/fixtures/sim/demo_0.1.0.scenario",
            "--relup",
            "tests/fixtures/files/demo.relup",
            "--to",
            "0.2.0",
            "--json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["node_unchanged"], false);
    assert_eq!(v["ok"], true);
}
