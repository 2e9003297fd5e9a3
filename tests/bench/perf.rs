//! Benchmarks against OTP, in one run: parsing a large `.appup`, translating generated scripts
//! (four dependency shapes, 1k to 100k instructions, both modes), and planning a relup for a
//! release of 50,000 modules in 100 applications. OTP runs on the same inputs, timed inside
//! the VM with `timer:tc` (start-up excluded); ours is the median of enough runs to translate
//! about a million instructions. Sizes where OTP would take longer than the cap
//! are skipped and printed as capped.
//!
//! `cargo bench --bench perf` (options after `--`: `--quick`, `--no-otp`,
//! `--otp-cap-secs N`, `--keep-dir` (keeps the generated inputs, e.g. for a `--make-child
//! TREE` run under callgrind), `--only parse|translate|make|scaling|appup|node`). Prints markdown
//! tables. `node` starts real nodes: calls per second and snapshot time at 10k and 100k
//! processes (`node_bench.rs`).
//! `scaling` checks that input shapes which were once quadratic (many diagnostics in one
//! file, many regex version keys) now grow linearly: 10× the input within 20× the time.

// A benchmark may unwrap: a failure aborts the run with its message.
#![allow(clippy::unwrap_used)]

#[path = "appup_gen.rs"]
mod appup_gen;
#[path = "gen.rs"]
mod gen_inputs;
#[path = "node_bench.rs"]
mod node_bench;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gen_inputs::{Shape, apps, big_appup, script};
use relup::instr::Mode;
use relup::passes::{Application, Apps, TranslateOptions, translate_terms};
use relup::term::{parse_term, parse_terms};

const OTP_TIMER: &str = r#"#!/usr/bin/env escript
%%! -noshell
app({N, V, Ms}) -> {application, N, permanent, V, [], [], Ms, [], [], [], [], [], infinity, infinity, [], undefined, ""}.
main(["consult", File]) ->
    {T, {ok, _}} = timer:tc(file, consult, [File]), io:format("~p~n", [T]);
main(["translate", File, Mode]) ->
    {ok, [Script, Apps, Pre]} = file:consult(File),
    {T, {ok, _}} = timer:tc(systools_rc, translate_scripts, [list_to_atom(Mode), [Script], [app(A) || A <- Apps], [app(A) || A <- Pre]]),
    io:format("~p~n", [T]);
main(["make", Tree]) ->
    R = fun(N) -> filename:join([Tree, "releases", N]) end,
    {T, {ok, _, _, _}} = timer:tc(systools, make_relup, [R("new"), [R("old")], [R("old")], [{path, [filename:join([Tree, "lib", "*", "ebin"])]}, noexec, silent]]),
    io:format("~p~n", [T]).
"#;

