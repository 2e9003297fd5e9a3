//! The rehearsal of `relup node check`: every `code_change` the script will call, run on a
//! scratch node (never the live one) with the code it will run, on copies of the states the
//! live processes hold now, in the script's order. A `code_change` that crashes after the
//! point of no return restarts the live node; this finds it before anything is installed.
//!
//! The live node is only read: which processes release_handler would suspend for each module
//! (its own rule), their states (`sys:get_state/2`), and the version of the loaded code.
//! Supervisors are not rehearsed: their `code_change` is the supervisor behaviour's own (it
//! re-reads `init/1`), which the simulation covers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eetf::Term as ETerm;
use serde::Serialize;

use super::dist::{
    ConnectOptions, Connection, DistError, as_tuple, atom, binary, bytes_of, charlist, is_atom,
    list,
};
use crate::instr::{Atom, LowLevel, Mode};
use crate::plan::ebin_dir;

/// What one process's `code_change` did on the scratch node.
#[derive(Debug, Clone, Serialize)]
pub struct Rehearsed {
    /// The script instruction (index) that calls it.
    pub index: usize,
    /// The module.
    pub module: String,
    /// The live process (`<0.85.0>` or its registered name).
    pub process: String,
    /// `ok`, `crash`, `bad_return` or `timeout`.
    pub outcome: String,
    /// The new state, or the crash, as Erlang prints it (cut to 400 characters).
    pub detail: String,
}

/// The whole rehearsal.
#[derive(Debug, Clone, Serialize)]
pub struct Rehearsal {
    /// Every `code_change` call, in the script's order.
    pub calls: Vec<Rehearsed>,
    /// Modules whose new code was not found (not rehearsed).
    pub skipped: Vec<String>,
}

impl Rehearsal {
    /// True when every rehearsed `code_change` returned `{ok, _}`.
    pub fn ok(&self) -> bool {
        self.calls.iter().all(|c| c.outcome == "ok")
    }
}

/// Read on the live node for modules `Ms`: `[{M, OldVsn, [{Pid, Name, State}]}]`.
const LIVE: &str = r#"
Procs = release_handler_1:get_supervised_procs(),
Vsn = fun(M) ->
    case code:which(M) of
        F when is_list(F) ->
            %% release_handler_1:get_vsn/1: a string whole, else [T] -> T.
            case beam_lib:version(F) of
                {ok, {_, V}} ->
                    case is_list(V) andalso io_lib:printable_list(V) of
                        true -> V;
                        false -> case V of [T] -> T; _ -> V end
                    end;
                _ -> undefined
            end;
        _ -> undefined
    end
end,
Name = fun(P) ->
    case erlang:process_info(P, registered_name) of
        {registered_name, N} -> N;
        _ -> P
    end
end,
Sups = [S || {S, _, _, _} <- Procs, is_pid(S)] ++ [P || {undefined, _, P, _} <- Procs],
[{M, Vsn(M),
  [{P, Name(P), (catch sys:get_state(P, 2000))}
   || {_, _, P, Mods} <- Procs, is_pid(P), lists:member(M, Mods),
      not lists:member(P, Sups)]}
 || M <- Ms].
"#;

/// Run on the scratch node: one `code_change`, in its own process, within `Timeout` ms.
const CALL: &str = r#"
{ok, Toks, _} = erl_scan:string(ExtraText ++ "."),
{ok, Extra} = erl_parse:parse_term(Toks),
Self = self(),
P = spawn(fun() ->
    R = try Mod:code_change(OldVsn, State, Extra) of
            {ok, New} -> {ok, New};
            Other -> {bad_return, Other}
        catch C:E:St -> {crash, {C, E, lists:sublist(St, 3)}}
        end,
    Self ! {rehearsed, self(), R}
end),
{Kind, Value} = receive {rehearsed, P, Res} -> Res
                after Timeout -> exit(P, kill), {timeout, Timeout}
                end,
Text = unicode:characters_to_binary(io_lib:format("~0tp", [Value])),
{Kind, Text}.
"#;

