//! `relup node snapshot`: a running node as a scenario file ([`crate::exec::scenario`]) that
//! the simulator reads.
//!
//! One evaluation on the node gathers everything (loaded code, the processes release_handler
//! would suspend, by its own rule `release_handler_1:get_supervised_procs/0`, the supervisors'
//! children, gen_server states); nothing is loaded on the node and no atom is created there.
//! Pids, ports, references and funs in a state become atoms naming them (`'<0.85.0>'`), so the
//! scenario stays plain terms.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use eetf::Term as ETerm;

use super::dist::{Connection, DistError, as_tuple, int, is_atom};
use super::terms::from_eetf;
use crate::term::Term;

/// The largest state (in words, `erts_debug:flat_size/1`) a snapshot keeps; a larger one is
/// left out and said so in a comment.
pub const MAX_STATE_WORDS: u64 = 20_000;

/// The gathering, evaluated on the node. Returns
/// `{Current, Modules, Procs, Sups, Names, Tops}`: the release running,
/// `[{Mod, Vsn | undefined, Old, ModuleVsn}]`, `[{Sup, Id, Pid, Mods}]` (release_handler's own list),
/// `[{Sup, SupMod, Children}]` (`which_children`, one per id), `[{Pid, RegisteredName}]` and
/// `[{TopSup, App}]`, then `[{Pid, State}]` and `[{Pid, Words}]` (states over the cap, left
/// on the node), and `[{Pid, Module}]`, the behaviour processes outside every supervision
/// tree (by their initial call). Interpreted code runs once per module, supervisor, top supervisor or
/// millisecond of waiting, never once per process: a node with 100,000 processes is read
/// with compiled `lists` functions (sorting by supervisor, then taking the top ones off the
/// front; building and sending the state requests). A worker that is not a `sys` process
/// (none should be, under a supervisor) is given up after `StallMs` of silence, and keeps
/// the request in its mailbox, as with `sys:get_state/2`'s own timeout.
const GATHER: &str = r#"
Rels = release_handler:which_releases(),
Current = case [V || {_, V, _, current} <- Rels] ++ [V || {_, V, _, permanent} <- Rels] of
    [C | _] -> C;
    [] -> "unknown"
end,
AppVsn = maps:from_list([{A, V} || {A, _, V} <- application:loaded_applications()]),
ModVsn = fun(M) ->
    case application:get_application(M) of
        {ok, A} -> maps:get(A, AppVsn, undefined);
        undefined -> undefined
    end
end,
%% Each module's own -vsn as release_handler_1:get_vsn/1 reads it (code_change is given it).
AttrVsn = fun(M) ->
    case lists:keyfind(vsn, 1, erlang:get_module_info(M, attributes)) of
        {vsn, V} ->
            case is_list(V) andalso io_lib:printable_list(V) of
                true -> V;
                false -> case V of [T] -> T; _ -> V end
            end;
        false -> undefined
    end
