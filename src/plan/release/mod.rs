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
use crate::files::{App, Rel, RelApp, read_app_term, read_rel_term};
use crate::instr::{Atom, StartType};
use crate::passes::Application;
use crate::term::{Term, decode_source};

use checks::*;
use read::*;
pub use read::{first_term, posix, read_first_term, read_source};
use start_order::*;

/// sasl's `#application{}` as systools fills it: the application's `.app` ([`App`], which it
/// dereferences to) placed in a release, with the start type the `.rel` gives and the
/// directory the `.app` was found in. Planning rewrites its `applications` (start order) and
/// its `included_applications` (the `.rel`'s override) as systools does.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRecord {
    /// The `.app`'s keys.
    pub app: App,
    /// Start type from the `.rel`.
    pub start_type: StartType,
    /// The directory the `.app` was found in (the appup is read from there too).
    pub dir: PathBuf,
}

impl std::ops::Deref for AppRecord {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl std::ops::DerefMut for AppRecord {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
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
        let mut fields = vec![
            Term::atom("application"),
            self.name.to_term(),
            Term::atom(self.start_type.atom()),
            Term::string(self.vsn.clone()),
        ];
        fields.extend(self.app.record_fields());
        fields.push(path_term(&self.dir));
        Term::tuple(fields)
    }

    /// What translation needs of it.
    pub fn to_application(&self) -> Application {
        Application {
            start_type: self.start_type,
            ..Application::from(&self.app)
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
    let (release, missing_sasl) =
        read_rel_term(&term).map_err(|e| make_error(PlanErrorKind::Rel(e), rel_file))?;
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
