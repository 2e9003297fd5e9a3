//! Pass 11: emulator restarts (`systools_rc:sort_emulator_restart/3`).
//! `restart_new_emulator` anywhere becomes one leading instruction on upgrade and one trailing
//! `restart_emulator` on downgrade; `restart_emulator` anywhere becomes one trailing instruction.

use crate::instr::{LowLevel, Mode};

/// Moves the restart atoms; returns the new before and after parts.
pub(crate) fn run(
    mode: Mode,
    mut before: Vec<LowLevel>,
    mut after: Vec<LowLevel>,
) -> (Vec<LowLevel>, Vec<LowLevel>) {
    let had_new = after.contains(&LowLevel::RestartNewEmulator);
    if had_new {
        after.retain(|i| *i != LowLevel::RestartNewEmulator);
        match mode {
            Mode::Up => before.insert(0, LowLevel::RestartNewEmulator),
            Mode::Down => after.push(LowLevel::RestartEmulator),
        }
    }
    if after.contains(&LowLevel::RestartEmulator) {
        after.retain(|i| *i != LowLevel::RestartEmulator);
        after.push(LowLevel::RestartEmulator);
    }
    (before, after)
}
