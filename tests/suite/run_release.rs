//! An Erlang release under `relup run` (`tests/otp/web`): built by rebar3 at 0.1.0 and 0.2.0
//! into one release root, started from the version `releases/start_erl.data` names, and taken
//! from 0.1.0 to 0.2.0 under load twice in one run: by handoff (`start_erl.data` switched,
//! `SIGHUP`: the new node starts on the same socket, the old one drains) and by restarting the
//! node (the old node stops, the new one binds the port), the upgrade OTP does for a relup
//! that restarts the emulator. Failed requests and the longest gap without an answer are
//! printed side by side; the handoff must fail none.
//!
//! Every process is stopped by its pid: relup run (which stops its instances), the directly
//! started nodes, and the run's private epmd.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{copy_dir, otp_dir};
use crate::live_release::{Run, Spawned, free_port};
use crate::run_harness::{Load, LoadResult, Supervised, body_pid, http_get, signal};

const CLIENTS: usize = 6;

/// The restart-only appup of web 0.2.0: the upgrade OTP does by restarting the emulator.
const RESTART_APPUP: &str =
    "{\"0.2.0\", [{\"0.1.0\", [restart_emulator]}], [{\"0.1.0\", [restart_emulator]}]}.\n";

/// Builds the web release at 0.1.0 (and its tarball), then 0.2.0 into the same root; with
/// `relup`, 0.2.0 carries an appup that restarts the emulator, the relup `relup make` plans
/// from it, and a tarball. Returns the root and the tarballs.
fn build_root(run: &Run, relup: bool) -> (PathBuf, PathBuf, PathBuf) {
    let project = run.dir.join("web");
    copy_dir(&otp_dir().join("web"), &project);
    run.rebar3(&project, &["tar"], "rebar3-web-0.1.0");
    let root = project.join("_build/default/rel/web");
    let old_tar = run.dir.join("web-0.1.0.tar.gz");
    std::fs::copy(root.join("web-0.1.0.tar.gz"), &old_tar).unwrap();
    for file in ["rebar.config", "src/web.app.src"] {
        let path = project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"0.1.0\"", "\"0.2.0\"")).unwrap();
    }
    // rebar3 rebuilds by timestamps, which a quick second build can tie: compile afresh.
    std::fs::remove_dir_all(project.join("_build/default/lib/web")).unwrap();
    if relup {
        std::fs::create_dir_all(project.join("ebin")).unwrap();
        std::fs::write(project.join("ebin/web.appup"), RESTART_APPUP).unwrap();
    }
    run.rebar3(&project, &["release"], "rebar3-web-0.2.0");
    let new_tar = run.dir.join("web-0.2.0.tar.gz");
    if relup {
        let mut make = run.command(env!("CARGO_BIN_EXE_relup"));
        make.arg("make")
            .arg(&root)
            .args(["--up-from", "0.1.0", "--down-to", "0.1.0"]);
        run.run_ok(make, "relup-make", 60);
        let relup = std::fs::read_to_string(root.join("releases/0.2.0/relup")).unwrap();
        assert!(relup.contains("restart_emulator"), "{relup}");
        run.rebar3(&project, &["tar"], "rebar3-tar-0.2.0");
        std::fs::copy(root.join("web-0.2.0.tar.gz"), &new_tar).unwrap();
    }
    (root, old_tar, new_tar)
}

/// `relup run` on the release root, its node named `web_TAG_N@localhost`.
fn supervise_root(run: &Run, root: &Path, tag: &str) -> Supervised {
    let mut relup = run.command(env!("CARGO_BIN_EXE_relup"));
    web_env(run, &mut relup, tag);
    let cmd = start_command(root);
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--ready-timeout",
        "60",
        "--drain-timeout",
        "30",
    ];
    let mut s = Supervised::start_in(relup, &args, &cmd);
    s.wait_instance("ready", 1, 60);
    s
}

/// Points `releases/start_erl.data` at `vsn` (what `release_handler:make_permanent/1` does).
fn boot_version(root: &Path, vsn: &str) {
    let file = root.join("releases/start_erl.data");
    let text = std::fs::read_to_string(&file).unwrap();
    let erts = text.split_whitespace().next().unwrap().to_string();
    std::fs::write(&file, format!("{erts} {vsn}\n")).unwrap();
}

/// The instance command: the release version `start_erl.data` names, in the foreground.
fn start_command(root: &Path) -> Vec<String> {
    let script = "exec \"$0/bin/web-$(cut -d' ' -f2 \"$0/releases/start_erl.data\")\" foreground";
    vec![
        "/bin/sh".into(),
        "-c".into(),
        script.into(),
        root.display().to_string(),
    ]
}

fn web_env(run: &Run, c: &mut std::process::Command, tag: &str) {
    c.env("WEB_NODE", format!("web_{tag}"))
        .env("WEB_COOKIE", &run.cookie);
}

