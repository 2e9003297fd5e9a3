//! `relup node snapshot`: a running node as a scenario file ([`crate::exec::scenario`]) that
//! the simulator reads.
//!
//! One evaluation on the node gathers everything (loaded code, the processes release_handler
//! would suspend, by its own rule `release_handler_1:get_supervised_procs/0`, the supervisors'
//! children, gen_server states); nothing is loaded on the node and no atom is created there.
//! Pids, ports, references and funs in a state become atoms naming them (`'<0.85.0>'`), so the
//! scenario stays plain terms.

use std::collections::BTreeMap;

use eetf::Term as ETerm;

use super::dist::{Connection, DistError, as_tuple, is_atom};
use crate::term::{Term, TermKind};

/// The largest state (in words, `erts_debug:flat_size/1`) a snapshot keeps; a larger one is
/// left out and said so in a comment.
pub const MAX_STATE_WORDS: u64 = 20_000;

/// The gathering, evaluated on the node. Returns
/// `{Current, Modules, Procs, Sups, Names, Tops}`: the release running,
/// `[{Mod, Vsn | undefined, Old}]`, `[{Pid, Sup, Id, Mods, State}]`,
/// `[{Sup, SupMod, [{Id, Mods}]}]`, `[{Pid, RegisteredName}]` and `[{TopSup, App}]`.
const GATHER: &str = r#"
%% The worker is defined first: an interpreted fun carries every binding made before it, and
%% a spawned one copies them, so it must not see the process list.
Work = fun(Chunk, SupSet, Parent) ->
    State = fun(P) ->
        case maps:is_key(P, SupSet) of
            true -> none;
            false ->
                try sys:get_state(P, 200) of
                    S ->
                        case erts_debug:flat_size(S) of
                            W when W =< MaxWords -> {state, S};
                            W -> {too_large, W}
                        end
                catch _:_ -> none
                end
        end
    end,
    Parent ! {self(), [{P, S, Id, Mods, State(P)} || {S, Id, P, Mods} <- Chunk, is_pid(P)]}
end,
Rels = release_handler:which_releases(),
Current = case [V || {_, V, _, current} <- Rels] ++ [V || {_, V, _, permanent} <- Rels] of
    [C | _] -> C;
    [] -> "unknown"
end,
AppVsn = maps:from_list([{A, V} || {A, _, V} <- application:which_applications()]),
ModVsn = fun(M) ->
    case application:get_application(M) of
        {ok, A} -> maps:get(A, AppVsn, undefined);
        undefined -> undefined
    end
end,
Modules = [{M, ModVsn(M), erlang:check_old_code(M)} || {M, _} <- code:all_loaded()],
Procs0 = release_handler_1:get_supervised_procs(),
Sups = lists:usort([S || {S, _, _, _} <- Procs0, is_pid(S)]
                   ++ [P || {undefined, _, P, _} <- Procs0]),
Names = [{whereis(N), N} || N <- registered()],
SupSet = maps:from_list([{S, true} || S <- Sups]),
Tops = [{P, case application:get_application(P) of {ok, A} -> A; undefined -> undefined end}
        || {undefined, _, P, _} <- Procs0],
%% States are asked for in parallel, a chunk of processes per worker: one slow or stuck
%% process costs its chunk at most the 200 ms timeout.
Chunks = fun Chunks(L, Acc) ->
                 try lists:split(1000, L) of
                     {H, T} -> Chunks(T, [H | Acc])
                 catch error:badarg -> lists:reverse([L | Acc])
                 end
         end,
Self = self(),
Workers = [spawn(erlang, apply, [Work, [Chunk, SupSet, Self]]) || Chunk <- Chunks(Procs0, [])],
Procs = lists:append([receive {W, R} -> R end || W <- Workers]),
SupSpecs = [{S, (catch supervisor:get_callback_module(S)),
             [{Id, Mods} || {Id, _, _, Mods} <- (catch supervisor:which_children(S))]}
            || S <- Sups],
{Current, Modules, Procs, SupSpecs, Names, Tops}.
"#;

/// What a snapshot holds.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The scenario file's text.
    pub scenario: String,
    /// How many processes it describes.
    pub processes: usize,
    /// How many loaded modules.
    pub modules: usize,
}

