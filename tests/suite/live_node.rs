//! `relup node` on the live tally node, before anything is installed: the snapshot, the
//! prediction the simulator makes from it, the pre-flight with every `code_change` rehearsed
//! on a scratch node (and a negative control whose `code_change` crashes on the live state),
//! and the live node unchanged by all of it. Called by the live-release harness
//! (`live_release.rs`) while its 0.1.0 node runs.

use std::path::Path;

use crate::live_release::{Checks, Run};

/// Snapshots the live 0.1.0 node, simulates the relup on it, and checks the prediction: the
/// script completes, tally_srv keeps its pid and runs 0.2.0, the new child is started, and
/// the node itself is unchanged by the snapshot (a second snapshot shows the same processes).
pub(crate) fn predict(run: &Run, checks: &mut Checks, relup: &Path, lib: &Path) {
    let scenario = run.dir.join("node.scenario");
    let (ok, out) = run.relup_node(&["snapshot", "-o", scenario.to_str().unwrap()], "snapshot");
    assert!(ok, "relup node snapshot failed: {out}");
    let text = std::fs::read_to_string(&scenario).unwrap();
    checks.that(
        "the snapshot names tally_srv",
        text.contains("{process,tally_srv,"),
    );
    checks.that(
        "the snapshot names tally_sup",
        text.contains("{process,tally_sup,"),
    );
    checks.that(
        "the snapshot holds tally_srv's state",
        text.contains("{state,{state,3,"),
    );
    let mut sim = run.command(env!("CARGO_BIN_EXE_relup"));
    sim.arg("simulate")
        .arg("--node")
        .arg(&scenario)
        .arg("--relup")
        .arg(relup)
        .arg("--lib")
        .arg(lib)
        .args(["--to", "0.2.0", "--json"]);
    let (ok, out, err) = run.run(sim, "simulate-snapshot", 60);
    assert!(ok, "simulate on the snapshot failed: {out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    checks.that("the simulation completes", doc["ok"] == true);
    let procs = doc["final_state"]["processes"].as_array().unwrap();
    let find = |name: &str| procs.iter().find(|p| p["name"] == name);
    let srv = find("tally_srv").expect("tally_srv in the prediction");
    checks.that(
        "predicted: tally_srv keeps running and runs tally_srv 0.2.0",
        srv["status"] == "running"
            && srv["runs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["module"] == "tally_srv" && r["vsn"] == "0.2.0"),
    );
    let started = doc["events"].as_array().unwrap().iter().any(|e| {
        e["event"] == "child_started" && e["text"].as_str().unwrap().contains("tally_audit")
    });
    checks.that("predicted: the new child tally_audit is started", started);
    // The pre-flight: every code_change rehearsed on a scratch node with the live state.
    let check = |lib: &Path, label: &str| -> (bool, serde_json::Value) {
        let (ok, out) = run.relup_node(
            &[
                "check",
                "--relup",
                relup.to_str().unwrap(),
                "--to",
                "0.2.0",
                "--lib",
                lib.to_str().unwrap(),
                "--json",
            ],
            label,
        );
        let json = out
            .lines()
            .skip_while(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n");
        (
            ok,
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {out}")),
        )
    };
    let (ok, doc) = check(lib, "check");
    let calls = doc["rehearsal"]["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    checks.that(
        &format!("pre-flight: go, tally_srv's code_change rehearsed on the live state: {doc}"),
        ok && doc["node_unchanged"] == true
            && calls.iter().any(|c| {
                c["module"] == "tally_srv"
                    && c["outcome"] == "ok"
                    && c["detail"]
                        .as_str()
                        .is_some_and(|d| d.starts_with("{state,3,") && d.contains("\"0.1.0\""))
            }),
    );
    // Negative control: a tally_srv whose code_change crashes on the live state (count 3).
    let src = run.dir.join("tally/src/tally_srv.erl");
    let source = std::fs::read_to_string(&src).unwrap();
    let broken = source.replace("when is_list(OldVsn) ->", "when is_list(OldVsn), N < 3 ->");
    assert_ne!(
        broken, source,
        "the negative control edits tally_srv's code_change"
    );
    let neg = run.dir.join("negative");
    let ebin = neg.join("lib/tally-0.2.0/ebin");
    std::fs::create_dir_all(&ebin).unwrap();
    std::fs::write(neg.join("tally_srv.erl"), broken).unwrap();
    let mut erlc = run.command("erlc");
    erlc.arg("-o").arg(&ebin).arg(neg.join("tally_srv.erl"));
    run.run_ok(erlc, "erlc-negative", 60);
    let (ok, doc) = check(&neg.join("lib"), "check-negative");
    let calls = doc["rehearsal"]["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    checks.that(
        &format!("pre-flight catches the crashing code_change before anything is installed: {doc}"),
        !ok && doc["node_unchanged"] == true
            && calls.iter().any(|c| {
                c["module"] == "tally_srv"
                    && c["outcome"] == "crash"
                    && c["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("function_clause"))
            }),
    );

    // The snapshot changed nothing: the same processes in a second one.
    let again = run.dir.join("node-again.scenario");
    let (ok, out) = run.relup_node(&["snapshot", "-o", again.to_str().unwrap()], "snapshot-2");
    assert!(ok, "{out}");
    let processes = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("{process,") || l.starts_with("{module,"))
            .map(|l| l.split(",{state,").next().unwrap().to_string())
            .collect()
    };
    checks.that(
        "a second snapshot shows the same processes and code",
        processes(&text) == processes(&std::fs::read_to_string(&again).unwrap()),
    );
}
