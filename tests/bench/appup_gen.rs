//! The appup-generation benchmark: two versions of a 50,000-module application as beam files
//! (made from two compiled templates by renaming the module atom, so no compiler runs per
//! module), relup's `appup generate` path (read and parse every beam, md5, classify, write the
//! appup) against an Erlang baseline that only computes the same diff with `beam_lib:md5/1`
//! over the same files, in the same run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use relup::beam::Beam;

/// The module name every template has: six bytes, replaced in place by `m` and five digits.
const TEMPLATE_MODULE: &str = "m00000";

/// Compiles `f() -> Body.` as module `m00000`; `None` without erlc.
fn template(dir: &Path, body: &str) -> Option<Vec<u8>> {
    let src = dir.join(format!("{TEMPLATE_MODULE}.erl"));
    std::fs::write(
        &src,
        format!("-module({TEMPLATE_MODULE}).\n-export([f/0, g/1]).\nf() -> {body}.\ng(X) -> lists:reverse(X).\n"),
    )
    .ok()?;
    let ok = Command::new("erlc")
        .arg("-o")
        .arg(dir)
        .arg(&src)
        .status()
        .ok()?
        .success();
    if !ok {
        return None;
    }
    std::fs::read(dir.join(format!("{TEMPLATE_MODULE}.beam"))).ok()
}

/// The template with its module atom renamed (same length: the container is unchanged).
fn renamed(template: &[u8], n: usize) -> Vec<u8> {
    let mut out = template.to_vec();
    let name = format!("m{n:05}");
    if let Some(at) = out
        .windows(TEMPLATE_MODULE.len())
        .position(|w| w == TEMPLATE_MODULE.as_bytes())
    {
        out[at..at + name.len()].copy_from_slice(name.as_bytes());
    }
    out
}

/// Writes `count` beams per version; every tenth module changes. Returns the two ebin dirs.
fn write_versions(dir: &Path, count: usize) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let a = template(dir, "1")?;
    let b = template(dir, "{changed, 2}")?;
    let old = dir.join("lib/big-1.0/ebin");
    let new = dir.join("lib/big-1.1/ebin");
    std::fs::create_dir_all(&old).ok()?;
    std::fs::create_dir_all(&new).ok()?;
    for n in 0..count {
        let name = format!("m{n:05}.beam");
        std::fs::write(old.join(&name), renamed(&a, n)).ok()?;
        let t = if n % 10 == 0 { &b } else { &a };
        std::fs::write(new.join(&name), renamed(t, n)).ok()?;
    }
    Some((old, new))
}

fn read_dir(ebin: &Path) -> BTreeMap<String, Beam> {
    relup::beam::read_ebin(ebin).unwrap()
}

const MD5_DIFF: &str = r#"#!/usr/bin/env escript
%%! -noshell
main([Old, New]) ->
    Md5 = fun(Dir) -> maps:from_list([begin {ok, {M, H}} = beam_lib:md5(F), {M, H} end
                                      || F <- filelib:wildcard(filename:join(Dir, "*.beam"))]) end,
    {T, N} = timer:tc(fun() ->
        O = Md5(Old), W = Md5(New),
        length([M || {M, H} <- maps:to_list(W), maps:get(M, O, none) =/= H])
    end),
    io:format("~p ~p~n", [T, N]).
"#;

/// Runs the benchmark and prints its table.
pub fn bench(dir: &Path, count: usize, otp: bool) {
    println!("\n## `relup appup generate` ({count} modules, every tenth changed)\n");
    let Some((old_dir, new_dir)) = write_versions(dir, count) else {
        println!("skipped: erlc is needed to compile the two templates");
        return;
    };
    let mut changed = 0;
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let (old, new) = (read_dir(&old_dir), read_dir(&new_dir));
        let g = relup::appup::generate("big", "1.1", &new, &[("1.0".to_string(), old)]);
        std::fs::write(dir.join("big.appup"), &g.text).unwrap();
        best = best.min(t.elapsed());
        changed = g.changes.len();
    }
    let baseline = otp.then(|| {
        let script = dir.join("md5diff.escript");
        std::fs::write(&script, MD5_DIFF).unwrap();
        let out = Command::new("escript")
            .arg(&script)
            .arg(&old_dir)
            .arg(&new_dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Vec<u64> = text
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        (Duration::from_micros(v[0]), v[1] as usize)
    });
    println!("| step | relup | Erlang `beam_lib:md5` diff | ratio |\n|---|---|---|---|");
    let (otp_time, ratio) = baseline.map_or(("-".into(), "-".into()), |(t, n)| {
        assert_eq!(n, changed, "the baseline finds the same changes");
        (
            format!("{:.2} ms", t.as_secs_f64() * 1000.0),
            format!("{:.1}×", t.as_secs_f64() / best.as_secs_f64()),
        )
    });
    println!(
        "| read {} beams, diff, write the appup ({changed} changed) | {:.2} ms | {otp_time} | {ratio} |",
        2 * count,
        best.as_secs_f64() * 1000.0
    );
}
