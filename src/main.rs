//! The `relup` command line: a thin layer over the library (see `relup --help`).
//!
//! Exit status: 0 done (warnings allowed), 1 the input has errors (a finding, reported as the
//! command's result), 2 the command could not run (usage, unreadable file, no release there).

#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let json_wanted = std::env::args_os().any(|a| a == "--json");
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) if json_wanted && e.use_stderr() => {
            let command = std::env::args().nth(1).unwrap_or_else(|| "relup".into());
            let text = e.to_string();
            let head = text.split("\n\nUsage:").next().unwrap_or("usage error");
            let message = head
                .trim_start_matches("error: ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            cli::report_failure(&command, true, "usage", &message);
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let command = args.command_name();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            cli::report_failure(command, json_wanted, e.code, &e.message);
            ExitCode::from(2)
        }
    }
}
