//! `relup` files: `{Vsn, [{UpFromVsn, Descr, [Low]}], [{DownToVsn, Descr, [Low]}]}`
//! (grammar/relup.ebnf), with the checks `systools_make:check_relup` and `release_handler`
//! make: low-level instructions only, and none that release_handler rejects after
//! `point_of_no_return`.

use crate::diagnostic::Code;
use serde::Serialize;

use super::fields::Sink;
use crate::diagnostic::{Diagnostic, Severity};
use crate::instr::{Instruction, LowLevel, decode_instruction};
use crate::term::Term;

/// A decoded relup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relup {
    /// The release version the relup belongs to.
    pub vsn: String,
    /// Upgrade scripts, by the version upgraded from.
    pub up: Vec<RelupEntry>,
    /// Downgrade scripts, by the version downgraded to.
    pub down: Vec<RelupEntry>,
}

/// One script of a relup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelupEntry {
    /// The other release's version.
    pub vsn: String,
    /// The user's description (`[]` by default).
    pub descr: Term<'static>,
    /// The low-level script.
    pub instructions: Vec<LowLevel>,
}

/// Decodes a relup from its file's terms.
pub fn decode_relup(terms: &[Term<'_>]) -> (Option<Relup>, Vec<Diagnostic>) {
    let mut sink = Sink::default();
    let Some(first) = sink.only_term(
        terms,
        "the file holds no term; a relup holds {Vsn, [Up], [Down]}.",
        "release_handler needs a relup file with exactly one term",
        Severity::Error,
    ) else {
        return (None, sink.0);
    };
    // relup ::= "{" string "," entries "," entries "}"
    let Some([vsn, up, down]) = first.as_tuple() else {
        sink.error(
            Code::BadRelup,
            first,
            "a relup holds {Vsn, [{UpFromVsn, Descr, Instrs}], [{DownToVsn, Descr, Instrs}]}",
        );
        return (None, sink.0);
    };
    let vsn = sink.string(vsn, Code::BadRelupVsn, "the release version");
    if vsn.as_deref() == Some("") {
        sink.error(
            Code::BadRelupVsn,
            first,
            "the release version must not be empty",
        );
    }
    let up = entries(&mut sink, up);
    let down = entries(&mut sink, down);
    match (vsn, up, down) {
        (Some(vsn), Some(up), Some(down)) if !sink.has_errors() => {
            (Some(Relup { vsn, up, down }), sink.0)
        }
        _ => (None, sink.0),
    }
}

// entries ::= "[" ( entry ( "," entry )* )? "]"
fn entries(sink: &mut Sink, t: &Term<'_>) -> Option<Vec<RelupEntry>> {
    let items = sink.list(t, Code::BadRelupEntries, "the relup's entries")?;
    Some(items.iter().filter_map(|i| entry(sink, i)).collect())
}

// entry ::= "{" string "," term "," "[" ( low_instr ( "," low_instr )* )? "]" "}"
fn entry(sink: &mut Sink, t: &Term<'_>) -> Option<RelupEntry> {
    let Some([vsn, descr, script]) = t.as_tuple() else {
        sink.error(
            Code::BadRelupEntry,
            t,
            format!("a relup entry is {{Vsn, Descr, Instructions}}, found {t}"),
        );
        return None;
    };
    let vsn = sink.string(vsn, Code::BadRelupEntry, "an entry's version")?;
    let items = sink.list(script, Code::BadScript, "an entry's instructions")?;
    let mut instructions = Vec::new();
    let mut after_ponr = false;
    for item in items {
        match decode_instruction(item) {
            Ok(Instruction::Low(low)) => {
                check_after_ponr(sink, item, &low, after_ponr, instructions.is_empty());
                after_ponr |= low == LowLevel::PointOfNoReturn;
                instructions.push(low);
            }
            Ok(_) => sink.error(
                Code::HighLevelInRelup,
                item,
                format!(
                    "{item} is a high-level (appup) instruction; a relup holds only low-level ones"
                ),
            ),
            Err(e) => sink.0.push(
                Diagnostic::error(e.kind.code(), Some(e.span), e.to_string())
                    .with_reason(e.reason()),
            ),
        }
    }
    Some(RelupEntry {
        vsn,
        descr: descr.clone().into_owned(),
        instructions,
    })
}

/// `release_handler_1:check_script/1` rejects these after `point_of_no_return`; a
/// `restart_new_emulator` is only honoured as the very first instruction.
fn check_after_ponr(sink: &mut Sink, t: &Term<'_>, low: &LowLevel, after_ponr: bool, first: bool) {
    let illegal = matches!(
        low,
        LowLevel::LoadObjectCode { .. }
            | LowLevel::Restart
            | LowLevel::Reboot
            | LowLevel::RestartNewEmulator
    );
    if after_ponr && illegal {
        sink.0.push(
            Diagnostic::error(
                Code::IllegalInstructionAfterPointOfNoReturn,
                Some(t.span),
                format!("release_handler rejects {t} after point_of_no_return"),
            )
            .with_reason(format!(
                "{{illegal_instruction_after_point_of_no_return,{t}}}"
            )),
        );
    } else if !after_ponr && *low == LowLevel::RestartNewEmulator && !first {
        sink.error(Code::RestartNewEmulatorNotFirst, t, "restart_new_emulator is only honoured as the first instruction; release_handler fails with {error, restart_new_emulator} here");
    }
}

impl Relup {
    /// The relup term `{Vsn, [{UpFromVsn, Descr, Instrs}], [{DownToVsn, Descr, Instrs}]}`.
    pub fn to_term(&self) -> Term<'static> {
        self.term().into_owned()
    }

    /// [`Relup::to_term`], borrowing the text of atoms and strings from `self`.
    pub fn term(&self) -> Term<'_> {
        fn entries(list: &[RelupEntry]) -> Term<'_> {
            Term::list(
                list.iter()
                    .map(|e| {
                        Term::tuple(vec![
                            Term::string(e.vsn.as_str()),
                            e.descr.reborrow(),
                            crate::instr::script_term(&e.instructions),
                        ])
                    })
                    .collect(),
            )
        }
        Term::tuple(vec![
            Term::string(self.vsn.as_str()),
            entries(&self.up),
            entries(&self.down),
        ])
    }
}
