//! Reading `.rel`, `.app` and `.appup` files as systools does: one term per file, OTP's error
//! shapes, and the search of the code path for an application's `.app` (`read_application/6`,
//! `parse_application/4`).

use super::*;

/// Reads the first term of a file (`systools_lib:read_term/1`), with OTP's error shapes:
/// `{error, {open, File, Posix}}`, `{error, {parse, File, Why}}`, `{error, {read, File}}`.
pub fn read_first_term(file: &Path) -> Result<Term<'static>, Term<'static>> {
    let source = read_source(file)?;
    first_term(&source, file).map(Term::into_owned)
}

/// The text of a file (`{error, {open, File, Posix}}` when it cannot be read, `{error,
/// {parse, File, Why}}` when it is not text).
pub fn read_source(file: &Path) -> Result<String, Term<'static>> {
    let bytes = std::fs::read(file).map_err(|e| {
        Term::tuple(vec![
            Term::atom("error"),
            Term::tuple(vec![
                Term::atom("open"),
                path_term(file),
                Term::atom(posix(&e)),
            ]),
        ])
    })?;
    decode_source(&bytes)
        .map(|s| s.into_owned())
        .map_err(|e| parse_error(file, e.to_string()))
}

pub(super) fn parse_error(file: &Path, why: String) -> Term<'static> {
    Term::tuple(vec![
        Term::atom("error"),
        Term::tuple(vec![
            Term::atom("parse"),
            path_term(file),
            Term::string(why),
        ]),
    ])
}

/// The first term of a file's text, borrowing from it (`{error, {read, File}}` when there
/// is none).
pub fn first_term<'s>(source: &'s str, file: &Path) -> Result<Term<'s>, Term<'static>> {
    match crate::term::parse_first_term(source) {
        Some(Ok(term)) => Ok(term),
        None => Err(Term::tuple(vec![
            Term::atom("error"),
            Term::tuple(vec![Term::atom("read"), path_term(file)]),
        ])),
        Some(Err(e)) => Err(parse_error(
            file,
            format!(
                "line {}: {}",
                crate::span::line_col(source, e.span.lo()).line,
                e.kind
            ),
        )),
    }
}

/// The POSIX error atom of an I/O error, as Erlang names it.
pub fn posix(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(2) => "enoent",
        Some(13) => "eacces",
        Some(20) => "enotdir",
        Some(21) => "eisdir",
        Some(28) => "enospc",
        Some(30) => "erofs",
        _ => match e.kind() {
            std::io::ErrorKind::NotFound => "enoent",
            std::io::ErrorKind::PermissionDenied => "eacces",
            _ => "eio",
        },
    }
}

pub(super) fn collect_applications(
    rel: &Rel,
    path: &[PathBuf],
    file: &Path,
) -> Result<Vec<AppRecord>, PlanError> {
    let mut ok = Vec::new();
    let mut errs: Vec<Term<'static>> = Vec::new();
    for RelApp {
        name,
        vsn,
        start_type: ty,
        included_applications,
    } in &rel.applications
    {
        let incls = included_applications.as_deref();
        match read_application(name, vsn, path, incls) {
            Ok(mut app) if app.name == *name && app.vsn == *vsn => {
                app.start_type = *ty;
                ok.push(app);
            }
            Ok(app) => errs.push(tag(
                "bad_application_name",
                Term::tuple(vec![
                    name.to_term(),
                    Term::tuple(vec![app.name.to_term(), Term::string(app.vsn.clone())]),
                ]),
            )),
            Err(what) => errs.push(tag(
                "error_reading",
                Term::tuple(vec![name.to_term(), what]),
            )),
        }
    }
    if errs.is_empty() {
        return Ok(ok);
    }
    errs.reverse();
    Err(make_error(
        PlanErrorKind::ApplicationsUnreadable(errs),
        file,
    ))
}

/// Searches the path for `<Name>.app` with version `vsn` (`read_application/6`).
pub(super) fn read_application(
    name: &Atom,
    vsn: &str,
    path: &[PathBuf],
    incls: Option<&[Atom]>,
) -> Result<AppRecord, Term<'static>> {
    let file_name = format!("{}.app", name.as_str());
    let mut first_error: Option<Term<'static>> = None;
    let mut found = false;
    for dir in path {
        let app_file = dir.join(&file_name);
        let term = match read_first_term(&app_file) {
            Ok(t) => t,
            Err(e) => {
                if matches!(
                    e.as_tuple().and_then(|t| t.get(1)).and_then(Term::tagged),
                    Some(("parse", _))
                ) && first_error.is_none()
                {
                    first_error = Some(tag(
                        "parse_error",
                        Term::tuple(vec![path_term(&app_file), Term::int(0), e]),
                    ));
                }
                continue;
            }
        };
        match parse_application(&term, dir, vsn, incls) {
            Err(ParseApp::OtherVersion(other)) => {
                if first_error.is_none() {
                    first_error = Some(tag(
                        "no_valid_version",
                        Term::tuple(vec![
                            Term::tuple(vec![
                                Term::string("should be"),
                                Term::string(vsn.to_string()),
                            ]),
                            Term::tuple(vec![
                                Term::string("found file"),
                                path_term(&app_file),
                                other,
                            ]),
                        ]),
                    ));
                }
                found = true;
            }
            Err(ParseApp::Error(e)) => return Err(e),
            Ok(app) => return Ok(app),
        }
    }
    match (found, first_error) {
        (true, None) => Err(tag(
            "application_vsn",
            Term::tuple(vec![
                Term::string(name.as_str().to_string()),
                Term::string(vsn.to_string()),
            ]),
        )),
        (_, Some(e)) => Err(e),
        (false, None) => Err(tag("not_found", Term::string(file_name))),
    }
}

pub(super) enum ParseApp {
    OtherVersion(Term<'static>),
    Error(Term<'static>),
}

/// `parse_application/4`: the `.app`'s keys as systools reads them ([`read_app_term`]),
/// then its version and the `.rel`'s override of the included applications.
pub(super) fn parse_application(
    term: &Term<'_>,
    dir: &Path,
    vsn: &str,
    incls: Option<&[Atom]>,
) -> Result<AppRecord, ParseApp> {
    let mut app = read_app_term(term).map_err(|e| ParseApp::Error(e.reason(term)))?;
    if app.vsn != vsn {
        return Err(ParseApp::OtherVersion(Term::string(app.vsn)));
    }
    if let Some(over) = incls {
        let not_spec: Vec<Atom> = over
            .iter()
            .filter(|a| !app.included_applications.contains(a))
            .cloned()
            .collect();
        if !not_spec.is_empty() {
            return Err(ParseApp::Error(tag("override_include", atoms(&not_spec))));
        }
        app.included_applications = over.to_vec();
    }
    Ok(AppRecord {
        app,
        start_type: StartType::Permanent,
        dir: dir.to_path_buf(),
    })
}
