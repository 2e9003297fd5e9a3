//! Relup planning across releases, as `systools:make_relup/4` does it
//! (`systools_relup:mk_relup`): for each release upgraded from (and downgraded to), the appup
//! scripts of every application whose version changed (in start order), scripts that add and
//! remove applications, `restart_new_emulator` when erts changes, translation, and OTP's
//! warnings. The result is the relup term and the warnings, newest first, as OTP lists them.

mod error;
mod layout;
mod release;
mod search;
mod write;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use error::{Origin, PlanError, PlanErrorKind, Warning};
pub use layout::{
    LayoutError, LocatedRelease, compare_versions, ebin_dir, locate_release, versions,
};
pub use release::{AppRecord, LoadedRelease, get_release};
pub use search::{expand_path, otp_code_path};
#[cfg(all(feature = "run", unix))]
pub(crate) use write::unguessable_suffix;
pub use write::{relup_text, write_atomically, write_relup};

use crate::files::{Appup, Clause, Rel, Relup, RelupEntry, decode_appup_entries};
use crate::instr::{Instruction, LowLevel, Mode};
use crate::passes::{Apps, TranslateOptions, translate_terms, translate_with};
use crate::term::{Term, TermKind};

/// A base release: its `.rel` file and the description that goes into the relup (default `[]`).
#[derive(Debug, Clone)]
pub struct BaseRelease {
    /// The `.rel` file.
    pub rel_file: PathBuf,
    /// The description term.
    pub descr: Term<'static>,
}

impl BaseRelease {
    /// A base release with the default description `[]`.
    pub fn new(rel_file: impl Into<PathBuf>) -> Self {
        BaseRelease {
            rel_file: rel_file.into(),
            descr: Term::nil(),
        }
    }
}

/// Options of `make_relup`.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Where `.app` files are looked for: directories, `*` allowed (`{path, [Dir]}`).
    pub path: Vec<PathBuf>,
    /// Directories searched after `path` (systools appends the code path: the installed OTP).
    pub code_path: Vec<PathBuf>,
    /// `restart_emulator`: end every script with a restart.
    pub restart_emulator: bool,
    /// `warnings_as_errors`.
    pub warnings_as_errors: bool,
    /// Tie-break of the translation (see [`TranslateOptions`]).
    pub translate: TranslateOptions,
}

/// The planned relup and the warnings (newest first, as OTP returns them).
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The relup.
    pub relup: Relup,
    /// The warnings.
    pub warnings: Vec<Warning>,
}

/// `systools:make_relup(Top, UpFrom, DownTo, Opts)` with `noexec`: plans, writes nothing.
///
/// # Errors
/// OTP's error for the first problem met, with the file concerned.
pub fn make_relup(
    top: &Path,
    up_from: &[BaseRelease],
    down_to: &[BaseRelease],
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let mut path = expand_path(&options.path);
    for d in &options.code_path {
        if !path.contains(d) {
            path.push(d.clone());
        }
    }
    let top = load(top, &path)?;
    let mut warnings: Vec<Warning> = Vec::new();
    let mut up = Vec::new();
    for base in up_from {
        let b = load(&base.rel_file, &path)?;
        up.insert(0, entry(Mode::Up, &top, &b, base, options, &mut warnings)?);
    }
    let mut down = Vec::new();
    for base in down_to {
        let b = load(&base.rel_file, &path)?;
        down.insert(
            0,
            entry(Mode::Down, &top, &b, base, options, &mut warnings)?,
        );
    }
    if options.warnings_as_errors && !warnings.is_empty() {
        return Err(PlanError {
            kind: Box::new(PlanErrorKind::WarningsAsErrors(
                warnings.iter().map(|w| w.term.clone()).collect(),
            )),
            file: None,
            position: None,
        });
    }
    Ok(Plan {
        relup: Relup {
            vsn: top.release.vsn.clone(),
            up,
            down,
        },
        warnings,
    })
}

/// `get_release` plus make_relup's own check that sasl is in the release.
fn load(file: &Path, path: &[PathBuf]) -> Result<LoadedRelease, PlanError> {
    let r = get_release(file, path)?;
    if r.missing_sasl {
        let kind = PlanErrorKind::MissingSasl {
            release: r.release.to_term(),
            name: r.release.name.clone(),
            vsn: r.release.vsn.clone(),
        };
        return Err(PlanError::at(kind, file));
    }
    Ok(r)
}

