//! A whole simulation: pick the script the way `release_handler` would, run it on a
//! [`SimulatedRuntime`], and report the trace, the hazards and the final state, in words or
//! as data.

use super::*;

/// The outcome of simulating an upgrade on a scenario.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Which script of the relup ran, when it came from one.
    pub direction: Option<Direction>,
    /// The report, or why evaluation stopped.
    pub outcome: Result<Report, ExecError<SimError>>,
    /// True when the node ends exactly as it started (a failure before the point of no
    /// return).
    pub node_unchanged: bool,
    /// Everything that happened.
    pub events: Vec<Event>,
    /// What an operator should know.
    pub hazards: Vec<Hazard>,
    /// The node afterwards.
    pub final_state: sim::NodeState,
}

/// Which script of a relup: up from a version to the relup's, or down from it to a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Direction {
    /// Upgrade or downgrade.
    pub mode: Mode,
    /// The release the node runs.
    pub from: String,
    /// The release it moves to.
    pub to: String,
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let way = if self.mode == Mode::Up { "up" } else { "down" };
        write!(f, "{way} from {} to {}", self.from, self.to)
    }
}

/// Why no script can be simulated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimulateError {
    /// `{no_matching_relup, ToVsn, CurrentVsn}` (release_handler's lookup, §4.2).
    #[error("the relup has no script from {current} to {to} (release_handler: no_matching_relup)")]
    NoMatchingRelup {
        /// The version asked for.
        to: String,
        /// The version the node runs.
        current: String,
    },
}

/// Picks the script as `release_handler:install_release` does: the relup of the target
/// release with an upgrade entry for the current version, else the current release's relup
/// with a downgrade entry for the target.
///
/// # Errors
/// No matching entry.
pub fn select_script<'r>(
    relup: &'r crate::files::Relup,
    current: &str,
    to: &str,
) -> Result<(&'r [LowLevel], Direction), SimulateError> {
    let direction = |mode| Direction {
        mode,
        from: current.to_string(),
        to: to.to_string(),
    };
    if relup.vsn == to {
        if let Some(e) = relup.up.iter().find(|e| e.vsn == current) {
            return Ok((&e.instructions, direction(Mode::Up)));
        }
    }
    if relup.vsn == current {
        if let Some(e) = relup.down.iter().find(|e| e.vsn == to) {
            return Ok((&e.instructions, direction(Mode::Down)));
        }
    }
    Err(SimulateError::NoMatchingRelup {
        to: to.to_string(),
        current: current.to_string(),
    })
}

/// Runs `script` on the simulated node and analyses the result.
pub fn simulate(
    mut node: SimulatedRuntime,
    script: &[LowLevel],
    direction: Option<Direction>,
    options: &ExecOptions,
) -> Simulation {
    let before = node.state().clone();
    let result = execute(script, &mut node, options);
    let (outcome, unpurged) = match result {
        Ok(report) => {
            let unpurged = report.unpurged.clone();
            (Ok(report), unpurged)
        }
        Err(e) => (Err(e), Vec::new()),
    };
    if outcome.is_ok() {
        node.finish(&unpurged);
    }
    let node_unchanged = *node.state() == before;
    Simulation {
        direction,
        outcome,
        node_unchanged,
        events: node.events().to_vec(),
        hazards: node.hazards().to_vec(),
        final_state: node.state().clone(),
    }
}

impl Simulation {
    /// Which predictions rest on facts the scenario declares (the simulator cannot check
    /// them against the code) and which on OTP's rules.
    fn basis_summary(&self) -> String {
        let mut declared: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut rules = 0;
        let mut not_modelled = 0;
        let bases = self
            .events
            .iter()
            .map(|e| e.kind.basis())
            .chain(self.hazards.iter().map(Hazard::basis));
        for b in bases {
            match b {
                Basis::Declared(what) => *declared.entry(what).or_default() += 1,
                Basis::OtpRule => rules += 1,
                Basis::NotModelled => not_modelled += 1,
            }
        }
        let mut out = format!("\nbasis: {rules} predictions follow OTP's rules");
        for (what, n) in &declared {
            out.push_str(&format!("; {n} rest on declared {what}"));
        }
        if not_modelled > 0 {
            out.push_str(&format!("; {not_modelled} not modelled"));
        }
        out.push('\n');
        out
    }

