//! `.appup` files: `{Vsn, [{UpFromVsn, Instrs}], [{DownToVsn, Instrs}]}` (grammar/appup.ebnf).
//!
//! Decoding reports every error, not only the first: each instruction is checked with OTP's
//! syntax rules. (The translation's checks of each entry's script, such as unpaired
//! suspend/resume or `undef_module`, belong to a later layer: [`crate::check`].) Version keys
//! are strings (exact) or binaries (regular expressions, matched as OTP does).

use crate::diagnostic::Code;
use serde::Serialize;

use super::version_key::{KeyRegex, compile};
pub use super::version_key::{RegexError, VersionKey};

use super::fields::Sink;
use crate::diagnostic::{Diagnostic, Severity};
use crate::instr::{Instruction, Mode, decode_instruction};
use crate::span::Span;
use crate::term::{Term, TermKind};

/// A decoded `.appup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appup {
    /// The application version this appup belongs to (when the file's version is not a
    /// string, its Erlang text, e.g. `<<"1\\.0">>`: OTP only warns about it).
    pub vsn: String,
    /// Upgrade scripts, by the version upgraded from.
    pub up_from: Vec<Clause>,
    /// Downgrade scripts, by the version downgraded to.
    pub down_to: Vec<Clause>,
}

/// One `{Version, Instructions}` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    /// Which versions the entry is for.
    pub version: VersionKey,
    /// The script, in normal form.
    pub instructions: Vec<Instruction>,
    /// Where the entry stands in the file.
    #[serde(skip)]
    pub span: Span,
    /// False when some of the entry's instructions did not decode, or its script is not a
    /// list (the diagnostics say why): `instructions` then holds only those that decoded.
    #[serde(skip)]
    pub complete: bool,
}

impl Appup {
    /// The entry OTP picks for `base` in `clauses`: the first whose key matches.
    ///
    /// # Errors
    /// An invalid regex met before a match (OTP crashes there too).
    pub fn find<'c>(clauses: &'c [Clause], base: &str) -> Result<Option<&'c Clause>, RegexError> {
        for c in clauses {
            if c.version.matches(base)? {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }
}

/// Decodes an appup from the terms of its file; `app` (the `.app` of the same version, when
/// known) adds the version-mismatch warning and the module check. Any error makes the model
/// `None` (see [`decode_appup_lenient`] for the entries of a file with errors).
pub fn decode_appup(
    terms: &[Term<'_>],
    app: Option<&super::app::App>,
) -> (Option<Appup>, Vec<Diagnostic>) {
    let (appup, diagnostics) = decode_appup_lenient(terms, app);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return (None, diagnostics);
    }
    (appup, diagnostics)
}

