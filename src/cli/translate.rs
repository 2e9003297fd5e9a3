//! `relup translate`: oracle case files, or one appup entry.

use relup::diagnostic::Code;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use relup::diagnostic::Diagnostic;
use relup::files::{Appup, app_name_of, decode_app, decode_appup_lenient, parse_diagnostic};
use relup::instr::{Atom, Instruction, Mode, script_to_term};
use relup::passes::{Application, Apps, translate};
use relup::span::LineIndex;
use relup::term::{Term, decode_source, parse_terms, pretty};

use super::json::{self, Problem};
use super::{CliError, emit, read_input};

/// Arguments of `relup translate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The entry is the one systools:make_relup selects for --from (OTP's version-key rule: the
first entry whose string equals the version, or whose regex's leftmost match is all of it).
Errors in other entries are reported as warnings: make_relup never reads them for this
version.

The application's modules and version come from --app, else from NAME.app beside the appup
(for NAME.appup.src: NAME.app, else NAME.app.src beside it; an .app.src with an empty module
list stands for the modules the appup names).

Exit status: 0 translated, 1 the entry has errors or none matches, 2 the command could not
run.")]
pub struct Args {
    /// A case file in the oracle's format (`{case, Name, Mode, Script, Apps, PreApps}.`);
    /// prints one line per case, as the OTP oracle `tests/otp/translate.escript` does.
    #[arg(long, value_name = "FILE", conflicts_with = "appup")]
    cases: Option<PathBuf>,
    /// An `.appup` (or `.appup.src`) file to translate the entry of `--from` from.
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
    /// Print a JSON document (README, "JSON output"); with --cases, one JSON object per line.
    #[arg(long)]
    json: bool,
    /// Also say (on stderr) which modules form dependency cycles, whose order OTP keeps as
    /// written in the appup.
    #[arg(long)]
    explain: bool,
}

/// Where the problems of one translation go: rendered on stderr and kept for JSON.
struct Report<'a> {
    source: &'a str,
    index: LineIndex,
    file: String,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl Report<'_> {
    fn add(&mut self, d: &Diagnostic, as_warning: bool) {
        let mut d = d.clone();
        if as_warning && d.is_error() {
            d.message = format!("{} (in an entry not selected for this version)", d.message);
            d.severity = relup::diagnostic::Severity::Warning;
        }
        say_part!("{}", d.render_in(&self.index, self.source, &self.file));
        let problem = Problem::from_diagnostic(&d, &self.index, self.source, &self.file);
        if d.is_error() {
            self.errors.push(problem);
        } else {
            self.warnings.push(problem);
        }
    }
}

