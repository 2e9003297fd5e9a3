//! Pass 10: one `load_object_code` per application (`systools_rc:merge_load_object_code/1`).
//!
//! Entries are grouped by application in order of first appearance; a module listed twice
//! keeps its **last** position (OTP folds a union from the right). The same application with
//! two versions is `conflicting_versions`, reporting the first version and the **last**
//! conflicting one, as OTP does. Linear in the number of modules.

use super::fxhash::{FxHashMap, FxHashSet};

use super::TranslateError;
use crate::instr::{Atom, LowLevel};
use crate::term::Term;

/// Merges the before-PONR part: merged `load_object_code`s first, then the `apply`s in order.
pub(crate) fn run(before: Vec<LowLevel>) -> Result<Vec<LowLevel>, TranslateError> {
    let mut libs: Vec<(Atom, Box<Term<'static>>, Vec<Vec<Atom>>)> = Vec::new();
    let mut slot: FxHashMap<Atom, usize> = FxHashMap::default();
    let mut rest = Vec::new();
    let mut conflict: Vec<Option<Box<Term<'static>>>> = Vec::new();
    for instr in before {
        match instr {
            LowLevel::LoadObjectCode {
                application,
                vsn,
                modules,
            } => match slot.get(&application) {
                Some(&n) => {
                    if libs[n].1 != vsn {
                        conflict[n] = Some(vsn);
                    }
                    libs[n].2.push(modules);
                }
                None => {
                    slot.insert(application.clone(), libs.len());
                    libs.push((application, vsn, vec![modules]));
                    conflict.push(None);
                }
            },
            other => rest.push(other),
        }
    }
    let mut out = Vec::with_capacity(libs.len() + rest.len());
    for ((application, vsn, lists), conflict) in libs.into_iter().zip(conflict) {
        if let Some(other_vsn) = conflict {
            return Err(TranslateError::ConflictingVersions {
                application,
                vsn: *vsn,
                other_vsn: *other_vsn,
            });
        }
        out.push(LowLevel::LoadObjectCode {
            application,
            vsn,
            modules: union_keep_last(lists),
        });
    }
    out.extend(rest);
    Ok(out)
}

/// `union(L1, union(L2, ... union(Lk, [])))` where `union(X, Y)` is X without members of Y,
/// followed by Y: concatenation in which a module repeated across lists keeps only its last
/// occurrence (repeats inside one list are kept, as in OTP).
fn union_keep_last(lists: Vec<Vec<Atom>>) -> Vec<Atom> {
    let mut seen: FxHashSet<Atom> = FxHashSet::default();
    let mut chunks: Vec<Vec<Atom>> = Vec::with_capacity(lists.len());
    for list in lists.into_iter().rev() {
        let kept: Vec<Atom> = list
            .iter()
            .filter(|m| !seen.contains(*m))
            .cloned()
            .collect();
        seen.extend(list);
        chunks.push(kept);
    }
    chunks.into_iter().rev().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atoms(names: &[&str]) -> Vec<Atom> {
        names.iter().map(|n| Atom::from(*n)).collect()
    }

    #[test]
    fn repeated_module_keeps_last_position() {
        let merged = union_keep_last(vec![
            atoms(&["a", "b", "a"]),
            atoms(&["c", "a"]),
            atoms(&["b", "d"]),
        ]);
        assert_eq!(merged, atoms(&["c", "a", "b", "d"]));
    }
}
