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

pub use error::{Origin, PlanError, Warning};
pub use layout::{LayoutError, LocatedRelease, compare_versions, locate_release, versions};
pub use release::{AppRecord, LoadedRelease, ReleaseRecord, get_release};
pub use search::{expand_path, otp_code_path};
pub use write::{relup_text, write_atomically, write_relup};

use crate::files::{Relup, RelupEntry, VersionKey};
use crate::instr::{LowLevel, Mode};
use crate::passes::{Apps, TranslateOptions, translate_terms};
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
        let reason = Term::tuple(vec![
            Term::atom("warnings_treated_as_errors"),
            Term::list(warnings.iter().map(|w| w.term.clone()).collect()),
        ]);
        return Err(PlanError::new(
            Origin::SystoolsRelup,
            reason,
            "warnings treated as errors",
            None,
        ));
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
        let reason = Term::tuple(vec![Term::atom("missing_sasl"), r.release.to_term()]);
        let message = format!(
            "no sasl application in release {}, {}: it cannot be upgraded",
            r.release.name, r.release.vsn
        );
        return Err(PlanError::new(
            Origin::SystoolsRelup,
            reason,
            message,
            Some(file.to_path_buf()),
        ));
    }
    Ok(r)
}

fn apps_of(r: &LoadedRelease) -> Apps {
    Apps(r.apps.iter().map(AppRecord::to_application).collect())
}