/// An Erlang term from the node as one of ours: pids, ports, references and funs become atoms
/// naming them, byte lists become strings.
pub fn from_eetf(t: &ETerm) -> Term<'static> {
    match t {
        ETerm::Atom(a) => Term::atom(a.name.clone()),
        ETerm::FixInteger(i) => Term::int(i128::from(i.value)),
        ETerm::BigInteger(b) => b
            .value
            .to_string()
            .parse::<i128>()
            .map_or_else(|_| Term::atom(b.value.to_string()), Term::int),
        ETerm::Float(f) => Term::new(Default::default(), TermKind::Float(f.value)),
        ETerm::Binary(b) => Term::new(Default::default(), TermKind::Binary(b.bytes.clone().into())),
        ETerm::ByteList(b) => match std::str::from_utf8(&b.bytes) {
            Ok(s) if !s.is_empty() => Term::string(s.to_string()),
            _ => Term::list(b.bytes.iter().map(|x| Term::int(i128::from(*x))).collect()),
        },
        ETerm::List(l) => {
            let items: Vec<Term<'static>> = l.elements.iter().map(from_eetf).collect();
            let text: Option<String> = l
                .elements
                .iter()
                .map(|e| match e {
                    ETerm::FixInteger(i) => u32::try_from(i.value)
                        .ok()
                        .and_then(char::from_u32)
                        .filter(|c| !c.is_control() || *c == '\n'),
                    _ => None,
                })
                .collect();
            match text {
                Some(s) if !s.is_empty() => Term::string(s),
                _ => Term::list(items),
            }
        }
        ETerm::ImproperList(l) => Term::new(
            Default::default(),
            TermKind::List(
                l.elements.iter().map(from_eetf).collect(),
                Some(Box::new(from_eetf(&l.last))),
            ),
        ),
        ETerm::Tuple(t) => Term::tuple(t.elements.iter().map(from_eetf).collect()),
        ETerm::Map(m) => Term::new(
            Default::default(),
            TermKind::Map(
                m.map
                    .iter()
                    .map(|(k, v)| (from_eetf(k), from_eetf(v)))
                    .collect(),
            ),
        ),
        ETerm::Pid(p) => Term::atom(format!("<0.{}.{}>", p.id, p.serial)),
        other => Term::atom(other.to_string()),
    }
}

/// A pid as Erlang prints a local one, `<0.85.0>` (the name of an unregistered process).
fn pid_text(t: &ETerm) -> String {
    match t {
        ETerm::Pid(p) => format!("<0.{}.{}>", p.id, p.serial),
        other => other.to_string(),
    }
}

fn atom_text(t: &ETerm) -> Option<String> {
    match t {
        ETerm::Atom(a) if a.name != "undefined" => Some(a.name.clone()),
        _ => None,
    }
}

fn list(t: &ETerm) -> &[ETerm] {
    match t {
        ETerm::List(l) => &l.elements,
        _ => &[],
    }
}

