//! Reading a release as `systools_make:get_release/2` does: the `.rel` file, every
//! application's `.app` found on the code path (the first directory whose `.app` has the
//! `.rel`'s version), the consistency checks, and the start order (`sort_appls`, which moves
//! the applications an application uses or includes before it).
//!
//! Records mirror sasl's `#release{}` and `#application{}` so that error terms that embed them
//! (e.g. `no_relup`) print exactly as OTP's.

use std::path::{Path, PathBuf};

use super::error::{Origin, PlanError};
use crate::instr::{Atom, StartType};
use crate::passes::Application;
use crate::term::{Term, decode_source};

/// sasl's `#release{}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseRecord {
    /// Release name.
    pub name: String,
    /// Release version.
    pub vsn: String,
    /// erts version.
    pub erts_vsn: String,
    /// `{Name, Vsn, Type}` in `.rel` order.
    pub applications: Vec<(Atom, String, StartType)>,
    /// `{Name, [IncludedApp]}` given in the `.rel`.
    pub incl_apps: Vec<(Atom, Vec<Atom>)>,
}

impl ReleaseRecord {
    /// `{release, Name, Vsn, ErtsVsn, Applications, InclApps}`.
    pub fn to_term(&self) -> Term<'static> {
        let apps = self
            .applications
            .iter()
            .map(|(n, v, t)| {
                Term::tuple(vec![
                    n.to_term(),
                    Term::string(v.clone()),
                    Term::atom(t.atom()),
                ])
            })
            .collect();
        let incl = self
            .incl_apps
            .iter()
            .map(|(n, l)| Term::tuple(vec![n.to_term(), atoms(l)]))
            .collect();
        Term::tuple(vec![
            Term::atom("release"),
            Term::string(self.name.clone()),
            Term::string(self.vsn.clone()),
            Term::string(self.erts_vsn.clone()),
            Term::list(apps),
            Term::list(incl),
        ])
    }

    /// The version of application `name` in this release.
    pub fn app_vsn(&self, name: &Atom) -> Option<&str> {
        self.applications
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_str())
    }
}

/// sasl's `#application{}` as systools fills it from a `.app` file.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRecord {
    /// `name`.
    pub name: Atom,
    /// Start type from the `.rel`.
    pub start_type: StartType,
    /// `vsn`.
    pub vsn: String,
    /// `id` (default `[]`).
    pub id: Term<'static>,
    /// `description`.
    pub description: Term<'static>,
    /// `modules`.
    pub modules: Vec<Atom>,
    /// `applications`, ordered as in the `.rel` (then adjusted for included applications).
    pub uses: Vec<Atom>,
    /// `optional_applications`.
    pub optional: Vec<Atom>,
    /// `included_applications` (or the `.rel`'s override).
    pub includes: Vec<Atom>,
    /// `registered`.
    pub regs: Vec<Atom>,
    /// `env`.
    pub env: Term<'static>,
    /// `maxT`.
    pub max_t: Term<'static>,
    /// `maxP`.
    pub max_p: Term<'static>,
    /// `mod`.
    pub r#mod: Term<'static>,
    /// `start_phases`.
    pub start_phases: Term<'static>,
    /// The directory the `.app` was found in (the appup is read from there too).
    pub dir: PathBuf,
}

/// `systools_make:duplicates/1`: entries sorted (stably) by name, each adjacent pair with the
/// same name as `{{Name, App, AppVsn, Dir}, {Name, App2, AppVsn2, Dir2}}`, last pair first.
fn duplicates(mut entries: Vec<(Atom, &AppRecord)>) -> Option<Term<'static>> {
    entries.sort_by(|x, y| x.0.as_str().cmp(y.0.as_str()));
    let item = |(name, a): &(Atom, &AppRecord)| {
        Term::tuple(vec![
            name.to_term(),
            a.name.to_term(),
            Term::string(a.vsn.clone()),
            path_term(&a.dir),
        ])
    };
    let pairs: Vec<Term<'static>> = entries
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| Term::tuple(vec![item(&w[0]), item(&w[1])]))
        .rev()
        .collect();
    (!pairs.is_empty()).then(|| Term::list(pairs))
}

fn atoms(l: &[Atom]) -> Term<'static> {
    Term::list(l.iter().map(Atom::to_term).collect())
}

