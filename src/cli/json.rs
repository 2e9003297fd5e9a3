//! The JSON contract of the command line (`--json` on every command; README "JSON output").
//!
//! Every document is one JSON object with `schema_version`, `command` and `ok`, the command's
//! own fields, and `errors` / `warnings`: lists of problems with `code`, `message` and, where
//! known, `file`, `line`, `column` (1-based) and OTP's `reason` term. Versions and names are
//! JSON strings. Erlang terms have one encoding ([`term`]): atoms are strings, and every other
//! kind that a string could be mistaken for is an object with one tag key.

use serde_json::{Map, Value, json};

use relup::term::{Term, TermKind};

/// Bumped when a field changes meaning or goes away (adding fields does not bump it).
pub const SCHEMA_VERSION: u32 = 1;

/// An Erlang term as JSON:
/// atom → `"name"`; integer → number (beyond 64 bits: `{"integer": "digits"}`);
/// float → number; string (a list of character codes) → `{"string": "text"}`;
/// binary → `{"binary": "text"}` (UTF-8) or `{"bytes": [..]}`; list → array;
/// improper list → `{"improper_list": [..], "tail": T}`; tuple → `{"tuple": [..]}`;
/// map → `{"map": [[K, V], ..]}`. A term nested deeper than [`MAX_JSON_DEPTH`] levels is
/// `{"text": "..."}`, its Erlang text (JSON tools and serializers recurse per level).
pub fn term(t: &Term<'_>) -> Value {
    if depth_exceeds(t, MAX_JSON_DEPTH) {
        return json!({ "text": t.to_string() });
    }
    encode(t)
}

/// How deep a term may nest and still be encoded as JSON structure.
pub const MAX_JSON_DEPTH: usize = 100;

/// Whether `t` nests deeper than `max` levels (without recursion).
fn depth_exceeds(t: &Term<'_>, max: usize) -> bool {
    let mut stack = vec![(t, 1usize)];
    while let Some((t, d)) = stack.pop() {
        if d > max {
            return true;
        }
        match &t.kind {
            TermKind::Tuple(items) | TermKind::List(items, None) => {
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            TermKind::List(items, Some(tail)) => {
                stack.extend(items.iter().map(|i| (i, d + 1)));
                stack.push((tail, d + 1));
            }
            TermKind::Map(pairs) => {
                for (k, v) in pairs {
                    stack.push((k, d + 1));
                    stack.push((v, d + 1));
                }
            }
            _ => {}
        }
    }
    false
}

fn encode(t: &Term<'_>) -> Value {
    match &t.kind {
        TermKind::Atom(a) => Value::String(a.to_string()),
        TermKind::Int(i) => json!(i),
        TermKind::BigInt(i) => json!({ "integer": i.to_string() }),
        TermKind::Float(f) => json!(f),
        TermKind::String(s) => json!({ "string": s }),
        TermKind::Binary(b) => match std::str::from_utf8(b) {
            Ok(s) => json!({ "binary": s }),
            Err(_) => json!({ "bytes": b.as_ref() }),
        },
        TermKind::Tuple(items) => json!({ "tuple": items.iter().map(encode).collect::<Vec<_>>() }),
        TermKind::List(items, None) => Value::Array(items.iter().map(encode).collect()),
        TermKind::List(items, Some(tail)) => json!({
            "improper_list": items.iter().map(encode).collect::<Vec<_>>(),
            "tail": encode(tail),
        }),
        TermKind::Map(pairs) => json!({
            "map": pairs.iter().map(|(k, v)| json!([encode(k), encode(v)])).collect::<Vec<_>>()
        }),
    }
}

/// One problem: an error or a warning.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    /// A stable code (a diagnostic code, OTP's reason tag, or one of the CLI's own: `usage`,
    /// `io`, `release_layout`).
    pub code: String,
    /// The sentence a person reads.
    pub message: String,
    /// The file concerned.
    pub file: Option<String>,
    /// 1-based line and column, where the problem has a place in the file.
    pub line_col: Option<(usize, usize)>,
    /// OTP's reason term, where OTP reports the problem.
    pub reason: Option<Value>,
}

