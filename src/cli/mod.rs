//! Subcommands of the `relup` binary. Each one reads files, calls the library and prints;
//! none holds logic of its own beyond presentation.

/// Writes a line to standard error, ignoring a failed write (`2>/dev/full`, a closed pipe):
/// a message that cannot be shown must not turn into a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// [`say!`] without the line break.
macro_rules! say_part {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod appup;
mod beam;
mod check;
mod json;
mod make;
mod node;
mod node_apply;
mod node_check;
mod node_install;
mod run;
mod simulate;
mod translate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Plan, check and simulate Erlang/OTP hot code upgrades, exactly as OTP's sasl does.
#[derive(Debug, Parser)]
#[command(name = "relup", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate appups from the beams of two releases.
    Appup(appup::Args),
    /// Read .beam files: module, beam_lib:md5, behaviours, exports, imports.
    Beam(beam::Args),
    /// Parse and validate release files (.appup, relup, .app, .rel, sys.config).
    Check(check::Args),
    /// Plan a relup across releases and write it (systools:make_relup).
    Make(make::Args),
    /// A live node over Erlang distribution: snapshot it, install a release.
    Node(node::Args),
    /// Run a command on sockets held here; on SIGHUP hand them to a new instance (no
    /// connection refused).
    Run(run::Args),
    /// Predict what an upgrade does to a running node (a scenario file).
    Simulate(simulate::Args),
    /// Translate appup instructions into a low-level script (systools_rc:translate_scripts).
    Translate(translate::Args),
}

/// An error that stops a command before it has a result (bad usage, an unreadable file, a
/// release that is not where it was said to be): exit status 2. Findings about the input
/// (errors in a file, a relup OTP would refuse) are results, with exit status 1.
#[derive(Debug)]
pub struct CliError {
    /// `usage`, `io` or `release_layout`.
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

impl<E: Into<Box<dyn std::error::Error>>> From<E> for CliError {
    fn from(e: E) -> Self {
        let e: Box<dyn std::error::Error> = e.into();
        let code = if e.is::<std::io::Error>() {
            "io"
        } else if e.is::<relup::plan::LayoutError>() {
            "release_layout"
        } else if e.is::<relup::exec::SimulateError>() {
            "no_matching_relup"
        } else if e.is::<relup::exec::SimError>() {
            "bad_scenario"
        } else if e.is::<relup::run::RunError>() {
            "run"
        } else {
            "usage"
        };
        CliError {
            code,
            message: e.to_string(),
        }
    }
}

impl Cli {
    /// The subcommand's name, for JSON documents.
    pub fn command_name(&self) -> &'static str {
        match self.command {
            Command::Appup(_) => "appup",
            Command::Beam(_) => "beam",
            Command::Check(_) => "check",
            Command::Make(_) => "make",
            Command::Node(_) => "node",
            Command::Run(_) => "run",
            Command::Simulate(_) => "simulate",
            Command::Translate(_) => "translate",
        }
    }
}

/// Prints a command's failure: the sentence on stderr and, with `--json`, the failure document
/// on stdout.
pub fn report_failure(command: &str, json_wanted: bool, code: &str, message: &str) {
    say!("relup: error: {message}");
    if json_wanted {
        let _ = emit(&json::text(&json::failure(
            command,
            json::Problem::new(code, message),
        )));
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Appup(args) => appup::run(args),
        Command::Beam(args) => beam::run(args),
        Command::Check(args) => check::run(args),
        Command::Make(args) => make::run(args),
        Command::Node(args) => node::run(args),
        Command::Run(args) => run::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Translate(args) => translate::run(args),
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| CliError {
        code: "io",
        message: format!("{}: {e}", path.display()),
    })
}

/// The exit status of a command that ran: 0, or 1 when what it did or found failed.
pub fn exit_status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Writes to standard output; a closed pipe (`relup ... | head`) ends the output quietly
/// instead of panicking as `println!` would.
pub fn emit(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError {
            code: "io",
            message: format!("standard output: {e}"),
        }),
        _ => Ok(()),
    }
}
