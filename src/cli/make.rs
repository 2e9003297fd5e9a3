//! `relup make NEW [--up-from OLD]... [--down-to OLD]...`: plan and write a relup, as
//! `systools:make_relup` (or `rebar3 relup`) would.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use relup::plan::{BaseRelease, PlanOptions, make_relup, otp_code_path, write_relup};

use super::{CliError, emit};

/// Arguments of `relup make`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new release: its `.rel` file, or its release directory (`<root>/releases/<vsn>`).
    new: PathBuf,
    /// A release to upgrade from (`.rel` file or release directory); repeatable.
    #[arg(long = "up-from", value_name = "OLD")]
    up_from: Vec<PathBuf>,
    /// A release to downgrade to; repeatable.
    #[arg(long = "down-to", value_name = "OLD")]
    down_to: Vec<PathBuf>,
    /// Where to look for `.app` files (`*` wildcards allowed), before the release layouts
    /// (`<root>/lib/*/ebin` of every release given) and the installed OTP; repeatable.
    #[arg(long = "path", value_name = "GLOB")]
    path: Vec<PathBuf>,
    /// The `.rel` name to use in release directories holding several.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// End every script with `restart_emulator`.
    #[arg(long)]
    restart_emulator: bool,
    /// Fail when there are warnings.
    #[arg(long)]
    warnings_as_errors: bool,
    /// Directory to write `relup` into (default: the new release's directory).
    #[arg(
        short = 'o',
        long = "outdir",
        value_name = "DIR",
        conflicts_with = "output"
    )]
    outdir: Option<PathBuf>,
    /// The file to write (instead of `<outdir>/relup`).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Plan only; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the plan (scripts and warnings) as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `relup make`: exit 0 on success, 1 when planning fails.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.up_from.is_empty() && args.down_to.is_empty() {
        return Err("give at least one --up-from or --down-to release".into());
    }
    let new = rel_file(&args.new, args.name.as_deref())?;
    let up: Vec<PathBuf> = args
        .up_from
        .iter()
        .map(|p| rel_file(p, args.name.as_deref()))
        .collect::<Result<_, _>>()?;
    let down: Vec<PathBuf> = args
        .down_to
        .iter()
        .map(|p| rel_file(p, args.name.as_deref()))
        .collect::<Result<_, _>>()?;
    let mut path = args.path.clone();
    for rel in std::iter::once(&new).chain(&up).chain(&down) {
        if let Some(lib) = release_lib(rel) {
            if !path.contains(&lib) {
                path.push(lib);
            }
        }
    }
    let options = PlanOptions {
        path,
        code_path: otp_code_path(),
        restart_emulator: args.restart_emulator,
        warnings_as_errors: args.warnings_as_errors,
        ..PlanOptions::default()
    };
    let bases = |v: &[PathBuf]| v.iter().map(BaseRelease::new).collect::<Vec<_>>();
    let plan = match make_relup(&new, &bases(&up), &bases(&down), &options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("relup: error: {e} [{}]", e.to_term());
            return Ok(ExitCode::from(1));
        }
    };
    for w in &plan.warnings {
        let file = w
            .file
            .as_ref()
            .map(|f| format!("{}: ", f.display()))
            .unwrap_or_default();
        eprintln!("relup: warning: {file}{} [{}]", w.message, w.term);
    }
    if !args.dry_run {
        let target = match (&args.output, &args.outdir) {
            (Some(f), _) => f.clone(),
            (None, Some(d)) => d.join("relup"),
            (None, None) => new.parent().unwrap_or(Path::new(".")).join("relup"),
        };
        if let Err(e) = write_relup(&plan.relup, &target) {
            eprintln!("relup: error: {e} [{}]", e.to_term());
            return Ok(ExitCode::from(1));
        }
        if !args.json {
            eprintln!("relup: wrote {}", target.display());
        }
    }
    if args.json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&plan)?))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The `.rel` file of a release given as a file or as a release directory.
fn rel_file(given: &Path, name: Option<&str>) -> Result<PathBuf, CliError> {
    if given.is_file() {
        return Ok(given.to_path_buf());
    }
    if !given.is_dir() {
        return Err(format!(
            "{}: no such .rel file or release directory",
            given.display()
        )
        .into());
    }
    if let Some(name) = name {
        return Ok(given.join(format!("{name}.rel")));
    }
    let mut rels: Vec<PathBuf> = std::fs::read_dir(given)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rel"))
        .collect();
    rels.sort();
    match rels.len() {
        1 => Ok(rels.remove(0)),
        0 => Err(format!("{}: no .rel file in the release directory", given.display()).into()),
        _ => Err(format!(
            "{}: several .rel files; choose one with --name",
            given.display()
        )
        .into()),
    }
}

/// `<root>/lib/*/ebin` for a `.rel` at `<root>/releases/<vsn>/<name>.rel`, when `lib` exists.
fn release_lib(rel: &Path) -> Option<PathBuf> {
    let root = std::fs::canonicalize(rel)
        .ok()?
        .parent()?
        .parent()?
        .parent()?
        .to_path_buf();
    root.join("lib")
        .is_dir()
        .then(|| root.join("lib").join("*").join("ebin"))
}