end,
Modules = [{M, ModVsn(M), erlang:check_old_code(M), AttrVsn(M)} || {M, _} <- code:all_loaded()],
Procs = release_handler_1:get_supervised_procs(),
%% Term order puts the atom undefined (a top supervisor's parent) before every pid.
BySup = lists:keysort(1, Procs),
{TopEntries, _} = lists:splitwith(fun(E) -> element(1, E) =:= undefined end, BySup),
Sups = [S || {S, _, _, _} <- lists:ukeysort(1, BySup), is_pid(S)]
       ++ [P || {undefined, _, P, _} <- TopEntries],
Names = [{whereis(N), N} || N <- registered()],
Tops = [{P, case application:get_application(P) of {ok, A} -> A; undefined -> undefined end}
        || {undefined, _, P, _} <- TopEntries],
%% One child per id: a simple_one_for_one supervisor's children all have the id undefined
%% and one spec, however many run.
SupSpecs = [{S, (catch supervisor:get_callback_module(S)),
             case catch supervisor:which_children(S) of
                 Children when is_list(Children) -> lists:ukeysort(1, Children);
                 _ -> []
             end}
            || S <- lists:usort(Sups)],
%% States: get_state to every supervised worker at once, the replies ({Pid, State}, From
%% being {Collector, Pid}) gathered in the mailbox of a collector sleeping in timer:sleep/1.
%% Built and sent with compiled functions only (element/2 by zipwith, zip3, send/2).
N = length(Procs),
Pids = lists:subtract(lists:filter(fun erlang:is_pid/1,
                                   lists:zipwith(fun erlang:element/2,
                                                 lists:duplicate(N, 3), Procs)),
                      Sups),
W = length(Pids),
Collector = spawn(timer, sleep, [WaitMs + 60000]),
%% Behaviour processes outside every supervision tree: proc_lib processes (with an initial
%% call) among the processes no supervisor holds; interpreted once per such process only.
Others = lists:subtract(erlang:processes(), [self(), Collector | Pids ++ Sups]),
Unsupervised = [{P, M} || P <- Others,
                          {M, F, _} <- [proc_lib:translate_initial_call(P)],
                          M =/= proc_lib, F =/= undefined],
lists:zipwith(fun erlang:send/2, Pids,
              lists:zip3(lists:duplicate(W, system),
                         lists:zip(lists:duplicate(W, Collector), Pids),
                         lists:duplicate(W, get_state))),
%% Wait in 1 ms steps until all answered, none answered for StallMs, or WaitMs passed.
Now = fun() -> erlang:monotonic_time(millisecond) end,
Deadline = Now() + WaitMs,
Wait = fun Loop(Last, Since) ->
    {_, L} = erlang:process_info(Collector, message_queue_len),
    T = Now(),
    if
        L >= W -> done;
        T >= Deadline -> partial;
        L =/= Last -> receive after 1 -> Loop(L, T) end;
        T - Since >= StallMs -> stalled;
        true -> receive after 1 -> Loop(L, Since) end
    end
end,
_ = Wait(-1, Now()),
{messages, Replies} = erlang:process_info(Collector, messages),
exit(Collector, kill),
%% {Pid, State} is three words around the state (a local pid is immediate).
Sizes = lists:map(fun erts_debug:flat_size/1, Replies),
{States, Large} =
    case Sizes =:= [] orelse lists:max(Sizes) =< MaxWords + 3 of
        true -> {Replies, []};
        false ->
            Pairs = lists:zip(Replies, Sizes),
            {[R || {R, S} <- Pairs, S =< MaxWords + 3],
             [{element(1, R), S - 3} || {R, S} <- Pairs, S > MaxWords + 3]}
    end,
{Current, Modules, Procs, SupSpecs, Names, Tops, States, Large, Unsupervised}.
"#;

/// How long the states may take in all, and how long no process may answer before the
/// silent ones are given up (the per-process timeout of the one-by-one way was 200 ms).
const STATES_TIMEOUT: Duration = Duration::from_secs(10);
const STATES_STALL: Duration = Duration::from_millis(200);

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

/// `[{Pid, Value}]` by pid.
fn by_pid(t: &ETerm) -> HashMap<&ETerm, &ETerm> {
    list(t)
        .iter()
        .filter_map(|r| match as_tuple(r)? {
            [pid, value] => Some((pid, value)),
            _ => None,
        })
        .collect()
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
    let data = conn.eval(
        GATHER,
        vec![
            ("MaxWords", int(MAX_STATE_WORDS)),
            ("WaitMs", int(STATES_TIMEOUT.as_millis() as u64)),
            ("StallMs", int(STATES_STALL.as_millis() as u64)),
        ],
    )?;
    let bad = || DistError::BadRpc {
        node: conn.node().to_string(),
        what: "the snapshot".into(),
        reason: "an answer of an unexpected shape".into(),
    };
    let [
        current,
        modules,
        procs,
        sups,
        names,
        tops,
        states,
        large,
        unsupervised,
    ] = as_tuple(&data).ok_or_else(bad)?
    else {
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
        let Some([name, vsn, has_old, attr_vsn]) = as_tuple(m) else {
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
        if !is_atom(attr_vsn, "undefined") {
            line(
                &mut out,
                Term::tuple(vec![
                    Term::atom("module_vsn"),
                    Term::atom(name.clone()),
                    Term::string(vsn.clone()),
                    from_eetf(attr_vsn),
                ]),
            );
        }
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
    // Children declared with modules = dynamic answered release_handler's get_modules
    // (get_supervised_procs asked them above; a gen_server there would have failed it):
    // gen_event processes, as the simulator must know. By (supervisor, child id).
    let mut dynamic: HashSet<(&ETerm, &ETerm)> = HashSet::new();
    for s in list(sups) {
        let Some([sup, module, children]) = as_tuple(s) else {
            continue;
        };
        for c in list(children) {
            if let Some([id, _, _, mods]) = as_tuple(c)
                && is_atom(mods, "dynamic")
            {
                dynamic.insert((sup, id));
            }
        }
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
                let [id, _, _, mods] = as_tuple(c)? else {
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
    // The processes to describe: each supervised process running modules of a known
    // version (modules of no application, preloaded ones such as prim_file, are never
    // upgraded by a relup; a child spec naming none is release_handler's own).
    let mut described = Vec::new();
    // Thousands of processes share a child spec's module list and a supervisor: each is
    // rendered once.
    let mut runs_of: HashMap<&ETerm, Option<Term<'static>>> = HashMap::new();
    for p in list(procs) {
        let Some([sup, id, pid @ ETerm::Pid(_), mods]) = as_tuple(p) else {
            continue;
        };
        let runs = runs_of.entry(mods).or_insert_with(|| {
            let runs: Vec<Term<'static>> = list(mods)
                .iter()
                .filter_map(atom_text)
                .filter_map(|m| {
                    let vsn = vsn_of.get(&m)?.clone();
                    Some(Term::tuple(vec![Term::atom(m), Term::string(vsn)]))
                })
                .collect();
            (!runs.is_empty()).then(|| Term::list(runs))
        });
        if let Some(runs) = runs {
            described.push((sup, id, pid, pid_text(pid), runs.clone()));
        }
    }
    let mut states = by_pid(states);
    let large = by_pid(large);
    let mut sup_name: HashMap<&ETerm, Term<'static>> = HashMap::new();
    let mut process_count = 0;
    for (sup, id, pid, text, runs) in described {
        let state = states.remove(pid);
        let too_large = large.get(pid).copied();
        let name = pid_name.get(&text).cloned().unwrap_or(text);
        let mut opts = vec![Term::tuple(vec![Term::atom("runs"), runs])];
        if is_atom(sup, "undefined") {
            opts.push(Term::tuple(vec![
                Term::atom("top_supervisor"),
                top_app
                    .get(&pid_text(pid))
                    .cloned()
                    .unwrap_or_else(|| Term::atom("undefined")),
            ]));
        } else {
            let parent = sup_name
                .entry(sup)
                .or_insert_with(|| Term::atom(name_of(sup)))
                .clone();
            opts.push(Term::tuple(vec![
                Term::atom("child_of"),
                parent,
                from_eetf(id),
            ]));
            if dynamic.contains(&(sup, id)) {
                opts.push(Term::tuple(vec![
                    Term::atom("behaviour"),
                    Term::atom("gen_event"),
                ]));
            }
        }
        // sys:get_state/1 raises on an {error, Reason} reply (a process that does not keep
        // a state it can give, such as code_server): no state, as with OTP.
        let state =
            state.filter(|s| !matches!(as_tuple(s), Some([tag, _]) if is_atom(tag, "error")));
        if let Some(state) = state {
            opts.push(Term::tuple(vec![Term::atom("state"), from_eetf(state)]));
        }
        if let Some(words) = too_large {
            comment(
                &mut out,
                &format!(
                    "the state of {name} is left out: {words} words, over the cap of {MAX_STATE_WORDS}"
                ),
            );
        }
        line(
            &mut out,
            Term::tuple(vec![
                Term::atom("process"),
                Term::atom(name),
                Term::list(opts),
            ]),
        );
        process_count += 1;
    }
    let mut outside = list(unsupervised).iter().peekable();
    if outside.peek().is_some() {
        comment(
            &mut out,
            "behaviour processes outside every supervision tree:",
        );
    }
    for u in outside {
        let Some([pid, module]) = as_tuple(u) else {
            continue;
        };
        let (Some(module), text) = (atom_text(module), pid_text(pid)) else {
            continue;
        };
        let Some(vsn) = vsn_of.get(&module) else {
            continue;
        };
        let name = pid_name.get(&text).cloned().unwrap_or(text);
        comment(
            &mut out,
            &format!("{name} is outside every supervision tree"),
        );
        line(
            &mut out,
            Term::tuple(vec![
                Term::atom("process"),
                Term::atom(name),
                Term::list(vec![Term::tuple(vec![
                    Term::atom("runs"),
                    Term::list(vec![Term::tuple(vec![
                        Term::atom(module),
                        Term::string(vsn.clone()),
                    ])]),
                ])]),
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
