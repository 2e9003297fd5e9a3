//! `relup appup generate OLD NEW [-o DIR] [--json]`: appups from the beams of two releases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use relup::appup::{GeneratedAppup, check_version_bumped, generate};
use relup::beam::Beam;
use relup::files::Rel;
use relup::plan::{LocatedRelease, locate_release, write_atomically};

use super::json::{self, Problem};
use super::{CliError, emit};

/// Arguments of `relup appup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Write an appup for every application whose version differs between OLD and NEW.
    #[command(after_help = "\
OLD and NEW are release roots as rebar3, relx and mix leave them (lib/APP-VSN/ebin,
releases/VSN/NAME.rel), releases/VSN directories or .rel files; OLD may also be a version
that NEW's root holds (both versions built into one root). Several --old give one clause each.

Modules are compared by beam_lib:md5. Without -o the appups are printed.

Exit status: 0 written, 1 an application's beams changed but its version did not, 2 the
command could not run.")]
    Generate {
        /// The release upgraded from (repeat for several clauses).
        #[arg(required = true)]
        old: Vec<PathBuf>,
        /// The release upgraded to.
        #[arg(long, value_name = "NEW")]
        new: PathBuf,
        /// Write DIR/APP.appup for each application.
        #[arg(short = 'o', long = "outdir", value_name = "DIR")]
        outdir: Option<PathBuf>,
        /// Print a JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Check the appups NEW ships against what changed in its beams.
    #[command(after_help = "\
For every application whose version differs, the appup in NEW's lib/APP-VSN/ebin is read
and the entries OTP selects for the old version (UpFrom and DownTo) are checked: every
changed, added or deleted module has an instruction (restart_application covers its
application), {advanced, _} names a module exporting code_change, a new call to a function
the old callee lacks has that callee in DepMods. Warnings: instructions on unchanged
modules, load_module for process behaviours, update for plain modules.

Exit status: 0 covered (warnings allowed), 1 a finding that breaks the upgrade, 2 the
command could not run.")]
    Lint {
        /// The release upgraded from (repeat for several).
        #[arg(required = true)]
        old: Vec<PathBuf>,
        /// The release upgraded to.
        #[arg(long, value_name = "NEW")]
        new: PathBuf,
        /// Print a JSON document.
        #[arg(long)]
        json: bool,
    },
}

/// A release's applications (name → version) and where their beams are.
struct Release {
    vsn: String,
    apps: BTreeMap<String, String>,
    lib: Option<PathBuf>,
}

fn read_release(located: &LocatedRelease) -> Result<Release, CliError> {
    let text = std::fs::read_to_string(&located.rel_file)
        .map_err(|e| format!("{}: {e}", located.rel_file.display()))?;
    let rel: Rel = text
        .parse()
        .map_err(|e| format!("{}: {e}", located.rel_file.display()))?;
    Ok(Release {
        vsn: rel.vsn.clone(),
        apps: rel
            .applications
            .iter()
            .map(|a| (a.name.to_string(), a.vsn.clone()))
            .collect(),
        lib: located.root.as_ref().map(|r| r.join("lib")),
    })
}

/// The beams of `app`-`vsn` under a release root's `lib/`.
fn beams(lib: &Path, app: &str, vsn: &str) -> Result<BTreeMap<String, Beam>, CliError> {
    let ebin = relup::plan::ebin_dir(lib, app, vsn);
    let beams = relup::beam::read_ebin(&ebin).map_err(|e| CliError {
        code: "io",
        message: e.to_string(),
    })?;
    Ok(beams)
}

/// The beams of an application whose version changed: none at all means the release was not
/// built there (an empty appup would hide that).
fn changed_app_beams(lib: &Path, app: &str, vsn: &str) -> Result<BTreeMap<String, Beam>, CliError> {
    let found = beams(lib, app, vsn)?;
    if found.is_empty() {
        return Err(CliError {
            code: "no_beams",
            message: format!(
                "{}: no .beam files; appups are made from the beams of both versions, so point at release roots that hold them (rebar3 release)",
                lib.join(format!("{app}-{vsn}/ebin")).display()
            ),
        });
    }
    Ok(found)
}

/// NEW and the OLD releases, read, with NEW's `lib/`.
fn releases(old: &[PathBuf], new: &Path) -> Result<(Release, Vec<Release>, PathBuf), CliError> {
    let new_loc = locate_release(new, None, None, None)?;
    let new_rel = read_release(&new_loc)?;
    let name = new_loc.name().map(String::from);
    let olds: Vec<Release> = old
        .iter()
        .map(|o| {
            read_release(&locate_release(
                o,
                name.as_deref(),
                None,
                new_loc.root.as_deref(),
            )?)
        })
        .collect::<Result<_, _>>()?;
    let new_lib = new_rel
        .lib
        .clone()
        .ok_or("NEW must be in a release root (lib/APP-VSN/ebin beside releases/)")?;
    Ok((new_rel, olds, new_lib))
}

