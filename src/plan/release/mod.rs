//! Reading a release as `systools_make:get_release/2` does: the `.rel` file, every
//! application's `.app` found on the code path (the first directory whose `.app` has the
//! `.rel`'s version), the consistency checks, and the start order (`sort_appls`, which moves
//! the applications an application uses or includes before it).
//!
//! Records mirror sasl's `#release{}` and `#application{}` so that error terms that embed them
//! (e.g. `no_relup`) print exactly as OTP's.

mod checks;
mod read;
mod start_order;

use std::path::{Path, PathBuf};

use super::error::{PlanError, PlanErrorKind};
use crate::files::{Rel, RelApp};
use crate::instr::{Atom, StartType};
use crate::passes::Application;
use crate::term::{Term, decode_source};

use checks::*;
use read::*;
pub use read::{first_term, posix, read_first_term, read_source};
use start_order::*;

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
    pub release: Rel,
    /// Applications in start order.
    pub apps: Vec<AppRecord>,
    /// Warnings (only `missing_sasl` can occur).
    pub missing_sasl: bool,
}

fn make_error(kind: PlanErrorKind, file: &Path) -> PlanError {
    PlanError::at(kind, file)
}

fn tag(tag: &'static str, t: Term<'static>) -> Term<'static> {
    Term::tuple(vec![Term::atom(tag), t])
}

/// `systools_make:get_release(File, Path)` for a `.rel` file.
///
/// # Errors
/// OTP's `{error, systools_make, Reason}`.
pub fn get_release(rel_file: &Path, path: &[PathBuf]) -> Result<LoadedRelease, PlanError> {
    let term = read_first_term(rel_file)
        .map_err(|e| make_error(PlanErrorKind::RelUnreadable(e), rel_file))?;
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

fn check_rel(term: &Term<'_>, file: &Path) -> Result<(Rel, bool), PlanError> {
    let bad = || make_error(PlanErrorKind::BadlyFormattedRelease, file);
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
    let name =
        string_p(name).ok_or_else(|| make_error(PlanErrorKind::IllegalName(own(name)), file))?;
    let vsn = string_p(vsn).ok_or_else(|| make_error(PlanErrorKind::IllegalVsn(own(vsn)), file))?;
    let erts_vsn =
        string_p(evsn).ok_or_else(|| make_error(PlanErrorKind::IllegalErtsVsn(own(evsn)), file))?;
    let items = appl.list_items().unwrap_or_default();
    let mut applications = Vec::new();
    let mut illegal = Vec::new();
    for item in &items {
        match rel_app(&item.to_term()) {
            Some(app) => applications.push(app),
            None => illegal.push(item.to_term()),
        }
    }
    if !illegal.is_empty() {
        return Err(make_error(
            PlanErrorKind::IllegalApplications(illegal),
            file,
        ));
    }
    let type_of = |app: &str| {
        applications
            .iter()
            .find(|a: &&RelApp| a.name.as_str() == app)
            .map(|a| a.start_type)
    };
    for mandatory in ["kernel", "stdlib"] {
        match type_of(mandatory) {
            None => {
                return Err(make_error(
                    PlanErrorKind::MissingMandatoryApp(Atom::from(mandatory)),
                    file,
                ));
            }
            Some(StartType::Permanent) => {}
            Some(t) => {
                return Err(make_error(
                    PlanErrorKind::MandatoryAppNotPermanent(Atom::from(mandatory), t),
                    file,
                ));
            }
        }
    }
    let missing_sasl = type_of("sasl").is_none();
    Ok((
        Rel {
            name,
            vsn,
            erts_vsn,
            applications,
        },
        missing_sasl,
    ))
}

fn rel_app(t: &Term<'_>) -> Option<RelApp> {
    let items = t.as_tuple()?;
    let name = Atom::from(items.first()?.as_atom()?);
    let vsn = string_p(items.get(1)?)?;
    let (start_type, included_applications) = match &items[2..] {
        [] => (StartType::Permanent, None),
        [x] if x.as_atom().is_some() => (StartType::from_atom(x.as_atom()?)?, None),
        [x] if x.is_list() => (StartType::Permanent, Some(atom_list_p(x)?)),
        [ty, inc] => (
            StartType::from_atom(ty.as_atom()?)?,
            Some(atom_list_p(inc)?),
        ),
        _ => return None,
    };
    Some(RelApp {
        name,
        vsn,
        start_type,
        included_applications,
    })
}