fn apps_of(r: &LoadedRelease) -> Apps {
    Apps(r.apps.iter().map(AppRecord::to_application).collect())
}

/// One relup entry: the scripts for moving between `top` and `base` in `mode`, translated.
///
/// The scripts are typed: each changed application's appup entry as [`files::decode_appup_entries`]
/// decodes it, framed by `add_application` / `remove_application` and the emulator restarts,
/// then [`passes::translate_with`]. Only when a selected entry does not decode are the scripts
/// as written handed to [`translate_terms`], which reports OTP's error in OTP's precedence
/// (a misplaced instruction anywhere before a syntax error).
fn entry(
    mode: Mode,
    top: &LoadedRelease,
    base: &LoadedRelease,
    descr: &BaseRelease,
    options: &PlanOptions,
    warnings: &mut Vec<Warning>,
) -> Result<RelupEntry, PlanError> {
    let sources = appup_sources(top, base);
    let selected = sources
        .iter()
        .map(|s| select_entry(mode, s, warnings))
        .collect::<Result<Vec<_>, _>>()?;
    let (from, to) = if mode == Mode::Up {
        (&base.release, &top.release)
    } else {
        (&top.release, &base.release)
    };
    let mut scripts: Vec<Vec<Instruction>> = to
        .applications
        .iter()
        .filter(|a| from.app_vsn(&a.name).is_none())
        .map(|a| {
            vec![Instruction::AddApplication {
                application: a.name.clone(),
                start_type: a.start_type,
            }]
        })
        .collect();
    let mut appup_at = scripts.len();
    scripts.extend(selected.iter().map(|s| s.clause.instructions.clone()));
    scripts.extend(
        from.applications
            .iter()
            .filter(|a| to.app_vsn(&a.name).is_none())
            .map(|a| {
                vec![Instruction::RemoveApplication {
                    application: a.name.clone(),
                }]
            }),
    );
    if top.release.erts_vsn != base.release.erts_vsn {
        appup_at += 1;
        scripts.insert(0, vec![Instruction::Low(LowLevel::RestartNewEmulator)]);
        warnings.insert(0, erts_vsn_changed(top, base));
    }
    if options.restart_emulator {
        scripts.push(vec![Instruction::Low(LowLevel::RestartEmulator)]);
    }
    let (apps, pre_apps) = if mode == Mode::Up {
        (apps_of(top), apps_of(base))
    } else {
        (apps_of(base), apps_of(top))
    };
    let translated = if selected.iter().all(|s| s.clause.complete) {
        translate_with(mode, scripts, &apps, &pre_apps, &options.translate)
    } else {
        let written: Vec<Term<'_>> = scripts
            .iter()
            .enumerate()
            .map(|(n, script)| match n.checked_sub(appup_at) {
                Some(k) if k < selected.len() => selected[k].script.clone(),
                _ => Term::list(script.iter().map(Instruction::to_term).collect()),
            })
            .collect();
        translate_terms(mode, &written, &apps, &pre_apps, &options.translate)
    };
    let mut instructions = translated.map_err(|e| {
        let place = locate_instruction(&sources, &selected, &e);
        PlanError::translate(e, place)
    })?;
    if mode == Mode::Up {
        fix_r15_sasl_upgrade(&mut instructions, base, warnings);
    }
    Ok(RelupEntry {
        vsn: base.release.vsn.clone(),
        descr: descr.descr.clone(),
        instructions,
    })
}

/// OTP's warning when the two releases run on different emulators.
fn erts_vsn_changed(top: &LoadedRelease, base: &LoadedRelease) -> Warning {
    let pair = |r: &Rel| {
        Term::tuple(vec![
            Term::string(r.name.clone()),
            Term::string(r.erts_vsn.clone()),
        ])
    };
    Warning {
        term: Term::tuple(vec![
            Term::atom("erts_vsn_changed"),
            Term::tuple(vec![pair(&top.release), pair(&base.release)]),
        ]),
        message: format!(
            "the erts version changes between {} {} ({}) and {} {} ({}): the upgrade restarts the emulator",
            top.release.name,
            top.release.vsn,
            top.release.erts_vsn,
            base.release.name,
            base.release.vsn,
            base.release.erts_vsn
        ),
        file: Some(top.file.clone()),
    }
}

