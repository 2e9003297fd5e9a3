//! `relup check FILE...`: parse and validate release files, report every problem.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use relup::diagnostic::LocatedDiagnostic;
use relup::files::{Context, FileKind, check, decode_app};
use relup::term::{decode_source, parse_terms};

use super::{CliError, emit, read_input};

/// Arguments of `relup check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to check: `.appup`, `relup`, `.app`, `.rel`, `sys.config` (kind from the name,
    /// else from the content). An `.app` given with an `.appup` of the same application is used
    /// to check the appup against it.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the diagnostics as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `relup check`; exit status 1 when any file has an error.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let inputs: Vec<(PathBuf, Vec<u8>)> = args
        .files
        .iter()
        .map(|p| read_input(p).map(|b| (p.clone(), b)))
        .collect::<Result<_, _>>()?;
    let apps = given_apps(&inputs);
    let mut located: Vec<LocatedDiagnostic> = Vec::new();
    let mut rendered = String::new();
    let (mut errors, mut warnings) = (0, 0);
    for (path, bytes) in &inputs {
        let context = Context {
            app: app_for(path, &apps),
        };
        let report = check(path, bytes, &context);
        let source = decode_source(bytes)
            .map(|s| s.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned());
        let shown = path.display().to_string();
        for d in &report.diagnostics {
            if d.is_error() {
                errors += 1
            } else {
                warnings += 1
            }
            rendered.push_str(&d.render(&source, &shown));
            located.push(d.located(&source, &shown));
        }
    }
    if args.json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&located)?))?;
    } else {
        let summary = format!(
            "checked {} file(s): {errors} error(s), {warnings} warning(s)\n",
            inputs.len()
        );
        emit(&format!("{rendered}{summary}"))?;
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The `.app` files among the inputs that decode, with their application names.
fn given_apps(inputs: &[(PathBuf, Vec<u8>)]) -> Vec<relup::files::App> {
    inputs
        .iter()
        .filter(|(p, _)| FileKind::from_path(p) == Some(FileKind::App))
        .filter_map(|(p, bytes)| {
            let source = decode_source(bytes).ok()?;
            let terms = parse_terms(&source).ok()?;
            decode_app(&terms, p.file_stem().and_then(|s| s.to_str())).0
        })
        .collect()
}

/// The `.app` an appup is checked against: the one of the same application, or the only one.
fn app_for(path: &Path, apps: &[relup::files::App]) -> Option<relup::files::App> {
    if FileKind::from_path(path) != Some(FileKind::Appup) {
        return None;
    }
    let stem = path.file_stem().and_then(|s| s.to_str());
    apps.iter()
        .find(|a| Some(a.name.as_str()) == stem)
        .or(if apps.len() == 1 { apps.first() } else { None })
        .cloned()
}
