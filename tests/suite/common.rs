//! Helpers shared by the test modules: snapshot settings, the OTP oracle, temp files.

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

/// The `shared/` folder beside the repository (or `$RELUP_SHARED`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("RELUP_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// True when the OTP oracle can run. Without Erlang the OTP tests fail, unless
/// `RELUP_NO_OTP=1` says to skip them (a developer machine without Erlang).
pub fn otp_available() -> bool {
    let ok = Command::new("escript").arg("-h").output().is_ok()
        || Command::new("erl").arg("-version").output().is_ok();
    if ok && shared_dir().join("oracle/translate").exists() {
        return true;
    }
    if std::env::var("RELUP_NO_OTP").as_deref() == Ok("1") {
        eprintln!("skipping: no Erlang/OTP or no ../shared/oracle (RELUP_NO_OTP=1)");
        return false;
    }
    panic!(
        "Erlang/OTP (escript) and ../shared/oracle are needed: run .ci/run, or apt-get install erlang-base; set RELUP_NO_OTP=1 to skip"
    );
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
    let out = Command::new(shared_dir().join("oracle").join(tool))
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

/// The oracle's example files with extension `ext` (`cases` or `relup`), sorted.
pub fn oracle_examples(ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_dir().join("oracle/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// What the relup oracle printed for a spec, and the release tree it kept.
pub struct OracleRun {
    pub stdout: String,
    pub tree: PathBuf,
}

/// Runs `shared/oracle/relup --keep` on a spec file.
pub fn run_relup_oracle_keep(spec: &Path) -> OracleRun {
    let out = Command::new(shared_dir().join("oracle/relup"))
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