struct Config {
    quick: bool,
    otp: bool,
    otp_cap: Duration,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--make-child") {
        return make_child(Path::new(&args[pos + 1]));
    }
    let cap = args
        .iter()
        .position(|a| a == "--otp-cap-secs")
        .and_then(|p| args.get(p + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let config = Config {
        quick: args.iter().any(|a| a == "--quick"),
        otp: !args.iter().any(|a| a == "--no-otp") && has_erlang(),
        otp_cap: Duration::from_secs(cap),
    };
    let dir = std::env::temp_dir().join(format!("relup-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let timer = dir.join("otp_timer.escript");
    std::fs::write(&timer, OTP_TIMER).unwrap();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|p| args.get(p + 1))
        .cloned();
    let wants = |s: &str| only.as_deref().is_none_or(|o| o == s);
    if wants("parse") {
        bench_parse(&config, &dir, &timer);
    }
    if wants("translate") {
        bench_translate(&config, &dir, &timer);
    }
    if wants("make") {
        bench_make(&config, &dir, &timer);
    }
    if wants("scaling") {
        bench_scaling(&config);
    }
    if wants("node") && config.otp {
        let counts: &[usize] = if std::env::var_os("NODE_BENCH_100K").is_some() {
            &[100_000]
        } else if config.quick {
            &[1_000, 10_000]
        } else {
            &[1_000, 10_000, 100_000]
        };
        node_bench::bench(&dir, counts);
    }
    if wants("appup") {
        let count = if config.quick { 5_000 } else { 50_000 };
        appup_gen::bench(&dir, count, config.otp);
    }
    if args.iter().any(|a| a == "--keep-dir") {
        eprintln!("inputs kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn has_erlang() -> bool {
    Command::new("escript").arg("-h").output().is_ok()
}

/// The median of `runs` timings of `f`; the result is dropped outside the timing.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(3))
        .map(|_| {
            let t = Instant::now();
            let result = std::hint::black_box(f());
            let elapsed = t.elapsed();
            drop(result);
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// The best of `runs` timings of `f`; the result is dropped outside the timing.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            let result = std::hint::black_box(f());
            let elapsed = t.elapsed();
            drop(result);
            elapsed
        })
        .min()
        .unwrap_or_default()
}

fn otp_micros(timer: &Path, args: &[&str]) -> Option<Duration> {
    let out = Command::new("escript")
        .arg(timer)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().parse::<u64>().ok().map(Duration::from_micros)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn bench_parse(config: &Config, dir: &Path, timer: &Path) {
    let text = big_appup(5_000_000);
    let file = dir.join("big.appup");
    std::fs::write(&file, &text).unwrap();
    let instrs = text.matches("\n    ").count() + text.matches("\n   [").count();
    let parse = best(5, || parse_terms(&text).unwrap());
    let decode = best(5, || {
        relup::files::decode_appup(&parse_terms(&text).unwrap(), None)
            .1
            .len()
    });
    let mbs = text.len() as f64 / 1e6 / parse.as_secs_f64();
    println!(
        "## Parsing a {:.1} MB appup ({instrs} instructions)\n",
        text.len() as f64 / 1e6
    );
    println!("| step | relup | OTP `file:consult` | ratio |\n|---|---|---|---|");
    let otp = if config.otp {
        otp_micros(timer, &["consult", file.to_str().unwrap()])
    } else {
        None
    };
    let ratio = otp.map_or("-".to_string(), |o| {
        format!("{:.0}×", o.as_secs_f64() / parse.as_secs_f64())
    });
    println!(
        "| parse to terms | {} ({mbs:.0} MB/s) | {} | {ratio} |",
        ms(parse),
        otp.map_or("-".into(), ms)
    );
    println!(
        "| parse + decode + check every clause | {} | | |\n",
        ms(decode)
    );
}

fn bench_translate(config: &Config, dir: &Path, timer: &Path) {
    let sizes: &[usize] = if config.quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 3_000, 10_000, 50_000, 100_000]
    };
    println!("## Translating scripts (`translate_scripts`)\n");
    println!(
        "| shape | instructions | mode | relup | per instruction | OTP | ratio |\n|---|---|---|---|---|---|---|"
    );
    for shape in Shape::ALL {
        let mut otp_last: Option<(usize, Duration)> = None;
        for &n in sizes {
            if n == 3_000 && shape != Shape::Dag {
                continue;
            }
            let script_text = script(shape, n);
            let script_term = parse_term(&script_text).unwrap();
            let new_apps = Apps(vec![application(n, "2.0")]);
            let old_apps = Apps(vec![application(n, "1.0")]);
            for (mode, mode_name) in [(Mode::Up, "up"), (Mode::Down, "dn")] {
                let (a, p) = if mode == Mode::Up {
                    (&new_apps, &old_apps)
                } else {
                    (&old_apps, &new_apps)
                };
                // Enough runs to translate about a million instructions: tiny inputs would otherwise
                // look faster than they are (warm caches) and large ones slower (first-touch pages).
                let ours = median(1_000_000 / n, || {
                    // The script is handed back: freeing it is the caller's, outside the timing.
                    translate_terms(
                        mode,
                        std::slice::from_ref(&script_term),
                        a,
                        p,
                        &TranslateOptions::default(),
                    )
                    .unwrap()
                });
                let per = ours.as_nanos() as f64 / n as f64;
                let otp = if config.otp && mode == Mode::Up {
                    otp_translate(config, dir, timer, shape, n, &mut otp_last)
                } else {
                    None
                };
                let (otp_text, ratio) = match otp {
                    Some(Ok(d)) => (
                        ms(d),
                        format!("{:.0}×", d.as_secs_f64() / ours.as_secs_f64()),
                    ),
                    Some(Err(est)) => (format!("capped (est. {est:.0} s)"), "-".into()),
                    None => ("-".into(), "-".into()),
                };
                println!(
                    "| {} | {n} | {mode_name} | {} | {per:.0} ns | {otp_text} | {ratio} |",
                    shape.name(),
                    ms(ours)
                );
            }
        }
    }
    println!();
}

fn application(n: usize, vsn: &str) -> Application {
    let mods: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = mods.iter().map(String::as_str).collect();
    Application::new("app", vsn, &refs)
}

/// OTP's time, or `Err(estimate in seconds)` when the quadratic extrapolation from the last
/// measured size exceeds the cap.
fn otp_translate(
    config: &Config,
    dir: &Path,
    timer: &Path,
    shape: Shape,
    n: usize,
    last: &mut Option<(usize, Duration)>,
) -> Option<Result<Duration, f64>> {
    if let Some((m, d)) = *last {
        let est = d.as_secs_f64() * (n as f64 / m as f64).powi(2);
        if est > config.otp_cap.as_secs_f64() {
            return Some(Err(est));
        }
    }
    let file = dir.join("case.terms");
    std::fs::write(
        &file,
        format!(
            "{}.\n{}.\n{}.\n",
            script(shape, n),
            apps(n, "2.0"),
            apps(n, "1.0")
        ),
    )
    .unwrap();
    let d = otp_micros(timer, &["translate", file.to_str().unwrap(), "up"])?;
    *last = Some((n, d));
    Some(Ok(d))
}

/// Writes a release tree: `apps` applications of `mods` modules each, all upgraded from 1.0 to
/// 1.1 with an appup updating every module; kernel, stdlib and sasl copied from the local OTP.
fn release_tree(root: &Path, apps: usize, mods: usize) -> u64 {
    let mut bytes = 0u64;
    let mut write = |path: PathBuf, text: String| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        bytes += text.len() as u64;
        std::fs::write(path, text).unwrap();
    };
    let core = core_apps();
    for (vsn, rel) in [("1.0", "old"), ("1.1", "new")] {
        let mut entries: Vec<String> = core
            .iter()
            .map(|(n, v, _)| format!("{{{n},\"{v}\"}}"))
            .collect();
        for a in 0..apps {
            let name = format!("app{a}");
            entries.push(format!("{{{name},\"{vsn}\"}}"));
            let modules: Vec<String> = (0..mods).map(|m| format!("{name}_m{m}")).collect();
            write(
                root.join(format!("lib/{name}-{vsn}/ebin/{name}.app")),
                format!(
                    "{{application,{name},[{{description,\"{name}\"}},{{vsn,\"{vsn}\"}},{{modules,[{}]}},{{registered,[]}},{{applications,[kernel,stdlib]}}]}}.\n",
                    modules.join(",")
                ),
            );
            if vsn == "1.1" {
                let script: Vec<String> = modules
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        if i % 10 == 0 {
                            format!("{{update,{m},{{advanced,[]}}}}")
                        } else {
                            format!("{{load_module,{m}}}")
                        }
                    })
                    .collect();
                let s = script.join(",");
                write(
                    root.join(format!("lib/{name}-{vsn}/ebin/{name}.appup")),
                    format!("{{\"1.1\",[{{\"1.0\",[{s}]}}],[{{\"1.0\",[{s}]}}]}}.\n"),
                );
            }
        }
        write(
            root.join(format!("releases/{rel}.rel")),
            format!(
                "{{release,{{\"big\",\"{vsn}\"}},{{erts,\"13.1.5\"}},[{}]}}.\n",
                entries.join(",")
            ),
        );
    }
    for (n, v, app_file) in core {
        write(
            root.join(format!("lib/{n}-{v}/ebin/{n}.app")),
            std::fs::read_to_string(app_file).unwrap(),
        );
    }
    bytes
}

