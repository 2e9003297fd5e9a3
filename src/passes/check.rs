//! Pass 6: semantic checks of the split script (`systools_rc:check_script/2`): every
//! hand-written `load` has object code, suspends pair with resumes and stops with starts.
//!
//! OTP's third pairing check (code_change without suspend) never fires (it matches a shape
//! that cannot occur), so it is not reproduced.

use std::collections::HashSet;

use super::TranslateError;
use crate::instr::{Atom, Instruction, LowLevel};

/// Runs the checks in OTP's order.
pub(crate) fn run(before: &[Instruction], after: &[Instruction]) -> Result<(), TranslateError> {
    check_object_code(before, after)?;
    let low = |f: fn(&LowLevel) -> Option<Vec<Atom>>| -> Vec<Atom> {
        after
            .iter()
            .filter_map(|i| {
                if let Instruction::Low(l) = i {
                    f(l)
                } else {
                    None
                }
            })
            .flatten()
            .collect()
    };
    let suspended = low(|l| match l {
        LowLevel::Suspend { modules } => Some(modules.iter().map(|s| s.module.clone()).collect()),
        _ => None,
    });
    let resumed = low(|l| match l {
        LowLevel::Resume { modules } => Some(modules.clone()),
        _ => None,
    });
    let started = low(|l| match l {
        LowLevel::Start { modules } => Some(modules.clone()),
        _ => None,
    });
    let stopped = low(|l| match l {
        LowLevel::Stop { modules } => Some(modules.clone()),
        _ => None,
    });
    not_empty(difference(&suspended, &resumed), |modules| {
        TranslateError::SuspendedNotResumed { modules }
    })?;
    not_empty(difference(&resumed, &suspended), |modules| {
        TranslateError::ResumedNotSuspended { modules }
    })?;
    not_empty(difference(&started, &stopped), |modules| {
        TranslateError::StartNotStop { modules }
    })?;
    not_empty(difference(&stopped, &started), |modules| {
        TranslateError::StopNotStart { modules }
    })
}

fn check_object_code(before: &[Instruction], after: &[Instruction]) -> Result<(), TranslateError> {
    let with_code: HashSet<&Atom> = before
        .iter()
        .filter_map(|i| match i {
            Instruction::Low(LowLevel::LoadObjectCode { modules, .. }) => Some(modules.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    for instr in after {
        if let Instruction::Low(LowLevel::Load { module, .. }) = instr {
            if !with_code.contains(module) {
                return Err(TranslateError::NoObjectCode {
                    module: module.clone(),
                });
            }
        }
    }
    Ok(())
}

/// `A -- B` by membership: the elements of `a` (in order, repeats kept) not in `b`.
fn difference(a: &[Atom], b: &[Atom]) -> Vec<Atom> {
    let b: HashSet<&Atom> = b.iter().collect();
    a.iter().filter(|m| !b.contains(m)).cloned().collect()
}

fn not_empty(
    modules: Vec<Atom>,
    err: impl FnOnce(Vec<Atom>) -> TranslateError,
) -> Result<(), TranslateError> {
    if modules.is_empty() {
        Ok(())
    } else {
        Err(err(modules))
    }
}
