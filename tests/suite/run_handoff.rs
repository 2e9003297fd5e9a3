//! `relup run` with real servers on loopback: beego's graceful-restart demo, upgrades under
//! load with no failed request, new instances that fail (exit at once, never ready) leaving
//! the old one serving, a restart after a crash, and the socket-activation contract itself.

use std::time::Duration;

use crate::run_harness::{Load, ModeFile, Supervised, body_pid, http_get, signal};

const SECOND: Duration = Duration::from_secs(1);

fn server_args(ready_timeout: &str) -> Vec<&str> {
    vec![
        "--listen",
        "127.0.0.1:0",
        "--ready-timeout",
        ready_timeout,
        "--drain-timeout",
        "20",
    ]
}

/// Waits until instance `id` has been sent SIGTERM and its acceptor has seen it (the test
/// server checks for a stop between accepts of at most 50 ms).
fn settle_after_sigterm(s: &mut Supervised, id: u64) {
    s.wait_instance("draining", id, 10);
    std::thread::sleep(Duration::from_millis(300));
}

fn supervise_server(mode: &ModeFile, ready_timeout: &str) -> Supervised {
    let cmd = mode.command();
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let mut s = Supervised::start(&server_args(ready_timeout), &cmd);
    s.wait_instance("ready", 1, 30);
    s
}

/// beego's demo: a slow request started before `SIGHUP` finishes on the old pid; a request
/// after the upgrade is answered by the new pid.
#[test]
#[cfg_attr(not(otp), ignore = "needs Erlang/OTP: escript on PATH")]
fn slow_request_finishes_on_the_old_pid_and_the_next_goes_to_the_new() {
    let mode = ModeFile::new("mode-beego");
    let mut s = supervise_server(&mode, "30");
    let addr = s.addr.unwrap();
    let old = s.instance_pid(1);
    let slow = std::thread::spawn(move || http_get(addr, "/sleep/3000", 20 * SECOND));
    std::thread::sleep(Duration::from_millis(500));
    mode.set("serve 2");
    signal(s.pid(), "HUP");
    s.wait_for(|e| e["event"] == "upgraded" && e["instance"] == 2, 30);
    settle_after_sigterm(&mut s, 1);
    let new = s.instance_pid(2);
    assert_ne!(old, new);
    let after = http_get(addr, "/", 5 * SECOND).unwrap();
    assert_eq!(body_pid(&after), new, "{after}");
    assert!(after.contains("vsn=2"), "{after}");
    let slow = slow.join().unwrap().unwrap();
    assert_eq!(body_pid(&slow), old, "the slow request: {slow}");
    assert!(slow.contains("vsn=1"), "{slow}");
    let exited = s.wait_instance("exited", 1, 30);
    assert_eq!(exited["role"], "draining");
    assert_eq!(exited["ending"]["code"], 0, "{exited}");
    assert_eq!(s.stop(), Some(0));
    assert!(s.seen.iter().any(|e| e["event"] == "stopped"));
}