/// kernel, stdlib and sasl of the installed OTP (name, version, .app file).
fn core_apps() -> Vec<(String, String, PathBuf)> {
    let dirs = relup::plan::otp_code_path();
    ["kernel", "stdlib", "sasl"]
        .iter()
        .filter_map(|n| {
            let dir = dirs.iter().find(|d| {
                d.parent()
                    .and_then(|p| p.file_name())
                    .and_then(|f| f.to_str())
                    .is_some_and(|f| f.starts_with(&format!("{n}-")))
            })?;
            let vsn = dir
                .parent()?
                .file_name()?
                .to_str()?
                .trim_start_matches(&format!("{n}-"))
                .to_string();
            Some((n.to_string(), vsn, dir.join(format!("{n}.app"))))
        })
        .collect()
}

/// Runs in a child process so its peak memory (VmHWM) is the planner's alone.
fn make_child(tree: &Path) {
    let bases = [relup::plan::BaseRelease::new(tree.join("releases/old.rel"))];
    let options = relup::plan::PlanOptions {
        path: vec![tree.join("lib/*/ebin")],
        ..Default::default()
    };
    let t = Instant::now();
    let plan =
        relup::plan::make_relup(&tree.join("releases/new.rel"), &bases, &bases, &options).unwrap();
    let text = relup::plan::relup_text(&plan.relup);
    let elapsed = t.elapsed();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().trim_end_matches(" kB").parse::<u64>().unwrap_or(0))
        .unwrap_or(0);
    println!("{} {} {}", elapsed.as_micros(), hwm, text.len());
}

