//! Pass 11: emulator restarts (`systools_rc:sort_emulator_restart/3`).
//! `restart_new_emulator` anywhere becomes one leading instruction on upgrade and one trailing
//! `restart_emulator` on downgrade; `restart_emulator` anywhere becomes one trailing instruction.

use crate::instr::{LowLevel, Mode};

/// Which restart atoms the after part holds (known from lowering, so that a script without
/// any is not scanned again).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Restarts {
    pub new_emulator: bool,
    pub emulator: bool,
}

/// Moves the restart atoms; returns the new before and after parts.
pub(crate) fn run(
    mode: Mode,
    mut before: Vec<LowLevel>,
    mut after: Vec<LowLevel>,
    restarts: Restarts,
) -> (Vec<LowLevel>, Vec<LowLevel>) {
    if restarts.new_emulator {
        after.retain(|i| *i != LowLevel::RestartNewEmulator);
        match mode {
            Mode::Up => before.insert(0, LowLevel::RestartNewEmulator),
            Mode::Down => after.push(LowLevel::RestartEmulator),
        }
    }
    if restarts.emulator || (restarts.new_emulator && mode == Mode::Down) {
        after.retain(|i| *i != LowLevel::RestartEmulator);
        after.push(LowLevel::RestartEmulator);
    }
    (before, after)
}
