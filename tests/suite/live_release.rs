//! The live-release harness, with real components only: the tally demo (`tests/otp/demo`) is
//! built at 0.1.0 and then 0.2.0 into one rebar3 release root (rebar3's own relup workflow);
//! `relup make ROOT --up-from 0.1.0 --down-to 0.1.0` must write the relup `rebar3 relup` writes,
//! byte for byte; then 0.1.0 runs as a real node (its own epmd port, a unique node name and
//! cookie), release_handler installs 0.2.0 from a tarball carrying our relup, downgrades to
//! 0.1.0, upgrades again, and the node's state is checked after every step: same gen_server
//! pid, migrated state, new library code, the new supervisor child, release statuses.
//!
//! Every process started here is stopped by its pid; every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{copy_dir, otp_dir, temp_path};

/// A process of the run, killed by pid when dropped (if it has not exited by then).
pub(crate) struct Spawned(pub(crate) Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// The run's work directory, node name, cookie and epmd port.
pub(crate) struct Run {
    pub(crate) dir: PathBuf,
    pub(crate) node: String,
    pub(crate) cookie: String,
    pub(crate) epmd_port: u16,
}

impl Run {
    pub(crate) fn new() -> Run {
        let dir = temp_path("live");
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let tag = format!("{}_{}", std::process::id(), nanos % 1_000_000_007);
        Run {
            node: format!("tally_{tag}@localhost"),
            cookie: format!("cookie_{tag}_{}", nanos % 999_983),
            epmd_port: free_port(),
            dir,
        }
    }

    /// A command with the run's environment: its own HOME and rebar3 cache, epmd port, node
    /// name and cookie (the release's vm.args.src reads TALLY_NODE and TALLY_COOKIE).
    pub(crate) fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        let home = self.dir.join("home");
        c.env("HOME", &home)
            .env("REBAR_CACHE_DIR", home.join("rebar3-cache"))
            .env("REBAR_GLOBAL_CONFIG_DIR", home.join("rebar3-config"))
            .env("REBAR_OFFLINE", "1")
            .env("ERL_EPMD_PORT", self.epmd_port.to_string())
            .env("TALLY_NODE", &self.node)
            .env("TALLY_COOKIE", &self.cookie)
            .env("ERL_CRASH_DUMP", self.dir.join("erl_crash.dump"))
            .stdin(Stdio::null());
        c
    }

    /// Runs a command to its end within `secs`, output in the work dir's logs; kills it on
    /// timeout. Returns (success, stdout, stderr).
    pub(crate) fn run(&self, mut cmd: Command, label: &str, secs: u64) -> (bool, String, String) {
        let out = self.dir.join(format!("{label}.out"));
        let err = self.dir.join(format!("{label}.err"));
        cmd.stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap());
        let mut child = Spawned(cmd.spawn().unwrap_or_else(|e| panic!("{label}: {e}")));
        let deadline = Instant::now() + Duration::from_secs(secs);
        let ok = loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                break status.success();
            }
            assert!(Instant::now() < deadline, "{label}: no answer in {secs} s");
            std::thread::sleep(Duration::from_millis(50));
        };
        drop(child);
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (ok, read(&out), read(&err))
    }

    /// The run's private epmd (stopped by pid when dropped).
    pub(crate) fn epmd(&self) -> Spawned {
        let log = |name: &str| std::fs::File::create(self.dir.join(name)).unwrap();
        Spawned(
            self.command("epmd")
                .args([
                    "-port",
                    &self.epmd_port.to_string(),
                    "-address",
                    "127.0.0.1",
                ])
                .stdout(log("epmd.out"))
                .stderr(log("epmd.err"))
                .spawn()
                .unwrap(),
        )
    }

    pub(crate) fn run_ok(&self, cmd: Command, label: &str, secs: u64) -> String {
        let (ok, out, err) = self.run(cmd, label, secs);
        assert!(ok, "{label} failed:\n{out}\n{err}");
        out
    }

    pub(crate) fn rebar3(&self, project: &Path, args: &[&str], label: &str) -> String {
        let mut c = self.command("rebar3");
        c.args(args).current_dir(project);
        self.run_ok(c, label, 300)
    }

    /// `relup node ACTION ... --node NODE --cookie COOKIE`.
    pub(crate) fn relup_node(&self, args: &[&str], label: &str) -> (bool, String) {
        let mut c = self.command(env!("CARGO_BIN_EXE_relup"));
        c.arg("node")
            .args(args)
            .args(["--node", &self.node, "--cookie", &self.cookie]);
        let (ok, out, err) = self.run(c, label, 120);
        (ok, format!("{out}{err}"))
    }

    /// Installs release `vsn` the way `via` says: the probe's rpc calls or `relup node install`.
    fn install(&self, via: Via, vsn: &str, tar: Option<&Path>, label: &str) -> (bool, String) {
        match (via, tar) {
            (Via::Probe, Some(tar)) => self.probe(&["install", vsn, tar.to_str().unwrap()], label),
            (Via::Probe, None) => self.probe(&["switch", vsn], label),
            (Via::RelupNode, Some(tar)) => self.relup_node(
                &["install", "--release", vsn, "--tar", tar.to_str().unwrap()],
                label,
            ),
            (Via::RelupNode, None) => self.relup_node(&["install", "--release", vsn], label),
        }
    }

    fn probe(&self, args: &[&str], label: &str) -> (bool, String) {
        let mut c = self.command("escript");
        c.arg(otp_dir().join("probe.escript"))
            .arg(&self.node)
            .arg(&self.cookie)
            .args(args);
        let (ok, out, err) = self.run(c, label, 60);
        (ok, format!("{out}{err}"))
    }
}