fn bench_make(config: &Config, dir: &Path, timer: &Path) {
    println!("## `relup make` (plan and render the relup file)\n");
    println!(
        "| release | input | relup | peak memory | OTP `make_relup` | ratio |\n|---|---|---|---|---|---|"
    );
    let sizes: &[(usize, usize)] = if config.quick {
        &[(10, 100)]
    } else {
        &[(10, 100), (20, 500), (100, 500)]
    };
    for &(apps, mods) in sizes {
        let tree = dir.join(format!("tree-{apps}-{mods}"));
        let input = release_tree(&tree, apps, mods);
        let runs: Vec<(u64, u64)> = (0..3)
            .map(|_| {
                let out = Command::new(std::env::current_exe().unwrap())
                    .arg("--make-child")
                    .arg(&tree)
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                let v: Vec<u64> = text
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                (v[0], v[1])
            })
            .collect();
        let (micros, kb) = runs.iter().min_by_key(|r| r.0).copied().unwrap();
        let ours = Duration::from_micros(micros);
        let otp = if config.otp && apps * mods <= 10_000 {
            otp_micros(timer, &["make", tree.to_str().unwrap()])
        } else {
            None
        };
        let (otp_text, ratio) = match otp {
            Some(d) => (
                ms(d),
                format!("{:.0}×", d.as_secs_f64() / ours.as_secs_f64()),
            ),
            None if config.otp => (
                "capped (OTP translates 50k updates in minutes)".into(),
                "-".into(),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "| {} modules in {apps} apps | {:.1} MB | {} | {:.1} MB ({:.1}× input) | {otp_text} | {ratio} |",
            apps * mods,
            input as f64 / 1e6,
            ms(ours),
            kb as f64 / 1024.0,
            kb as f64 * 1024.0 / input as f64
        );
    }
    println!();
}

/// `relup check` on `text` as an appup: decode, then render every diagnostic with the file's
/// line index, as the command does.
fn check_and_render(text: &str) -> usize {
    let report = relup::check::check(Path::new("x.appup"), text.as_bytes(), &Default::default());
    let index = relup::span::LineIndex::new(text);
    report
        .diagnostics
        .iter()
        .map(|d| d.render_in(&index, text, "x.appup").len())
        .sum()
}

/// An appup with `n` bad instructions, one per line (each a diagnostic).
fn many_errors(n: usize) -> String {
    let body: Vec<String> = (0..n)
        .map(|i| format!("  {{update, m{i}, {{advanced, x}}, rutal_purge, brutal_purge, []}}"))
        .collect();
    format!("{{\"2\", [{{\"1\", [\n{}\n]}}], []}}.\n", body.join(",\n"))
}

/// An appup with `n` regex keys and `n` exact keys (the shadowed-entry check pairs them).
fn many_keys(n: usize) -> String {
    let entries: Vec<String> = (0..n)
        .flat_map(|i| {
            [
                format!("{{<<\"{i}\\\\.[0-9]+\">>, []}}"),
                format!("{{\"{}.{i}\", []}}", i + 100_000),
            ]
        })
        .collect();
    format!("{{\"2\", [{}], []}}.\n", entries.join(",\n"))
}

fn bench_scaling(config: &Config) {
    println!("\n## Growth with input size (`relup check`)\n");
    println!("| input | size | bytes | time | 10x size / 1x time |");
    println!("|---|---|---|---|---|");
    let sizes: &[usize] = if config.quick {
        &[1_000, 10_000]
    } else {
        &[4_000, 40_000]
    };
    for (name, make) in [
        (
            "bad instructions (one diagnostic each)",
            many_errors as fn(usize) -> String,
        ),
        ("regex + exact version keys", many_keys),
    ] {
        let mut first = None;
        for &n in sizes {
            let text = make(n);
            let t = median(5, || check_and_render(&text));
            let ratio = first.map_or("-".to_string(), |f: Duration| {
                format!("{:.1}x", t.as_secs_f64() / f.as_secs_f64())
            });
            first.get_or_insert(t);
            println!("| {name} | {n} | {} | {} | {ratio} |", text.len(), ms(t));
        }
    }
}
