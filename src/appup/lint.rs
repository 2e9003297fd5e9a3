//! `appup lint`: does the appup a new release ships cover what changed in its beams? The
//! incomplete appup is the classic failed hot upgrade: the relup builds, the upgrade
//! "succeeds", and old code keeps running.

use std::collections::{BTreeMap, BTreeSet};

use super::{ModuleChange, PROCESS_BEHAVIOURS, module_changes};
use crate::beam::Beam;
use crate::diagnostic::Code;
use crate::files::{Appup, Clause};
use crate::instr::{Change, Instruction};

/// One finding of the lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `true` for an error (exit 1), `false` for a warning.
    pub error: bool,
    /// A stable code: `no_clause`, `uncovered_module`, `no_code_change`, `load_order`,
    /// `unchanged_module`, `update_kind`.
    pub code: Code,
    /// The module concerned, if any.
    pub module: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

fn finding(error: bool, code: Code, module: Option<&str>, message: String) -> Finding {
    Finding {
        error,
        code,
        module: module.map(String::from),
        message,
    }
}

/// Checks the clauses of `appup` selected for `old_vsn` (up and down) against the beams.
pub fn lint(
    appup: &Appup,
    old_vsn: &str,
    old: &BTreeMap<String, Beam>,
    new: &BTreeMap<String, Beam>,
) -> Vec<Finding> {
    let changes = module_changes(old, new);
    let mut out = Vec::new();
    for (clauses, list) in [(&appup.up_from, "UpFrom"), (&appup.down_to, "DownTo")] {
        match Appup::find(clauses, old_vsn) {
            Ok(Some(clause)) => out.extend(lint_clause(clause, &changes, old, new, list)),
            Ok(None) => out.push(finding(
                true,
                Code::NoClause,
                None,
                format!(
                    "no {list} entry matches version {old_vsn}: make_relup fails with no_relup"
                ),
            )),
            Err(e) => out.push(finding(true, Code::NoClause, None, e.to_string())),
        }
    }
    out
}

fn lint_clause(
    clause: &Clause,
    changes: &BTreeMap<String, ModuleChange>,
    old: &BTreeMap<String, Beam>,
    new: &BTreeMap<String, Beam>,
    list: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let restarts_app = clause
        .instructions
        .iter()
        .any(|i| matches!(i, Instruction::RestartApplication { .. }));
    let named: BTreeMap<String, &Instruction> = clause
        .instructions
        .iter()
        .filter_map(|i| i.module().map(|m| (m.to_string(), i)))
        .collect();
    let position: BTreeMap<String, usize> = clause
        .instructions
        .iter()
        .enumerate()
        .filter_map(|(n, i)| i.module().map(|m| (m.to_string(), n)))
        .collect();
    for (m, change) in changes {
        if !restarts_app && !named.contains_key(m) {
            out.push(finding(
                true,
                Code::UncoveredModule,
                Some(m),
                format!(
                    "{m} is {} but the {list} entry has no instruction for it: its old code would keep running",
                    match change {
                        ModuleChange::Added => "new",
                        ModuleChange::Deleted => "deleted",
                        ModuleChange::Changed => "changed",
                    }
                ),
            ));
        }
    }
    for (m, instr) in &named {
        let Some(change) = changes.get(m) else {
            out.push(finding(
                false,
                Code::UnchangedModule,
                Some(m),
                format!("{m} has an instruction but its beam did not change"),
            ));
            continue;
        };
        let Some(beam) = new.get(m) else { continue };
        // A supervisor's code_change is the supervisor behaviour's own (it calls init/1).
        let exports_cc = beam.exports_fn("code_change", 3)
            || beam.exports_fn("code_change", 4)
            || beam.exports_fn("system_code_change", 4)
            || beam.behaviours().iter().any(|b| b == "supervisor");
        let process = beam
            .behaviours()
            .iter()
            .any(|b| PROCESS_BEHAVIOURS.contains(&b.as_str()) || b == "supervisor");
        match instr {
            Instruction::Update {
                change: Change::Advanced(_),
                ..
            } if !exports_cc => {
                out.push(finding(
                    true,
                    Code::NoCodeChange,
                    Some(m),
                    format!(
                        "{{update, {m}, {{advanced, _}}}} but {m} exports no code_change/3,4 or system_code_change/4: the upgrade fails after the point of no return"
                    ),
                ));
            }
            Instruction::LoadModule { .. } if process && *change == ModuleChange::Changed => {
                out.push(finding(
                    false,
                    Code::UpdateKind,
                    Some(m),
                    format!("{m} runs processes ({}): load_module never suspends them; {{update, {m}, ...}} does", beam.behaviours().join(", ")),
                ));
            }
            Instruction::Update { .. } if !process && !exports_cc => {
                out.push(finding(
                    false,
                    Code::UpdateKind,
                    Some(m),
                    format!("{m} is not a process behaviour: update finds no process to suspend; load_module is enough"),
                ));
            }
            _ => {}
        }
        // Hard order: the new code calls D:F/A that D's old code lacks, so D loads first.
        let deps: BTreeSet<String> = match instr {
            Instruction::Update { dep_mods, .. }
            | Instruction::LoadModule { dep_mods, .. }
            | Instruction::AddModule { dep_mods, .. } => {
                dep_mods.iter().map(ToString::to_string).collect()
            }
            _ => BTreeSet::new(),
        };
        let imports = beam.imports().unwrap_or_default();
        for i in &imports {
            if i.module == *m || !changes.contains_key(&i.module) || deps.contains(&i.module) {
                continue;
            }
            let old_has = old
                .get(&i.module)
                .is_some_and(|d| d.exports_fn(&i.function, i.arity));
            let before = position.get(&i.module) < position.get(m);
            let loaded_first = list == "UpFrom" && before;
            if !old_has && !loaded_first {
                out.push(finding(
                    true,
                    Code::LoadOrder,
                    Some(m),
                    format!(
                        "{m}'s new code calls {}:{}/{}, which the old {} lacks: add {} to {m}'s DepMods so it is loaded first",
                        i.module, i.function, i.arity, i.module, i.module
                    ),
                ));
            }
        }
    }
    out
}