/// One relup entry: the scripts for moving between `top` and `base` in `mode`, translated.
fn entry(
    mode: Mode,
    top: &LoadedRelease,
    base: &LoadedRelease,
    descr: &BaseRelease,
    options: &PlanOptions,
    warnings: &mut Vec<Warning>,
) -> Result<RelupEntry, PlanError> {
    let sources = appup_sources(top, base);
    let mut scripts = collect_appup_scripts(mode, &sources, warnings)?;
    let (from, to) = if mode == Mode::Up {
        (&base.release, &top.release)
    } else {
        (&top.release, &base.release)
    };
    let added: Vec<Term<'static>> = to
        .applications
        .iter()
        .filter(|(n, _, _)| from.app_vsn(n).is_none())
        .map(|(n, _, t)| {
            Term::list(vec![Term::tuple(vec![
                Term::atom("add_application"),
                n.to_term(),
                Term::atom(t.atom()),
            ])])
        })
        .collect();
    let mut appup_at = added.len();
    scripts.splice(0..0, added);
    scripts.extend(
        from.applications
            .iter()
            .filter(|(n, _, _)| to.app_vsn(n).is_none())
            .map(|(n, _, _)| {
                Term::list(vec![Term::tuple(vec![
                    Term::atom("remove_application"),
                    n.to_term(),
                ])])
            }),
    );
    if top.release.erts_vsn != base.release.erts_vsn {
        appup_at += 1;
        scripts.insert(0, Term::list(vec![Term::atom("restart_new_emulator")]));
        let pair = |r: &ReleaseRecord| {
            Term::tuple(vec![
                Term::string(r.name.clone()),
                Term::string(r.erts_vsn.clone()),
            ])
        };
        warnings.insert(0, Warning {
            term: Term::tuple(vec![Term::atom("erts_vsn_changed"), Term::tuple(vec![pair(&top.release), pair(&base.release)])]),
            message: format!(
                "the erts version changes between {} {} ({}) and {} {} ({}): the upgrade restarts the emulator",
                top.release.name, top.release.vsn, top.release.erts_vsn, base.release.name, base.release.vsn, base.release.erts_vsn
            ),
            file: Some(top.file.clone()),
        });
    }
    if options.restart_emulator {
        scripts.push(Term::list(vec![Term::atom("restart_emulator")]));
    }
    let (apps, pre_apps) = if mode == Mode::Up {
        (apps_of(top), apps_of(base))
    } else {
        (apps_of(base), apps_of(top))
    };
    let mut instructions = translate_terms(mode, &scripts, &apps, &pre_apps, &options.translate)
        .map_err(|e| {
            let appup_scripts = scripts
                .get(appup_at..appup_at + sources.len())
                .unwrap_or(&[]);
            let place = locate_instruction(&sources, appup_scripts, &e);
            let mut error = PlanError::from((e, place.as_ref().map(|p| p.0.clone())));
            error.position = place.map(|p| p.1);
            error
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
        .find(|(n, _, _)| n.as_str() == "sasl")
        .is_some_and(|(_, v, _)| v.as_str() < R15_SASL_VSN);
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
    scripts: &[Term<'_>],
    error: &crate::passes::TranslateError,
) -> Option<(PathBuf, (u32, u32))> {
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

/// The appup script of every application (start order) whose version differs in `base`;
/// the first failing application decides the error, as in OTP.
fn collect_appup_scripts<'s>(
    mode: Mode,
    sources: &'s [AppupSource<'_>],
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Term<'s>>, PlanError> {
    sources
        .iter()
        .map(|s| script_from_appup(mode, s, warnings))
        .collect()
}

fn script_from_appup<'s>(
    mode: Mode,
    source: &'s AppupSource<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Term<'s>, PlanError> {
    let (app, base_vsn, file) = (source.app, source.base_vsn, &source.file);
    let fname = Term::string(file.to_string_lossy().into_owned());
    let problem = |x: Term<'static>, message: &str| {
        let reason = Term::tuple(vec![
            Term::atom("file_problem"),
            Term::tuple(vec![fname.clone(), x]),
        ]);
        PlanError::new(Origin::SystoolsRelup, reason, message, Some(file.clone()))
    };
    let text = source.text.as_ref().map_err(|e| {
        let why = if e.to_string().contains("enoent") {
            "no such file"
        } else {
            "unreadable"
        };
        problem(
            e.clone(),
            &format!(
                "could not read the appup ({why}): {} changes from {base_vsn} to {}, so it needs {}.appup in its ebin directory with an entry for {base_vsn}",
                app.name, app.vsn, app.name
            ),
        )
    })?;
    let term =
        release::first_term(text, file).map_err(|e| problem(e, "could not read the appup"))?;
    let Some([vsn, up, down]) = term.as_tuple() else {
        return Err(problem(
            Term::tuple(vec![Term::atom("ok"), term.clone().into_owned()]),
            "the appup is not {Vsn, UpFrom, DownTo}",
        ));
    };
    if vsn.as_charlist().is_none_or(|v| v != app.vsn) {
        warnings.insert(
            0,
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
                file: Some(file.clone()),
            },
        );
    }
    let clauses = if mode == Mode::Up { up } else { down };
    match appup_search_for_version(base_vsn, clauses) {
        Ok(Some(script)) => Ok(script.clone()),
        Ok(None) => {
            let reason = Term::tuple(vec![
                Term::atom("no_relup"),
                fname.clone(),
                app.to_term(),
                Term::string(base_vsn.to_string()),
            ]);
            let list = if mode == Mode::Up { "UpFrom" } else { "DownTo" };
            let message = format!(
                "no {list} entry for {} {} in the appup matches version {base_vsn}",
                app.name, app.vsn
            );
            Err(PlanError::new(
                Origin::SystoolsRelup,
                reason,
                message,
                Some(file.clone()),
            ))
        }
        Err(why) => Err(PlanError::new(
            Origin::SystoolsRelup,
            Term::tuple(vec![
                Term::atom("bad_appup"),
                fname.clone(),
                Term::string(why.clone()),
            ]),
            why,
            Some(file.clone()),
        )),
    }
}

/// `appup_search_for_version/2`: the first entry whose key equals the version, or is a regex
/// whose leftmost match is the whole version; malformed entries are skipped. OTP crashes on a
/// list that is not a list or an invalid regex; we return an error instead.
fn appup_search_for_version<'t, 'a>(
    base_vsn: &str,
    clauses: &'t Term<'a>,
) -> Result<Option<&'t Term<'a>>, String> {
    let TermKind::List(items, None) = &clauses.kind else {
        return Err(format!("the appup's version list is not a list: {clauses}"));
    };
    for item in items {
        let Some([key, script]) = item.as_tuple() else {
            continue;
        };
        let vkey = match &key.kind {
            TermKind::Binary(b) => VersionKey::Regex(String::from_utf8_lossy(b).into_owned()),
            _ if key.as_charlist().is_some_and(|k| k == base_vsn) => return Ok(Some(script)),
            _ => continue,
        };
        if vkey.matches(base_vsn).map_err(|e| e.to_string())? {
            return Ok(Some(script));
        }
    }
    Ok(None)
}