    /// The trace, hazards and final state in words.
    pub fn render(&self) -> String {
        let mut out = match &self.direction {
            Some(d) => format!("simulating {d}\n\ntrace:\n"),
            None => "simulating scenario\n\ntrace:\n".to_string(),
        };
        for e in &self.events {
            match e.index {
                Some(i) => out.push_str(&format!("  [{i:>2}] {}\n", e.kind)),
                None => out.push_str(&format!("       {}\n", e.kind)),
            }
        }
        out.push_str(&match &self.outcome {
            Ok(r) => {
                let unpurged: Vec<String> = r
                    .unpurged
                    .iter()
                    .map(|(m, p)| format!("{m} ({})", p.atom()))
                    .collect();
                format!(
                    "\nresult: ok, {} instructions; old code left unpurged: {}{}\n",
                    r.instructions_run,
                    if unpurged.is_empty() {
                        "none".to_string()
                    } else {
                        unpurged.join(", ")
                    },
                    if r.restarted {
                        "; the emulator restarts"
                    } else {
                        ""
                    }
                )
            }
            Err(e) if self.node_unchanged => format!(
                "\nresult: failed: {}\nthe node is left as it was (nothing ran past the point of no return)\n",
                with_source(e)
            ),
            Err(e) => format!(
                "\nresult: failed: {}\nthe final state below is the node when evaluation stopped, before that restart\n",
                with_source(e)
            ),
        });
        out.push_str("\nhazards:\n");
        if self.hazards.is_empty() {
            out.push_str("  none\n");
        }
        for h in &self.hazards {
            out.push_str(&format!("  - {}\n", describe(h)));
        }
        out.push_str(&self.basis_summary());
        out.push_str("\nfinal state:\n");
        for (m, l) in &self.final_state.modules {
            out.push_str(&format!(
                "  module {m}: current {}, old {}\n",
                l.current.as_deref().unwrap_or("none"),
                l.old.as_deref().unwrap_or("none")
            ));
        }
        for (pid, p) in &self.final_state.processes {
            let runs: Vec<String> = p.runs.iter().map(|(m, v)| format!("{m} {v}")).collect();
            let state = p
                .state
                .as_ref()
                .map_or(String::new(), |s| format!(", state {s}"));
            out.push_str(&format!(
                "  process {pid} {}: {}, runs [{}]{state}\n",
                p.name,
                p.status,
                runs.join(", ")
            ));
        }
        for (pid, specs) in &self.final_state.supervisors {
            let specs: Vec<String> = specs
                .iter()
                .map(|c| {
                    format!(
                        "{} ({})",
                        c.id,
                        c.pid.map_or("not running".to_string(), |p| p.to_string())
                    )
                })
                .collect();
            out.push_str(&format!(
                "  supervisor {pid} children: {}\n",
                specs.join(", ")
            ));
        }
        out
    }
}

/// An error and the error it wraps, in one sentence.
pub fn with_source(e: &dyn std::error::Error) -> String {
    match e.source() {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    }
}

/// A hazard in words.
pub fn describe(h: &Hazard) -> String {
    match h {
        Hazard::KilledByPurge {
            index,
            pid,
            name,
            module,
            version,
        } => format!(
            "instruction {index} kills {pid} ({name}): it still runs {module} {version}, whose old code is purged"
        ),
        Hazard::KilledAtMakePermanent {
            pid,
            name,
            module,
            version,
        } => format!(
            "make_permanent will kill {pid} ({name}): it still runs {module} {version} (brutal_purge)"
        ),
        Hazard::Unsupervised { pid, name, module } => format!(
            "{pid} ({name}) uses the changed module {module} but no supervisor reaches it: never suspended, never migrated"
        ),
        Hazard::LeftOnOldCode {
            pid,
            name,
            module,
            version,
        } => format!(
            "{pid} ({name}) is left running {module} {version}, which is not the current code"
        ),
        Hazard::SoftPurgeRefused { index, module } => format!(
            "instruction {index}: soft purge of {module} refused, processes still run its old code"
        ),
        Hazard::NotSuspended { index, pid, name } => format!(
            "instruction {index}: {pid} ({name}) could not be suspended and is not code-changed"
        ),
        Hazard::CodeChangeFailed {
            index,
            pid,
            name,
            module,
            reason,
        } => format!(
            "instruction {index}: code_change of {module} in {pid} ({name}) fails: {reason}"
        ),
        Hazard::DataFormatWindow {
            from,
            to,
            pid,
            name,
            library,
            state_vsn,
            library_vsn,
        } => format!(
            "from instruction {from} to {to}, {pid} ({name}) runs with state of {state_vsn} while {library} is {library_vsn}: it can call the new library with old data (declare {library} in its DepMods to close the window)"
        ),
        Hazard::FunOfPurgedCode {
            index,
            pid,
            name,
            module,
            version,
        } => format!(
            "instruction {index}: {pid} ({name}) holds a fun of {module} {version}, purged: it survives, but calling the fun fails with badfun"
        ),
    }
}
