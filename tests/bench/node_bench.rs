//! The live-node benchmark: a real node (own epmd on a free loopback port) running an
//! application with N supervised gen_servers. Measures calls per second over our distribution
//! client against `rpc:call/4` from an Erlang node in the same run, and `relup node snapshot`
//! time against `release_handler_1:get_supervised_procs/0` alone (what release_handler walks
//! at every suspend), timed on the node.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use relup::exec::{ExecOptions, execute};
use relup::node::{ConnectOptions, Connection, LiveNode, snapshot};
use relup::term::parse_term;

const APP: &str = r#"-module(bench_app).
-behaviour(application).
-export([start/2, stop/1, init/1, start_worker/0, handle_call/3, handle_cast/2]).
start(_, _) -> supervisor:start_link({local, bench_sup}, ?MODULE, sup).
stop(_) -> ok.
init(sup) ->
    {ok, {#{strategy => simple_one_for_one, intensity => 10, period => 10},
          [#{id => w, start => {?MODULE, start_worker, []}, modules => [bench_app]}]}};
init(worker) -> {ok, {worker_state, 0}}.
start_worker() -> gen_server:start_link(?MODULE, worker, []).
handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
"#;

/// The version 2 and 3 of the worker: the same code with its `-vsn`.
fn versioned(vsn: &str) -> String {
    let head = APP.replace(
        "-behaviour(application).",
        &format!("-vsn(\"{vsn}\").\n-export([code_change/3]).\n-behaviour(application)."),
    );
    format!("{head}code_change(_, S, _) -> {{ok, S}}.\n")
}

const DOT_APP: &str = r#"{application, bench, [{vsn, "1"}, {modules, [bench_app]}, {registered, [bench_sup]},
  {applications, [kernel, stdlib]}, {mod, {bench_app, []}}]}."#;

const RPC_LOOP: &str = r#"#!/usr/bin/env escript
%%! -hidden
main([Node, N]) ->
    {T, _} = timer:tc(fun() -> [rpc:call(list_to_atom(Node), erlang, node, []) || _ <- lists:seq(1, list_to_integer(N))] end),
    io:format("~p~n", [T]).
"#;

/// Kills the child by pid when dropped.
struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs the benchmark with `counts` workers (each size on its own node).
pub fn bench(dir: &Path, counts: &[usize]) {
    let ebin = dir.join("node_bench/ebin");
    std::fs::create_dir_all(&ebin).unwrap();
    std::fs::write(ebin.join("bench_app.erl"), APP).unwrap();
    std::fs::write(ebin.join("bench.app"), DOT_APP).unwrap();
    let ok = Command::new("erlc")
        .arg("-o")
        .arg(&ebin)
        .arg(ebin.join("bench_app.erl"))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("(node benchmark skipped: erlc not found)");
        return;
    }
    let port = free_port();
    let _epmd = Spawned(
        Command::new("epmd")
            .args(["-port", &port.to_string(), "-address", "127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rpc = dir.join("node_bench/rpc_loop.escript");
    std::fs::write(&rpc, RPC_LOOP).unwrap();
    println!("## Live nodes (`relup node`)\n");
    println!(
        "| workers | calls/s relup | calls/s `rpc:call` | snapshot | `get_supervised_procs` alone | scenario |"
    );
    println!("|---|---|---|---|---|---|");
    let mut windows = Vec::new();
    for &n in counts {
        let name = format!("bench_{}_{n}@localhost", std::process::id());
        let cookie = format!("bench_{}", std::process::id());
        let _node = Spawned(
            Command::new("erl")
                .env("ERL_EPMD_PORT", port.to_string())
                .args([
                    "-sname",
                    &name,
                    "-setcookie",
                    &cookie,
                    "-noshell",
                    "-noinput",
                ])
                .args(["+P", "2000000", "-pa"])
                .arg(&ebin)
                .args([
                    "-eval",
                    "application:ensure_all_started(sasl), ok = application:start(bench)",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let options = ConnectOptions {
            cookie: Some(cookie.clone()),
            epmd_port: Some(port),
            timeout: Duration::from_secs(600),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut conn = loop {
            match Connection::connect(&name, &options) {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("bench node: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        conn.eval(
            "Wait = fun W(0) -> timeout; W(K) -> case whereis(bench_sup) of undefined -> timer:sleep(50), W(K - 1); _ -> ok end end,
             ok = Wait(200),
             [{ok, _} = supervisor:start_child(bench_sup, []) || _ <- lists:seq(1, N)], ok.",
            vec![("N", eetf::Term::from(eetf::FixInteger::from(n as i32)))],
        )
        .unwrap();
        let calls = 2_000;
        let started = Instant::now();
        for _ in 0..calls {
            conn.call("erlang", "node", vec![]).unwrap();
        }
        let ours = f64::from(calls) / started.elapsed().as_secs_f64();
        let out = Command::new("escript")
            .env("ERL_EPMD_PORT", port.to_string())
            .env(
                "ERL_FLAGS",
                format!(
                    "-sname rpcloop_{}@localhost -setcookie {cookie}",
                    std::process::id()
                ),
            )
            .arg(&rpc)
            .arg(&name)
            .arg(calls.to_string())
            .output()
            .unwrap();
        let micros: f64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(f64::NAN);
        let theirs = f64::from(calls) / (micros / 1e6);
        let started = Instant::now();
        let snap = snapshot(&mut conn).unwrap();
        let snap_time = started.elapsed();
        let walk = conn
            .eval(
                "{T, _} = timer:tc(release_handler_1, get_supervised_procs, []), T.",
                vec![],
            )
            .unwrap();
        let walk_ms = match walk {
            eetf::Term::FixInteger(i) => f64::from(i.value) / 1000.0,
            other => other.to_string().parse::<f64>().unwrap_or(f64::NAN) / 1000.0,
        };
        println!(
            "| {n} | {ours:.0} | {theirs:.0} | {:.0} ms ({} processes) | {walk_ms:.0} ms | {:.1} MB |",
            snap_time.as_secs_f64() * 1000.0,
            snap.processes,
            snap.scenario.len() as f64 / 1e6
        );
        if n == 10_000 {
            windows.push(window(dir, &mut conn, n));
        }
        let _ = conn.call("init", "stop", vec![]);
    }
    println!();
    for w in windows.into_iter().flatten() {
        println!("{w}");
    }
}

/// The suspension window of one module used by `n` gen_servers: `relup node apply` (group
/// suspend, code_change and resume, each one call run concurrently on the node) from 1 to 2,
/// then release_handler's own evaluation (`release_handler_1:eval_script/5`, what
/// `install_release` runs) from 2 to 3 on the same node, the same script. release_handler's
/// window is not visible from outside, so it is taken as the time of that script minus the
/// time of the same script without suspend, code_change and resume (3 to 4): that leaves the
/// load inside the window out, in release_handler's favour.
fn window(dir: &Path, conn: &mut Connection, n: usize) -> Option<String> {
    let lib = dir.join("node_bench/lib");
    for vsn in ["2", "3", "4"] {
        let ebin = lib.join(format!("bench-{vsn}/ebin"));
        std::fs::create_dir_all(&ebin).ok()?;
        std::fs::write(ebin.join("bench_app.erl"), versioned(vsn)).ok()?;
        let ok = Command::new("erlc")
            .arg("-o")
            .arg(&ebin)
            .arg(ebin.join("bench_app.erl"))
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
    }
    let script = |vsn: &str, suspending: bool| {
        let (suspend, change) = if suspending {
            (
                "{suspend,[bench_app]},",
                ",{code_change,up,[{bench_app,[]}]},{resume,[bench_app]}",
            )
        } else {
            ("", "")
        };
        format!(
            "[{{load_object_code,{{bench,\"{vsn}\",[bench_app]}}}},point_of_no_return,\
             {suspend}{{load,{{bench_app,brutal_purge,brutal_purge}}}}{change}]"
        )
    };
    let text = script("2", true);
    let term = parse_term(&text).ok()?;
    let low: Vec<relup::LowLevel> = term
        .list_items()?
        .iter()
        .filter_map(|i| match relup::instr::decode_instruction(&i.to_term()) {
            Ok(relup::Instruction::Low(l)) => Some(l),
            _ => None,
        })
        .collect();
    let started = Instant::now();
    let mut live = LiveNode::new(conn, &lib);
    if let Err(e) = execute(&low, &mut live, &ExecOptions::default()) {
        return Some(format!(
            "(window benchmark: apply failed: {})",
            relup::exec::with_source(&e)
        ));
    }
    let ours = live.suspension_window()?;
    let ours_total = started.elapsed();
    let eval_script = |conn: &mut Connection, vsn: &str, suspending: bool| {
        let code = format!(
            "{{T, R}} = timer:tc(release_handler_1, eval_script, [{}, [], [{{bench, \"{vsn}\", \"{}\"}}], [], []]), {{T, R}}.",
            script(vsn, suspending),
            lib.join(format!("bench-{vsn}")).display()
        );
        match conn.eval(&code, vec![]) {
            Ok(eetf::Term::Tuple(t)) => match t.elements.as_slice() {
                [eetf::Term::FixInteger(i), r] if r.to_string().starts_with("{'ok'") => {
                    Ok(f64::from(i.value))
                }
                _ => Err(format!("(window benchmark: eval_script answered {t})")),
            },
            Ok(other) => Err(format!("(window benchmark: eval_script answered {other})")),
            Err(e) => Err(format!("(window benchmark: eval_script: {e})")),
        }
    };
    let rh_micros = match eval_script(conn, "3", true) {
        Ok(t) => t,
        Err(e) => return Some(e),
    };
    let base_micros = match eval_script(conn, "4", false) {
        Ok(t) => t,
        Err(e) => return Some(e),
    };
    let rh_window = (rh_micros - base_micros) / 1000.0;
    Some(format!(
        "Suspension window, one module used by {n} gen_servers: relup node apply {:.0} ms \
         (whole apply {:.0} ms); release_handler_1:eval_script {:.0} ms (whole script {:.0} ms, \
         without suspend/code_change/resume {:.0} ms, timed on the node): {:.1}x shorter",
        ours.as_secs_f64() * 1000.0,
        ours_total.as_secs_f64() * 1000.0,
        rh_window,
        rh_micros / 1000.0,
        base_micros / 1000.0,
        rh_window / (ours.as_secs_f64() * 1000.0)
    ))
}
