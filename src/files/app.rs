//! `.app` files: `{application, Name, [{Key, Value}]}` (grammar/app_rel.ebnf), with the
//! checks `systools_make` makes on the keys release handling reads.

use crate::diagnostic::Code;
use serde::Serialize;

use super::fields::Sink;
use crate::diagnostic::Diagnostic;
use crate::instr::Atom;
use crate::term::Term;

/// A decoded `.app` (the keys release planning reads).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    /// The application name.
    pub name: Atom,
    /// `vsn`.
    pub vsn: String,
    /// `description` (empty when absent).
    pub description: String,
    /// `modules`, in file order.
    pub modules: Vec<Atom>,
    /// `applications`: the applications that must be started first.
    pub applications: Vec<Atom>,
    /// `included_applications`.
    pub included_applications: Vec<Atom>,
    /// `registered`.
    pub registered: Vec<Atom>,
    /// `mod`: the callback module and its start argument.
    pub r#mod: Option<(Atom, Term<'static>)>,
}

/// Decodes a `.app` from its file's terms; `expected_name` (from the file name) adds a warning
/// when it differs from the name inside.
pub fn decode_app(
    terms: &[Term<'_>],
    expected_name: Option<&str>,
) -> (Option<App>, Vec<Diagnostic>) {
    let mut sink = Sink::default();
    let Some(first) = terms.first() else {
        sink.0.push(Diagnostic::error(
            Code::EmptyFile,
            None,
            "the file holds no term; an .app holds {application, Name, [{Key, Value}]}.",
        ));
        return (None, sink.0);
    };
    for extra in &terms[1..] {
        sink.error(
            Code::ExtraTerm,
            extra,
            "an .app file holds exactly one term",
        );
    }
    // app ::= "{" "application" "," atom "," "[" ( app_key ( "," app_key )* )? "]" "}"
    let Some([tag, name, props]) = first
        .as_tuple()
        .filter(|t| t.len() == 3 && t[0].is_atom("application"))
    else {
        sink.error(
            Code::BadApp,
            first,
            "an .app holds {application, Name, [{Key, Value}]}",
        );
        return (None, sink.0);
    };
    let _ = tag;
    let name = sink.atom(name, Code::BadAppName, "the application name");
    if let (Some(n), Some(expected)) = (&name, expected_name) {
        if n.as_str() != expected {
            sink.warning(
                Code::AppNameMismatch,
                first,
                format!("the file is named {expected}.app but holds application {n}"),
            );
        }
    }
    let mut app = App {
        name: name.clone().unwrap_or_else(|| Atom::from("")),
        vsn: String::new(),
        description: String::new(),
        modules: Vec::new(),
        applications: Vec::new(),
        included_applications: Vec::new(),
        registered: Vec::new(),
        r#mod: None,
    };
    let mut has_vsn = false;
    if let Some(items) = sink.list(props, Code::BadAppKeys, "the application keys") {
        for item in items {
            has_vsn |= app_key(&mut sink, item, &mut app);
        }
    }
    if !has_vsn && !sink.has_errors() {
        sink.error(
            Code::MissingVsn,
            first,
            "the application has no vsn key; systools needs one",
        );
    }
    let ok = name.is_some() && !sink.has_errors();
    (ok.then_some(app), sink.0)
}

// app_key ::= "{" atom "," term "}"
fn app_key(sink: &mut Sink, item: &Term<'_>, app: &mut App) -> bool {
    let Some([key, value]) = item.as_tuple() else {
        sink.error(
            Code::BadAppKey,
            item,
            format!("an application key is {{Key, Value}}, found {item}"),
        );
        return false;
    };
    match key.as_atom() {
        Some("vsn") => {
            app.vsn = sink
                .string(value, Code::BadAppVsn, "vsn")
                .unwrap_or_default();
            return true;
        }
        Some("description") => {
            app.description = sink
                .string(value, Code::BadAppDescription, "description")
                .unwrap_or_default()
        }
        Some("modules") => {
            app.modules = sink
                .atoms(value, Code::BadAppModules, "modules")
                .unwrap_or_default()
        }
        Some("applications") => {
            app.applications = sink
                .atoms(value, Code::BadAppApplications, "applications")
                .unwrap_or_default()
        }
        Some("included_applications") => {
            app.included_applications = sink
                .atoms(value, Code::BadAppIncluded, "included_applications")
                .unwrap_or_default();
        }
        Some("registered") => {
            app.registered = sink
                .atoms(value, Code::BadAppRegistered, "registered")
                .unwrap_or_default()
        }
        Some("mod") => match value.as_tuple() {
            Some([m, args]) if m.as_atom().is_some() => {
                app.r#mod = Some((
                    Atom::from(m.as_atom().unwrap_or("")),
                    args.clone().into_owned(),
                ))
            }
            _ => sink.error(
                Code::BadAppMod,
                value,
                format!("mod is {{Module, StartArgs}}, found {value}"),
            ),
        },
        Some(_) => {}
        None => sink.error(
            Code::BadAppKey,
            key,
            format!("an application key is an atom, found {key}"),
        ),
    }
    false
}
