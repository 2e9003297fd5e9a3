//! The relup file as systools writes it: `%% coding: utf-8`, then the term laid out as
//! `io_lib`'s `~tp` does, then `.` and a newline. Written atomically: a temporary file in the
//! same directory, synced, then renamed over the target, so a reader never sees half a file
//! and a failure leaves any previous relup in place.

use std::io::Write;
use std::path::Path;

use super::error::{PlanError, PlanErrorKind};
use crate::files::{Relup, RelupEntry};
use crate::term::Term;
use crate::term::pretty::{If, Tree};

/// An instruction shorter than this is always written on one line: when a relup does not
/// fit on one line, its instructions stand at column 5 with at most three closing brackets
/// after the last one (`io_lib_pretty` writes an element that fits as it is). When the whole
/// relup fits on one line, everything is written as it is anyway.
const FITS_AT_COLUMN_5: usize = 80 - 5 - 3 - 1;

/// The bytes of the relup file for `relup`. The layout tree is built one instruction at a
/// time (each instruction's term lives only while its tree node is made), so a relup of
/// hundreds of thousands of instructions never exists as one big term.
pub fn relup_text(relup: &Relup) -> String {
    let count: usize = relup
        .up
        .iter()
        .chain(&relup.down)
        .map(|e| e.instructions.len())
        .sum();
    let mut tree = Tree::with_capacity(count * 56);
    let mut entries = |list: &[RelupEntry]| {
        let items: Vec<If> = list
            .iter()
            .map(|e| {
                let vsn = tree.term(&Term::string(e.vsn.as_str()));
                let descr = tree.term(&e.descr);
                let instrs: Vec<If> = e
                    .instructions
                    .iter()
                    .map(|i| tree.term_fitting(&i.term(), FITS_AT_COLUMN_5))
                    .collect();
                let instrs = tree.list(instrs);
                tree.tuple(vec![vsn, descr, instrs])
            })
            .collect();
        tree.list(items)
    };
    let up = entries(&relup.up);
    let down = entries(&relup.down);
    let vsn = tree.term(&Term::string(relup.vsn.as_str()));
    let root = tree.tuple(vec![vsn, up, down]);
    let mut out = String::with_capacity(root_len(&root) + root_len(&root) / 4 + 32);
    out.push_str("%% coding: utf-8\n");
    tree.layout_into(&root, &mut out);
    out.push_str(".\n");
    out
}

fn root_len(root: &If) -> usize {
    root.one_line_len()
}

/// Writes `relup` to `target` atomically.
///
/// # Errors
/// `{file_problem, {"relup", {open | close, Posix}}}` as systools reports it.
pub fn write_relup(relup: &Relup, target: &Path) -> Result<(), PlanError> {
    write_atomically(target, relup_text(relup).as_bytes())
}

/// A name for a temporary file nobody can guess ahead: the pid, the time and a random
/// number from the standard library's per-process hash keys.
pub(crate) fn unguessable_suffix(attempt: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.write_u32(attempt);
    format!("{}.{:016x}", std::process::id(), h.finish())
}

/// Writes `bytes` to `target` through a temporary file and a rename, so that readers see the
/// old file or the new one, never a part. The temporary file is created new (`O_CREAT |
/// O_EXCL`, which never follows a symlink) under an unguessable name in the target's
/// directory: a symlink planted there cannot redirect the write.
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
    let problem = |tmp: Option<&Path>, step: &'static str, e: std::io::Error| {
        if let Some(tmp) = tmp {
            let _ = std::fs::remove_file(tmp);
        }
        let kind = PlanErrorKind::WriteRelup {
            step,
            posix: super::release::posix(&e),
            io: e.to_string(),
        };
        PlanError::at(kind, target)
    };
    let mut attempt = 0;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.tmp.{}", unguessable_suffix(attempt)));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                attempt += 1;
            }
            Err(e) => return Err(problem(None, "open", e)),
        }
    };
    file.write_all(bytes)
        .map_err(|e| problem(Some(&tmp), "open", e))?;
    file.sync_all()
        .map_err(|e| problem(Some(&tmp), "close", e))?;
    drop(file);
    std::fs::rename(&tmp, target).map_err(|e| problem(Some(&tmp), "close", e))
}
