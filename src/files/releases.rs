//! `releases/RELEASES` (what release_handler knows of the installed releases: one list of
//! `{release, Name, Vsn, ErtsVsn, [{App, Vsn, Dir}], Status}`) and `releases/start_erl.data`
//! (one line, `ErtsVsn RelVsn`, read by the start scripts to pick the release to boot).

use crate::diagnostic::Code;
use serde::Serialize;

use super::fields::Sink;
use crate::diagnostic::{Diagnostic, Severity};
use crate::instr::Atom;
use crate::span::Span;
use crate::term::Term;

/// One release that release_handler knows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstalledRelease {
    /// The release name.
    pub name: String,
    /// Its version.
    pub vsn: String,
    /// Its erts version.
    pub erts_vsn: String,
    /// Its applications: name, version, directory.
    pub libs: Vec<(Atom, String, String)>,
    /// `permanent`, `current`, `old` or `unpacked`.
    pub status: Atom,
}

/// The statuses release_handler gives a release.
const STATUSES: [&str; 4] = ["permanent", "current", "old", "unpacked"];

/// Decodes a `RELEASES` file from its terms.
pub fn decode_releases(terms: &[Term<'_>]) -> (Option<Vec<InstalledRelease>>, Vec<Diagnostic>) {
    let mut sink = Sink::default();
    let Some(first) = sink.only_term(
        terms,
        "the file holds no term; RELEASES holds [{release, Name, Vsn, ErtsVsn, Libs, Status}].",
        "RELEASES holds exactly one term (release_handler reads it with file:consult and expects one list)",
        Severity::Error,
    ) else {
        return (None, sink.0);
    };
    // releases ::= "[" ( installed_release ( "," installed_release )* )? "]"
    let Some(items) = sink.list(first, Code::BadReleases, "RELEASES") else {
        return (None, sink.0);
    };
    let mut out = Vec::new();
    for item in items {
        if let Some(r) = release(&mut sink, item) {
            out.push(r);
        }
    }
    let permanent = out
        .iter()
        .filter(|r| r.status.as_str() == "permanent")
        .count();
    if permanent != 1 && !out.is_empty() {
        sink.warning(
            Code::PermanentRelease,
            first,
            format!(
                "{permanent} releases are permanent; release_handler keeps exactly one permanent release (the one a restarted node boots)"
            ),
        );
    }
    let ok = !sink.has_errors();
    (ok.then_some(out), sink.0)
}

// installed_release ::= "{" "release" "," string "," string "," string "," "[" ( installed_lib ( "," installed_lib )* )? "]" "," atom "}"
fn release(sink: &mut Sink, t: &Term<'_>) -> Option<InstalledRelease> {
    let Some([_, name, vsn, erts, libs, status]) = t
        .as_tuple()
        .filter(|items| items.len() == 6 && items[0].is_atom("release"))
    else {
        sink.error(
            Code::BadReleaseEntry,
            t,
            format!(
                "a RELEASES entry is {{release, Name, Vsn, ErtsVsn, [{{App, Vsn, Dir}}], Status}}, found {t}"
            ),
        );
        return None;
    };
    let name = sink.string(name, Code::BadReleaseEntry, "the release name");
    let vsn = sink.string(vsn, Code::BadReleaseEntry, "the release version");
    let erts_vsn = sink.string(erts, Code::BadReleaseEntry, "the erts version");
    let status_atom = sink.atom(status, Code::BadReleaseStatus, "the release status");
    if let Some(s) = &status_atom {
        if !STATUSES.contains(&s.as_str()) {
            sink.error(
                Code::BadReleaseStatus,
                status,
                format!(
                    "the release status is one of permanent, current, old, unpacked; found {s}"
                ),
            );
        }
    }
    let mut lib_list = Vec::new();
    for lib in sink.list(libs, Code::BadReleaseEntry, "the release's applications")? {
        // installed_lib ::= "{" atom "," string "," string "}"
        match lib.as_tuple() {
            Some([app, v, dir]) => {
                let app = sink.atom(app, Code::BadReleaseEntry, "an application name");
                let v = sink.string(v, Code::BadReleaseEntry, "an application version");
                let dir = sink.string(dir, Code::BadReleaseEntry, "an application directory");
                if let (Some(a), Some(v), Some(d)) = (app, v, dir) {
                    lib_list.push((a, v, d));
                }
            }
            _ => sink.error(
                Code::BadReleaseEntry,
                lib,
                format!("an application of a RELEASES entry is {{App, Vsn, Dir}}, found {lib}"),
            ),
        }
    }
    Some(InstalledRelease {
        name: name?,
        vsn: vsn?,
        erts_vsn: erts_vsn?,
        libs: lib_list,
        status: status_atom?,
    })
}

/// The two words of `start_erl.data`: the erts version and the release version to boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartErlData {
    /// The erts version.
    pub erts_vsn: String,
    /// The release version.
    pub rel_vsn: String,
}

/// Decodes `start_erl.data` (plain text, not Erlang terms: `ErtsVsn RelVsn` on one line).
pub fn decode_start_erl_data(text: &str) -> (Option<StartErlData>, Vec<Diagnostic>) {
    let words: Vec<(usize, &str)> = text
        .split_ascii_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    match words.as_slice() {
        [(_, erts), (_, rel)] => (
            Some(StartErlData {
                erts_vsn: (*erts).to_string(),
                rel_vsn: (*rel).to_string(),
            }),
            Vec::new(),
        ),
        _ => {
            let span = words.get(2).map_or_else(
                || Span::new(0, text.len()),
                |(at, w)| Span::new(*at, at + w.len()),
            );
            (
                None,
                vec![Diagnostic::error(
                    Code::BadStartErlData,
                    Some(span),
                    format!(
                        "start_erl.data holds two words, the erts version and the release version (e.g. \"13.1.5 0.1.0\"); found {}",
                        words.len()
                    ),
                )],
            )
        }
    }
}