/// Runs `relup appup`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let (old, new, outdir, as_json) = match args.command {
        Sub::Generate {
            old,
            new,
            outdir,
            json,
        } => (old, new, outdir, json),
        Sub::Lint { old, new, json } => return run_lint(&old, &new, json),
    };
    let (new_rel, olds, new_lib) = releases(&old, &new)?;
    let mut generated: Vec<GeneratedAppup> = Vec::new();
    let mut errors = Vec::new();
    for (app, vsn) in &new_rel.apps {
        let mut clauses = Vec::new();
        let new_beams = beams(&new_lib, app, vsn)?;
        for o in &olds {
            let Some(old_vsn) = o.apps.get(app) else {
                continue;
            };
            let lib = o.lib.as_ref().unwrap_or(&new_lib);
            if old_vsn != vsn {
                changed_app_beams(&new_lib, app, vsn)?;
            }
            let old_beams = beams(lib, app, old_vsn)?;
            if old_vsn == vsn {
                if let Err(e) = check_version_bumped(app, vsn, &old_beams, &new_beams) {
                    say!("relup: error: {e}");
                    errors.push(Problem::new("version_unchanged", e.to_string()));
                }
                continue;
            }
            clauses.push((old_vsn.clone(), old_beams));
        }
        if !clauses.is_empty() {
            generated.push(generate(app, vsn, &new_beams, &clauses));
        }
    }
    let mut written = Vec::new();
    for g in &generated {
        for w in &g.warnings {
            say!("relup: warning: {}: {w}", g.app);
        }
        if let Some(dir) = &outdir {
            let target = dir.join(format!("{}.appup", g.app));
            write_atomically(&target, g.text.as_bytes())
                .map_err(|e| format!("{}: {e}", target.display()))?;
            written.push(target.display().to_string());
        } else if !as_json {
            emit(&format!("%% {}.appup\n{}", g.app, g.text))?;
        }
    }
    if as_json {
        let appups: Vec<_> = generated
            .iter()
            .map(|g| {
                json!({
                    "app": g.app,
                    "vsn": g.vsn,
                    "text": g.text,
                    "changes": g.changes.iter().map(|(m, c)| json!({"module": m, "change": format!("{c:?}").to_lowercase()})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let warnings: Vec<Problem> = generated
            .iter()
            .flat_map(|g| {
                g.warnings
                    .iter()
                    .map(move |w| Problem::new("appup_warning", format!("{}: {w}", g.app)))
            })
            .collect();
        let doc = json::document(
            "appup",
            errors.is_empty(),
            json!({ "new": new_rel.vsn, "appups": appups, "written": written }),
            &errors,
            &warnings,
        );
        emit(&json::text(&doc))?;
    }
    Ok(super::exit_status(errors.is_empty()))
}

fn run_lint(old: &[PathBuf], new: &Path, as_json: bool) -> Result<ExitCode, CliError> {
    let (new_rel, olds, new_lib) = releases(old, new)?;
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let mut checked = Vec::new();
    for (app, vsn) in &new_rel.apps {
        let new_beams = beams(&new_lib, app, vsn)?;
        for o in &olds {
            let Some(old_vsn) = o.apps.get(app).filter(|v| *v != vsn) else {
                continue;
            };
            let lib = o.lib.as_ref().unwrap_or(&new_lib);
            changed_app_beams(&new_lib, app, vsn)?;
            let old_beams = beams(lib, app, old_vsn)?;
            let file = new_lib.join(format!("{app}-{vsn}/ebin/{app}.appup"));
            let shown = file.display().to_string();
            checked.push(json!({"app": app, "from": old_vsn, "to": vsn, "appup": shown}));
            let appup: relup::files::Appup = match std::fs::read_to_string(&file)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    t.parse()
                        .map_err(|e: relup::files::FileError| e.to_string())
                }) {
                Ok(a) => a,
                Err(e) => {
                    say!("relup: error: {shown}: {e}");
                    errors.push(Problem {
                        file: Some(shown),
                        ..Problem::new("bad_appup", e)
                    });
                    continue;
                }
            };
            for f in relup::appup::lint(&appup, old_vsn, &old_beams, &new_beams) {
                let severity = if f.error { "error" } else { "warning" };
                say!(
                    "relup: {severity}: {shown} ({app} {old_vsn} -> {vsn}): {}",
                    f.message
                );
                let p = Problem {
                    file: Some(shown.clone()),
                    ..Problem::new(f.code.as_str(), f.message)
                };
                if f.error {
                    errors.push(p);
                } else {
                    warnings.push(p);
                }
            }
        }
    }
    if as_json {
        let doc = json::document(
            "appup",
            errors.is_empty(),
            json!({ "checked": checked }),
            &errors,
            &warnings,
        );
        emit(&json::text(&doc))?;
    } else {
        say!(
            "relup: appup lint: {} application upgrade(s) checked, {} error(s), {} warning(s)",
            checked.len(),
            errors.len(),
            warnings.len()
        );
    }
    Ok(super::exit_status(errors.is_empty()))
}
