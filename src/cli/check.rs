//! `relup check FILE|DIR...`: parse and validate release files, report every problem.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use relup::check::{Context, check};
use relup::files::{FileKind, app_name_of, decode_app};
use relup::span::LineIndex;
use relup::term::{decode_source, parse_terms};

use super::json::{self, Problem};
use super::{CliError, emit, read_input};

/// Arguments of `relup check`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Files: .appup (.appup.src), relup, .app (.app.src), .rel, sys.config, releases/RELEASES,
releases/start_erl.data; the kind comes from the name, else from the content. An .appup is
checked against the .app of its application: one given with it, else the one beside it.

A directory is a release root (rebar3's _build/default/rel/NAME, relx, mix release): every
file of releases/ and lib/*/ebin/ is checked. Any other directory: the release files in it.

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 the command could not run.")]
pub struct Args {
    /// Files or directories to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print a JSON document (README, "JSON output").
    #[arg(long)]
    json: bool,
}

/// Runs `relup check`; exit status 1 when any file has an error.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let mut paths = Vec::new();
    for given in &args.files {
        if given.is_dir() {
            let found = release_files(given);
            if found.is_empty() {
                return Err(format!(
                    "{}: no release files here; give release files, a release root (with releases/ and lib/) or a directory holding .appup, .app, .rel, relup or sys.config files",
                    given.display()
                )
                .into());
            }
            paths.extend(found);
        } else {
            paths.push(given.clone());
        }
    }
    let inputs: Vec<(PathBuf, Vec<u8>)> = paths
        .iter()
        .map(|p| read_input(p).map(|b| (p.clone(), b)))
        .collect::<Result<_, _>>()?;
    let apps = given_apps(&inputs);
    let mut rendered = String::new();
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let mut files = Vec::new();
    for (path, bytes) in &inputs {
        let context = Context {
            app: app_for(path, &apps),
        };
        let report = check(path, bytes, &context);
        let source = decode_source(bytes)
            .map(|s| s.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned());
        let shown = path.display().to_string();
        let index = LineIndex::new(&source);
        let (mut e, mut w) = (0, 0);
        for d in &report.diagnostics {
            rendered.push_str(&d.render_in(&index, &source, &shown));
            let problem = Problem::from_diagnostic(d, &index, &source, &shown);
            if d.is_error() {
                e += 1;
                errors.push(problem);
            } else {
                w += 1;
                warnings.push(problem);
            }
        }
        files.push(json!({
            "file": shown,
            "kind": report.kind.map(kind_name),
            "errors": e,
            "warnings": w,
            "checked_against": context.app.as_ref().map(|a| format!("{} {}", a.name, a.vsn)),
        }));
    }
    if args.json {
        let doc = json::document(
            "check",
            errors.is_empty(),
            json!({ "files": files }),
            &errors,
            &warnings,
        );
        emit(&json::text(&doc))?;
    } else {
        let summary = format!(
            "checked {} file(s): {} error(s), {} warning(s)\n",
            inputs.len(),
            errors.len(),
            warnings.len()
        );
        emit(&format!("{rendered}{summary}"))?;
    }
    Ok(super::exit_status(errors.is_empty()))
}

/// The kind's name in JSON documents.
pub fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Appup => "appup",
        FileKind::Relup => "relup",
        FileKind::App => "app",
        FileKind::Rel => "rel",
        FileKind::Config => "config",
        FileKind::Releases => "releases",
        FileKind::StartErlData => "start_erl_data",
    }
}

/// The release files under a directory: for a release root, `releases/**` and
/// `lib/*/ebin/*`; otherwise the files directly in it. Sorted, kinds known by name only.
fn release_files(dir: &Path) -> Vec<PathBuf> {
    let is_root = dir.join("releases").is_dir() || dir.join("lib").is_dir();
    let mut out = Vec::new();
    if is_root {
        collect(&dir.join("releases"), 3, &mut out);
        for app in sorted_entries(&dir.join("lib")) {
            collect(&app.join("ebin"), 1, &mut out);
        }
    } else {
        collect(dir, 1, &mut out);
    }
    out
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Files of a known kind under `dir`, `depth` levels deep at most (symlinks not followed).
fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    for p in sorted_entries(dir) {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() && depth > 1 {
            collect(&p, depth - 1, out);
        } else if meta.is_file() && FileKind::from_path(&p).is_some() {
            out.push(p);
        }
    }
}

/// The `.app` files among the inputs that decode, with their paths.
fn given_apps(inputs: &[(PathBuf, Vec<u8>)]) -> Vec<(PathBuf, relup::files::App)> {
    inputs
        .iter()
        .filter(|(p, _)| FileKind::from_path(p) == Some(FileKind::App))
        .filter_map(|(p, bytes)| Some((p.clone(), read_app(p, bytes)?)))
        .collect()
}

fn read_app(path: &Path, bytes: &[u8]) -> Option<relup::files::App> {
    let source = decode_source(bytes).ok()?;
    let terms = parse_terms(&source).ok()?;
    decode_app(&terms, app_name_of(path)).0
}

/// The `.app` an appup is checked against: the one given for the same application (in the
/// same directory first), else the only one given, else `NAME.app` beside the appup.
fn app_for(path: &Path, apps: &[(PathBuf, relup::files::App)]) -> Option<relup::files::App> {
    if FileKind::from_path(path) != Some(FileKind::Appup) {
        return None;
    }
    let name = app_name_of(path);
    let same_app = |(_, a): &&(PathBuf, relup::files::App)| Some(a.name.as_str()) == name;
    apps.iter()
        .filter(same_app)
        .find(|(p, _)| p.parent() == path.parent())
        .or_else(|| apps.iter().find(same_app))
        .or(if apps.len() == 1 { apps.first() } else { None })
        .map(|(_, a)| a.clone())
        .or_else(|| {
            let beside = path.with_file_name(format!("{}.app", name?));
            read_app(&beside, &std::fs::read(&beside).ok()?)
        })
}