/// Three upgrades in a row while clients send requests (some slow) the whole time.
#[test]
#[cfg_attr(not(otp), ignore = "needs Erlang/OTP: escript on PATH")]
fn three_upgrades_under_load_fail_no_request() {
    let mode = ModeFile::new("mode-three");
    let mut s = supervise_server(&mode, "30");
    let addr = s.addr.unwrap();
    let load = Load::start(addr, 6, "/sleep/20", 90 * SECOND);
    let slow = Load::start(addr, 2, "/sleep/400", 90 * SECOND);
    for id in 2..=4u64 {
        let before = load.ok_so_far();
        mode.set(&format!("serve {id}"));
        signal(s.pid(), "HUP");
        s.wait_for(|e| e["event"] == "upgraded" && e["instance"] == id, 30);
        s.wait_instance("exited", id - 1, 30);
        let deadline = std::time::Instant::now() + 10 * SECOND;
        while load.ok_so_far() < before + 20 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let fast = load.finish();
    let slow = slow.finish();
    eprintln!("fast clients: {fast:?}\nslow clients: {slow:?}");
    assert_eq!(fast.failed + slow.failed, 0, "{fast:?} {slow:?}");
    assert!(fast.ok > 100, "{fast:?}");
    let pids: Vec<u32> = (1..=4).map(|i| s.instance_pid(i)).collect();
    for p in &pids {
        assert!(
            fast.by_pid.contains_key(p),
            "pid {p} served nothing: {fast:?}"
        );
    }
    for id in 1..=3u64 {
        let e = s.wait_instance("exited", id, 1);
        assert_eq!(e["ending"]["code"], 0, "{e}");
    }
    assert_eq!(s.stop(), Some(0));
}

/// A new instance that exits at once, then one that never reports ready: each upgrade fails,
/// the old instance serves throughout, and the next `SIGHUP` upgrades.
#[test]
#[cfg_attr(not(otp), ignore = "needs Erlang/OTP: escript on PATH")]
fn failed_new_instances_leave_the_old_one_serving() {
    let mode = ModeFile::new("mode-fail");
    let mut s = supervise_server(&mode, "3");
    let addr = s.addr.unwrap();
    let old = s.instance_pid(1);
    let load = Load::start(addr, 4, "/sleep/10", 90 * SECOND);

    mode.set("exit");
    signal(s.pid(), "HUP");
    let failed = s.wait_for(|e| e["event"] == "upgrade_failed" && e["instance"] == 2, 30);
    assert_eq!(failed["reason"]["kind"], "exited", "{failed}");
    assert_eq!(failed["reason"]["ending"]["code"], 3, "{failed}");

    mode.set("never_ready");
    signal(s.pid(), "HUP");
    let started = std::time::Instant::now();
    let failed = s.wait_for(|e| e["event"] == "upgrade_failed" && e["instance"] == 3, 30);
    assert_eq!(failed["reason"]["kind"], "not_ready", "{failed}");
    assert!(started.elapsed() >= Duration::from_millis(2900));
    s.wait_instance("draining", 3, 5);
    let exited = s.wait_instance("exited", 3, 30);
    assert_eq!(exited["role"], "draining");

    let during = load.finish();
    eprintln!("during the failed upgrades: {during:?}");
    assert_eq!(during.failed, 0, "{during:?}");
    assert_eq!(during.by_pid.keys().copied().collect::<Vec<_>>(), vec![old]);
    assert!(during.ok > 20, "{during:?}");
    assert!(
        !s.seen
            .iter()
            .any(|e| e["event"] == "draining" && e["instance"] == 1)
    );

    mode.set("serve 4");
    signal(s.pid(), "HUP");
    s.wait_for(|e| e["event"] == "upgraded" && e["instance"] == 4, 30);
    settle_after_sigterm(&mut s, 1);
    let body = http_get(addr, "/", 5 * SECOND).unwrap();
    assert_eq!(body_pid(&body), s.instance_pid(4));
    assert_eq!(s.stop(), Some(0));
}

/// An instance that dies without an upgrade is replaced on the same socket; clients whose
/// connections wait in the accept queue meanwhile are served by the replacement.
#[test]
#[cfg_attr(not(otp), ignore = "needs Erlang/OTP: escript on PATH")]
fn a_dead_instance_is_restarted_on_the_same_socket() {
    let mode = ModeFile::new("mode-crash");
    let mut s = supervise_server(&mode, "30");
    let addr = s.addr.unwrap();
    let first = s.instance_pid(1);
    signal(first, "KILL");
    let exited = s.wait_instance("exited", 1, 10);
    assert_eq!(exited["ending"]["signal"], 9, "{exited}");
    s.wait_for(|e| e["event"] == "restarting", 5);
    let body = http_get(addr, "/", 30 * SECOND).unwrap();
    let started = s.wait_instance("started", 2, 10);
    assert_eq!(started["reason"], "restart");
    assert_eq!(body_pid(&body), started["pid"].as_u64().unwrap() as u32);
    assert_eq!(s.stop(), Some(0));
}

/// The contract an instance sees: sockets at fds 3 and 4 (TCP over IPv6 and a Unix socket),
/// `LISTEN_FDS`, `LISTEN_PID` equal to its own pid, the names, and a `NOTIFY_SOCKET`.
#[test]
fn instances_get_the_sockets_and_the_activation_variables() {
    let dir = crate::common::temp_path("run-contract");
    std::fs::create_dir_all(&dir).unwrap();
    let unix = dir.join("s.sock");
    let out = dir.join("env.txt");
    let script = format!(
        "echo \"fds=$LISTEN_FDS pid=$LISTEN_PID self=$$ names=$LISTEN_FDNAMES \
         notify=${{NOTIFY_SOCKET:+set}}\" > {out}.tmp; \
         readlink /proc/$$/fd/3 /proc/$$/fd/4 >> {out}.tmp; mv {out}.tmp {out}; exec sleep 60",
        out = out.display()
    );
    let unix_arg = format!("ctl=unix:{}", unix.display());
    // IPv6 loopback where the machine has it (some containers do not).
    let web = if std::net::TcpListener::bind("[::1]:0").is_ok() {
        "web=[::1]:0"
    } else {
        eprintln!("no IPv6 loopback here: the TCP socket is 127.0.0.1");
        "web=127.0.0.1:0"
    };
    let mut s = Supervised::start(
        &["--listen", web, "--listen", &unix_arg],
        &["/bin/sh", "-c", &script],
    );
    let pid = s.instance_pid(1);
    let listening: Vec<_> = s
        .seen
        .iter()
        .filter(|e| e["event"] == "listening")
        .cloned()
        .collect();
    let deadline = std::time::Instant::now() + 10 * SECOND;
    while !out.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with(&format!(
            "fds=2 pid={pid} self={pid} names=web:ctl notify=set\nsocket:["
        )),
        "{text}"
    );
    assert_eq!(text.matches("socket:[").count(), 2, "{text}");
    assert!(listening.len() == 2 && listening[0]["fd"] == 3 && listening[1]["fd"] == 4);
    assert!(unix.exists());
    std::os::unix::net::UnixStream::connect(&unix).unwrap();
    assert_eq!(s.stop(), Some(0));
    assert!(!unix.exists(), "the Unix socket file is removed at exit");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bad input is a usage error (exit 2) with a sentence, before anything is started.
#[test]
fn bad_listen_addresses_and_a_taken_port_are_errors() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    for (args, says) in [
        (vec!["--listen", "nohost"], "not HOST:PORT or unix:PATH"),
        (vec!["--listen", "a:b=127.0.0.1:0"], "a name is"),
        (vec!["--listen", &taken], "cannot listen on"),
        (vec!["--ready-timeout", "0"], "above 0"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relup"))
            .arg("run")
            .args(&args)
            .args(["--", "true"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // With --json the failure is the usual document.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relup"))
        .args(["run", "--json", "--listen", "nohost", "--", "true"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        (&doc["command"], &doc["ok"]),
        (&"run".into(), &false.into())
    );
    assert_eq!(doc["errors"][0]["code"], "run", "{doc}");
}

/// An instance that ignores `SIGTERM` is killed (with its process group) after the drain
/// timeout; the pid file holds relup run's pid while it runs and is removed at exit.
#[test]
fn an_instance_that_ignores_sigterm_is_killed_after_the_drain_timeout() {
    let pid_file = crate::common::temp_path("run.pid");
    let pid_arg = pid_file.display().to_string();
    let trapped = crate::common::temp_path("trapped");
    let script = format!(
        "trap '' TERM; : > {}; while :; do sleep 0.1; done",
        trapped.display()
    );
    let mut s = Supervised::start(
        &["--drain-timeout", "1", "--pid-file", &pid_arg],
        &["/bin/sh", "-c", &script],
    );
    let pid = s.instance_pid(1);
    let deadline = std::time::Instant::now() + 10 * SECOND;
    while !trapped.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_file(&trapped);
    let written = std::fs::read_to_string(&pid_file).unwrap();
    assert_eq!(written.trim(), s.pid().to_string());
    let started = std::time::Instant::now();
    assert_eq!(s.stop(), Some(0));
    assert!(started.elapsed() >= Duration::from_millis(900));
    let killed = s.wait_instance("killed", 1, 1);
    assert_eq!(killed["pid"], pid);
    let exited = s.wait_instance("exited", 1, 1);
    assert_eq!(exited["ending"]["signal"], 9, "{exited}");
    assert!(s.seen.last().is_some_and(|e| e["event"] == "stopped"));
    assert!(!pid_file.exists(), "the pid file is removed at exit");
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}
