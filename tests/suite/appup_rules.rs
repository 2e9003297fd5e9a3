//! `relup appup generate` on a real rebar3 build of an application that exercises each rule
//! (`tests/otp/rules`): a supervisor whose child specs change (a tuple spec kept, a map spec
//! removed, one added), a gen_server with `code_change` (advanced update), a gen_statem
//! without it (soft update), a library gaining a function the new server calls (DepMods), a
//! deleted and an added module, an unchanged one, one whose literals alone change. Built with
//! debug info and stripped; the generated appups are snapshotted and systools accepts them
//! (`rebar3 relup` makes a relup from each, equal to `relup make`'s).

use std::path::{Path, PathBuf};

use crate::common::{copy_dir, otp_dir, snapshot_settings};
use crate::live_release::Run;

fn set_debug_info(project: &Path, keep: bool) {
    if keep {
        return;
    }
    let config = project.join("rebar.config");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        config,
        text.replace("{erl_opts, [debug_info]}", "{erl_opts, [no_debug_info]}"),
    )
    .unwrap();
}

/// Builds both versions into one root; returns (project, root).
fn build(run: &Run, keep_debug_info: bool) -> (PathBuf, PathBuf) {
    let rules = otp_dir().join("rules");
    let project = run.dir.join("rules");
    copy_dir(&rules.join("0.1.0"), &project);
    set_debug_info(&project, keep_debug_info);
    run.rebar3(&project, &["release"], "rebar3-0.1.0");
    std::fs::remove_dir_all(project.join("src")).unwrap();
    // rebar3 rebuilds by timestamps, which a quick second build can tie: compile afresh.
    std::fs::remove_dir_all(project.join("_build/default/lib/rules")).unwrap();
    copy_dir(&rules.join("0.2.0"), &project);
    set_debug_info(&project, keep_debug_info);
    run.rebar3(&project, &["release"], "rebar3-0.2.0");
    (project.clone(), project.join("_build/default/rel/rules"))
}

fn check(keep_debug_info: bool) {
    let run = Run::new();
    let (project, root) = build(&run, keep_debug_info);
    let ebin = project.join("ebin");
    std::fs::create_dir_all(&ebin).unwrap();
    for out in [ebin.clone(), root.join("lib/rules-0.2.0/ebin")] {
        let mut c = run.command(env!("CARGO_BIN_EXE_relup"));
        c.args(["appup", "generate", "0.1.0", "--new"])
            .arg(&root)
            .arg("-o")
            .arg(&out);
        run.run_ok(c, "generate", 60);
    }
    let mut c = run.command(env!("CARGO_BIN_EXE_relup"));
    c.args(["appup", "generate", "0.1.0", "--json", "--new"])
        .arg(&root);
    let doc: serde_json::Value = serde_json::from_str(&run.run_ok(c, "generate-json", 60)).unwrap();
    let appup = std::fs::read_to_string(ebin.join("rules.appup")).unwrap();
    let warnings: Vec<String> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap().to_string())
        .collect();
    let name = if keep_debug_info {
        "appup_rules_debug_info"
    } else {
        "appup_rules_stripped"
    };
    let _guard = snapshot_settings().bind_to_scope();
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!(name, format!("{appup}\nwarnings:\n{}\n", warnings.join("\n")));
    });
    // systools accepts it: rebar3 relup makes a relup from the generated appup, and ours is
    // the same file.
    run.rebar3(
        &project,
        &["relup", "-n", "rules", "-v", "0.2.0", "-u", "0.1.0"],
        "rebar3-relup",
    );
    let relup_file = root.join("releases/0.2.0/relup");
    let systools = std::fs::read(&relup_file).unwrap();
    std::fs::remove_file(&relup_file).unwrap();
    let mut make = run.command(env!("CARGO_BIN_EXE_relup"));
    make.arg("make").arg(&root).args(["--up-from", "0.1.0"]);
    run.run_ok(make, "relup-make", 60);
    assert_eq!(std::fs::read(&relup_file).unwrap(), systools);
    std::fs::remove_dir_all(&run.dir).unwrap();
}

#[test]
#[cfg_attr(
    not(all(otp, rebar3)),
    ignore = "needs Erlang/OTP and rebar3 on PATH (apt-get install erlang-base rebar3)"
)]
fn generated_appup_of_each_rule_with_debug_info() {
    check(true);
}

#[test]
#[cfg_attr(
    not(all(otp, rebar3)),
    ignore = "needs Erlang/OTP and rebar3 on PATH (apt-get install erlang-base rebar3)"
)]
fn generated_appup_of_each_rule_from_stripped_beams() {
    check(false);
}
