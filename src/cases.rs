//! The case-file format of the OTP oracle (`tests/otp/translate.escript`):
//! `{case, Name, Mode, Script, Apps, PreApps}.` terms, each translated and printed as one line
//! `Name<TAB>ok<TAB>Script` or `Name<TAB>error<TAB>Reason`, terms in `~0p` form.
//!
//! Where OTP itself crashes on a case (the oracle prints `{'EXIT', _}` or `{raised, _}`), we
//! print `error` with a reason of our own (e.g. `{improper_list, _}`, `{script_not_a_list, _}`,
//! `{bad_mode, _}`).

use crate::instr::{Atom, Mode, StartType};
use crate::passes::{Application, Apps, TranslateOptions, translate_terms};
use crate::span::line_col;
use crate::term::{ParseError, ParseErrorKind, Term, TermKind, parse_terms_recovering};

/// One output line of a case run.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseLine {
    /// The case name (first column).
    pub name: Term<'static>,
    /// True for `ok`, false for `error`.
    pub ok: bool,
    /// The low-level script, or the error reason.
    pub value: Term<'static>,
}

impl std::fmt::Display for CaseLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\t{}\t{}",
            self.name,
            if self.ok { "ok" } else { "error" },
            self.value
        )
    }
}

/// Runs every case of a case file, one line per term, in order.
pub fn run_cases(source: &str) -> Vec<CaseLine> {
    parse_terms_recovering(source, true)
        .into_iter()
        .map(|parsed| match parsed {
            Ok(term) => run_case(&term),
            Err(e) => parse_error_line(source, &e),
        })
        .collect()
}

fn error_line(name: Term<'static>, value: Term<'static>) -> CaseLine {
    CaseLine {
        name,
        ok: false,
        value,
    }
}

fn pair(tag: &'static str, t: Term<'static>) -> Term<'static> {
    Term::tuple(vec![Term::atom(tag), t])
}

fn parse_error_line(source: &str, e: &ParseError) -> CaseLine {
    let line = line_col(source, e.span.lo()).line as i128;
    let what = match &e.kind {
        ParseErrorKind::Unexpected { found, .. } if found.starts_with('\'') => {
            format!("syntax error before: '{}'", found.trim_matches('\''))
        }
        other => other.to_string(),
    };
    let value = Term::tuple(vec![
        Term::atom("oracle_parse_error"),
        Term::int(line),
        Term::string(format!("line {line}: {what}")),
    ]);
    error_line(pair("line", Term::int(line)), value)
}

/// Runs one `{case, Name, Mode, Script, Apps, PreApps}` term.
pub fn run_case(term: &Term<'_>) -> CaseLine {
    run_case_with(term, &TranslateOptions::default())
}

/// Runs one case with translation options (e.g. OTP's tie-break order).
pub fn run_case_with(term: &Term<'_>, options: &TranslateOptions) -> CaseLine {
    let items = match term.as_tuple() {
        Some(items @ [tag, ..]) if items.len() == 6 && (tag.is_atom("case")) => items,
        _ => {
            let name = match term.as_tuple() {
                Some([_, name, ..]) => name.clone().into_owned(),
                _ => pair("line", Term::int(0)),
            };
            return error_line(name, pair("oracle_bad_case", term.clone().into_owned()));
        }
    };
    let name = items[1].clone().into_owned();
    let fail = |value| error_line(name.clone(), value);
    let apps = match read_apps(&items[4]) {
        Ok(a) => a,
        Err(bad) => {
            return fail(Term::tuple(vec![
                Term::atom("oracle_bad_app"),
                Term::atom("apps"),
                bad,
            ]));
        }
    };
    let pre_apps = match read_apps(&items[5]) {
        Ok(a) => a,
        Err(bad) => {
            return fail(Term::tuple(vec![
                Term::atom("oracle_bad_app"),
                Term::atom("pre_apps"),
                bad,
            ]));
        }
    };
    let mode = match items[2].as_atom() {
        Some("up") => Mode::Up,
        Some("dn") => Mode::Down,
        _ => return fail(pair("bad_mode", items[2].clone().into_owned())),
    };
    let scripts = match script_list(&items[3]) {
        Ok(s) => s,
        Err(bad) => return fail(pair("script_not_a_list", bad)),
    };
    match translate_terms(mode, &scripts, &apps, &pre_apps, options) {
        Ok(script) => CaseLine {
            name,
            ok: true,
            value: crate::instr::script_to_term(&script),
        },
        Err(e) => fail(e.reason()),
    }
}

/// The scripts a case's `Script` field stands for (the oracle's four spellings).
fn script_list<'a>(t: &Term<'a>) -> Result<Vec<Term<'a>>, Term<'static>> {
    match t.as_tuple() {
        Some([tag, instrs]) if tag.is_atom("script") => return Ok(vec![instrs.clone()]),
        Some([tag, scripts]) if tag.is_atom("scripts") => {
            return match &scripts.kind {
                TermKind::List(items, None) => Ok(items.clone()),
                _ => Err(scripts.clone().into_owned()),
            };
        }
        _ => {}
    }
    match &t.kind {
        TermKind::List(items, None) if !items.is_empty() && items.iter().all(Term::is_list) => {
            Ok(items.clone())
        }
        TermKind::List(..) | TermKind::String(_) => Ok(vec![t.clone()]),
        _ => Err(t.clone().into_owned()),
    }
}

/// `[{Name, Vsn, Mods} | {Name, Vsn, Mods, StartType}]`; a bad entry is returned as is.
fn read_apps(t: &Term<'_>) -> Result<Apps, Term<'static>> {
    let Some(items) = t.list_items() else {
        return Err(t.clone().into_owned());
    };
    items
        .into_iter()
        .map(|item| {
            let bad = || item.to_term();
            let crate::term::Item::Term(entry) = item else {
                return Err(bad());
            };
            let (name, vsn, mods, start) = match entry.as_tuple() {
                Some([n, v, m]) => (n, v, m, None),
                Some([n, v, m, s]) => (n, v, m, Some(s)),
                _ => return Err(bad()),
            };
            let name = name.as_atom().ok_or_else(bad)?;
            let modules = mods
                .list_items()
                .ok_or_else(bad)?
                .into_iter()
                .map(|m| m.as_atom().map(Atom::from).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()?;
            let start_type = match start {
                None => StartType::Permanent,
                Some(s) => s.as_atom().and_then(StartType::from_atom).ok_or_else(bad)?,
            };
            Ok(Application {
                name: Atom::from(name),
                vsn: vsn.clone().into_owned(),
                modules,
                start_type,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Apps)
}
