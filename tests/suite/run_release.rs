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

/// Builds the web release at 0.1.0, then 0.2.0 into the same root; returns the root.
fn build_root(run: &Run) -> PathBuf {
    let project = run.dir.join("web");
    copy_dir(&otp_dir().join("web"), &project);
    run.rebar3(&project, &["release"], "rebar3-web-0.1.0");
    for file in ["rebar.config", "src/web.app.src"] {
        let path = project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"0.1.0\"", "\"0.2.0\"")).unwrap();
    }
    run.rebar3(&project, &["release"], "rebar3-web-0.2.0");
    project.join("_build/default/rel/web")
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
    let root = build_root(&run);
    let log = |name: &str| std::fs::File::create(run.dir.join(name)).unwrap();
    let _epmd = Spawned(
        run.command("epmd")
            .args(["-port", &run.epmd_port.to_string(), "-address", "127.0.0.1"])
            .stdout(log("epmd.out"))
            .stderr(log("epmd.err"))
            .spawn()
            .unwrap(),
    );

    // Handoff: relup run holds the port; 0.2.0 starts beside 0.1.0 and takes over.
    boot_version(&root, "0.1.0");
    let mut relup = run.command(env!("CARGO_BIN_EXE_relup"));
    web_env(&run, &mut relup, "h");
    let cmd = start_command(&root);
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
    let addr = s.addr.unwrap();
    s.wait_instance("ready", 1, 60);
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