/// A scratch node started for the rehearsal, stopped (by pid) when dropped.
struct Scratch {
    child: Child,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Starts `erl` as a hidden scratch node on the same host as `live` (same EPMD) and connects.
fn start_scratch(live: &str, timeout: Duration) -> Result<(Scratch, Connection), DistError> {
    let host = live.split_once('@').map_or("localhost", |(_, h)| h);
    let tag = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let name = format!("relup_rehearsal_{tag}@{host}");
    let cookie = format!("rehearsal_{tag}");
    let flag = if host.contains('.') {
        "-name"
    } else {
        "-sname"
    };
    let child = Command::new("erl")
        .args([
            flag,
            &name,
            "-setcookie",
            &cookie,
            "-hidden",
            "-noshell",
            "-noinput",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| DistError::Handshake {
            node: name.clone(),
            why: format!("cannot start a scratch node with erl: {e}"),
        })?;
    let scratch = Scratch { child };
    let options = ConnectOptions {
        cookie: Some(cookie),
        epmd_port: None,
        timeout,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match Connection::connect(&name, &options) {
            Ok(c) => return Ok((scratch, c)),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// The beam of `module` that the script loads: `lib/APP-VSN/ebin/MODULE.beam`.
fn new_beam(script: &[LowLevel], module: &Atom, lib: &Path) -> Option<PathBuf> {
    script.iter().find_map(|i| match i {
        LowLevel::LoadObjectCode {
            application,
            vsn,
            modules,
        } if modules.contains(module) => {
            let vsn = vsn.as_charlist()?;
            Some(ebin_dir(lib, application.as_str(), &vsn).join(format!("{module}.beam")))
        }
        _ => None,
    })
}

/// Rehearses every `code_change` of `script` (from the live node `live`), with the new code
/// from `lib` (the target release's `lib` directory).
///
/// # Errors
/// A [`DistError`] when the live or the scratch node cannot be asked.
pub fn rehearse(
    live: &mut Connection,
    script: &[LowLevel],
    lib: &Path,
    call_timeout: Duration,
) -> Result<Rehearsal, DistError> {
    let calls: Vec<(usize, Mode, Atom, String)> = script
        .iter()
        .enumerate()
        .flat_map(|(n, i)| match i {
            LowLevel::CodeChange { mode, changes } => changes
                .iter()
                .map(|(m, extra)| (n, mode.unwrap_or(Mode::Up), m.clone(), extra.to_string()))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut rehearsal = Rehearsal {
        calls: Vec::new(),
        skipped: Vec::new(),
    };
    if calls.is_empty() {
        return Ok(rehearsal);
    }
    let modules: Vec<ETerm> = calls.iter().map(|(_, _, m, _)| atom(m.as_str())).collect();
    let live_data = live.eval(LIVE, vec![("Ms", list(modules))])?;
    let per_module: Vec<(String, ETerm, Vec<ETerm>)> = match &live_data {
        ETerm::List(l) => l
            .elements
            .iter()
            .filter_map(|e| {
                let [m, vsn, procs] = as_tuple(e)? else {
                    return None;
                };
                let ETerm::Atom(m) = m else { return None };
                let procs = match procs {
                    ETerm::List(l) => l.elements.clone(),
                    _ => Vec::new(),
                };
                Some((m.name.clone(), vsn.clone(), procs))
            })
            .collect(),
        _ => Vec::new(),
    };
    let (_scratch, mut scratch) =
        start_scratch(live.node(), call_timeout + Duration::from_secs(5))?;
    for (index, mode, module, extra) in &calls {
        let Some((_, old_vsn, procs)) = per_module.iter().find(|(m, _, _)| m == module.as_str())
        else {
            continue;
        };
        let Some(beam) = new_beam(script, module, lib).filter(|p| p.is_file()) else {
            rehearsal.skipped.push(module.to_string());
            continue;
        };
        let bytes = std::fs::read(&beam).map_err(|e| DistError::Io {
            node: scratch.node().to_string(),
            why: format!("{}: {e}", beam.display()),
        })?;
        let loaded = scratch.call(
            "code",
            "load_binary",
            vec![
                atom(module.as_str()),
                charlist(&beam.display().to_string()),
                binary(bytes),
            ],
        )?;
        if !matches!(as_tuple(&loaded), Some([tag, _]) if is_atom(tag, "module")) {
            rehearsal.skipped.push(module.to_string());
            continue;
        }
        let vsn_arg = match mode {
            Mode::Up => old_vsn.clone(),
            Mode::Down => super::dist::tuple(vec![atom("down"), old_vsn.clone()]),
        };
        for p in procs {
            let Some([pid, name, state]) = as_tuple(p) else {
                continue;
            };
            let process = match name {
                ETerm::Atom(a) => a.name.clone(),
                other => other.to_string(),
            };
            let _ = pid;
            let millis = i32::try_from(call_timeout.as_millis()).unwrap_or(i32::MAX);
            let answer = scratch.eval(
                CALL,
                vec![
                    ("Mod", atom(module.as_str())),
                    ("OldVsn", vsn_arg.clone()),
                    ("State", state.clone()),
                    ("ExtraText", charlist(extra)),
                    ("Timeout", ETerm::from(eetf::FixInteger::from(millis))),
                ],
            )?;
            let (outcome, detail) = match as_tuple(&answer) {
                Some([ETerm::Atom(kind), text]) => (
                    kind.name.clone(),
                    bytes_of(text)
                        .map(|b| String::from_utf8_lossy(&b).chars().take(400).collect())
                        .unwrap_or_default(),
                ),
                _ => ("crash".to_string(), answer.to_string()),
            };
            rehearsal.calls.push(Rehearsed {
                index: *index,
                module: module.to_string(),
                process,
                outcome,
                detail,
            });
        }
    }
    Ok(rehearsal)
}