fn path_term(p: &Path) -> Term<'static> {
    Term::string(p.to_string_lossy().into_owned())
}

impl AppRecord {
    /// The record as a tuple, as OTP prints it inside error terms.
    pub fn to_term(&self) -> Term<'static> {
        Term::tuple(vec![
            Term::atom("application"),
            self.name.to_term(),
            Term::atom(self.start_type.atom()),
            Term::string(self.vsn.clone()),
            self.id.clone(),
            self.description.clone(),
            atoms(&self.modules),
            atoms(&self.uses),
            atoms(&self.optional),
            atoms(&self.includes),
            atoms(&self.regs),
            self.env.clone(),
            self.max_t.clone(),
            self.max_p.clone(),
            self.r#mod.clone(),
            self.start_phases.clone(),
            path_term(&self.dir),
        ])
    }

    /// What translation needs of it.
    pub fn to_application(&self) -> Application {
        Application {
            name: self.name.clone(),
            vsn: Term::string(self.vsn.clone()),
            modules: self.modules.clone(),
            start_type: self.start_type,
        }
    }
}

/// A release read and checked: its record, its applications in start order, its warnings.
#[derive(Debug, Clone)]
pub struct LoadedRelease {
    /// The `.rel` file.
    pub file: PathBuf,
    /// The release.
    pub release: ReleaseRecord,
    /// Applications in start order.
    pub apps: Vec<AppRecord>,
    /// Warnings (only `missing_sasl` can occur).
    pub missing_sasl: bool,
}

fn make_error(reason: Term<'static>, message: impl Into<String>, file: &Path) -> PlanError {
    PlanError::new(
        Origin::SystoolsMake,
        reason,
        message,
        Some(file.to_path_buf()),
    )
}

fn tag(tag: &'static str, t: Term<'static>) -> Term<'static> {
    Term::tuple(vec![Term::atom(tag), t])
}

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

fn parse_error(file: &Path, why: String) -> Term<'static> {
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

/// `systools_make:get_release(File, Path)` for a `.rel` file.
///
/// # Errors
/// OTP's `{error, systools_make, Reason}`.
pub fn get_release(rel_file: &Path, path: &[PathBuf]) -> Result<LoadedRelease, PlanError> {
    let term = read_first_term(rel_file)
        .map_err(|e| make_error(e, "cannot read the .rel file", rel_file))?;
    let (release, missing_sasl) = check_rel(&term, rel_file)?;
    let apps = collect_applications(&release, path, rel_file)?;
    let apps = check_applications(apps, rel_file)?;
    let apps = sort_used_and_incl_appls(apps, &release);
    check_modules(&apps, rel_file)?;
    let apps = sort_appls(apps, rel_file)?;
    Ok(LoadedRelease {
        file: rel_file.to_path_buf(),
        release,
        apps,
        missing_sasl,
    })
}

/// systools' `string_p/1`: a list of printable Latin-1 characters (possibly empty).
fn string_p(t: &Term<'_>) -> Option<String> {
    let s = t.as_charlist()?;
    s.chars()
        .all(|c| matches!(c as u32, 32..=255 | 10 | 9))
        .then(|| s.into_owned())
}

fn atom_list_p(t: &Term<'_>) -> Option<Vec<Atom>> {
    t.list_items()?
        .into_iter()
        .map(|i| i.as_atom().map(Atom::from))
        .collect()
}

