//! `relup node apply` on a real node that is not a release: an application started by hand
//! from `lib/ctr-1/ebin`, upgraded to 2 by the script of its appup (object code sent over the
//! connection, code_change run by `sys:change_code`), downgraded back, and a failure before the
//! point of no return that leaves the node as it was. The node and its epmd are stopped by pid.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use relup::node::{ConnectOptions, Connection};

use crate::common::temp_path;
use crate::live_release::Spawned;

const APP: &str = r#"-module(ctr_app).
-behaviour(application).
-behaviour(supervisor).
-export([start/2, stop/1, init/1]).
start(_, _) -> supervisor:start_link({local, ctr_sup}, ?MODULE, []).
stop(_) -> ok.
init([]) ->
    {ok, {#{strategy => one_for_one},
          [#{id => ctr_srv, start => {ctr_srv, start_link, []}, modules => [ctr_srv]}]}}.
"#;

fn srv(vsn: &str, code_change: &str) -> String {
    format!(
        r#"-module(ctr_srv).
-vsn("{vsn}").
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2, code_change/3]).
start_link() -> gen_server:start_link({{local, ctr_srv}}, ?MODULE, [], []).
init([]) -> {{ok, {{st, 7}}}}.
handle_call(get, _, S) -> {{reply, S, S}}.
handle_cast(_, S) -> {{noreply, S}}.
{code_change}
"#
    )
}

const APPUP: &str = r#"{"2", [{"1", [{update, ctr_srv, {advanced, []}}]}],
       [{"1", [{update, ctr_srv, {advanced, []}}]}]}."#;

fn write_app(lib: &Path, vsn: &str, code_change: &str) {
    let ebin = lib.join(format!("ctr-{vsn}/ebin"));
    std::fs::create_dir_all(&ebin).unwrap();
    std::fs::write(ebin.join("ctr_app.erl"), APP).unwrap();
    std::fs::write(ebin.join("ctr_srv.erl"), srv(vsn, code_change)).unwrap();
    std::fs::write(
        ebin.join("ctr.app"),
        format!(
            r#"{{application, ctr, [{{vsn, "{vsn}"}}, {{modules, [ctr_app, ctr_srv]}},
  {{registered, [ctr_sup, ctr_srv]}}, {{applications, [kernel, stdlib]}}, {{mod, {{ctr_app, []}}}}]}}."#
        ),
    )
    .unwrap();
    crate::common::erlc(&ebin, &[ebin.join("ctr_app.erl"), ebin.join("ctr_srv.erl")]);
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn relup_node_apply_upgrades_and_downgrades_a_node_that_is_not_a_release() {
    let dir = temp_path("apply");
    let lib = dir.join("lib");
    write_app(&lib, "1", "code_change(_, S, _) -> {ok, S}.");
    write_app(
        &lib,
        "2",
        r#"code_change("1", {st, N}, _) -> {ok, {st, N, from_one}};
code_change({down, _}, {st, N, _}, _) -> {ok, {st, N}}."#,
    );
    std::fs::write(dir.join("ctr.appup"), APPUP).unwrap();
    let (port, _epmd) = private_epmd();
    let tag = format!(
        "{}_{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    let node = format!("ctr_{tag}@localhost");
    let cookie = format!("apply_{tag}");
    let _node = erl_node(
        port,
        &node,
        &cookie,
        &[&lib.join("ctr-1/ebin")],
        "ok = application:start(sasl), ok = application:start(ctr)",
    );
    let options = ConnectOptions {
        cookie: Some(cookie.clone()),
        epmd_port: Some(port),
        timeout: Duration::from_secs(20),
    };
    let mut conn = connect_when_up(&node, &options);
    let look = |conn: &mut Connection| -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = conn
                .eval(
                    "case whereis(ctr_srv) of undefined -> not_yet; P -> {P, sys:get_state(P),
                     lists:keyfind(vsn, 1, ctr_srv:module_info(attributes))} end.",
                    vec![],
                )
                .unwrap();
            let not_yet = relup::node::dist::is_atom(&v, "not_yet");
            if !not_yet || Instant::now() > deadline {
                return relup::node::terms::from_eetf(&v).to_string();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let before = look(&mut conn);
    assert!(before.contains("{st,7}"), "{before}");
    let pid = before.split(',').next().unwrap().to_string();
    let apply = |extra: &[&str], lib: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_relup"))
            .env("ERL_EPMD_PORT", port.to_string())
            .args(["node", "apply", "--node", &node, "--cookie", &cookie])
            .arg("--appup")
            .arg(dir.join("ctr.appup"))
            .arg("--app")
            .arg(dir.join("lib/ctr-2/ebin/ctr.app"))
            .args(["--from", "1", "--lib"])
            .arg(lib)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };

    // A failure before the point of no return (no object code) leaves the node as it was.
    let (code, out) = apply(&[], &dir.join("nowhere"));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("no object code for ctr_srv"), "{out}");
    assert_eq!(
        look(&mut conn),
        before,
        "the node changed after a failed apply"
    );

    let (code, out) = apply(&[], &lib);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("suspension window"), "{out}");
    let up = look(&mut conn);
    assert!(up.starts_with(&pid), "same pid: {up} vs {before}");
    assert!(
        up.contains("from_one"),
        "state migrated by code_change: {up}"
    );
    assert!(up.contains("{vsn,\"2\"}"), "version 2 loaded: {up}");

    let (code, out) = apply(&["--down"], &lib);
    assert_eq!(code, Some(0), "{out}");
    let down = look(&mut conn);
    assert!(down.starts_with(&pid), "same pid: {down}");
    assert!(
        !down.contains("from_one") && down.contains("{vsn,\"1\"}"),
        "back to 1: {down}"
    );
    let _ = conn.call("init", "stop", vec![]);
    drop(conn);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Connects to `node` once it is up and has finished booting (within 60 s): distribution