/// The sasl version from which release_handler restarts the emulator first (R15).
const R15_SASL_VSN: &str = "2.2";

/// Upgrading from a release whose sasl predates R15: the emulator restart must come last
/// (`fix_r15_sasl_upgrade`). Versions compare as Erlang strings (lexicographically).
fn fix_r15_sasl_upgrade(
    instrs: &mut Vec<LowLevel>,
    base: &LoadedRelease,
    warnings: &mut Vec<Warning>,
) {
    if instrs.first() != Some(&LowLevel::RestartNewEmulator) {
        return;
    }
    let old_sasl = base
        .release
        .applications
        .iter()
        .find(|a| a.name.as_str() == "sasl")
        .is_some_and(|a| a.vsn.as_str() < R15_SASL_VSN);
    if !old_sasl {
        return;
    }
    instrs.remove(0);
    if let Some(pos) = instrs.iter().position(|i| *i == LowLevel::RestartEmulator) {
        instrs.remove(pos);
    }
    instrs.push(LowLevel::RestartNewEmulator);
    warnings.insert(0, Warning {
        term: Term::atom("pre_R15_emulator_upgrade"),
        message: "upgrade from an OTP version earlier than R15: new code should be compiled with the old emulator".into(),
        file: Some(base.file.clone()),
    });
}

/// Where in the appups the instruction a translation error is about stands: the first whose
/// own syntax check gives the same reason, else the first that names a module or application
/// the reason names. Gives the appup file and the 1-based line and column.
fn locate_instruction(
    sources: &[AppupSource<'_>],
    selected: &[Selected<'_>],
    error: &crate::passes::TranslateError,
) -> Option<(PathBuf, (u32, u32))> {
    let scripts = selected.iter().map(|s| &s.script);
    let reason = error.reason();
    let mut named = Vec::new();
    if let Some(items) = reason.as_tuple() {
        items
            .iter()
            .skip(1)
            .for_each(|t| collect_atoms(t, &mut named));
    }
    let candidates = sources.iter().zip(scripts).flat_map(|(source, script)| {
        script
            .list_items()
            .unwrap_or_default()
            .into_iter()
            .map(move |i| (source, i.to_term()))
    });
    let mut by_name = None;
    for (source, instr) in candidates {
        if crate::instr::decode_instruction(&instr).is_err_and(|e| e.reason() == reason) {
            return position(source, &instr);
        }
        if by_name.is_none() {
            let mut atoms = Vec::new();
            if let Some(items) = instr.as_tuple() {
                items
                    .iter()
                    .skip(1)
                    .for_each(|t| collect_atoms(t, &mut atoms));
            }
            if atoms.iter().any(|a| named.contains(a)) {
                by_name = position(source, &instr);
            }
        }
    }
    by_name
}

fn position(source: &AppupSource<'_>, t: &Term<'_>) -> Option<(PathBuf, (u32, u32))> {
    let text = source.text.as_ref().ok()?;
    let lc = crate::span::line_col(text, t.span.lo());
    let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Some((source.file.clone(), (narrow(lc.line), narrow(lc.col))))
}

fn collect_atoms(t: &Term<'_>, out: &mut Vec<String>) {
    match &t.kind {
        TermKind::Atom(a) => out.push(a.to_string()),
        TermKind::Tuple(items) | TermKind::List(items, None) => {
            items.iter().for_each(|i| collect_atoms(i, out));
        }
        _ => {}
    }
}

/// An application whose version differs between the releases, with its appup's text (or why
/// it could not be read), read before any is parsed so that scripts can borrow from the text.
struct AppupSource<'r> {
    app: &'r AppRecord,
    base_vsn: &'r str,
    file: PathBuf,
    text: Result<String, Term<'static>>,
}

fn appup_sources<'r>(top: &'r LoadedRelease, base: &'r LoadedRelease) -> Vec<AppupSource<'r>> {
    top.apps
        .iter()
        .filter_map(|app| {
            let base_vsn = base.release.app_vsn(&app.name)?;
            (base_vsn != app.vsn).then(|| {
                let file = app.dir.join(format!("{}.appup", app.name.as_str()));
                let text = release::read_source(&file);
                AppupSource {
                    app,
                    base_vsn,
                    file,
                    text,
                }
            })
        })
        .collect()
}

/// The entry of an application's appup selected for the base version: typed, and as written
/// (for OTP's error precedence when it does not decode, and to locate errors in the file).
struct Selected<'s> {
    clause: Clause,
    script: Term<'s>,
}