/// A TCP port nobody listens on right now (the run's private epmd takes it).
pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The probe's `state` output as key → value text.
fn state(run: &Run, label: &str) -> std::collections::BTreeMap<String, String> {
    let (ok, out) = run.probe(&["state"], label);
    assert!(ok, "state probe failed: {out}");
    out.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Counts the checks as they pass, and names the first that fails.
pub(crate) struct Checks(pub(crate) usize);

impl Checks {
    fn eq(&mut self, what: &str, got: Option<&String>, want: &str) {
        assert_eq!(got.map(String::as_str), Some(want), "{what}");
        self.0 += 1;
    }
    pub(crate) fn that(&mut self, what: &str, ok: bool) {
        assert!(ok, "{what}");
        self.0 += 1;
    }
}

/// The state a node of `vsn` must show after `count` increments, with `srv_pid` unchanged.
fn check_state(
    c: &mut Checks,
    s: &std::collections::BTreeMap<String, String>,
    vsn: &str,
    count: u32,
    srv_pid: &str,
) {
    c.eq("tally_srv keeps its pid", s.get("srv_pid"), srv_pid);
    let other = if vsn == "0.1.0" { "0.2.0" } else { "0.1.0" };
    let releases = if vsn == "0.1.0" {
        format!("[{{\"{vsn}\",permanent}},{{\"{other}\",old}}]")
    } else {
        format!("[{{\"{other}\",old}},{{\"{vsn}\",permanent}}]")
    };
    c.eq("release statuses", s.get("releases"), &releases);
    let loaded_srv = s.get("loaded").is_some_and(|l| {
        l.contains(&format!("{{tally_srv,\"{vsn}\"}}"))
            && l.contains(&format!("{{tally_lib,\"{vsn}\"}}"))
            && l.contains(&format!("{{tally_sup,\"{vsn}\"}}"))
    });
    c.that(
        &format!("{vsn} code loaded: {:?}", s.get("loaded")),
        loaded_srv,
    );
    c.eq("no old code left", s.get("old_code"), "[]");
    if vsn == "0.2.0" {
        c.that(
            &format!("state migrated: {:?}", s.get("srv_state")),
            s.get("srv_state").is_some_and(|t| {
                t.starts_with(&format!("{{state,{count},")) && t.ends_with(",\"0.1.0\"}")
            }),
        );
        c.eq("new library code", s.get("step_of_zero"), "5");
        c.eq(
            "supervisor children",
            s.get("children"),
            "[{tally_audit,true},{tally_srv,true}]",
        );
        c.eq("new child answers", s.get("audit"), "{pong,\"0.2.0\"}");
        c.that(
            &format!("report of the new code: {:?}", s.get("report")),
            s.get("report").is_some_and(|r| {
                r.contains(&format!("label => \"tally:{count}\""))
                    && r.contains("migrated_from => \"0.1.0\"")
            }),
        );
        c.that(
            "tally_audit loaded",
            s.get("loaded")
                .is_some_and(|l| l.contains("{tally_audit,\"0.2.0\"}")),
        );
    } else {
        c.that(
            &format!("state in the 0.1.0 shape: {:?}", s.get("srv_state")),
            s.get("srv_state").is_some_and(|t| {
                t.starts_with(&format!("{{state,{count},")) && t.matches(',').count() == 2
            }),
        );
        c.eq("old library code", s.get("step_of_zero"), "1");
        c.eq(
            "supervisor children",
            s.get("children"),
            "[{tally_srv,true}]",
        );
        c.eq("no audit process", s.get("audit"), "not_running");
        c.that(
            "tally_audit not loaded",
            s.get("loaded")
                .is_some_and(|l| l.contains("{tally_audit,not_loaded}")),
        );
    }
}

#[test]
#[cfg_attr(
    not(all(otp, rebar3)),
    ignore = "needs Erlang/OTP and rebar3 on PATH (apt-get install erlang-base rebar3)"
)]
fn rebar3_release_root_relup_and_live_upgrade_downgrade_reupgrade() {
    live_run(Appup::HandWritten, Via::Probe);
}