fn check_rel(term: &Term<'_>, file: &Path) -> Result<(ReleaseRecord, bool), PlanError> {
    let bad = || {
        make_error(
            Term::atom("badly_formatted_release"),
            "a .rel holds {release, {Name, Vsn}, {erts, Vsn}, [App]}",
            file,
        )
    };
    let Some([tag_t, name_vsn, erts, appl]) = term.as_tuple() else {
        return Err(bad());
    };
    let (Some([name, vsn]), Some([erts_tag, evsn])) = (name_vsn.as_tuple(), erts.as_tuple()) else {
        return Err(bad());
    };
    if !tag_t.is_atom("release") || !erts_tag.is_atom("erts") || !appl.is_list() {
        return Err(bad());
    }
    let own = |t: &Term<'_>| t.clone().into_owned();
    let name = string_p(name).ok_or_else(|| {
        make_error(
            tag("illegal_name", own(name)),
            "the release name must be a string",
            file,
        )
    })?;
    let vsn = string_p(vsn).ok_or_else(|| {
        make_error(
            tag("illegal_form", own(vsn)),
            "the release version must be a string",
            file,
        )
    })?;
    let erts_vsn = string_p(evsn).ok_or_else(|| {
        make_error(
            tag(
                "illegal_form",
                Term::tuple(vec![Term::atom("erts"), own(evsn)]),
            ),
            "the erts version must be a string",
            file,
        )
    })?;
    let items = appl.list_items().unwrap_or_default();
    let mut applications = Vec::new();
    let mut incl_apps = Vec::new();
    let mut illegal = Vec::new();
    for item in &items {
        match rel_app(&item.to_term()) {
            Some((n, v, t, inc)) => {
                if let Some(inc) = inc {
                    incl_apps.push((n.clone(), inc));
                }
                applications.push((n, v, t));
            }
            None => illegal.push(item.to_term()),
        }
    }
    if !illegal.is_empty() {
        return Err(make_error(
            tag("illegal_applications", Term::list(illegal)),
            "malformed application entries in the .rel",
            file,
        ));
    }
    let type_of = |app: &str| {
        applications
            .iter()
            .find(|(n, _, _)| n.as_str() == app)
            .map(|(_, _, t)| *t)
    };
    for mandatory in ["kernel", "stdlib"] {
        match type_of(mandatory) {
            None => {
                return Err(make_error(
                    tag("missing_mandatory_app", Term::atom(mandatory)),
                    format!("every release needs {mandatory}"),
                    file,
                ));
            }
            Some(StartType::Permanent) => {}
            Some(t) => {
                let reason = Term::tuple(vec![
                    Term::atom("mandatory_app"),
                    Term::atom(mandatory),
                    Term::atom(t.atom()),
                ]);
                return Err(make_error(
                    reason,
                    format!("{mandatory} must be permanent"),
                    file,
                ));
            }
        }
    }
    let missing_sasl = type_of("sasl").is_none();
    Ok((
        ReleaseRecord {
            name,
            vsn,
            erts_vsn,
            applications,
            incl_apps,
        },
        missing_sasl,
    ))
}

type RelApp = (Atom, String, StartType, Option<Vec<Atom>>);

fn rel_app(t: &Term<'_>) -> Option<RelApp> {
    let items = t.as_tuple()?;
    let name = Atom::from(items.first()?.as_atom()?);
    let vsn = string_p(items.get(1)?)?;
    match &items[2..] {
        [] => Some((name, vsn, StartType::Permanent, None)),
        [x] if x.as_atom().is_some() => {
            Some((name, vsn, StartType::from_atom(x.as_atom()?)?, None))
        }
        [x] if x.is_list() => Some((name, vsn, StartType::Permanent, Some(atom_list_p(x)?))),
        [ty, inc] => Some((
            name,
            vsn,
            StartType::from_atom(ty.as_atom()?)?,
            Some(atom_list_p(inc)?),
        )),
        _ => None,
    }
}

fn collect_applications(
    rel: &ReleaseRecord,
    path: &[PathBuf],
    file: &Path,
) -> Result<Vec<AppRecord>, PlanError> {
    let mut ok = Vec::new();
    let mut errs: Vec<Term<'static>> = Vec::new();
    for (name, vsn, ty) in &rel.applications {
        let incls = rel
            .incl_apps
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.as_slice());
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
        Term::list(errs),
        "cannot read the applications of the release (see the reason)",
        file,
    ))
}

