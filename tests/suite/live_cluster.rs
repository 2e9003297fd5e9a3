//! A cluster of two release nodes whose relup synchronises them (`sync_nodes`):
//! `relup node install --node A --node B` sees the instruction in the unpacked relup,
//! prepares both nodes, runs `install_release` on both at once (release_handler on each waits
//! at `sync_nodes` for the other; one at a time would wait forever on the first) and makes
//! the release permanent on both. Before that, `relup node check` covers both nodes.

use std::time::{Duration, Instant};

use relup::node::ConnectOptions;

use crate::live_apply::connect_when_up;
use crate::live_release::{Appup, Run, Spawned, build_both};

#[test]
#[cfg_attr(
    not(all(otp, rebar3)),
    ignore = "needs Erlang/OTP and rebar3 on PATH (apt-get install erlang-base rebar3)"
)]
fn relup_node_installs_a_sync_nodes_relup_on_both_nodes_together() {
    let run = Run::new();
    let (project, root, old_tar) = build_both(&run, Appup::HandWritten);

    // The upgrade first waits for every connected node: {sync_nodes, Id, {erlang, nodes, []}}.
    let appup = root.join("lib/tally-0.2.0/ebin/tally.appup");
    let text = std::fs::read_to_string(&appup).unwrap();
    let synced = text.replacen(
        "[{add_module, tally_audit},",
        "[{sync_nodes, tally_sync, {erlang, nodes, []}},\n    {add_module, tally_audit},",
        1,
    );
    assert_ne!(synced, text, "the appup's up script starts with add_module");
    std::fs::write(&appup, synced).unwrap();
    let mut make = run.command(env!("CARGO_BIN_EXE_relup"));
    make.arg("make").arg(&root).args(["--up-from", "0.1.0"]);
    run.run_ok(make, "relup-make", 60);
    let relup = std::fs::read_to_string(root.join("releases/0.2.0/relup")).unwrap();
    assert!(
        relup.contains("{sync_nodes,tally_sync,{erlang,nodes,[]}}"),
        "{relup}"
    );
    run.rebar3(&project, &["tar"], "rebar3-tar-0.2.0");
    let new_tar = run.dir.join("tally-0.2.0.tar.gz");
    std::fs::copy(root.join("tally-0.2.0.tar.gz"), &new_tar).unwrap();

    // Two nodes of 0.1.0, each from its own copy of the release, on the run's private epmd.
    let _epmd = Spawned(
        run.command("epmd")
            .args(["-port", &run.epmd_port.to_string(), "-address", "127.0.0.1"])
            .spawn()
            .unwrap(),
    );
    let names = [
        run.node.replacen("tally_", "tally_a_", 1),
        run.node.replacen("tally_", "tally_b_", 1),
    ];
    let mut nodes = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let node_root = run.dir.join(format!("node{i}"));
        std::fs::create_dir_all(&node_root).unwrap();
        let mut untar = run.command("tar");
        untar.arg("-xzf").arg(&old_tar).arg("-C").arg(&node_root);
        run.run_ok(untar, &format!("untar-{i}"), 60);
        let log =
            |what: &str| std::fs::File::create(run.dir.join(format!("node{i}.{what}"))).unwrap();
        nodes.push(Spawned(
            run.command(node_root.join("bin/tally"))
                .env("TALLY_NODE", name)
                .arg("foreground")
                .stdout(log("out"))
                .stderr(log("err"))
                .spawn()
                .unwrap(),
        ));
    }
    let options = ConnectOptions {
        cookie: Some(run.cookie.clone()),
        epmd_port: Some(run.epmd_port),
        timeout: Duration::from_secs(30),
    };
    let mut a = connect_when_up(&names[0], &options);
    let mut b = connect_when_up(&names[1], &options);
    let linked = a
        .eval(
            "net_kernel:connect_node(B).",
            vec![("B", relup::node::dist::atom(&names[1]))],
        )
        .unwrap();
    assert_eq!(linked.to_string(), "'true'", "the two nodes connect");

    // `relup node ARGS... --node A --node B --cookie C`.
    let on_both = |args: &[&std::ffi::OsStr]| {
        let mut c = run.command(env!("CARGO_BIN_EXE_relup"));
        c.arg("node").args(args).args([
            "--node",
            &names[0],
            "--node",
            &names[1],
            "--cookie",
            &run.cookie,
        ]);
        c
    };

    // The pre-flight covers both nodes.
    let relup_file = root.join("releases/0.2.0/relup");
    let lib = root.join("lib");
    let check = on_both(&[
        "check".as_ref(),
        "--to".as_ref(),
        "0.2.0".as_ref(),
        "--relup".as_ref(),
        relup_file.as_os_str(),
        "--lib".as_ref(),
        lib.as_os_str(),
    ]);
    let (ok, out, err) = run.run(check, "check-cluster", 180);
    assert!(ok, "pre-flight of the cluster:\n{out}\n{err}");
    for name in &names {
        assert!(out.contains(&format!("pre-flight of {name}:")), "{out}");
    }
    assert!(out.contains("cluster of 2 nodes: go"), "{out}");

    let install = on_both(&[
        "install".as_ref(),
        "--release".as_ref(),
        "0.2.0".as_ref(),
        "--tar".as_ref(),
        new_tar.as_os_str(),
    ]);
    let (ok, out, err) = run.run(install, "install-together", 180);
    assert!(ok, "install on the cluster failed:\n{out}\n{err}");
    assert!(out.contains("sync_nodes"), "{out}");
    for (name, conn) in [(&names[0], &mut a), (&names[1], &mut b)] {
        assert!(
            out.contains(&format!("release 0.2.0 on {name}: installed and permanent")),
            "{out}"
        );
        let look = conn
            .eval(
                "{[{V, S} || {_, V, _, S} <- release_handler:which_releases()],
                  whereis(tally_audit) =/= undefined}.",
                vec![],
            )
            .unwrap()
            .to_string();
        assert!(
            look.contains("{[{[48,46,50,46,48],'permanent'}")
                || look.contains("{\"0.2.0\",'permanent'}"),
            "{name}: {look}"
        );
        assert!(
            look.ends_with(",'true'}"),
            "{name}: the new child runs: {look}"
        );
    }

    // Stop both nodes (bounded), then everything by pid.
    for conn in [&mut a, &mut b] {
        let _ = conn.call("init", "stop", vec![]);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for node in &mut nodes {
        while matches!(node.0.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