impl Problem {
    /// A problem with a code and a message only.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            code: code.into(),
            message: message.into(),
            ..Problem::default()
        }
    }

    /// The JSON object.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), json!(self.code));
        m.insert("message".into(), json!(self.message));
        m.insert("file".into(), json!(self.file));
        m.insert("line".into(), json!(self.line_col.map(|l| l.0)));
        m.insert("column".into(), json!(self.line_col.map(|l| l.1)));
        m.insert("reason".into(), self.reason.clone().unwrap_or(Value::Null));
        Value::Object(m)
    }
}

impl Problem {
    /// A diagnostic of `file` (whose text `source` is indexed by `index`): its position from
    /// its span, OTP's reason as a term.
    pub fn from_diagnostic(
        d: &relup::diagnostic::Diagnostic,
        index: &relup::span::LineIndex,
        source: &str,
        file: &str,
    ) -> Problem {
        Problem {
            code: d.code.to_string(),
            message: d.message.clone(),
            file: Some(file.to_string()),
            line_col: d.span.map(|s| {
                let lc = index.line_col(source, s.lo());
                (lc.line, lc.col)
            }),
            reason: d
                .reason
                .as_deref()
                .and_then(|r| relup::term::parse_term(r).ok())
                .map(|t| term(&t)),
        }
    }

    /// A problem whose code is the tag of OTP's term (`{no_relup, ...}` → `no_relup`), or
    /// `fallback` when the term is neither a tagged tuple nor an atom.
    pub fn from_term(
        t: &Term<'_>,
        fallback: &str,
        message: &str,
        file: Option<&std::path::Path>,
    ) -> Problem {
        let code = t
            .tagged()
            .map(|(tag, _)| tag.to_string())
            .or_else(|| t.as_atom().map(String::from))
            .unwrap_or_else(|| fallback.into());
        Problem {
            code,
            message: message.to_string(),
            file: file.map(|f| f.display().to_string()),
            line_col: None,
            reason: Some(term(t)),
        }
    }
}

/// A document: `schema_version`, `command`, `ok`, the command's `fields`, `errors`,
/// `warnings`.
pub fn document(
    command: &str,
    ok: bool,
    fields: Value,
    errors: &[Problem],
    warnings: &[Problem],
) -> Value {
    let mut m = Map::new();
    m.insert("schema_version".into(), json!(SCHEMA_VERSION));
    m.insert("command".into(), json!(command));
    m.insert("ok".into(), json!(ok));
    if let Value::Object(f) = fields {
        m.extend(f);
    }
    m.insert(
        "errors".into(),
        Value::Array(errors.iter().map(Problem::to_json).collect()),
    );
    m.insert(
        "warnings".into(),
        Value::Array(warnings.iter().map(Problem::to_json).collect()),
    );
    Value::Object(m)
}

/// A failed command's document: no fields, one error.
pub fn failure(command: &str, error: Problem) -> Value {
    document(command, false, json!({}), &[error], &[])
}

/// Pretty JSON text with a final newline.
pub fn text(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use relup::term::parse_term;

    #[test]
    fn every_term_kind_has_one_encoding() {
        let t = parse_term(
            r#"{a, 'B c', 1, 170141183460469231731687303715884105727, 2.5, "s", <<"b">>, <<255>>, [x|y], #{k => []}}"#,
        )
        .unwrap();
        assert_eq!(
            term(&t).to_string(),
            r#"{"tuple":["a","B c",1,{"integer":"170141183460469231731687303715884105727"},2.5,{"string":"s"},{"binary":"b"},{"bytes":[255]},{"improper_list":["x"],"tail":"y"},{"map":[["k",[]]]}]}"#
        );
    }
}