/// The same run with every step on the node done by `relup node`: a snapshot of the live
/// 0.1.0 node simulated with the relup before anything changes (the prediction must match
/// what the node then does), then `relup node install` for the upgrade (tarball sent over the
/// connection), the downgrade and the re-upgrade.
#[test]
#[cfg_attr(
    not(all(otp, rebar3)),
    ignore = "needs Erlang/OTP and rebar3 on PATH (apt-get install erlang-base rebar3)"
)]
fn relup_node_snapshots_predicts_and_installs_on_the_live_node() {
    live_run(Appup::HandWritten, Via::RelupNode);
}

/// How releases are installed on the live node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// The probe escript's rpc calls to release_handler.
    Probe,
    /// `relup node install`.
    RelupNode,
}

/// The same run with the hand-written appup removed and the one `relup appup generate` makes
/// from the two versions' beams in its place.
#[test]
#[cfg_attr(
    not(all(otp, rebar3)),
    ignore = "needs Erlang/OTP and rebar3 on PATH (apt-get install erlang-base rebar3)"
)]
fn generated_appup_upgrades_downgrades_and_reupgrades_the_live_node() {
    live_run(Appup::Generated, Via::Probe);
}

/// Which appup the 0.2.0 release carries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Appup {
    HandWritten,
    Generated,
}

/// Builds tally 0.1.0 (its tarball kept) and then 0.2.0 into one rebar3 release root, with
/// the hand-written or the generated appup; returns (project, root, 0.1.0 tarball).
pub(crate) fn build_both(run: &Run, appup: Appup) -> (PathBuf, PathBuf, PathBuf) {
    let demo = otp_dir().join("demo");
    let project = run.dir.join("tally");

    // Both versions built into one release root, as rebar3's relup workflow does.
    copy_dir(&demo.join("0.1.0"), &project);
    run.rebar3(&project, &["tar"], "rebar3-tar-0.1.0");
    let root = project.join("_build/default/rel/tally");
    let old_tar = run.dir.join("tally-0.1.0.tar.gz");
    std::fs::copy(root.join("tally-0.1.0.tar.gz"), &old_tar).unwrap();
    for gone in ["src", "config", "rebar.config"] {
        let p = project.join(gone);
        if p.is_dir() {
            std::fs::remove_dir_all(p).unwrap();
        } else {
            std::fs::remove_file(p).unwrap();
        }
    }
    // rebar3 rebuilds by timestamps, which a quick second build can tie: compile afresh.
    std::fs::remove_dir_all(project.join("_build/default/lib/tally")).unwrap();
    copy_dir(&demo.join("0.2.0"), &project);
    if appup == Appup::Generated {
        std::fs::remove_file(project.join("ebin/tally.appup")).unwrap();
    }
    run.rebar3(&project, &["release"], "rebar3-release-0.2.0");
    if appup == Appup::Generated {
        // From the beams of both versions in the root; the project's copy is what rebar3
        // puts into the release it assembles again.
        for out in [project.join("ebin"), root.join("lib/tally-0.2.0/ebin")] {
            let mut generate = run.command(env!("CARGO_BIN_EXE_relup"));
            generate
                .args(["appup", "generate", "0.1.0", "--new"])
                .arg(&root)
                .arg("-o")
                .arg(&out);
            run.run_ok(generate, "appup-generate", 60);
        }
        let text = std::fs::read_to_string(project.join("ebin/tally.appup")).unwrap();
        eprintln!("generated appup:\n{text}");
        assert!(text.contains("{apply, {supervisor, restart_child, [tally_sup, tally_audit]}}"));
    }
    (project, root, old_tar)
}

