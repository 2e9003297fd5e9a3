//! What a supervisor's abstract code says about it (the `Dbgi` chunk of a beam compiled with
//! `debug_info`): the name it registers under (`supervisor:start_link({local, Name}, ...)`)
//! and the ids of the child specs its `init/1` returns, maps or tuples, written inline or
//! bound to variables first. Anything else (a spec computed by a function call, several
//! `init/1` clauses) is "could not read", never a guess.

use std::collections::HashMap;

use crate::beam::{Beam, etf};
use crate::term::{Term, TermKind};

/// What the abstract code tells of a supervisor; `None` where it cannot be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupervisorInfo {
    /// The locally registered name.
    pub registered: Option<String>,
    /// The child ids, in `init/1`'s order.
    pub children: Option<Vec<String>>,
}

/// Reads a supervisor's name and child ids from its beam's debug info.
pub fn supervisor_info(beam: &Beam) -> SupervisorInfo {
    let Some(forms) = abstract_forms(beam) else {
        return SupervisorInfo::default();
    };
    let mut registered = None;
    find_registered(&forms, &mut registered);
    let children = forms
        .list_items()
        .unwrap_or_default()
        .iter()
        .map(|f| f.to_term())
        .find(|f| is_function(f, "init", 1))
        .and_then(|f| init_children(&f));
    SupervisorInfo {
        registered,
        children,
    }
}

/// Whether the beam carries its abstract code (a beam compiled with `no_debug_info` keeps a
/// `Dbgi` chunk whose forms are `none`).
pub fn has_abstract_code(beam: &Beam) -> bool {
    abstract_forms(beam).is_some_and(|f| f.is_list())
}

/// The forms of `{debug_info_v1, erl_abstract_code, {Forms, Options}}`.
fn abstract_forms(beam: &Beam) -> Option<Term<'static>> {
    let data = beam.chunk(b"Dbgi")?;
    let info = etf::decode(data).ok()?;
    let [tag, backend, payload] = info.as_tuple()? else {
        return None;
    };
    if !tag.is_atom("debug_info_v1") || !backend.is_atom("erl_abstract_code") {
        return None;
    }
    payload.as_tuple()?.first().cloned()
}

/// `{Tag, Anno, ...}` → the elements after the annotation.
fn node<'t>(t: &'t Term<'static>, tag: &str) -> Option<&'t [Term<'static>]> {
    let items = t.as_tuple()?;
    (items.len() >= 2 && items[0].is_atom(tag)).then(|| &items[2..])
}

fn is_function(f: &Term<'static>, name: &str, arity: i128) -> bool {
    matches!(node(f, "function"), Some([n, a, _]) if n.is_atom(name) && a.as_int() == Some(arity))
}

fn atom_of(t: &Term<'static>) -> Option<String> {
    match node(t, "atom")? {
        [a] => a.as_atom().map(String::from),
        _ => None,
    }
}

/// Finds `supervisor:start_link({local, Name}, ...)` anywhere in the forms.
fn find_registered(t: &Term<'static>, out: &mut Option<String>) {
    if out.is_some() {
        return;
    }
    if let Some([callee, args]) = node(t, "call") {
        if let Some([m, f]) = node(callee, "remote") {
            if atom_of(m).as_deref() == Some("supervisor")
                && atom_of(f).as_deref() == Some("start_link")
            {
                let first = args
                    .list_items()
                    .and_then(|a| a.first().map(|i| i.to_term()));
                let elems = first.as_ref().and_then(tuple_items).unwrap_or_default();
                if let [kind, name] = elems.as_slice() {
                    if atom_of(kind).as_deref() == Some("local") {
                        *out = atom_of(name);
                        return;
                    }
                }
            }
        }
    }
    match &t.kind {
        TermKind::Tuple(items) | TermKind::List(items, _) => {
            for i in items {
                find_registered(i, out);
            }
        }
        _ => {}
    }
}

/// The child ids of the single clause of `init/1` returning `{ok, {Flags, Specs}}`.
fn init_children(f: &Term<'static>) -> Option<Vec<String>> {
    let [_, _, clauses] = node(f, "function")? else {
        return None;
    };
    let clauses = clauses.list_items()?;
    let [clause] = clauses.as_slice() else {
        return None;
    };
    let clause = clause.to_term();
    let [_, _, body] = node(&clause, "clause")? else {
        return None;
    };
    let body: Vec<Term<'static>> = body.list_items()?.iter().map(|i| i.to_term()).collect();
    let mut env: HashMap<String, Term<'static>> = HashMap::new();
    for expr in &body[..body.len().saturating_sub(1)] {
        if let Some([pattern, value]) = node(expr, "match") {
            if let Some([name]) = node(pattern, "var") {
                env.insert(name.as_atom()?.to_string(), value.clone());
            }
        }
    }
    let last = resolve(body.last()?, &env);
    let items = tuple_items(&last)?;
    let [ok, inner] = items.as_slice() else {
        return None;
    };
    if atom_of(ok).as_deref() != Some("ok") {
        return None;
    }
    let inner = resolve(inner, &env);
    let pair = tuple_items(&inner)?;
    let [_, specs] = pair.as_slice() else {
        return None;
    };
    list_items(&resolve(specs, &env), &env)?
        .iter()
        .map(|spec| child_id(&resolve(spec, &env)))
        .collect()
}

fn resolve(t: &Term<'static>, env: &HashMap<String, Term<'static>>) -> Term<'static> {
    match node(t, "var") {
        Some([name]) => name
            .as_atom()
            .and_then(|n| env.get(n))
            .cloned()
            .unwrap_or_else(|| t.clone()),
        _ => t.clone(),
    }
}

fn tuple_items(t: &Term<'static>) -> Option<Vec<Term<'static>>> {
    let [items] = node(t, "tuple")? else {
        return None;
    };
    Some(items.list_items()?.iter().map(|i| i.to_term()).collect())
}

/// A `cons`/`nil` chain as its elements.
fn list_items(
    t: &Term<'static>,
    env: &HashMap<String, Term<'static>>,
) -> Option<Vec<Term<'static>>> {
    let mut out = Vec::new();
    let mut cur = t.clone();
    loop {
        if node(&cur, "nil").is_some() {
            return Some(out);
        }
        let [head, tail] = node(&cur, "cons")? else {
            return None;
        };
        out.push(head.clone());
        cur = resolve(tail, env);
    }
}

/// A child spec's id: the `id` key of a map, or the first element of a tuple.
fn child_id(spec: &Term<'static>) -> Option<String> {
    if let Some([fields]) = node(spec, "map") {
        for field in fields.list_items()? {
            let field = field.to_term();
            if let Some([k, v]) = node(&field, "map_field_assoc") {
                if atom_of(k).as_deref() == Some("id") {
                    return atom_of(v);
                }
            }
        }
        return None;
    }
    atom_of(tuple_items(spec)?.first()?)
}
