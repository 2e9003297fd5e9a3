//! `relup translate`: oracle case files, or one appup entry.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{CliError, read_input};

/// Arguments of `relup translate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A case file in the oracle's format (`{case, Name, Mode, Script, Apps, PreApps}.`);
    /// prints one line per case, as `shared/oracle/translate` does.
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
}

/// Runs `relup translate`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if let Some(cases) = &args.cases {
        return run_cases(cases);
    }
    Err("translate APPUP is not available yet".into())
}

fn run_cases(path: &std::path::Path) -> Result<ExitCode, CliError> {
    let bytes = read_input(path)?;
    let source =
        relup::term::decode_source(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines = relup::cases::run_cases(&source);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut ok, mut error) = (0, 0);
    for line in &lines {
        writeln!(out, "{line}")?;
        if line.ok { ok += 1 } else { error += 1 }
    }
    out.flush()?;
    eprintln!("translate: {} cases, {ok} ok, {error} error", lines.len());
    Ok(ExitCode::SUCCESS)
}