fn live_run(appup: Appup, via: Via) {
    let run = Run::new();
    let (project, root, old_tar) = build_both(&run, appup);
    run.rebar3(
        &project,
        &["relup", "-n", "tally", "-v", "0.2.0", "-u", "0.1.0"],
        "rebar3-relup",
    );
    let relup_file = root.join("releases/0.2.0/relup");
    let rebar3_relup = std::fs::read(&relup_file).unwrap();
    std::fs::remove_file(&relup_file).unwrap();

    // Ours, from the release root as it is: NEW = its newest release, OLD a bare version,
    // the code path its lib/, written to releases/0.2.0/relup.
    let mut make = run.command(env!("CARGO_BIN_EXE_relup"));
    make.arg("make")
        .arg(&root)
        .args(["--up-from", "0.1.0", "--down-to", "0.1.0"]);
    run.run_ok(make, "relup-make", 60);
    let ours = std::fs::read(&relup_file).unwrap();
    assert!(
        ours == rebar3_relup,
        "relup make differs from rebar3 relup:\n--- ours\n{}\n--- rebar3\n{}",
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&rebar3_relup)
    );
    let mut checks = Checks(1);

    // The release's beams (both versions, ERTS apps included): beam_lib:md5 equals ours.
    let lines = crate::beams::otp_md5s(&[&root.join("lib")]);
    let bad = crate::beams::mismatches(&lines);
    checks.that(
        &format!("{} release beams have beam_lib's md5: {bad:?}", lines.len()),
        lines.len() > 100 && bad.is_empty(),
    );

    // The 0.2.0 tarball carries our relup.
    run.rebar3(&project, &["tar"], "rebar3-tar-0.2.0");
    let new_tar = run.dir.join("tally-0.2.0.tar.gz");
    std::fs::copy(root.join("tally-0.2.0.tar.gz"), &new_tar).unwrap();
    let mut tar = run.command("tar");
    tar.arg("-xzOf").arg(&new_tar).arg("releases/0.2.0/relup");
    let packed = run.run_ok(tar, "tar-relup", 60);
    checks.that(
        "the tarball holds our relup",
        packed.as_bytes() == ours.as_slice(),
    );

    // 0.1.0 installed and started as a real node, with a private epmd.
    let node_root = run.dir.join("node");
    std::fs::create_dir_all(&node_root).unwrap();
    let mut untar = run.command("tar");
    untar.arg("-xzf").arg(&old_tar).arg("-C").arg(&node_root);
    run.run_ok(untar, "untar-0.1.0", 60);
    let log = |name: &str| std::fs::File::create(run.dir.join(name)).unwrap();
    let epmd = run.epmd();
    let mut node = Spawned(
        run.command(node_root.join("bin/tally"))
            .arg("foreground")
            .stdout(log("node.out"))
            .stderr(log("node.err"))
            .spawn()
            .unwrap(),
    );
    let (ok, out) = run.probe(&["wait"], "wait");
    assert!(ok, "the 0.1.0 node did not come up: {out}");

    let (ok, out) = run.probe(&["bump", "3"], "bump-1");
    assert!(ok, "{out}");
    let before = state(&run, "state-0.1.0");
    let srv_pid = before.get("srv_pid").unwrap().clone();
    checks.eq(
        "one release at first",
        before.get("releases"),
        "[{\"0.1.0\",permanent}]",
    );
    checks.eq("0.1.0 library code", before.get("step_of_zero"), "1");
    checks.that(
        &format!("three increments: {:?}", before.get("srv_state")),
        before
            .get("srv_state")
            .is_some_and(|t| t.starts_with("{state,3,")),
    );

    if via == Via::RelupNode {
        crate::live_node::predict(&run, &mut checks, &relup_file, &root.join("lib"));
    }

    // Upgrade: the tarball's bytes go over the connection; release_handler does the rest.
    let (ok, out) = run.install(via, "0.2.0", Some(&new_tar), "install-0.2.0");
    assert!(ok, "upgrade failed: {out}");
    check_state(&mut checks, &state(&run, "state-up"), "0.2.0", 3, &srv_pid);
    let (ok, out) = run.probe(&["bump", "1"], "bump-2");
    assert!(ok, "{out}");

    // Downgrade: the new code's code_change({down, _}) runs before the old code is loaded.
    let (ok, out) = run.install(via, "0.1.0", None, "switch-0.1.0");
    assert!(ok, "downgrade failed: {out}");
    check_state(
        &mut checks,
        &state(&run, "state-down"),
        "0.1.0",
        8,
        &srv_pid,
    );
    let (ok, out) = run.probe(&["bump", "2"], "bump-3");
    assert!(ok, "{out}");

    // And up again.
    let (ok, out) = run.install(via, "0.2.0", None, "switch-0.2.0");
    assert!(ok, "re-upgrade failed: {out}");
    check_state(
        &mut checks,
        &state(&run, "state-reup"),
        "0.2.0",
        10,
        &srv_pid,
    );

    // Stop the node (bounded), then its epmd, by pid.
    let _ = run.probe(&["stop"], "stop");
    let deadline = Instant::now() + Duration::from_secs(20);
    while matches!(node.0.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let stopped = matches!(node.0.try_wait(), Ok(Some(_)));
    drop(node);
    drop(epmd);
    checks.that("the node stopped when asked", stopped);
    let which = match (appup, via) {
        (Appup::Generated, _) => "generated appup",
        (Appup::HandWritten, Via::Probe) => "hand-written appup",
        (Appup::HandWritten, Via::RelupNode) => "hand-written appup, relup node",
    };
    eprintln!(
        "live release ({which}): {} checks passed, 0 failed",
        checks.0
    );
    std::fs::remove_dir_all(&run.dir).unwrap();
}

