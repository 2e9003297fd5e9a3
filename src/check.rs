//! What `relup check` runs on one file: parse, decode by kind ([`crate::files`]), and for an
//! appup, the translation's own checks of each entry's script ([`crate::passes`]: misplaced
//! `point_of_no_return`, unpaired suspend/resume, `muldef_module`, `undef_module`, ...).

use std::path::Path;

use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic};
use crate::files::{
    App, FileKind, app_name_of, check_config, decode_app, decode_appup, decode_rel,
    decode_releases, decode_relup, decode_start_erl_data, parse_diagnostic,
};
use crate::instr::{Atom, Instruction, Mode, decode_instruction};
use crate::passes::{Application, Apps, TranslateError, TranslateOptions, translate_terms};
use crate::term::{Term, TermKind, decode_source, parse_terms};

/// What checking one file found.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The kind the file was checked as.
    pub kind: Option<FileKind>,
    /// Every error and warning, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Other files given with the one being checked, used for cross-file checks.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The `.app` of the appup's application, when given.
    pub app: Option<App>,
}

/// Checks one file: parse, decode by kind (from the name, else from the content), and collect
/// every diagnostic.
pub fn check(path: &Path, bytes: &[u8], context: &Context) -> FileReport {
    if FileKind::from_path(path) == Some(FileKind::StartErlData) {
        let text = String::from_utf8_lossy(bytes);
        return FileReport {
            kind: Some(FileKind::StartErlData),
            diagnostics: decode_start_erl_data(&text).1,
        };
    }
    let source = match decode_source(bytes) {
        Ok(s) => s,
        Err(e) => {
            return FileReport {
                kind: FileKind::from_path(path),
                diagnostics: vec![parse_diagnostic(&e)],
            };
        }
    };
    let terms = match parse_terms(&source) {
        Ok(t) => t,
        Err(e) => {
            return FileReport {
                kind: FileKind::from_path(path),
                diagnostics: vec![parse_diagnostic(&e)],
            };
        }
    };
    let kind = FileKind::from_path(path).or_else(|| terms.first().map(FileKind::from_content));
    let mut diagnostics = match kind {
        Some(FileKind::Appup) => {
            let mut d = decode_appup(&terms, context.app.as_ref()).1;
            d.extend(appup_script_checks(&terms, context.app.as_ref()));
            d
        }
        Some(FileKind::App) => decode_app(&terms, app_name_of(path)).1,
        Some(FileKind::Releases) => decode_releases(&terms).1,
        Some(FileKind::StartErlData) => Vec::new(),
        Some(FileKind::Rel) => decode_rel(&terms).1,
        Some(FileKind::Relup) => decode_relup(&terms).1,
        Some(FileKind::Config) => check_config(&terms),
        None => vec![Diagnostic::error(
            Code::EmptyFile,
            None,
            "the file holds no term",
        )],
    };
    diagnostics.sort_by_key(|d| d.span.map_or(0, |s| s.start));
    FileReport { kind, diagnostics }
}

/// The translation's checks on every entry of an appup whose shape decodes: each entry's
/// instructions that pass the syntax check, translated on their own.
pub fn appup_script_checks(terms: &[Term<'_>], app: Option<&App>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some([_, up, down]) = terms.first().and_then(|t| t.as_tuple()) else {
        return out;
    };
    for (list, mode) in [(up, Mode::Up), (down, Mode::Down)] {
        let TermKind::List(entries, None) = &list.kind else {
            continue;
        };
        for entry in entries {
            let Some([_, script]) = entry.as_tuple() else {
                continue;
            };
            let TermKind::List(items, None) = &script.kind else {
                continue;
            };
            let (terms, instrs): (Vec<&Term<'_>>, Vec<Instruction>) = items
                .iter()
                .filter_map(|t| decode_instruction(t).ok().map(|i| (t, i)))
                .unzip();
            check_script(&mut out, script, &terms, &instrs, mode, app);
        }
    }
    out
}

/// Runs the translation's script checks on one entry (syntax is already known to be fine).
/// Application instructions are left out (they depend on the releases), and modules are
/// checked against the `.app` only on upgrade, where the `.app` is the target release's.
fn check_script(
    out: &mut Vec<Diagnostic>,
    script: &Term<'_>,
    terms: &[&Term<'_>],
    instrs: &[Instruction],
    mode: Mode,
    app: Option<&App>,
) {
    let kept: Vec<Term<'_>> = terms
        .iter()
        .zip(instrs)
        .filter(|(_, i)| {
            !matches!(
                i,
                Instruction::AddApplication { .. }
                    | Instruction::RemoveApplication { .. }
                    | Instruction::RestartApplication { .. }
            )
        })
        .map(|(t, _)| (*t).clone())
        .collect();
    let mut modules: Vec<&str> = match (app, mode) {
        (Some(app), Mode::Up) => app.modules.iter().map(Atom::as_str).collect(),
        _ => Vec::new(),
    };
    let named: Vec<Atom> = instrs
        .iter()
        .filter_map(Instruction::module)
        .cloned()
        .collect();
    if !(app.is_some() && mode == Mode::Up) {
        modules.extend(named.iter().map(Atom::as_str));
    }
    let apps = Apps(vec![Application::new(
        app.map_or("app", |a| a.name.as_str()),
        app.map_or("0", |a| a.vsn.as_str()),
        &modules,
    )]);
    let list = Term::list(kept);
    if let Err(e) = translate_terms(
        mode,
        std::slice::from_ref(&list),
        &apps,
        &Apps::default(),
        &TranslateOptions::default(),
    ) {
        let hint = match &e {
            TranslateError::NoSuchModule { .. } => {
                " (the .app's modules list must name it)".to_string()
            }
            _ => String::new(),
        };
        out.push(
            Diagnostic::error(e.code(), Some(script.span), format!("{e}{hint}"))
                .with_reason(e.reason()),
        );
    }
}