/// Runs `relup translate`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if let Some(cases) = &args.cases {
        return run_cases(cases, args.json);
    }
    let appup_path = args
        .appup
        .as_deref()
        .ok_or("an APPUP file or --cases is needed")?;
    let from = args
        .from
        .as_deref()
        .ok_or("--from VSN is needed with an APPUP file: the version upgraded from (or downgraded to, with --down)")?;
    let bytes = read_input(appup_path)?;
    let source = decode_source(&bytes)
        .map_err(|e| format!("{}: {e}", appup_path.display()))?
        .into_owned();
    let mut report = Report {
        source: &source,
        index: LineIndex::new(&source),
        file: appup_path.display().to_string(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let direction = if args.down { "down" } else { "up" };
    let fields = |script: Option<serde_json::Value>| json!({ "appup": appup_path.display().to_string(), "from": from, "direction": direction, "instructions": script });
    let finish =
        |report: Report<'_>, script: Option<serde_json::Value>| -> Result<ExitCode, CliError> {
            let ok = report.errors.is_empty() && script.is_some();
            if args.json {
                let doc = json::document(
                    "translate",
                    ok,
                    fields(script),
                    &report.errors,
                    &report.warnings,
                );
                emit(&json::text(&doc))?;
            }
            Ok(super::exit_status(ok))
        };
    let terms = match parse_terms(&source) {
        Ok(t) => t,
        Err(e) => {
            report.add(&parse_diagnostic(&e), false);
            return finish(report, None);
        }
    };
    let (appup, diags) = decode_appup_lenient(&terms, None);
    let Some(appup) = appup else {
        for d in &diags {
            report.add(d, false);
        }
        return finish(report, None);
    };
    let clauses = if args.down {
        &appup.down_to
    } else {
        &appup.up_from
    };
    let clause = match Appup::find(clauses, from) {
        Ok(c) => c,
        Err(e) => {
            report.add(
                &Diagnostic::error(
                    Code::InvalidRegex,
                    None,
                    format!("{e}; OTP crashes on this entry before it reaches one for {from}"),
                ),
                false,
            );
            return finish(report, None);
        }
    };
    // Errors inside the selected entry (or outside every entry) stop the translation; errors
    // in other entries are warnings, as make_relup never reads them for this version.
    let entries: Vec<_> = appup
        .up_from
        .iter()
        .chain(&appup.down_to)
        .map(|c| c.span)
        .collect();
    for d in &diags {
        let inside = |s: relup::span::Span| {
            d.span
                .is_some_and(|ds| s.start <= ds.start && ds.end <= s.end)
        };
        let elsewhere =
            clause.is_none_or(|c| !inside(c.span)) && entries.iter().any(|s| inside(*s));
        report.add(d, elsewhere);
    }
    let Some(clause) = clause else {
        let list = if args.down { "DownTo" } else { "UpFrom" };
        let message = format!(
            "no {list} entry of the appup matches version {from}: add an entry {{\"{from}\", [...]}} (or a regex key) to the {list} list"
        );
        say!(
            "relup: error: {}: {message} [no_relup]",
            appup_path.display()
        );
        report.errors.push(Problem {
            file: Some(report.file.clone()),
            ..Problem::new("no_relup", message)
        });
        return finish(report, None);
    };
    if !report.errors.is_empty() {
        return finish(report, None);
    }
    let named = named_modules(&clause.instructions);
    let new_app = match &args.app {
        Some(p) => read_app(p, &named)?,
        None => beside_app(appup_path, &appup, &named)?,
    };
    let old_app = match &args.old_app {
        Some(p) => read_app(p, &named)?,
        None => Application {
            vsn: Term::string(from.to_string()),
            ..new_app.clone()
        },
    };
    if args.explain {
        for cycle in relup::passes::dependency_cycles(&clause.instructions) {
            let names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
            say!(
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
            if !args.json {
                emit(&format!("{}.\n", pretty(&script_to_term(&script))))?;
            }
            let terms = script.iter().map(|i| json::term(&i.to_term())).collect();
            finish(report, Some(serde_json::Value::Array(terms)))
        }
        Err(e) => {
            let line = relup::span::line_col(&source, clause.span.lo());
            say!(
                "relup: error: {}:{}:{}: in the entry for {from}: {e} [{}]",
                appup_path.display(),
                line.line,
                line.col,
                e.reason()
            );
            report.errors.push(Problem {
                code: e.tag().to_string(),
                message: e.to_string(),
                file: Some(report.file.clone()),
                line_col: Some((line.line, line.col)),
                reason: Some(json::term(&e.reason())),
            });
            finish(report, None)
        }
    }
}

/// The modules an entry's instructions name (what an `.app.src` without modules stands for).
fn named_modules(instrs: &[Instruction]) -> Vec<Atom> {
    let mut out: Vec<Atom> = Vec::new();
    for m in instrs.iter().filter_map(Instruction::module) {
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    out
}

fn read_app(path: &Path, named: &[Atom]) -> Result<Application, CliError> {
    let bytes = read_input(path)?;
    let source = decode_source(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let terms = parse_terms(&source).map_err(|e| format!("{}: {e}", path.display()))?;
    let (app, diags) = decode_app(&terms, app_name_of(path));
    let app = app.ok_or_else(|| {
        let text: String = diags
            .iter()
            .map(|d| d.render(&source, &path.display().to_string()))
            .collect();
        format!("{}: not a valid .app:\n{text}", path.display())
    })?;
    let mut application = Application::from(&app);
    // rebar3 fills an .app.src's modules from the sources: take the appup's.
    if app.modules.is_empty() && path.to_string_lossy().ends_with(".app.src") {
        application.modules = named.to_vec();
    }
    Ok(application)
}

/// The `.app` beside the appup (`<dir>/<App>.app`, as release planning finds it), or for an
/// `.appup.src` the `.app.src` beside it.
fn beside_app(appup: &Path, decoded: &Appup, named: &[Atom]) -> Result<Application, CliError> {
    let name = app_name_of(appup).unwrap_or("app");
    let candidates = [format!("{name}.app"), format!("{name}.app.src")];
    for c in &candidates {
        let path = appup.with_file_name(c);
        if path.exists() {
            return read_app(&path, named);
        }
    }
    Err(format!(
        "{}: no {name}.app (or {name}.app.src) beside the appup (version {}); give --app FILE to say which modules the application has",
        appup.display(),
        decoded.vsn
    )
    .into())
}

fn run_cases(path: &Path, as_json: bool) -> Result<ExitCode, CliError> {
    let bytes = read_input(path)?;
    let source =
        relup::term::decode_source(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines = relup::cases::run_cases(&source);
    let (mut ok, mut error) = (0, 0);
    let mut text = String::new();
    for line in &lines {
        if as_json {
            let mut doc = json!({
                "schema_version": json::SCHEMA_VERSION,
                "command": "translate",
                "case": json::term(&line.name),
                "ok": line.ok,
            });
            let key = if line.ok { "instructions" } else { "reason" };
            doc[key] = json::term(&line.value);
            text.push_str(&format!("{doc}\n"));
        } else {
            text.push_str(&format!("{line}\n"));
        }
        if line.ok { ok += 1 } else { error += 1 }
    }
    emit(&text)?;
    say!("translate: {} cases, {ok} ok, {error} error", lines.len());
    Ok(ExitCode::SUCCESS)
}
