//! `relup translate`: oracle case files, or one appup entry.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use relup::files::{Appup, decode_app, decode_appup, parse_diagnostic};
use relup::instr::{Mode, StartType, script_to_term};
use relup::passes::{Application, Apps, translate};
use relup::term::{Term, decode_source, parse_terms, pretty};

use super::{CliError, emit, read_input};

/// Arguments of `relup translate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A case file in the oracle's format (`{case, Name, Mode, Script, Apps, PreApps}.`);
    /// prints one line per case, as the OTP oracle `tests/otp/translate.escript` does.
    #[arg(long, value_name = "FILE", conflicts_with = "appup")]
    cases: Option<PathBuf>,
    /// An `.appup` file to translate the entry of `--from` from.
    #[arg(required_unless_present = "cases")]
    appup: Option<PathBuf>,
    /// The version to upgrade from (or downgrade to, with `--down`).
    #[arg(long, value_name = "VSN")]
    from: Option<String>,
    /// Downgrade instead of upgrade.
    #[arg(long)]
    down: bool,
    /// The new `.app` file (default: the `.app` beside the appup).
    #[arg(long, value_name = "FILE")]
    app: Option<PathBuf>,
    /// The old `.app` file (default: the new one with the old version).
    #[arg(long, value_name = "FILE")]
    old_app: Option<PathBuf>,
    /// Print JSON instead of Erlang terms.
    #[arg(long)]
    json: bool,
    /// Also say (on stderr) which modules form dependency cycles, whose order OTP keeps as
    /// written in the appup.
    #[arg(long)]
    explain: bool,
}

/// Runs `relup translate`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if let Some(cases) = &args.cases {
        return run_cases(cases);
    }
    let appup_path = args
        .appup
        .as_deref()
        .ok_or("an APPUP file or --cases is needed")?;
    let from = args
        .from
        .as_deref()
        .ok_or("--from VSN is needed with an APPUP file")?;
    let (source, appup) = match read_appup(appup_path)? {
        Ok(ok) => ok,
        Err(code) => return Ok(code),
    };
    let new_app = match &args.app {
        Some(p) => read_app(p)?,
        None => beside_app(appup_path, &appup)?,
    };
    let old_app = match &args.old_app {
        Some(p) => read_app(p)?,
        None => Application {
            vsn: Term::string(from.to_string()),
            ..new_app.clone()
        },
    };
    let clauses = if args.down {
        &appup.down_to
    } else {
        &appup.up_from
    };
    let Some(clause) = Appup::find(clauses, from)? else {
        let list = if args.down { "DownTo" } else { "UpFrom" };
        eprintln!(
            "relup: error: {}: no {list} entry of the appup matches version {from} [no_relup]",
            appup_path.display()
        );
        return Ok(ExitCode::from(1));
    };
    let _ = source;
    if args.explain {
        for cycle in relup::passes::dependency_cycles(&clause.instructions) {
            let names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
            eprintln!(
                "relup: note: {} depend on each other in a cycle: kept in appup order",
                names.join(", ")
            );
        }
    }
    let (mode, apps, pre) = if args.down {
        (Mode::Down, Apps(vec![old_app]), Apps(vec![new_app]))
    } else {
        (Mode::Up, Apps(vec![new_app]), Apps(vec![old_app]))
    };
    match translate(mode, vec![clause.instructions.clone()], &apps, &pre) {
        Ok(script) => {
            if args.json {
                emit(&format!("{}\n", serde_json::to_string_pretty(&script)?))?;
            } else {
                emit(&format!("{}.\n", pretty(&script_to_term(&script))))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!(
                "relup: error: {}: {e} [{}]",
                appup_path.display(),
                e.reason()
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// Reads and decodes an appup; on errors prints them and gives the exit code.
fn read_appup(path: &Path) -> Result<Result<(String, Appup), ExitCode>, CliError> {
    let bytes = read_input(path)?;
    let source = decode_source(&bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .into_owned();
    let terms = match parse_terms(&source) {
        Ok(t) => t,
        Err(e) => {
            eprint!(
                "{}",
                parse_diagnostic(&e).render(&source, &path.display().to_string())
            );
            return Ok(Err(ExitCode::from(1)));
        }
    };
    let (appup, diags) = decode_appup(&terms, None);
    for d in &diags {
        eprint!("{}", d.render(&source, &path.display().to_string()));
    }
    Ok(appup.map(|a| (source.clone(), a)).ok_or(ExitCode::from(1)))
}

fn read_app(path: &Path) -> Result<Application, CliError> {
    let bytes = read_input(path)?;
    let source = decode_source(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let terms = parse_terms(&source).map_err(|e| format!("{}: {e}", path.display()))?;
    let (app, diags) = decode_app(&terms, None);
    let app = app.ok_or_else(|| {
        let text: String = diags
            .iter()
            .map(|d| d.render(&source, &path.display().to_string()))
            .collect();
        format!("{}: not a valid .app:\n{text}", path.display())
    })?;
    Ok(Application {
        name: app.name,
        vsn: Term::string(app.vsn),
        modules: app.modules,
        start_type: StartType::Permanent,
    })
}

/// The `.app` beside the appup (`<dir>/<App>.app`), as release planning would find it.
fn beside_app(appup: &Path, decoded: &Appup) -> Result<Application, CliError> {
    let stem = appup.file_stem().and_then(|s| s.to_str()).unwrap_or("app");
    let path = appup.with_file_name(format!("{stem}.app"));
    if path.exists() {
        return read_app(&path);
    }
    Err(format!(
        "{}: no {stem}.app beside the appup (version {}); give --app FILE to say which modules the application has",
        appup.display(),
        decoded.vsn
    )
    .into())
}

fn run_cases(path: &std::path::Path) -> Result<ExitCode, CliError> {
    let bytes = read_input(path)?;
    let source =
        relup::term::decode_source(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines = relup::cases::run_cases(&source);
    let (mut ok, mut error) = (0, 0);
    let mut text = String::new();
    for line in &lines {
        text.push_str(&format!("{line}\n"));
        if line.ok { ok += 1 } else { error += 1 }
    }
    emit(&text)?;
    eprintln!("translate: {} cases, {ok} ok, {error} error", lines.len());
    Ok(ExitCode::SUCCESS)
}
