//! The integration test binary: one module per area of the crate.

// Test code may unwrap: a failed unwrap is a failed test with its message.
#![allow(clippy::unwrap_used)]

/// Counts each thread's allocations (the fuzz harness bounds the memory of one input).
#[global_allocator]
static METER: alloc_meter::Meter = alloc_meter::Meter;

mod alloc_meter;
mod appup_rules;
mod beams;
mod casegen;
mod cli;
mod common;
mod diagnostics;
mod exec;
mod files;
mod fuzz;
mod grammar;
mod hardening;
mod json_contract;
mod live_apply;
mod live_cluster;
mod live_node;
mod live_release;
mod make_fuzz;
mod plan;
mod pretty_diff;
mod real_vs_sim;
mod real_vs_sim_cases;
mod real_vs_sim_code;
mod release_read_diff;
mod relgen;
pub mod relup_diff;
mod roundtrip;
mod run_handoff;
mod run_harness;
mod run_release;
mod translate_diff;
mod translate_spec;
mod version_keys;

#[test]
fn every_test_file_is_declared() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/suite");
    let main = std::fs::read_to_string(format!("{dir}/main.rs")).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(module) = name.strip_suffix(".rs").filter(|m| *m != "main") {
            assert!(
                main.contains(&format!("mod {module};")),
                "tests/suite/{name} is not declared in main.rs"
            );
        }
    }
}
