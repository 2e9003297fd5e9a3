//! `.rel` files: `{release, {Name, Vsn}, {erts, ErtsVsn}, [AppSpec]}` (grammar/app_rel.ebnf).

use crate::diagnostic::Code;
use serde::Serialize;

use super::fields::Sink;
use crate::diagnostic::Diagnostic;
use crate::instr::{Atom, StartType};
use crate::term::Term;

/// A decoded `.rel`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rel {
    /// The release name.
    pub name: String,
    /// The release version.
    pub vsn: String,
    /// The erts version.
    pub erts_vsn: String,
    /// The applications, in file order.
    pub applications: Vec<RelApp>,
}

/// One application of a release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelApp {
    /// The application.
    pub name: Atom,
    /// Its version.
    pub vsn: String,
    /// Its start type (default permanent).
    pub start_type: StartType,
    /// The included applications, when the `.rel` gives them (overriding the `.app`).
    pub included_applications: Option<Vec<Atom>>,
}

impl Rel {
    /// sasl's `#release{}` record: `{release, Name, Vsn, ErtsVsn, Applications, InclApps}`
    /// (OTP quotes it in `missing_sasl`).
    pub fn to_term(&self) -> Term<'static> {
        let atoms = |l: &[Atom]| Term::list(l.iter().map(Atom::to_term).collect());
        let apps = self
            .applications
            .iter()
            .map(|a| {
                Term::tuple(vec![
                    a.name.to_term(),
                    Term::string(a.vsn.clone()),
                    Term::atom(a.start_type.atom()),
                ])
            })
            .collect();
        let incl = self
            .applications
            .iter()
            .filter_map(|a| {
                let l = a.included_applications.as_ref()?;
                Some(Term::tuple(vec![a.name.to_term(), atoms(l)]))
            })
            .collect();
        Term::tuple(vec![
            Term::atom("release"),
            Term::string(self.name.clone()),
            Term::string(self.vsn.clone()),
            Term::string(self.erts_vsn.clone()),
            Term::list(apps),
            Term::list(incl),
        ])
    }

    /// The version of application `name` in this release.
    pub fn app_vsn(&self, name: &Atom) -> Option<&str> {
        self.applications
            .iter()
            .find(|a| &a.name == name)
            .map(|a| a.vsn.as_str())
    }
}

/// Decodes a `.rel` from its file's terms.
pub fn decode_rel(terms: &[Term<'_>]) -> (Option<Rel>, Vec<Diagnostic>) {
    let mut sink = Sink::default();
    let Some(first) = terms.first() else {
        sink.0.push(Diagnostic::error(
            Code::EmptyFile,
            None,
            "the file holds no term; a .rel holds {release, {Name, Vsn}, {erts, Vsn}, [App]}.",
        ));
        return (None, sink.0);
    };
    for extra in &terms[1..] {
        sink.error(Code::ExtraTerm, extra, "a .rel file holds exactly one term");
    }
    // rel ::= "{" "release" "," "{" string "," string "}" "," "{" "erts" "," string "}" "," "[" ( rel_app ( "," rel_app )* )? "]" "}"
    let Some([_, name_vsn, erts, apps]) = first
        .as_tuple()
        .filter(|t| t.len() == 4 && t[0].is_atom("release"))
    else {
        sink.error(
            Code::BadRel,
            first,
            "a .rel holds {release, {Name, Vsn}, {erts, ErtsVsn}, [App]}",
        );
        return (None, sink.0);
    };
    let (name, vsn) = match name_vsn.as_tuple() {
        Some([n, v]) => (
            sink.string(n, Code::BadRelName, "the release name"),
            sink.string(v, Code::BadRelVsn, "the release version"),
        ),
        _ => {
            sink.error(
                Code::BadRelName,
                name_vsn,
                format!("the release is {{Name, Vsn}}, found {name_vsn}"),
            );
            (None, None)
        }
    };
    let erts_vsn = match erts.as_tuple() {
        Some([tag, v]) if tag.is_atom("erts") => {
            sink.string(v, Code::BadErtsVsn, "the erts version")
        }
        _ => {
            sink.error(
                Code::BadErts,
                erts,
                format!("the erts entry is {{erts, Vsn}}, found {erts}"),
            );
            None
        }
    };
    let applications: Vec<RelApp> = sink
        .list(apps, Code::BadRelApps, "the applications")
        .map_or_else(Vec::new, |items| {
            items.iter().filter_map(|i| rel_app(&mut sink, i)).collect()
        });
    check_mandatory(&mut sink, apps, &applications);
    match (name, vsn, erts_vsn) {
        (Some(name), Some(vsn), Some(erts_vsn)) if !sink.has_errors() => (
            Some(Rel {
                name,
                vsn,
                erts_vsn,
                applications,
            }),
            sink.0,
        ),
        _ => (None, sink.0),
    }
}

// rel_app ::= "{" atom "," string ( "," start_type )? ( "," "[" ( atom ( "," atom )* )? "]" )? "}"
fn rel_app(sink: &mut Sink, t: &Term<'_>) -> Option<RelApp> {
    let items = t.as_tuple().filter(|i| (2..=4).contains(&i.len()));
    let Some(items) = items else {
        sink.error(Code::BadRelApp, t, format!("an application is {{Name, Vsn}}, {{Name, Vsn, Type}}, {{Name, Vsn, IncApps}} or {{Name, Vsn, Type, IncApps}}, found {t}"));
        return None;
    };
    let name = sink.atom(&items[0], Code::BadRelApp, "an application name")?;
    let vsn = sink.string(&items[1], Code::BadRelApp, "an application version")?;
    let mut start_type = StartType::Permanent;
    let mut included = None;
    for extra in &items[2..] {
        if let Some(ty) = extra.as_atom().and_then(StartType::from_atom) {
            start_type = ty;
        } else if extra.is_list() {
            included = Some(sink.atoms(extra, Code::BadRelApp, "included applications")?);
        } else {
            sink.error(
                Code::BadStartType,
                extra,
                format!(
                    "a start type is permanent, transient, temporary, load or none, found {extra}"
                ),
            );
            return None;
        }
    }
    Some(RelApp {
        name,
        vsn,
        start_type,
        included_applications: included,
    })
}

fn check_mandatory(sink: &mut Sink, at: &Term<'_>, apps: &[RelApp]) {
    for mandatory in ["kernel", "stdlib"] {
        if !apps.iter().any(|a| a.name.as_str() == mandatory) && !sink.has_errors() {
            sink.0.push(
                Diagnostic::error(
                    Code::MissingMandatoryApp,
                    Some(at.span),
                    format!("every release needs {mandatory}"),
                )
                .with_reason(format!("{{missing_mandatory_app,{mandatory}}}")),
            );
        }
    }
    if !apps.iter().any(|a| a.name.as_str() == "sasl") && !sink.has_errors() {
        sink.warning(
            Code::MissingSasl,
            at,
            "without sasl the release cannot be upgraded: make_relup refuses it",
        );
    }
}