/// [`decode_appup`], but the model comes back whenever the file has the `{Vsn, UpFrom,
/// DownTo}` shape, even when some entries have errors: `systools:make_relup` reads only the
/// entry it selects for a version, so an error in another entry does not concern that version.
/// An entry with an error keeps the instructions that decoded; whether an error lies in an
/// entry is told by spans ([`Clause::span`] contains the diagnostic's span).
pub fn decode_appup_lenient(
    terms: &[Term<'_>],
    app: Option<&super::app::App>,
) -> (Option<Appup>, Vec<Diagnostic>) {
    decode(terms, app, Checks::All)
}

/// One list of an appup (`UpFrom` or `DownTo`) as `systools:make_relup` reads it: every
/// instruction decoded with OTP's syntax rules, entries kept even when some instruction fails
/// (see [`Clause::complete`]), and none of the script checks or lints (the planner's own
/// translation makes those, with the releases' applications). `None` when it is not a list.
pub fn decode_appup_entries(list: &Term<'_>, mode: Mode) -> (Option<Vec<Clause>>, Vec<Diagnostic>) {
    let mut sink = Sink::default();
    let clauses = clauses(&mut sink, list, mode, Checks::SyntaxOnly);
    (clauses, sink.0)
}

/// How much [`decode`] checks beyond each instruction's syntax.
#[derive(Clone, Copy, PartialEq)]
enum Checks {
    /// Shadowed entries too.
    All,
    /// Only what decoding needs.
    SyntaxOnly,
}

fn decode(
    terms: &[Term<'_>],
    app: Option<&super::app::App>,
    checks: Checks,
) -> (Option<Appup>, Vec<Diagnostic>) {
    let mut sink = Sink::default();
    let Some(first) = sink.only_term(
        terms,
        "the file holds no term; an .appup holds {Vsn, UpFrom, DownTo}.",
        "systools reads only the first term of an .appup, and release_handler:upgrade_app rejects a file with more than one",
        Severity::Warning,
    ) else {
        return (None, sink.0);
    };
    // appup ::= "{" vsn "," clauses "," clauses "}"
    // vsn ::= string
    let Some([vsn, up, down]) = first.as_tuple() else {
        sink.error(
            Code::BadAppup,
            first,
            format!(
                "an .appup holds {{Vsn, UpFrom, DownTo}}, found {}",
                short(first)
            ),
        );
        return (None, sink.0);
    };
    // systools_relup compares the version with the .app's and warns `bad_vsn` when they
    // differ, whatever the version's type; it is not an error.
    let vsn = match vsn.as_charlist() {
        Some(v) => Some(v.into_owned()),
        None => {
            let warning = Diagnostic::warning(
                Code::BadVsn,
                Some(vsn.span),
                format!(
                    "the appup version is {}, not a string: systools:make_relup warns bad_vsn and goes on, since it never equals the .app's version",
                    short(vsn)
                ),
            );
            sink.0.push(match app {
                Some(app) => warning.with_reason(format!(
                    "{{bad_vsn,{{{vsn},{}}}}}",
                    Term::string(app.vsn.clone())
                )),
                None => warning,
            });
            None
        }
    };
    if let (Some(v), Some(app)) = (&vsn, app) {
        if v != &app.vsn {
            let reason = format!(
                "{{bad_vsn,{{{},{}}}}}",
                Term::string(v.clone()),
                Term::string(app.vsn.clone())
            );
            sink.0.push(
                Diagnostic::warning(
                    Code::BadVsn,
                    Some(first.as_tuple().map_or(first.span, |t| t[0].span)),
                    format!("the appup is for version {v} but the .app says {}", app.vsn),
                )
                .with_reason(reason),
            );
        }
    }
    let up_from = clauses(&mut sink, up, Mode::Up, checks);
    let down_to = clauses(&mut sink, down, Mode::Down, checks);
    let appup = match (up_from, down_to) {
        (Some(up_from), Some(down_to)) => Some(Appup {
            vsn: vsn.unwrap_or_else(|| {
                first
                    .as_tuple()
                    .map_or_else(String::new, |t| t[0].to_string())
            }),
            up_from,
            down_to,
        }),
        _ => None,
    };
    (appup, sink.0)
}

fn short(t: &Term<'_>) -> String {
    let text = t.to_string();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

// clauses ::= "[" ( clause ( "," clause )* )? "]"
fn clauses(sink: &mut Sink, t: &Term<'_>, mode: Mode, checks: Checks) -> Option<Vec<Clause>> {
    let what = if mode == Mode::Up {
        "the UpFrom list"
    } else {
        "the DownTo list"
    };
    let items = sink.list(t, Code::BadClauses, what)?;
    let mut out = Vec::new();
    let mut earlier = EarlierKeys {
        matches_left: std::cell::Cell::new(SHADOW_MATCH_BUDGET),
        ..EarlierKeys::default()
    };
    for item in items {
        if let Some(c) = clause(sink, item) {
            if checks == Checks::All {
                check_shadowed(sink, &earlier, &c, item);
                earlier.add(&c.version);
            }
            out.push(c);
        }
    }
    Some(out)
}

// clause ::= "{" ( string | binary ) "," "[" ( instruction ( "," instruction )* )? "]" "}"
fn clause(sink: &mut Sink, t: &Term<'_>) -> Option<Clause> {
    let Some([key, script]) = t.as_tuple() else {
        sink.warning(
            Code::MalformedClause,
            t,
            format!(
                "an entry is {{Version, Instructions}}; OTP's version lookup skips {}",
                short(t)
            ),
        );
        return None;
    };
    let version = match &key.kind {
        TermKind::Binary(bytes) => {
            let pattern = String::from_utf8_lossy(bytes).into_owned();
            if let Err(e) = compile(&pattern) {
                sink.warning(
                    Code::InvalidRegex,
                    key,
                    format!("{e}; OTP crashes when it tries this entry"),
                );
            }
            VersionKey::Regex(pattern)
        }
        _ => match key.as_charlist() {
            Some(s) => VersionKey::Exact(s.into_owned()),
            None => {
                sink.warning(
                    Code::MalformedClause,
                    key,
                    format!("a version is a string or a binary (regex); OTP's lookup skips {key}"),
                );
                return None;
            }
        },
    };
    // OTP's lookup selects an entry whatever its script is; translation then fails on it.
    let Some(items) = sink.list(script, Code::BadScript, "an entry's instructions") else {
        return Some(Clause {
            version,
            instructions: Vec::new(),
            span: t.span,
            complete: false,
        });
    };
    let mut complete = true;
    let mut instructions = Vec::with_capacity(items.len());
    for item in items {
        match decode_instruction(item) {
            Ok(i) => {
                instructions.push(i);
            }
            Err(e) => {
                complete = false;
                sink.0.push(
                    Diagnostic::error(e.kind.code(), Some(e.span), e.to_string())
                        .with_reason(e.reason()),
                );
            }
        }
    }
    Some(Clause {
        version,
        instructions,
        span: t.span,
        complete,
    })
}

/// Warns when an earlier entry certainly wins OTP's lookup for every version this one matches.
/// The keys of the entries read so far, each regex compiled once (recompiling them for every
/// later entry made the check quadratic in compilations).
/// Exact keys are checked against earlier regexes within a budget of regex matches per list,
/// so that the check stays linear in the file size however many regex keys it holds (the
/// shadowed-entry warning is a lint of ours; OTP's own lookup is unaffected).
#[derive(Default)]
struct EarlierKeys {
    exact: std::collections::HashSet<String>,
    regex_text: std::collections::HashSet<String>,
    regexes: Vec<(String, KeyRegex)>,
    matches_left: std::cell::Cell<usize>,
}

/// Regex matches the shadowed-entry check may spend on one UpFrom or DownTo list.
const SHADOW_MATCH_BUDGET: usize = 20_000;

impl EarlierKeys {
    /// The earlier key that wins OTP's lookup for every version `key` matches, if any.
    fn shadowing(&self, key: &VersionKey) -> Option<VersionKey> {
        match key {
            VersionKey::Exact(v) if self.exact.contains(v) => Some(key.clone()),
            VersionKey::Exact(v) => self
                .regexes
                .iter()
                .take_while(|_| {
                    let left = self.matches_left.get();
                    self.matches_left.set(left.saturating_sub(1));
                    left > 0
                })
                .find(|(_, re)| re.whole_match(v))
                .map(|(p, _)| VersionKey::Regex(p.clone())),
            VersionKey::Regex(p) if self.regex_text.contains(p) => Some(key.clone()),
            VersionKey::Regex(_) => None,
        }
    }

    fn add(&mut self, key: &VersionKey) {
        match key {
            VersionKey::Exact(v) => {
                self.exact.insert(v.clone());
            }
            VersionKey::Regex(p) => {
                if self.regex_text.insert(p.clone()) {
                    if let Ok(re) = compile(p) {
                        self.regexes.push((p.clone(), re));
                    }
                }
            }
        }
    }
}

/// Warns when an earlier entry certainly wins OTP's lookup for every version this one matches.
fn check_shadowed(sink: &mut Sink, earlier: &EarlierKeys, c: &Clause, t: &Term<'_>) {
    if let Some(e) = earlier.shadowing(&c.version) {
        let key = |k: &VersionKey| match k {
            VersionKey::Exact(s) => format!("{s:?}"),
            VersionKey::Regex(r) => format!("<<{r:?}>>"),
        };
        sink.warning(
            Code::ShadowedClause,
            t,
            format!(
                "this entry is never used: the earlier entry {} matches every version {} does",
                key(&e),
                key(&c.version)
            ),
        );
    }
}
