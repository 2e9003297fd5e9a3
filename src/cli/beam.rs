//! `relup beam FILE|DIR... [--json]`: what a BEAM file holds that upgrades depend on.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use relup::beam::{Beam, Mfa};

use super::json::{self, Problem};
use super::{CliError, emit, read_input};

/// Arguments of `relup beam`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
For each .beam file (a directory: every .beam under it): the module, its MD5 exactly as
beam_lib:md5/1 computes it (what release_handler and code:module_md5 compare), behaviours,
exports and imports, and whether it exports code_change/3,4 or system_code_change/4 (what an
{update, M, {advanced, _}} instruction needs).

Exit status: 0 every file read, 1 a file is not a readable BEAM file, 2 the command could
not run.")]
pub struct Args {
    /// `.beam` files or directories holding them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print a JSON document (README, "JSON output"): `beams`, one object per file.
    #[arg(long)]
    json: bool,
}

fn name(m: &Mfa, with_module: bool) -> String {
    if with_module {
        format!("{}:{}/{}", m.module, m.function, m.arity)
    } else {
        format!("{}/{}", m.function, m.arity)
    }
}

/// Runs `relup beam`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let mut files = Vec::new();
    for f in &args.files {
        if f.is_dir() {
            collect(f, &mut files);
        } else {
            files.push(f.clone());
        }
    }
    let mut beams = Vec::new();
    let mut errors = Vec::new();
    let mut text = String::new();
    for file in &files {
        let bytes = read_input(file)?;
        let shown = file.display().to_string();
        let read = Beam::parse(&bytes).and_then(|b| {
            b.literal_count()?;
            b.exports()?;
            b.imports()?;
            b.locals()?;
            b.attributes()?;
            b.compile_info()?;
            Ok(b)
        });
        match read {
            Ok(b) => {
                let code_change = b.exports_fn("code_change", 3) || b.exports_fn("code_change", 4);
                let system_code_change = b.exports_fn("system_code_change", 4);
                text.push_str(&format!(
                    "{shown}\t{}\t{}\t[{}]{}\n",
                    b.module,
                    b.md5(),
                    b.behaviours().join(","),
                    if code_change || system_code_change {
                        "\tcode_change"
                    } else {
                        ""
                    }
                ));
                beams.push(json!({
                    "file": shown,
                    "module": b.module,
                    "md5": b.md5(),
                    "behaviours": b.behaviours(),
                    "exports": b.exports().unwrap_or_default().iter().map(|m| name(m, false)).collect::<Vec<_>>(),
                    "imports": b.imports().unwrap_or_default().iter().map(|m| name(m, true)).collect::<Vec<_>>(),
                    "code_change": code_change,
                    "system_code_change": system_code_change,
                    "debug_info": b.has_debug_info,
                }));
            }
            Err(e) => {
                say!("relup: error: {shown}: {e}");
                errors.push(Problem {
                    file: Some(shown),
                    ..Problem::new("bad_beam", e.to_string())
                });
            }
        }
    }
    if args.json {
        let doc = json::document(
            "beam",
            errors.is_empty(),
            json!({ "beams": beams }),
            &errors,
            &[],
        );
        emit(&json::text(&doc))?;
    } else {
        emit(&text)?;
    }
    Ok(super::exit_status(errors.is_empty()))
}

/// Every `.beam` under `dir`, sorted (symlinks not followed).
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            collect(&p, out);
        } else if meta.is_file() && p.extension().is_some_and(|e| e == "beam") {
            out.push(p);
        }
    }
}
