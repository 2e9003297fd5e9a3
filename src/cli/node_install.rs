//! `relup node install`: one node, or a cluster.
//!
//! A cluster is installed one node at a time (rolling: a node is unpacked, checked,
//! installed and made permanent before the next is touched, and the first failure stops the
//! run with the remaining nodes untouched), unless the release's relup synchronises its nodes
//! with `sync_nodes`. Then release_handler on each node waits inside `install_release` until
//! every node named has reached the same instruction, so a rolling install would hang on the
//! first node: every node is prepared (unpack, check) first, then `install_release` runs on
//! all nodes at once, then `make_permanent` on each.

use std::process::ExitCode;

use serde_json::json;

use relup::node::handoff::{handoff, handoff_target};
use relup::node::install::{InstallReport, Phase, install_phases, uses_sync_nodes};
use relup::node::{Connection, install};

use super::CliError;
use super::json::Problem;
use super::node::node_error;

/// How the nodes were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One node at a time.
    Rolling,
    /// Each phase on every node, `install_release` on all at once (`sync_nodes`).
    Together,
}

/// Installs `release` on each node and prints the report.
pub fn run(
    mut conns: Vec<(String, Connection)>,
    release: &str,
    tar: Option<Vec<u8>>,
    json_out: bool,
) -> Result<ExitCode, CliError> {
    let mut reports: Vec<(String, InstallReport)> = Vec::new();
    let mut mode = Mode::Rolling;
    if let [(node, conn)] = conns.as_mut_slice() {
        reports.push((node.clone(), one_node(conn, release, tar)?));
    } else if !conns.is_empty() {
        // The first node is prepared, which unpacks the release there: its relup says
        // whether the nodes synchronise.
        let (first, conn) = &mut conns[0];
        let prepared =
            install_phases(conn, release, tar.clone(), &[Phase::Prepare]).map_err(node_error)?;
        let ok = prepared.steps_ok();
        reports.push((first.clone(), prepared));
        if ok && uses_sync_nodes(conn, release).map_err(node_error)? {
            mode = Mode::Together;
            together(&mut conns, release, tar, &mut reports)?;
        } else if ok {
            rolling(&mut conns, release, tar, &mut reports)?;
        }
    }
    let ok = reports.len() == conns.len() && reports.iter().all(|(_, r)| r.ok());
    let untouched: Vec<&String> = conns.iter().skip(reports.len()).map(|(n, _)| n).collect();
    super::node::report(
        json_out,
        ok,
        || {
            let mut errors: Vec<Problem> = reports
                .iter()
                .flat_map(|(node, r)| {
                    r.steps.iter().filter(|s| !s.ok).map(move |s| {
                        Problem::new(
                            "release_handler",
                            format!(
                                "{node}: {}",
                                s.explanation.clone().unwrap_or_else(|| s.result.clone())
                            ),
                        )
                    })
                })
                .collect();
            if !untouched.is_empty() {
                errors.push(Problem::new(
                    "stopped",
                    format!("not attempted after the failure: {untouched:?}"),
                ));
            }
            let fields = match reports.as_slice() {
                [(node, r)] if conns.len() == 1 => {
                    json!({"node": node, "release": release, "steps": r.steps})
                }
                _ => json!({
                    "release": release,
                    "mode": match mode { Mode::Rolling => "rolling", Mode::Together => "together" },
                    "nodes": reports.iter().map(|(n, r)| json!({"node": n, "steps": r.steps})).collect::<Vec<_>>(),
                    "untouched": untouched,
                }),
            };
            (fields, errors)
        },
        || text(&reports, &untouched, release, mode),
    )
}

/// One node: prepared, then installed and made permanent, or, when the relup restarts the
/// emulator and the node runs under `relup run`, restarted by a handoff.
fn one_node(
    conn: &mut Connection,
    release: &str,
    tar: Option<Vec<u8>>,
) -> Result<InstallReport, CliError> {
    let mut report = install_phases(conn, release, tar, &[Phase::Prepare]).map_err(node_error)?;
    if !report.steps_ok() {
        return Ok(report);
    }
    let rest = match handoff_target(conn, release).map_err(node_error)? {
        Some(target) => vec![handoff(conn, release, &target).map_err(node_error)?],
        None => {
            install_phases(conn, release, None, &[Phase::Install, Phase::Permanent])
                .map_err(node_error)?
                .steps
        }
    };
    report.steps.extend(rest);
    Ok(report)
}

