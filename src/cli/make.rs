//! `relup make NEW [--up-from OLD]... [--down-to OLD]...`: plan and write a relup, as
//! `systools:make_relup` (or `rebar3 relup`) would.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use relup::files::{Relup, RelupEntry};
use relup::plan::{
    BaseRelease, LocatedRelease, Plan, PlanError, PlanOptions, Warning, locate_release, make_relup,
    otp_code_path, relup_text, write_relup,
};

use super::json::{self, Problem};
use super::{CliError, emit};

/// Arguments of `relup make`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Releases (NEW and each OLD) can be given as:
  a .rel file              releases/0.2.0/myrel.rel
  a release directory      _build/default/rel/myrel/releases/0.2.0
  a release root           _build/default/rel/myrel (rebar3, relx, mix release); NEW is its
                           newest release unless --vsn says which
  a bare version (OLD)     0.1.0: that release inside NEW's release root

rebar3's relup workflow (both versions built into one root):
  relup make _build/default/rel/myrel --up-from 0.1.0
writes _build/default/rel/myrel/releases/0.2.0/relup, byte for byte what
`rebar3 relup -n myrel -v 0.2.0 -u 0.1.0` writes.

Exit status: 0 written (warnings allowed), 1 OTP would refuse the relup (the error says
why), 2 the command could not run (usage, a release not found).")]
pub struct Args {
    /// The new release: a `.rel` file, a release directory or a release root.
    new: PathBuf,
    /// A release to upgrade from: a `.rel` file, a release directory, a release root or a
    /// version in NEW's release root; repeatable.
    #[arg(long = "up-from", value_name = "OLD")]
    up_from: Vec<PathBuf>,
    /// A release to downgrade to (same forms); repeatable. Default: the --up-from releases,
    /// as `rebar3 relup` does.
    #[arg(long = "down-to", value_name = "OLD")]
    down_to: Vec<PathBuf>,
    /// Make upgrade scripts only (no downgrade entries).
    #[arg(long, conflicts_with = "down_to")]
    up_only: bool,
    /// With a release root as NEW: the version to make the relup for (default: the newest).
    #[arg(long, value_name = "VSN")]
    vsn: Option<String>,
    /// Where to look for `.app` files (`*` wildcards allowed), before the release roots'
    /// `lib/*/ebin` and the installed OTP; repeatable.
    #[arg(long = "path", value_name = "GLOB")]
    path: Vec<PathBuf>,
    /// The release name, where a release directory holds several `.rel` files.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// End every script with `restart_emulator`.
    #[arg(long)]
    restart_emulator: bool,
    /// Fail when there are warnings.
    #[arg(long)]
    warnings_as_errors: bool,
    /// Directory to write `relup` into (default: NEW's release directory, `releases/VSN/`).
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
    /// Plan and print the relup that would be written, and where; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print a JSON document (README, "JSON output").
    #[arg(long)]
    json: bool,
}

