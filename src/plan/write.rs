//! The relup file as systools writes it: `%% coding: utf-8`, then the term laid out as
//! `io_lib`'s `~tp` does, then `.` and a newline. Written atomically: a temporary file in the
//! same directory, synced, then renamed over the target, so a reader never sees half a file
//! and a failure leaves any previous relup in place.

use std::io::Write;
use std::path::Path;

use super::error::{Origin, PlanError};
use crate::files::Relup;
use crate::term::{Term, pretty_owned};

/// The bytes of the relup file for `relup`.
pub fn relup_text(relup: &Relup) -> String {
    format!("%% coding: utf-8\n{}.\n", pretty_owned(relup.term()))
}

/// Writes `relup` to `target` atomically.
///
/// # Errors
/// `{file_problem, {"relup", {open | close, Posix}}}` as systools reports it.
pub fn write_relup(relup: &Relup, target: &Path) -> Result<(), PlanError> {
    write_atomically(target, relup_text(relup).as_bytes())
}

/// Writes `bytes` to `target` through a temporary file and a rename.
///
/// # Errors
/// A `file_problem` error naming the step that failed.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> Result<(), PlanError> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("relup");
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let problem = |step: &'static str, e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        let reason = Term::tuple(vec![
            Term::atom("file_problem"),
            Term::tuple(vec![
                Term::string("relup"),
                Term::tuple(vec![
                    Term::atom(step),
                    Term::atom(super::release::posix(&e)),
                ]),
            ]),
        ]);
        PlanError::new(
            Origin::SystoolsRelup,
            reason,
            format!("could not {step} the relup file: {e}"),
            Some(target.to_path_buf()),
        )
    };
    let mut file = std::fs::File::create(&tmp).map_err(|e| problem("open", e))?;
    file.write_all(bytes).map_err(|e| problem("open", e))?;
    file.sync_all().map_err(|e| problem("close", e))?;
    drop(file);
    std::fs::rename(&tmp, target).map_err(|e| problem("close", e))
}