/// The report in words: each step of each node, then each node's verdict.
fn text(
    reports: &[(String, InstallReport)],
    untouched: &[&String],
    release: &str,
    mode: Mode,
) -> String {
    let mut text = String::new();
    if mode == Mode::Together {
        text.push_str(
            "the relup synchronises its nodes (sync_nodes): every node prepared, then \
             install_release on all at once\n",
        );
    }
    for (node, report) in reports {
        for s in &report.steps {
            text.push_str(&format!(
                "{}\t{}\t{:.1} ms\t{}\n",
                s.step,
                if s.ok { "ok" } else { "FAILED" },
                s.micros as f64 / 1000.0,
                s.result
            ));
            if let Some(why) = &s.explanation {
                text.push_str(&format!("  {why}\n"));
            }
            text.push_str(&format!("{}_us={}\n", s.step, s.micros));
        }
        text.push_str(&format!(
            "release {release} on {node}: {}\n",
            if report.ok() {
                "installed and permanent"
            } else if report.steps_ok() {
                "prepared, not installed (stopped at a failure elsewhere)"
            } else {
                "not installed"
            }
        ));
    }
    for node in untouched {
        text.push_str(&format!(
            "{node}: untouched (stopped at the first failure)\n"
        ));
    }
    text
}

/// The first node (prepared already) finished, then each other node whole, stopping at the
/// first failure.
fn rolling(
    conns: &mut [(String, Connection)],
    release: &str,
    tar: Option<Vec<u8>>,
    reports: &mut Vec<(String, InstallReport)>,
) -> Result<(), CliError> {
    let rest = install_phases(
        &mut conns[0].1,
        release,
        None,
        &[Phase::Install, Phase::Permanent],
    )
    .map_err(node_error)?;
    reports[0].1.steps.extend(rest.steps);
    if !reports[0].1.ok() {
        return Ok(());
    }
    for (node, conn) in conns.iter_mut().skip(1) {
        let report = install(conn, release, tar.clone()).map_err(node_error)?;
        let ok = report.ok();
        reports.push((node.clone(), report));
        if !ok {
            break;
        }
    }
    Ok(())
}

/// Every other node prepared (stopping at the first failure, before any installs), then
/// `install_release` on all nodes at once, then `make_permanent` on each that installed.
fn together(
    conns: &mut [(String, Connection)],
    release: &str,
    tar: Option<Vec<u8>>,
    reports: &mut Vec<(String, InstallReport)>,
) -> Result<(), CliError> {
    for (node, conn) in conns.iter_mut().skip(1) {
        let prepared =
            install_phases(conn, release, tar.clone(), &[Phase::Prepare]).map_err(node_error)?;
        let ok = prepared.steps_ok();
        reports.push((node.clone(), prepared));
        if !ok {
            return Ok(());
        }
    }
    let installed: Vec<Result<InstallReport, relup::node::DistError>> = std::thread::scope(|s| {
        let handles: Vec<_> = conns
            .iter_mut()
            .map(|(_, conn)| {
                s.spawn(move || install_phases(conn, release, None, &[Phase::Install]))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(relup::node::DistError::BadRpc {
                        node: String::new(),
                        what: "install_release".into(),
                        reason: "the installing thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    for ((_, report), result) in reports.iter_mut().zip(installed) {
        report.steps.extend(result.map_err(node_error)?.steps);
    }
    for ((_, conn), (_, report)) in conns.iter_mut().zip(reports.iter_mut()) {
        if report.steps_ok() {
            let done =
                install_phases(conn, release, None, &[Phase::Permanent]).map_err(node_error)?;
            report.steps.extend(done.steps);
        }
    }
    Ok(())
}
