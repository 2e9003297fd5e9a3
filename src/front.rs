//! The front door: the few calls a library user needs, and one error type for callers who do
//! not care which phase failed.
//!
//! * [`appup_script`]: one application's appup entry for a version → the low-level script
//!   `release_handler` runs (what `systools_rc:translate_scripts/4` gives).
//! * [`appup_relup`]: the same, both ways, as a relup (upgrade from and downgrade to a
//!   version), ready for [`crate::execute`] or [`crate::plan::relup_text`].
//! * [`crate::make_relup`]: a pair of releases → the relup `systools:make_relup/4` writes.

use crate::exec::scenario::ScenarioError;
use crate::exec::{ExecError, SimError, SimulateError};
use crate::files::{App, Appup, FileError, RegexError, Relup, RelupEntry};
use crate::instr::{LowLevel, Mode};
use crate::passes::{Application, Apps, TranslateError, translate};
use crate::plan::PlanError;
use crate::term::{ParseError, Term};

/// Any error of the crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Text that is not Erlang terms.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Terms that are not the file they were read as.
    #[error(transparent)]
    File(#[from] FileError),
    /// An appup version key that is not a valid regular expression.
    #[error(transparent)]
    Regex(#[from] RegexError),
    /// The appup has no entry for the version.
    #[error("the appup of {app} {vsn} has no {} entry for version {from}", if *.mode == Mode::Up { "UpFrom" } else { "DownTo" })]
    NoEntry {
        /// The application.
        app: String,
        /// Its version (the appup's).
        vsn: String,
        /// The version asked for.
        from: String,
        /// Which list was searched.
        mode: Mode,
    },
    /// The scripts do not translate (OTP's `systools_rc` error).
    #[error(transparent)]
    Translate(#[from] TranslateError),
    /// A relup cannot be planned (OTP's `systools_make` / `systools_relup` error).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A scenario file that does not describe a node.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// No script of the relup leads from the node's release to the one asked for.
    #[error(transparent)]
    Simulate(#[from] SimulateError),
    /// The simulated node refuses an operation (or a scenario it cannot start from).
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Evaluation on the simulated node stopped.
    #[error(transparent)]
    Exec(#[from] ExecError<SimError>),
    /// A BEAM file that cannot be read.
    #[error(transparent)]
    Beam(#[from] crate::beam::BeamError),
}

/// The applications before and after: `app` as its `.app` describes it, and the same
/// application at `other_vsn` with the same modules (what an appup alone can tell).
fn both_sides(app: &App, other_vsn: &str) -> (Apps, Apps) {
    let this = Application::from(app);
    let mut other = this.clone();
    other.vsn = Term::string(other_vsn.to_string());
    (Apps(vec![this]), Apps(vec![other]))
}

/// The low-level script for moving application `app` (its new `.app`) between `from` and its
/// version, with the entry its appup gives for `from` in `mode`: on [`Mode::Up`] the node
/// runs `from` and moves to `app`'s version; on [`Mode::Down`] it runs `app`'s version and
/// moves back to `from`. The old version is taken to have the same modules (add or delete
/// modules in the appup; for a whole release with several applications use
/// [`crate::make_relup`]).
///
/// # Errors
/// [`Error::NoEntry`] when no entry matches, [`Error::Regex`] for an invalid key met first,
/// [`Error::Translate`] with OTP's reason when the entry does not translate.
pub fn appup_script(
    appup: &Appup,
    app: &App,
    from: &str,
    mode: Mode,
) -> Result<Vec<LowLevel>, Error> {
    let clauses = match mode {
        Mode::Up => &appup.up_from,
        Mode::Down => &appup.down_to,
    };
    let entry = Appup::find(clauses, from)?.ok_or_else(|| Error::NoEntry {
        app: app.name.to_string(),
        vsn: appup.vsn.clone(),
        from: from.to_string(),
        mode,
    })?;
    let (new, old) = both_sides(app, from);
    let (apps, pre_apps) = match mode {
        Mode::Up => (new, old),
        Mode::Down => (old, new),
    };
    Ok(translate(
        mode,
        vec![entry.instructions.clone()],
        &apps,
        &pre_apps,
    )?)
}

/// The relup of one application's upgrade from `from` to `app`'s version and its downgrade
/// back: both scripts of [`appup_script`], under the new version.
///
/// # Errors
/// As [`appup_script`], for either direction.
pub fn appup_relup(appup: &Appup, app: &App, from: &str) -> Result<Relup, Error> {
    let entry = |mode| -> Result<RelupEntry, Error> {
        Ok(RelupEntry {
            vsn: from.to_string(),
            descr: Term::nil(),
            instructions: appup_script(appup, app, from, mode)?,
        })
    };
    Ok(Relup {
        vsn: app.vsn.clone(),
        up: vec![entry(Mode::Up)?],
        down: vec![entry(Mode::Down)?],
    })
}