/// `relup appup lint` stays quiet on complete appups (the hand-written one, the generated one)
/// and names the module when an instruction is missing or `{advanced, _}` names a module
/// without `code_change`.
#[test]
#[cfg_attr(
    not(all(otp, rebar3)),
    ignore = "needs Erlang/OTP and rebar3 on PATH (apt-get install erlang-base rebar3)"
)]
fn appup_lint_finds_seeded_omissions_and_passes_complete_appups() {
    let run = Run::new();
    let (_, root, _) = build_both(&run, Appup::HandWritten);
    let appup_file = root.join("lib/tally-0.2.0/ebin/tally.appup");
    let hand = std::fs::read_to_string(&appup_file).unwrap();
    let lint = |label: &str| {
        let mut c = run.command(env!("CARGO_BIN_EXE_relup"));
        c.args(["appup", "lint", "0.1.0", "--json", "--new"])
            .arg(&root);
        let (ok, out, err) = run.run(c, label, 60);
        let doc: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        (ok, doc)
    };
    let (ok, doc) = lint("lint-hand");
    assert!(ok && doc["errors"].as_array().unwrap().is_empty(), "{doc}");
    let mut generate = run.command(env!("CARGO_BIN_EXE_relup"));
    generate
        .args(["appup", "generate", "0.1.0", "--new"])
        .arg(&root)
        .arg("-o")
        .arg(appup_file.parent().unwrap());
    run.run_ok(generate, "generate", 60);
    let (ok, doc) = lint("lint-generated");
    assert!(ok && doc["errors"].as_array().unwrap().is_empty(), "{doc}");
    // Seeded: the gen_server's instruction left out of both entries.
    let omitted = hand.replace("{update, tally_srv, {advanced, []}, [tally_lib]},", "");
    std::fs::write(&appup_file, omitted).unwrap();
    let (ok, doc) = lint("lint-omitted");
    assert!(!ok, "{doc}");
    let codes: Vec<String> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["code"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        codes
            .iter()
            .any(|c| c.starts_with("uncovered_module tally_srv is changed")),
        "{codes:?}"
    );
    // Seeded: {advanced, _} on a library without code_change.
    let advanced = hand.replace(
        "{load_module, tally_lib}",
        "{update, tally_lib, {advanced, []}}",
    );
    std::fs::write(&appup_file, advanced).unwrap();
    let (ok, doc) = lint("lint-advanced");
    assert!(!ok && doc["errors"][0]["code"] == "no_code_change", "{doc}");
    std::fs::remove_dir_all(&run.dir).unwrap();
}