/// Reads an application's appup and selects its entry for the base version, as
/// `systools_relup` does: the file's first term must be `{Vsn, UpFrom, DownTo}` (a version
/// other than the application's is only a warning), and the first entry whose key matches
/// the base version is taken ([`Appup::find`]).
fn select_entry<'s>(
    mode: Mode,
    source: &'s AppupSource<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Selected<'s>, PlanError> {
    let (app, base_vsn, file) = (source.app, source.base_vsn, &source.file);
    let problem = |why: Term<'static>, what: String| {
        let appup = file.clone();
        PlanError::at(PlanErrorKind::AppupProblem { appup, why, what }, file)
    };
    let bad_appup = |why: String| {
        let appup = file.clone();
        PlanError::at(PlanErrorKind::BadAppup { appup, why }, file)
    };
    let text = source.text.as_ref().map_err(|e| {
        let why = if e.to_string().contains("enoent") {
            "no such file"
        } else {
            "unreadable"
        };
        problem(
            e.clone(),
            format!(
                "could not read the appup ({why}): {} changes from {base_vsn} to {}, so it needs {}.appup in its ebin directory with an entry for {base_vsn}",
                app.name, app.vsn, app.name
            ),
        )
    })?;
    let term = release::first_term(text, file)
        .map_err(|e| problem(e, "could not read the appup".into()))?;
    let Some([vsn, up, down]) = term.as_tuple() else {
        return Err(problem(
            Term::tuple(vec![Term::atom("ok"), term.clone().into_owned()]),
            "the appup is not {Vsn, UpFrom, DownTo}".into(),
        ));
    };
    if vsn.as_charlist().is_none_or(|v| v != app.vsn) {
        warnings.insert(0, bad_vsn(vsn, app, file));
    }
    let written = if mode == Mode::Up { up } else { down };
    // OTP's lookup walks a string's characters, none of which is an entry.
    let clauses = if written.as_charlist().is_some() {
        Vec::new()
    } else {
        let (Some(clauses), _) = decode_appup_entries(written, mode) else {
            return Err(bad_appup(format!(
                "the appup's version list is not a list: {written}"
            )));
        };
        clauses
    };
    let clause = match Appup::find(&clauses, base_vsn) {
        Ok(Some(c)) => c.clone(),
        Ok(None) => {
            let kind = PlanErrorKind::NoRelup {
                appup: file.clone(),
                record: app.to_term(),
                app: app.name.clone(),
                vsn: app.vsn.clone(),
                base_vsn: base_vsn.to_string(),
                mode,
            };
            return Err(PlanError::at(kind, file));
        }
        Err(e) => return Err(bad_appup(e.to_string())),
    };
    let script = match &written.kind {
        TermKind::List(items, None) => items
            .iter()
            .find(|item| item.span == clause.span)
            .and_then(|item| item.as_tuple().map(|t| t[1].clone())),
        _ => None,
    };
    let script = script.ok_or_else(|| bad_appup("the selected entry is not in the file".into()))?;
    Ok(Selected { clause, script })
}

/// OTP's `bad_vsn` warning: the appup's version is not the application's.
fn bad_vsn(vsn: &Term<'_>, app: &AppRecord, file: &Path) -> Warning {
    Warning {
        term: Term::tuple(vec![
            Term::atom("bad_vsn"),
            Term::tuple(vec![
                vsn.clone().into_owned(),
                Term::string(app.vsn.clone()),
            ]),
        ]),
        message: format!(
            "the appup of {} is for version {vsn} but the application is {}",
            app.name, app.vsn
        ),
        file: Some(file.to_path_buf()),
    }
}
