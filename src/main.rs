//! The `relup` command line: a thin layer over the library (see `relup --help`).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("relup: error: {e}");
            ExitCode::from(2)
        }
    }
}
