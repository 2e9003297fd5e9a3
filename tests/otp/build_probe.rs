//! Build script: finds out whether Erlang/OTP (`escript`) and `rebar3` are on `PATH` and sets
//! the `otp` and `rebar3` cfgs. Tests that need them carry
//! `#[cfg_attr(not(otp), ignore = "...")]`, so a machine without Erlang reports them as
//! ignored with the reason, never as passed. The library itself does not read these cfgs.

use std::path::PathBuf;

fn find(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

fn main() {
    println!("cargo::rerun-if-env-changed=PATH");
    for (tool, cfg) in [("escript", "otp"), ("rebar3", "rebar3")] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        match find(tool) {
            Some(found) => {
                println!("cargo::rustc-cfg={cfg}");
                println!("cargo::rerun-if-changed={}", found.display());
            }
            // Not there: probe again when a directory of PATH changes (an install).
            None => {
                for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
                    if dir.is_dir() {
                        println!("cargo::rerun-if-changed={}", dir.display());
                    }
                }
            }
        }
    }
}