fn wait_serving(addr: std::net::SocketAddr, vsn: &str) -> u32 {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(body) = http_get(addr, "/", Duration::from_secs(2)) {
            if body.contains(&format!("vsn={vsn}")) {
                return body_pid(&body);
            }
        }
        assert!(std::time::Instant::now() < deadline, "{vsn} never served");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Load while `upgrade` runs, then until 0.2.0 has served for a while.
fn under_load(addr: std::net::SocketAddr, upgrade: impl FnOnce()) -> LoadResult {
    let load = Load::start(addr, CLIENTS, "/sleep/10", Duration::from_secs(120));
    std::thread::sleep(Duration::from_millis(500));
    upgrade();
    wait_serving(addr, "0.2.0");
    std::thread::sleep(Duration::from_millis(500));
    load.finish()
}

#[test]
#[cfg_attr(not(otp), ignore = "needs Erlang/OTP and rebar3 on PATH")]
fn release_upgrade_by_handoff_fails_no_request_where_a_restart_does() {
    let run = Run::new();
    let (root, _, _) = build_root(&run, false);
    let log = |name: &str| std::fs::File::create(run.dir.join(name)).unwrap();
    let _epmd = run.epmd();

    // Handoff: relup run holds the port; 0.2.0 starts beside 0.1.0 and takes over.
    boot_version(&root, "0.1.0");
    let mut s = supervise_root(&run, &root, "h");
    let addr = s.addr.unwrap();
    let old_pid = s.instance_pid(1);
    assert_eq!(wait_serving(addr, "0.1.0"), old_pid);
    let handoff = under_load(addr, || {
        boot_version(&root, "0.2.0");
        signal(s.pid(), "HUP");
    });
    s.wait_for(|e| e["event"] == "upgraded" && e["instance"] == 2, 60);
    let exited = s.wait_instance("exited", 1, 60);
    assert_eq!(
        exited["ending"]["code"], 0,
        "the old node drains and stops: {exited}"
    );
    assert_eq!(s.stop(), Some(0));
    drop(s);

    // Restart: the node owns its port; 0.1.0 stops, then 0.2.0 starts.
    let port = free_port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let node = |vsn: &str, n: &str| {
        let mut c = run.command(root.join(format!("bin/web-{vsn}")));
        web_env(&run, &mut c, "r");
        c.arg("foreground")
            .env("WEB_PORT", port.to_string())
            .env("RELUP_RUN_INSTANCE", n)
            .stdout(log(&format!("node-{vsn}.out")))
            .stderr(log(&format!("node-{vsn}.err")));
        Spawned(c.spawn().unwrap())
    };
    let mut old = node("0.1.0", "1");
    wait_serving(addr, "0.1.0");
    let mut new = None;
    let restart = under_load(addr, || {
        signal(old.0.id(), "TERM");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while old.0.try_wait().unwrap().is_none() {
            assert!(std::time::Instant::now() < deadline, "0.1.0 did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
        new = Some(node("0.2.0", "2"));
    });
    if let Some(n) = &new {
        signal(n.0.id(), "TERM");
    }

    let row = |how: &str, r: &LoadResult| {
        format!(
            "| {how} | {} | {} | {} ms |",
            r.ok,
            r.failed,
            r.longest_gap.as_millis()
        )
    };
    eprintln!(
        "web 0.1.0 -> 0.2.0 under load ({CLIENTS} clients):\n| upgrade | answered | failed | longest gap |\n{}\n{}\nfirst restart failures: {:?}",
        row("relup run handoff", &handoff),
        row("node restart", &restart),
        restart.errors
    );
    assert_eq!(handoff.failed, 0, "{handoff:?}");
    assert!(handoff.by_pid.len() == 2, "{handoff:?}");
    assert!(restart.ok > 0, "{restart:?}");
}

/// `relup node install` of a relup that restarts the emulator, on a node under `relup run`:
/// the restart becomes a handoff (release_handler alone would reboot the node, and without
/// heart refuse to), with no failed request, and the new release is the permanent one.
#[test]
#[cfg_attr(not(otp), ignore = "needs Erlang/OTP and rebar3 on PATH")]
fn relup_node_install_turns_a_restart_emulator_relup_into_a_handoff() {
    let run = Run::new();
    let (_, old_tar, new_tar) = build_root(&run, true);
    let node_root = run.dir.join("node");
    std::fs::create_dir_all(&node_root).unwrap();
    let mut untar = run.command("tar");
    untar.arg("-xzf").arg(&old_tar).arg("-C").arg(&node_root);
    run.run_ok(untar, "untar-0.1.0", 60);
    let _epmd = run.epmd();
    let mut s = supervise_root(&run, &node_root, "i");
    let addr = s.addr.unwrap();
    assert_eq!(wait_serving(addr, "0.1.0"), s.instance_pid(1));

    let mut output = String::new();
    let result = under_load(addr, || {
        let mut c = run.command(env!("CARGO_BIN_EXE_relup"));
        c.args(["node", "install", "--release", "0.2.0", "--tar"])
            .arg(&new_tar)
            .args(["--node", "web_i_1@localhost", "--cookie", &run.cookie]);
        let (ok, out, err) = run.run(c, "relup-node-install", 180);
        output = format!("{out}{err}");
        assert!(ok, "relup node install failed:\n{output}");
    });
    eprintln!("relup node install:\n{output}\nunder load: {result:?}");
    assert!(output.contains("handoff"), "{output}");
    assert_eq!(result.failed, 0, "{result:?}");
    s.wait_for(|e| e["event"] == "upgraded" && e["instance"] == 2, 60);
    let releases = std::fs::read_to_string(node_root.join("releases/RELEASES")).unwrap();
    let data = std::fs::read_to_string(node_root.join("releases/start_erl.data")).unwrap();
    assert!(data.ends_with(" 0.2.0"), "{data}");
    let compact: String = releases.split_whitespace().collect();
    assert!(compact.contains("permanent}"), "{releases}");
    let new_entry = compact
        .split("{release,")
        .find(|r| r.contains("\"0.2.0\""))
        .unwrap();
    assert!(
        new_entry.ends_with("permanent},") || new_entry.ends_with("permanent}]."),
        "{releases}"
    );
    assert_eq!(s.stop(), Some(0));
}
