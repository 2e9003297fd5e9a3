//! Passes 2 and 5: split scripts at `point_of_no_return` and merge them
//! (`systools_rc:split_merge_scripts/1`, `split_script/1`).
//!
//! Works on any instruction representation through [`Shape`], so that raw terms can be split
//! before their syntax is checked: OTP reports a misplaced instruction before a syntax error.

use super::TranslateError;
use crate::term::Term;

/// What the split needs to know about an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `point_of_no_return`.
    PointOfNoReturn,
    /// A 2-tuple tagged `load_object_code`.
    LoadObjectCode,
    /// A 2-tuple tagged `apply`.
    Apply,
    /// Anything else.
    Other,
}

/// The shape of a raw instruction term.
pub(crate) fn term_shape(t: &Term<'_>) -> Shape {
    if t.is_atom("point_of_no_return") {
        return Shape::PointOfNoReturn;
    }
    match t.tagged() {
        Some(("load_object_code", 2)) => Shape::LoadObjectCode,
        Some(("apply", 2)) => Shape::Apply,
        _ => Shape::Other,
    }
}

/// Splits one script: `(before, after)`, with the `load_object_code`s of `after` moved to the
/// end of `before`.
pub(crate) fn split_one<T>(
    script: Vec<T>,
    shape: impl Fn(&T) -> Shape,
    to_term: impl Fn(&T) -> Term<'static>,
) -> Result<(Vec<T>, Vec<T>), TranslateError> {
    let ponrs: Vec<usize> = script
        .iter()
        .enumerate()
        .filter(|(_, i)| shape(i) == Shape::PointOfNoReturn)
        .map(|(n, _)| n)
        .collect();
    if ponrs.len() > 1 {
        return Err(TranslateError::TooManyPointOfNoReturn);
    }
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut moved = Vec::new();
    let split_at = ponrs.first().copied();
    for (n, instr) in script.into_iter().enumerate() {
        match split_at {
            Some(p) if n < p => {
                if !matches!(shape(&instr), Shape::LoadObjectCode | Shape::Apply) {
                    return Err(TranslateError::BadOpBeforePointOfNoReturn {
                        instruction: to_term(&instr),
                    });
                }
                before.push(instr);
            }
            Some(p) if n == p => {}
            _ if shape(&instr) == Shape::LoadObjectCode => moved.push(instr),
            _ => after.push(instr),
        }
    }
    before.extend(moved);
    Ok((before, after))
}

/// Splits every script and concatenates: all befores, then all afters (`ponr` goes between).
pub(crate) fn split_merge<T>(
    scripts: Vec<Vec<T>>,
    shape: impl Fn(&T) -> Shape + Copy,
    to_term: impl Fn(&T) -> Term<'static> + Copy,
) -> Result<(Vec<T>, Vec<T>), TranslateError> {
    let mut before = Vec::new();
    let mut after = Vec::new();
    for script in scripts {
        let (b, a) = split_one(script, shape, to_term)?;
        before.extend(b);
        after.extend(a);
    }
    Ok((before, after))
}
