//! Helpers shared by the test modules: snapshot settings, the OTP oracle (`tests/otp/`), temp
//! files.

use std::path::{Path, PathBuf};
use std::process::Command;

use relup::term::{Term, parse_term};

/// Settings for every snapshot: all `.snap` files go to `<crate>/snapshots/`.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The project's own OTP oracle scripts and harness files (`tests/otp/`).
pub fn otp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otp")
}

/// A fresh path in the system temp dir: unique per call (tests run in parallel threads).
pub fn temp_path(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("relup-test-{}-{n}-{name}", std::process::id()))
}

/// Runs an oracle script (`translate` or `relup`) on `input`; returns stdout.
pub fn run_oracle(tool: &str, args: &[&str], input: &str, name: &str) -> String {
    let file = temp_path(name);
    std::fs::write(&file, input).unwrap();
    let out = Command::new("escript")
        .arg(otp_dir().join(format!("{tool}.escript")))
        .args(args)
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "oracle {tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One line of the translate oracle's output.
pub struct OracleLine {
    pub name: Term<'static>,
    pub ok: bool,
    pub value: Term<'static>,
    pub components: Option<Term<'static>>,
}

/// Parses the translate oracle's output lines (`Name<TAB>ok|error<TAB>Term[<TAB>Components]`).
pub fn parse_oracle_lines(out: &str) -> Vec<OracleLine> {
    out.lines()
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let term = |s: &str| {
                parse_term(s)
                    .unwrap_or_else(|e| panic!("oracle term {s:?}: {e}"))
                    .into_owned()
            };
            OracleLine {
                name: term(cols[0]),
                ok: cols[1] == "ok",
                value: term(cols[2]),
                components: cols.get(3).map(|c| term(c)),
            }
        })
        .collect()
}

/// True when the oracle's error is an OTP crash (`{'EXIT', _}` or `{raised, ...}`), where we
/// give a reason of our own.
pub fn is_otp_crash(value: &Term<'_>) -> bool {
    matches!(value.tagged(), Some(("EXIT" | "raised", _)))
}

/// The example files with extension `ext` (`cases` or `relup`) in `tests/fixtures/oracle`,
/// sorted.
pub fn oracle_examples(ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracle");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// The base releases (`old1`, `old2`, ...) of a tree the relup oracle kept.
pub fn old_names(tree: &Path) -> Vec<String> {
    let mut olds: Vec<String> = std::fs::read_dir(tree.join("releases"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter_map(|n| {
            n.strip_suffix(".rel")
                .filter(|n| n.starts_with("old"))
                .map(String::from)
        })
        .collect();
    olds.sort();
    olds
}

/// What the relup oracle printed for a spec, and the release tree it kept.
pub struct OracleRun {
    pub stdout: String,
    pub tree: PathBuf,
}

/// Runs `tests/otp/relup.escript --keep` on a spec file.
pub fn run_relup_oracle_keep(spec: &Path) -> OracleRun {
    let out = Command::new("escript")
        .arg(otp_dir().join("relup.escript"))
        .arg("--keep")
        .arg(spec)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tree = stderr
        .lines()
        .find_map(|l| l.strip_prefix("relup: kept "))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("oracle: {stderr}"));
    OracleRun {
        stdout: String::from_utf8(out.stdout).unwrap(),
        tree,
    }
}

/// Copies a directory tree (files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// A count from the environment (`RELUP_FUZZ_CASES=1000000`), else `default`.
pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs `tests/otp/<tool>.escript` with `args`; its standard output (it must exit 0).
pub fn escript<S: AsRef<std::ffi::OsStr>>(tool: &str, args: &[S]) -> String {
    let out = Command::new("escript")
        .arg(otp_dir().join(format!("{tool}.escript")))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Compiles Erlang `sources` into `out` with `erlc`; a compile error fails the test with
/// erlc's output.
pub fn erlc(out: &Path, sources: &[PathBuf]) {
    let done = std::process::Command::new("erlc")
        .arg("-o")
        .arg(out)
        .args(sources)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "erlc {sources:?}: {}{}",
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr)
    );
}
