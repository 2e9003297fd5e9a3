//! Bad inputs and hostile surroundings: a symlink planted where the relup's temporary file
//! goes, a diagnostic about a huge line, a standard error that cannot be written.

use std::process::{Command, Stdio};

use relup::plan::write_atomically;

use crate::common::temp_path;

/// Before: the temporary file was `DIR/.relup.tmp.<pid>`, opened without `O_EXCL`, so a
/// symlink planted under that name made root's `relup make` overwrite the link's target.
#[test]
fn a_planted_symlink_never_redirects_the_relup_write() {
    let dir = temp_path("symlink");
    std::fs::create_dir_all(&dir).unwrap();
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    // Links under the old names for this process and the next few hundred pids.
    let me = std::process::id();
    for pid in me..me + 300 {
        std::os::unix::fs::symlink(&victim, dir.join(format!(".relup.tmp.{pid}"))).unwrap();
    }
    let target = dir.join("relup");
    write_atomically(&target, b"new relup\n").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new relup\n");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/demo_releases");
    let out = Command::new(env!("CARGO_BIN_EXE_relup"))
        .args([
            "make",
            &format!("{demo}/new"),
            "--up-from",
            &format!("{demo}/old"),
        ])
        .arg("-o")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("%% coding: utf-8\n{\"0.2.0\",")
    );
    // Nothing of ours is left beside the relup: only the planted links.
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            n.starts_with(".relup.tmp.")
                && !std::fs::symlink_metadata(dir.join(n)).unwrap().is_symlink()
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Before: a diagnostic printed its whole source line and a caret under the whole span
/// (one error on a 1 GB line wrote 2.1 GB).
#[test]
fn a_diagnostic_on_a_huge_line_prints_a_bounded_snippet() {
    let file = temp_path("huge.appup");
    let text = format!(
        "{{\"1\", [{{\"0\", [{{apply, {{m, f, [\"{}\"]}}}}, {{load_module, m, bad_purge, x, []}}, {{update, {}}}]}}], []}}.\n",
        "x".repeat(2_000_000),
        "q".repeat(1_000_000)
    );
    std::fs::write(&file, text).unwrap();
    for json in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_relup"));
        cmd.arg("check").arg(&file);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let total = out.stdout.len() + out.stderr.len();
        assert!(total < 8_000, "{total} bytes of output for a 3 MB file");
    }
    std::fs::remove_file(&file).unwrap();
}

/// Before: `relup ... 2>/dev/full` panicked (exit 101) when it wrote a message.
#[test]
fn a_full_standard_error_is_no_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("Linux's /dev/full");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_relup"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(full.try_clone().unwrap())
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(
        run(&["make", "no/such/release", "--up-from", "0.1.0"]),
        Some(2)
    );
    assert_eq!(
        run(&[
            "translate",
            "tests/fixtures/files/one_bad_entry.appup",
            "--from",
            "0.1.0"
        ]),
        Some(0)
    );
    assert_eq!(
        run(&["translate", "tests/fixtures/demo/demo.appup", "--from", "9"]),
        Some(1)
    );
    assert_eq!(run(&["no-such-command"]), Some(2));
}

fn simulate_text(
    scenario: &str,
    relup: &str,
) -> Result<relup::exec::Simulation, relup::exec::SimError> {
    use relup::exec::{ExecOptions, SimulatedRuntime, select_script, simulate};
    let terms = relup::term::parse_terms(scenario).unwrap();
    let scenario = relup::exec::scenario::Scenario::from_terms(&terms).unwrap();
    let relup_terms = relup::term::parse_terms(relup).unwrap();
    let relup = relup::files::decode_relup(&relup_terms).0.unwrap();
    let from = scenario.release.clone();
    let (script, direction) = select_script(&relup, &from, "2").unwrap();
    let node = SimulatedRuntime::new(scenario)?;
    Ok(simulate(
        node,
        script,
        Some(direction),
        &ExecOptions::default(),
    ))
}

/// Before: a supervisor that is its own child (or two that contain each other) made
/// `simulate` walk the tree forever, growing its memory.
#[test]
fn a_supervision_cycle_is_an_error_not_a_hang() {
    let scenario = r#"{release, "1"}.
        {module, sup_a, [{current, "1"}]}. {module, sup_b, [{current, "1"}]}.
        {supervisor, sup_a, "1", [{b, [sup_b]}]}. {supervisor, sup_b, "1", [{a, [sup_a]}]}.
        {process, sup_a, [{runs, [{sup_a, "1"}]}, {child_of, sup_b, a}, {top_supervisor, app}]}.
        {process, sup_b, [{runs, [{sup_b, "1"}]}, {child_of, sup_a, b}]}."#;
    let relup =
        r#"{"2", [{"1", [], [point_of_no_return, {suspend, [sup_a]}, {resume, [sup_a]}]}], []}."#;
    let err = simulate_text(scenario, relup).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the supervision tree has a cycle: sup_a -> sup_b -> sup_a; a supervisor cannot be its own descendant"
    );
}

/// Before: a migration that puts the old state twice into the new one doubled the state at
/// every code_change (1.6 GB after 22 steps).
#[test]
fn a_state_that_doubles_each_step_stops_with_an_error() {
    let scenario = r#"{release, "1"}.
        {module, srv, [{current, "1"}]}.
        {supervisor, sup, "1", [{srv, [srv]}]}.
        {module, sup, [{current, "1"}]}.
        {process, sup, [{runs, [{sup, "1"}]}, {top_supervisor, app}]}.
        {process, srv, [{runs, [{srv, "1"}]}, {child_of, sup, srv}, {state, {s, x}}]}.
        {migration, srv, up, {s, '$1'}, {s, {'$1', '$1'}}}."#;
    let steps = "{code_change, up, [{srv, []}]}, ".repeat(40);
    let relup = format!(
        r#"{{"2", [{{"1", [], [point_of_no_return, {{suspend, [srv]}}, {steps}{{resume, [srv]}}]}}], []}}."#
    );
    let (sim, peak) =
        crate::alloc_meter::peak_during(1 << 30, || simulate_text(scenario, &relup).unwrap());
    let err = sim.outcome.unwrap_err();
    assert!(
        matches!(&err, relup::exec::ExecError::CodeChangeFailed { source: relup::exec::SimError::StateTooLarge { module, terms }, .. }
            if module.as_str() == "srv" && *terms > relup::exec::sim_types::MAX_STATE_TERMS),
        "{err:?}"
    );
    assert!(peak < 256 << 20, "{peak} bytes");
}
