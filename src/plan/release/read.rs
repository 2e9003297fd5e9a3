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

/// `parse_application/4`: the keys systools reads, with their checks and defaults.
pub(super) fn parse_application(
    term: &Term<'_>,
    dir: &Path,
    vsn: &str,
    incls: Option<&[Atom]>,
) -> Result<AppRecord, ParseApp> {
    let own = |t: &Term<'_>| t.clone().into_owned();
    let (name, dict) = match term.as_tuple() {
        Some([tag_t, n, d])
            if tag_t.is_atom("application") && n.as_atom().is_some() && d.is_list() =>
        {
            (n, d)
        }
        _ => {
            return Err(ParseApp::Error(tag(
                "badly_formatted_application",
                own(term),
            )));
        }
    };
    let entries: Vec<Term<'static>> = dict
        .list_items()
        .unwrap_or_default()
        .iter()
        .map(|i| i.to_term())
        .collect();
    let get = |key: &str| {
        entries.iter().find_map(|e| match e.as_tuple() {
            Some([k, v]) if k.is_atom(key) => Some(v.clone()),
            _ => None,
        })
    };
    let whole = || tag_application(name, dict);
    let bad = |item: &'static str| {
        ParseApp::Error(Term::tuple(vec![
            tag("bad_param", Term::atom(item)),
            whole(),
        ]))
    };
    let missing = |item: &'static str| {
        ParseApp::Error(Term::tuple(vec![
            tag("missing_param", Term::atom(item)),
            whole(),
        ]))
    };
    let string_item =
        |item: &'static str, default: Option<Term<'static>>| -> Result<Term<'static>, ParseApp> {
            match get(item) {
                Some(v) => string_p(&v).map(|_| v).ok_or_else(|| bad(item)),
                None => default.ok_or_else(|| missing(item)),
            }
        };
    let atoms_item = |item: &'static str, optional: bool| -> Result<Vec<Atom>, ParseApp> {
        match get(item) {
            Some(v) => atom_list_p(&v).ok_or_else(|| bad(item)),
            None if optional => Ok(Vec::new()),
            None => Err(missing(item)),
        }
    };
    let vsn_t = string_item("vsn", None)?;
    let id = string_item("id", Some(Term::nil()))?;
    let description = string_item("description", None)?;
    let modules = atoms_item("modules", false)?;
    let regs = atoms_item("registered", false)?;
    let uses = atoms_item("applications", false)?;
    let optional = atoms_item("optional_applications", true)?;
    let includes0 = atoms_item("included_applications", true)?;
    let r#mod = match get("mod") {
        None => Term::nil(),
        Some(m) if m.is_nil() => m,
        Some(m) if matches!(m.as_tuple(), Some([x, _]) if x.as_atom().is_some()) => m,
        Some(_) => return Err(bad("mod")),
    };
    let start_phases = get("start_phases").unwrap_or_else(|| Term::atom("undefined"));
    let env = get("env").unwrap_or_else(Term::nil);
    let limit = |item: &'static str| -> Result<Term<'static>, ParseApp> {
        match get(item) {
            None => Ok(Term::atom("infinity")),
            Some(v) if v.is_atom("infinity") || v.as_int().is_some_and(|i| i > 0) => Ok(v),
            Some(_) => Err(bad(item)),
        }
    };
    let (max_t, max_p) = (limit("maxT")?, limit("maxP")?);
    let found_vsn = vsn_t
        .as_charlist()
        .map(|s| s.into_owned())
        .unwrap_or_default();
    if found_vsn != vsn {
        return Err(ParseApp::OtherVersion(vsn_t));
    }
    let includes = match incls {
        None => includes0,
        Some(over) => {
            let not_spec: Vec<Atom> = over
                .iter()
                .filter(|a| !includes0.contains(a))
                .cloned()
                .collect();
            if !not_spec.is_empty() {
                return Err(ParseApp::Error(tag("override_include", atoms(&not_spec))));
            }
            over.to_vec()
        }
    };
    Ok(AppRecord {
        name: Atom::from(name.as_atom().unwrap_or_default()),
        start_type: StartType::Permanent,
        vsn: found_vsn,
        id,
        description,
        modules,
        uses,
        optional,
        includes,
        regs,
        env,
        max_t,
        max_p,
        r#mod,
        start_phases,
        dir: dir.to_path_buf(),
    })
}

pub(super) fn tag_application(name: &Term<'_>, dict: &Term<'_>) -> Term<'static> {
    Term::tuple(vec![
        Term::atom("application"),
        name.clone().into_owned(),
        dict.clone().into_owned(),
    ])
}