/// Runs `relup make`: exit 0 on success, 1 when planning fails.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.up_from.is_empty() && args.down_to.is_empty() {
        return Err("give at least one --up-from (or --down-to) release: a .rel file, a release directory, a release root or a version in NEW's root".into());
    }
    let name = args.name.as_deref();
    let new = locate_release(&args.new, name, args.vsn.as_deref(), None)?;
    let name = name.or(new.name());
    let locate = |v: &[PathBuf]| -> Result<Vec<LocatedRelease>, CliError> {
        v.iter()
            .map(|p| Ok(locate_release(p, name, None, new.root.as_deref())?))
            .collect()
    };
    let up = locate(&args.up_from)?;
    let down = if args.down_to.is_empty() && !args.up_only {
        up.clone()
    } else {
        locate(&args.down_to)?
    };
    let mut path = args.path.clone();
    for lib in std::iter::once(&new)
        .chain(&up)
        .chain(&down)
        .filter_map(LocatedRelease::lib_path)
    {
        if !path.contains(&lib) {
            path.push(lib);
        }
    }
    let options = PlanOptions {
        path,
        code_path: otp_code_path(),
        restart_emulator: args.restart_emulator,
        warnings_as_errors: args.warnings_as_errors,
        ..PlanOptions::default()
    };
    let bases = |v: &[LocatedRelease]| {
        v.iter()
            .map(|r| BaseRelease::new(&r.rel_file))
            .collect::<Vec<_>>()
    };
    let target = match (&args.output, &args.outdir) {
        (Some(f), _) => f.clone(),
        (None, Some(d)) => d.join("relup"),
        (None, None) => new
            .rel_file
            .parent()
            .unwrap_or(Path::new("."))
            .join("relup"),
    };
    let plan = match make_relup(&new.rel_file, &bases(&up), &bases(&down), &options) {
        Ok(p) => p,
        Err(e) => {
            say!("relup: error: {e} [{}]", e.to_term());
            if args.json {
                let doc = json::document("make", false, json!({}), &[plan_problem(&e)], &[]);
                emit(&json::text(&doc))?;
            }
            return Ok(ExitCode::from(1));
        }
    };
    for w in &plan.warnings {
        let file = w
            .file
            .as_ref()
            .map(|f| format!("{}: ", f.display()))
            .unwrap_or_default();
        say!("relup: warning: {file}{} [{}]", w.message, w.term);
    }
    let warnings: Vec<Problem> = plan.warnings.iter().map(warning_problem).collect();
    if args.dry_run {
        if args.json {
            emit(&json::text(&document(
                &plan, &new, &target, false, &warnings,
            )))?;
        } else {
            say!("relup: would write {} (dry run):", target.display());
            emit(&relup_text(&plan.relup))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Err(e) = write_relup(&plan.relup, &target) {
        say!("relup: error: {e} [{}]", e.to_term());
        if args.json {
            let doc = json::document("make", false, json!({}), &[plan_problem(&e)], &warnings);
            emit(&json::text(&doc))?;
        }
        return Ok(ExitCode::from(1));
    }
    if args.json {
        emit(&json::text(&document(
            &plan, &new, &target, true, &warnings,
        )))?;
    } else {
        say!("relup: wrote {}", target.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The success document: the release, where the relup goes, and its entries.
fn document(
    plan: &Plan,
    new: &LocatedRelease,
    target: &Path,
    written: bool,
    warnings: &[Problem],
) -> Value {
    let fields = json!({
        "release": {
            "rel_file": new.rel_file.display().to_string(),
            "root": new.root.as_ref().map(|r| r.display().to_string()),
        },
        "output": target.display().to_string(),
        "written": written,
        "relup": relup_json(&plan.relup),
    });
    json::document("make", true, fields, &[], warnings)
}

/// A relup as JSON: `vsn`, and `up` / `down` entries with `vsn`, `descr` (a term) and
/// `instructions` (terms).
pub fn relup_json(relup: &Relup) -> Value {
    let entries = |v: &[RelupEntry]| -> Value {
        v.iter()
            .map(|e| {
                json!({
                    "vsn": e.vsn,
                    "descr": json::term(&e.descr),
                    "instructions": e.instructions.iter().map(|i| json::term(&i.to_term())).collect::<Vec<_>>(),
                })
            })
            .collect()
    };
    json!({ "vsn": relup.vsn, "up": entries(&relup.up), "down": entries(&relup.down) })
}

/// A planning error: OTP's reason tag as the code, `{error, Module, Reason}` as the reason.
fn plan_problem(e: &PlanError) -> Problem {
    let mut p = Problem::from_term(
        &e.reason(),
        "plan_error",
        &e.kind.to_string(),
        e.file.as_deref(),
    );
    p.reason = Some(json::term(&e.to_term()));
    p.line_col = e.position.map(|(l, c)| (l as usize, c as usize));
    p
}

fn warning_problem(w: &Warning) -> Problem {
    Problem::from_term(&w.term, "warning", &w.message, w.file.as_deref())
}