/// Takes a snapshot of the node.
///
/// # Errors
/// A [`DistError`] when the node cannot be asked, or answers something else.
pub fn snapshot(conn: &mut Connection) -> Result<Snapshot, DistError> {
    let max = ETerm::from(eetf::FixInteger::from(
        i32::try_from(MAX_STATE_WORDS).unwrap_or(i32::MAX),
    ));
    let data = conn.eval(GATHER, vec![("MaxWords", max)])?;
    let bad = || DistError::BadRpc {
        node: conn.node().to_string(),
        what: "the snapshot".into(),
        reason: "an answer of an unexpected shape".into(),
    };
    let [current, modules, procs, sups, names, tops] = as_tuple(&data).ok_or_else(bad)? else {
        return Err(bad());
    };
    let mut out = String::new();
    let line = |out: &mut String, t: Term<'static>| {
        out.push_str(&t.to_string());
        out.push_str(".\n");
    };
    let comment = |out: &mut String, text: &str| {
        out.push_str("%% ");
        out.push_str(text);
        out.push('\n');
    };
    comment(
        &mut out,
        &format!("snapshot of {} by relup node snapshot", conn.node()),
    );
    line(
        &mut out,
        Term::tuple(vec![Term::atom("release"), from_eetf(current)]),
    );
    // Module versions: the version of the application each module belongs to.
    let mut vsn_of: BTreeMap<String, String> = BTreeMap::new();
    let mut old: Vec<String> = Vec::new();
    let mut module_count = 0;
    for m in list(modules) {
        let Some([name, vsn, has_old]) = as_tuple(m) else {
            continue;
        };
        let (Some(name), Some(vsn)) = (
            atom_text(name),
            from_eetf(vsn).as_charlist().map(|v| v.into_owned()),
        ) else {
            continue;
        };
        let mut opts = vec![Term::tuple(vec![
            Term::atom("current"),
            Term::string(vsn.clone()),
        ])];
        if is_atom(has_old, "true") {
            opts.push(Term::tuple(vec![Term::atom("old"), Term::string("old")]));
            old.push(name.clone());
        }
        line(
            &mut out,
            Term::tuple(vec![
                Term::atom("module"),
                Term::atom(name.clone()),
                Term::list(opts),
            ]),
        );
        vsn_of.insert(name, vsn);
        module_count += 1;
    }
    let pid_name: BTreeMap<String, String> = list(names)
        .iter()
        .filter_map(|p| {
            let [pid, name] = as_tuple(p)? else {
                return None;
            };
            Some((pid_text(pid), atom_text(name)?))
        })
        .collect();
    let top_app: BTreeMap<String, Term<'static>> = list(tops)
        .iter()
        .filter_map(|p| {
            let [pid, app] = as_tuple(p)? else {
                return None;
            };
            Some((pid_text(pid), from_eetf(app)))
        })
        .collect();
    let name_of = |t: &ETerm| -> String {
        let pid = pid_text(t);
        pid_name.get(&pid).cloned().unwrap_or(pid)
    };
    for s in list(sups) {
        let Some([_, module, children]) = as_tuple(s) else {
            continue;
        };
        let Some(module) = atom_text(module) else {
            continue;
        };
        let vsn = vsn_of
            .get(&module)
            .cloned()
            .unwrap_or_else(|| "unknown".into());
        let specs: Vec<Term<'static>> = list(children)
            .iter()
            .filter_map(|c| {
                let [id, mods] = as_tuple(c)? else {
                    return None;
                };
                Some(Term::tuple(vec![from_eetf(id), from_eetf(mods)]))
            })
            .collect();
        line(
            &mut out,
            Term::tuple(vec![
                Term::atom("supervisor"),
                Term::atom(module),
                Term::string(vsn),
                Term::list(specs),
            ]),
        );
    }
    let mut process_count = 0;
    for p in list(procs) {
        let Some([pid, sup, id, mods, state]) = as_tuple(p) else {
            continue;
        };
        // Modules of no application (preloaded ones, such as prim_file) are never upgraded
        // by a relup: left out.
        let runs: Vec<Term<'static>> = list(mods)
            .iter()
            .filter_map(atom_text)
            .filter_map(|m| {
                let vsn = vsn_of.get(&m)?.clone();
                Some(Term::tuple(vec![Term::atom(m), Term::string(vsn)]))
            })
            .collect();
        if runs.is_empty() {
            // A child spec naming no modules (release_handler's own): no upgrade touches it.
            continue;
        }
        let mut opts = vec![Term::tuple(vec![Term::atom("runs"), Term::list(runs)])];
        match atom_text(sup) {
            _ if is_atom(sup, "undefined") => opts.push(Term::tuple(vec![
                Term::atom("top_supervisor"),
                top_app
                    .get(&pid_text(pid))
                    .cloned()
                    .unwrap_or_else(|| Term::atom("undefined")),
            ])),
            _ => opts.push(Term::tuple(vec![
                Term::atom("child_of"),
                Term::atom(name_of(sup)),
                from_eetf(id),
            ])),
        }
        match as_tuple(state) {
            Some([tag, s]) if is_atom(tag, "state") => {
                opts.push(Term::tuple(vec![Term::atom("state"), from_eetf(s)]));
            }
            Some([tag, words]) if is_atom(tag, "too_large") => {
                comment(
                    &mut out,
                    &format!(
                        "the state of {} is left out: {words} words, over the cap of {MAX_STATE_WORDS}",
                        name_of(pid)
                    ),
                );
            }
            _ => {}
        }
        line(
            &mut out,
            Term::tuple(vec![
                Term::atom("process"),
                Term::atom(name_of(pid)),
                Term::list(opts),
            ]),
        );
        process_count += 1;
    }
    if !old.is_empty() {
        comment(
            &mut out,
            &format!("modules with old code: {}", old.join(", ")),
        );
    }
    Ok(Snapshot {
        scenario: out,
        processes: process_count,
        modules: module_count,
    })
}