/// starts with kernel, before the boot script has started stdlib and the rest.
pub(crate) fn connect_when_up(node: &str, options: &ConnectOptions) -> Connection {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut conn = loop {
        match Connection::connect(node, options) {
            Ok(c) => break c,
            Err(e) if Instant::now() > deadline => panic!("{node}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    loop {
        let status = conn.call("init", "get_status", vec![]).unwrap().to_string();
        if status.starts_with("{'started'") {
            break conn;
        }
        assert!(
            Instant::now() < deadline,
            "{node} did not finish booting: {status}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private epmd on a free loopback port, stopped by pid when the guard drops.
pub(crate) fn private_epmd() -> (u16, Spawned) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let epmd = Spawned(
        Command::new("epmd")
            .args(["-port", &port.to_string(), "-address", "127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    (port, epmd)
}

/// Starts a plain node (`-sname NAME@localhost`, sasl running) on the private epmd `port`.
pub(crate) fn plain_node(port: u16, name: &str, cookie: &str) -> Spawned {
    erl_node(port, name, cookie, &[], "ok = application:start(sasl)")
}

/// Starts a node `-sname NAME@localhost` on the private epmd `port`, with `code_path` first
/// on its code path, evaluating `eval` once booted.
fn erl_node(port: u16, name: &str, cookie: &str, code_path: &[&Path], eval: &str) -> Spawned {
    let mut erl = Command::new("erl");
    erl.env("ERL_EPMD_PORT", port.to_string()).args([
        "-sname",
        name,
        "-setcookie",
        cookie,
        "-noshell",
        "-noinput",
    ]);
    for dir in code_path {
        erl.arg("-pa").arg(dir);
    }
    Spawned(
        erl.args(["-eval", eval])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// A cluster of two nodes: `snapshot` writes one scenario per node; a rolling `install` that
/// fails on the first node stops there and leaves the second untouched.
#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn relup_node_covers_each_node_of_a_cluster_and_rolls_installs() {
    let dir = temp_path("cluster");
    std::fs::create_dir_all(&dir).unwrap();
    let (port, _epmd) = private_epmd();
    let tag = std::process::id();
    let cookie = format!("cluster_{tag}");
    let (a, b) = (format!("ca_{tag}@localhost"), format!("cb_{tag}@localhost"));
    let _na = plain_node(port, &a, &cookie);
    let _nb = plain_node(port, &b, &cookie);
    let relup_node = |args: &[&str]| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = Command::new(env!("CARGO_BIN_EXE_relup"))
                .env("ERL_EPMD_PORT", port.to_string())
                .arg("node")
                .args(args)
                .args(["--node", &a, "--node", &b, "--cookie", &cookie])
                .output()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            // Until both nodes have registered with epmd, the command cannot reach them.
            if out.status.code() != Some(2) || Instant::now() > deadline {
                return (out.status.code(), text);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let snaps = dir.join("snaps");
    let (code, out) = relup_node(&["snapshot", "-o", snaps.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    for node in [&a, &b] {
        let text = std::fs::read_to_string(snaps.join(format!("{node}.scenario"))).unwrap();
        assert!(
            text.contains(&format!("snapshot of {node}")) && text.contains("{process,sasl_sup,"),
            "{text}"
        );
    }
    let (code, out) = relup_node(&["install", "--release", "9.9"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("release 9.9 on {a}: not installed")),
        "{out}"
    );
    assert!(out.contains(&format!("{b}: untouched")), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The group requests of the suspension window, at once to a gen_server, a process that is
/// not a `sys` process and a dead one: `ok`, a timeout (release_handler's `sys:suspend`
/// times out the same way) and "gone" without waiting for the others. And the snapshot lists
/// the gen_server, which no supervisor holds, as a process outside every supervision tree.
#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn group_requests_answer_per_process_and_the_snapshot_lists_unsupervised_behaviours() {
    use relup::node::broadcast::{Answer, system_request};
    use relup::node::dist::{atom, charlist};
    let dir = temp_path("group");
    let lib = dir.join("lib");
    write_app(&lib, "1", "code_change(_, S, _) -> {ok, S}.");
    let (port, _epmd) = private_epmd();
    let tag = std::process::id();
    let node = format!("grp_{tag}@localhost");
    let cookie = format!("group_{tag}");
    let _node = plain_node(port, &node, &cookie);
    let options = ConnectOptions {
        cookie: Some(cookie.clone()),
        epmd_port: Some(port),
        timeout: Duration::from_secs(20),
    };
    let mut conn = connect_when_up(&node, &options);
    let pids = conn
        .eval(
            "true = code:add_patha(Ebin), ok = application:load(ctr),
             {ok, Srv} = gen_server:start(ctr_srv, [], []),
             Plain = spawn(timer, sleep, [infinity]),
             Dead = spawn(erlang, exit, [normal]),
             [Srv, Plain, Dead].",
            vec![(
                "Ebin",
                charlist(&lib.join("ctr-1/ebin").display().to_string()),
            )],
        )
        .unwrap();
    let eetf::Term::List(pids) = pids else {
        panic!("three pids: {pids}")
    };
    let started = Instant::now();
    let answers = system_request(
        &mut conn,
        &pids.elements,
        &atom("suspend"),
        Duration::from_millis(500),
    )
    .unwrap();
    let took = started.elapsed();
    assert_eq!(
        answers,
        vec![Answer::Reply(atom("ok")), Answer::Timeout, Answer::NoProc],
        "suspend of a gen_server, a plain process and a dead one"
    );
    assert!(
        took < Duration::from_secs(5),
        "bounded by the timeout: {took:?}"
    );
    let resumed = system_request(
        &mut conn,
        &pids.elements[..1],
        &atom("resume"),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(resumed, vec![Answer::Reply(atom("ok"))]);

    let snap = relup::node::snapshot(&mut conn).unwrap();
    let srv = pids.elements[0].to_string();
    let number = srv.split('.').nth(1).unwrap_or_default().to_string();
    assert!(
        snap.scenario.contains("outside every supervision tree")
            && !snap.scenario.contains("unknown_system_msg")
            && snap.scenario.contains(&format!(
                "{{process,'<0.{number}.0>',[{{runs,[{{ctr_srv,\"1\"}}]}}]}}"
            )),
        "{}",
        snap.scenario
    );
    let _ = conn.call("init", "stop", vec![]);
    drop(conn);
    std::fs::remove_dir_all(&dir).unwrap();
}