/// Searches the path for `<Name>.app` with version `vsn` (`read_application/6`).
fn read_application(
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

enum ParseApp {
    OtherVersion(Term<'static>),
    Error(Term<'static>),
}

/// `parse_application/4`: the keys systools reads, with their checks and defaults.
fn parse_application(
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

fn tag_application(name: &Term<'_>, dict: &Term<'_>) -> Term<'static> {
    Term::tuple(vec![
        Term::atom("application"),
        name.clone().into_owned(),
        dict.clone().into_owned(),
    ])
}

/// `[{Name, Vsn}]`.
fn name_vsns(list: Vec<(Atom, String)>) -> Term<'static> {
    Term::list(
        list.into_iter()
            .map(|(n, v)| Term::tuple(vec![n.to_term(), Term::string(v)]))
            .collect(),
    )
}

/// `make_set/1`: first occurrences, in order.
fn make_set<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// `check_applications/1`: undefined applications, duplicate registered names and includes,
/// then `add_top_apps_to_uses`.
fn check_applications(apps: Vec<AppRecord>, file: &Path) -> Result<Vec<AppRecord>, PlanError> {
    let defined: Vec<&Atom> = apps.iter().map(|a| &a.name).collect();
    let undefined: Vec<Atom> = apps
        .iter()
        .flat_map(|a| {
            a.uses
                .iter()
                .filter(|u| !a.optional.contains(u))
                .chain(&a.includes)
        })
        .filter(|u| !defined.contains(u))
        .cloned()
        .collect();
    if !undefined.is_empty() {
        let reason = tag("undefined_applications", atoms(&make_set(undefined)));
        return Err(make_error(
            reason,
            "applications used or included but not in the release",
            file,
        ));
    }
    // dupl_regs, then dupl_incls: {Name, App, AppVsn, Dir} for every registered name and
    // every included application.
    let regs: Vec<(Atom, &AppRecord)> = apps
        .iter()
        .flat_map(|a| a.regs.iter().map(move |r| (r.clone(), a)))
        .collect();
    if let Some(dups) = duplicates(regs) {
        return Err(make_error(
            tag("duplicate_register", dups),
            "two applications of the release register the same process name",
            file,
        ));
    }
    let included: Vec<(Atom, &AppRecord)> = apps
        .iter()
        .flat_map(|a| a.includes.iter().map(move |i| (i.clone(), a)))
        .collect();
    if let Some(dups) = duplicates(included) {
        return Err(make_error(
            tag("duplicate_include", dups),
            "an application is included by two applications of the release",
            file,
        ));
    }
    let incls: Vec<(Atom, Atom)> = apps
        .iter()
        .flat_map(|a| a.includes.iter().map(|i| (i.clone(), a.name.clone())))
        .collect();
    let top = |app: &Atom| -> Atom {
        let mut cur = app.clone();
        let mut steps = 0;
        while let Some((_, parent)) = incls.iter().find(|(i, _)| *i == cur) {
            cur = parent.clone();
            steps += 1;
            if steps > incls.len() {
                break;
            }
        }
        cur
    };
    Ok(apps
        .into_iter()
        .map(|mut a| {
            let my_top = top(&a.name);
            let mut uses = a.uses.clone();
            for used in &a.uses {
                if *used == my_top {
                    uses.retain(|u| u != &my_top);
                } else if let Some((_, depend)) = incls.iter().find(|(i, _)| i == used) {
                    let used_top = top(depend);
                    if uses.contains(&used_top) {
                        uses.retain(|u| u != used);
                    } else if used_top != my_top {
                        uses.retain(|u| u != used);
                        uses.push(used_top);
                    }
                }
            }
            a.uses = uses;
            a
        })
        .collect())
}

/// `sort_used_and_incl_appls/2`: lists of more than one used or included application are put
/// in `.rel` order (applications not in the release last).
fn sort_used_and_incl_appls(apps: Vec<AppRecord>, rel: &ReleaseRecord) -> Vec<AppRecord> {
    let order = |list: Vec<Atom>| -> Vec<Atom> {
        if list.len() <= 1 {
            return list;
        }
        let mut keyed: Vec<(usize, Atom)> = list
            .into_iter()
            .map(|a| {
                (
                    rel.applications
                        .iter()
                        .position(|(n, _, _)| *n == a)
                        .map_or(usize::MAX, |p| p + 1),
                    a,
                )
            })
            .collect();
        keyed.sort_by_key(|(k, _)| *k);
        keyed.into_iter().map(|(_, a)| a).collect()
    };
    apps.into_iter()
        .map(|mut a| {
            a.includes = order(std::mem::take(&mut a.includes));
            a.uses = order(std::mem::take(&mut a.uses));
            a
        })
        .collect()
}

/// Module names must be unique across the release (`{duplicate_modules, Dups}`).
fn check_modules(apps: &[AppRecord], file: &Path) -> Result<(), PlanError> {
    let mut all: Vec<(&Atom, &AppRecord)> = apps
        .iter()
        .flat_map(|a| a.modules.iter().map(move |m| (m, a)))
        .collect();
    all.sort_by(|x, y| x.0.cmp(y.0));
    let triple = |(m, a): (&Atom, &AppRecord)| {
        Term::tuple(vec![m.to_term(), a.name.to_term(), path_term(&a.dir)])
    };
    let dups: Vec<Term<'static>> = all
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| Term::tuple(vec![triple(w[0]), triple(w[1])]))
        .rev()
        .collect();
    if dups.is_empty() {
        return Ok(());
    }
    Err(make_error(
        tag("duplicate_modules", Term::list(dups)),
        "a module is in more than one application of the release",
        file,
    ))
}

/// `sort_appls/1`: start order; an application's used and included applications found later
/// in the list are moved before it (recursively).
fn sort_appls(apps: Vec<AppRecord>, file: &Path) -> Result<Vec<AppRecord>, PlanError> {
    let mut pending: Vec<AppRecord> = apps;
    pending.reverse(); // work from the back: pop() takes the head
    let mut out = Vec::new();
    let mut missing: Vec<Atom> = Vec::new();
    // OTP records circular applications as `{Name, Vsn}`.
    let mut circular: Vec<(Atom, String)> = Vec::new();
    let mut visited: Vec<Atom> = Vec::new();
    while let Some(a) = pending.pop() {
        let mut rest: Vec<AppRecord> = pending.drain(..).rev().collect();
        let (uses, nf1) = find_all(&a.name, &a.uses, &mut rest, &visited);
        let (incs, nf2) = find_all(&a.name, &a.includes, &mut rest, &visited);
        let mut miss: Vec<Atom> = nf1
            .into_iter()
            .filter(|x| !a.optional.contains(x))
            .collect();
        miss.extend(nf2);
        miss.extend(missing);
        missing = miss;
        let found: Vec<AppRecord> = uses.into_iter().chain(incs).collect();
        if found.is_empty() {
            visited.insert(0, a.name.clone());
            out.push(a);
            rest.reverse();
            pending = rest;
        } else {
            let new_circular: Vec<(Atom, String)> = found
                .iter()
                .filter(|f| visited.contains(&f.name))
                .map(|f| (f.name.clone(), f.vsn.clone()))
                .collect();
            if !new_circular.is_empty() {
                let mut c = vec![(a.name.clone(), a.vsn.clone())];
                c.extend(new_circular.iter().cloned());
                c.extend(circular);
                circular = c;
            }
            visited.insert(0, a.name.clone());
            // del_apps: each circular name loses its first entry only (lists:keydelete).
            let mut next: Vec<AppRecord> = found;
            next.push(a);
            next.extend(rest);
            for (name, _) in &new_circular {
                if let Some(pos) = next.iter().position(|r| &r.name == name) {
                    next.remove(pos);
                }
            }
            next.reverse();
            pending = next;
        }
    }
    match (missing.is_empty(), circular.is_empty()) {
        (true, true) => Ok(out),
        (false, true) => Err(make_error(
            tag("undefined_applications", atoms(&make_set(missing))),
            "applications used but not in the release",
            file,
        )),
        (true, false) => Err(make_error(
            tag(
                "circular_dependencies",
                name_vsns(make_set(circular.clone())),
            ),
            "applications depend on each other in a circle",
            file,
        )),
        (false, false) => Err(make_error(
            tag(
                "apps",
                Term::list(vec![
                    tag(
                        "circular_dependencies",
                        name_vsns(make_set(circular.clone())),
                    ),
                    tag("undefined_applications", atoms(&make_set(missing))),
                ]),
            ),
            "circular and undefined applications",
            file,
        )),
    }
}

/// `find_all/6`: takes the named applications out of `rest` (in `names` order); names neither
/// in `rest` nor visited are returned as not found.
fn find_all(
    checking: &Atom,
    names: &[Atom],
    rest: &mut Vec<AppRecord>,
    visited: &[Atom],
) -> (Vec<AppRecord>, Vec<Atom>) {
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    for name in names.iter().rev() {
        match rest.iter().position(|r| &r.name == name) {
            Some(pos) if rest[pos].includes.contains(checking) => {
                if !visited.contains(name) {
                    not_found.insert(0, name.clone());
                }
            }
            Some(pos) => found.insert(0, rest.remove(pos)),
            None if visited.contains(name) => {}
            None => not_found.insert(0, name.clone()),
        }
    }
    (found, not_found)
}
