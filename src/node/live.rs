//! [`LiveNode`]: the [`Loader`] of a real node, so that [`crate::execute`] runs a low-level
//! script on it with release_handler's semantics but without release_handler: for systems
//! that are not packaged as releases, where modules are loaded by hand today. Object code is
//! read from local beams (`lib/APP-VSN/ebin/MOD.beam`) and sent over the connection; a failure
//! before the point of no return leaves the node as it was (nothing is loaded before it).
//!
//! Pids are the node's own: [`Pid`] holds their number and serial, printed as the node prints
//! them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use eetf::Term as ETerm;

use super::broadcast::{Answer, system_request};
use super::dist::{Connection, DistError, as_tuple, atom, binary, charlist, is_atom, list};
use super::terms::to_eetf;
use crate::exec::{ChildRef, Loader, Pid};
use crate::instr::{Atom, LowLevel, Mfa, Mode, SyncTarget, Timeout};
use crate::plan::ebin_dir;
use crate::term::Term;

/// Why an operation on the live node failed.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The node could not be asked.
    #[error(transparent)]
    Dist(#[from] DistError),
    /// A beam the script loads is not in the local lib directory.
    #[error("no object code for {module}: {path} ({why})")]
    NoBeam {
        /// The module.
        module: Atom,
        /// Where it was looked for.
        path: String,
        /// The system's reason.
        why: String,
    },
    /// The node refused an operation; its answer as Erlang prints it.
    #[error("{what} on the node: {answer}")]
    Refused {
        /// The operation.
        what: String,
        /// The node's answer.
        answer: String,
    },
    /// An instruction this backend does not carry out.
    #[error("{0} is not supported by relup node apply (use relup node install)")]
    Unsupported(&'static str),
}

/// The version each of the modules `Ms` has now, as release_handler_1:get_current_vsn/1
/// reads it (`undefined` when not loaded or without a `-vsn`).
const CURRENT_VSNS: &str = "
[case code:is_loaded(M) of
     {file, _} ->
         case lists:keyfind(vsn, 1, erlang:get_module_info(M, attributes)) of
             {vsn, V} ->
                 %% release_handler_1:get_vsn/1: a string whole, else [T] -> T.
                 case is_list(V) andalso io_lib:printable_list(V) of
                     true -> V;
                     false -> case V of [T] -> T; _ -> V end
                 end;
             false -> undefined
         end;
     false -> undefined
 end || M <- Ms].
";

/// A live node as a [`Loader`].
pub struct LiveNode<'c> {
    conn: &'c mut Connection,
    lib: PathBuf,
    staged: BTreeMap<Atom, (String, Vec<u8>)>,
    old_vsns: BTreeMap<Atom, ETerm>,
    pids: BTreeMap<Pid, ETerm>,
    /// When the first process was suspended and the last resumed.
    window: Option<(Instant, Instant)>,
}

impl<'c> LiveNode<'c> {
    /// A backend on `conn`, reading object code under `lib`.
    pub fn new(conn: &'c mut Connection, lib: impl Into<PathBuf>) -> Self {
        LiveNode {
            conn,
            lib: lib.into(),
            staged: BTreeMap::new(),
            old_vsns: BTreeMap::new(),
            pids: BTreeMap::new(),
            window: None,
        }
    }

    /// The suspension window: from the first suspend to the last resume.
    pub fn suspension_window(&self) -> Option<Duration> {
        self.window.map(|(a, b)| b.saturating_duration_since(a))
    }

    /// The node's pid as ours: its number and serial, as the node prints it.
    fn handle(&mut self, pid: ETerm) -> Pid {
        let ours = match &pid {
            ETerm::Pid(p) => Pid {
                number: p.id,
                serial: p.serial,
            },
            _ => Pid::new(u32::MAX),
        };
        self.pids.insert(ours, pid);
        ours
    }

    fn pid(&self, pid: Pid) -> ETerm {
        self.pids
            .get(&pid)
            .cloned()
            .unwrap_or_else(|| atom("undefined"))
    }

    fn expect_ok(&mut self, what: &str, answer: ETerm) -> Result<(), LiveError> {
        if is_atom(&answer, "ok") || matches!(as_tuple(&answer), Some([t, _]) if is_atom(t, "ok")) {
            return Ok(());
        }
        Err(LiveError::Refused {
            what: what.to_string(),
            answer: answer.to_string(),
        })
    }

    /// `[{Sup, Id, Pid}]` of the supervised processes using `module` (release_handler's rule).
    fn users(&mut self, module: &Atom) -> Result<Vec<(ETerm, ETerm, ETerm)>, LiveError> {
        let answer = self.conn.eval(
            "[{S, Id, P} || {S, Id, P, Mods} <- release_handler_1:get_supervised_procs(),
                            is_pid(P), lists:member(M, Mods)].",
            vec![("M", atom(module.as_str()))],
        )?;
        Ok(match answer {
            ETerm::List(l) => l
                .elements
                .iter()
                .filter_map(|e| match as_tuple(e)? {
                    [s, id, p] => Some((s.clone(), id.clone(), p.clone())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
    }
}

impl LiveNode<'_> {
    /// One system request to every process of a group at once
    /// ([`super::broadcast::system_request`]), each answer as `ok` or the refusal.
    fn group(
        &mut self,
        what: &str,
        request: ETerm,
        pids: &[Pid],
        timeout: Timeout,
    ) -> Result<Vec<Result<(), LiveError>>, DistError> {
        let list: Vec<ETerm> = pids.iter().map(|p| self.pid(*p)).collect();
        let wait = match timeout {
            Timeout::Default => Duration::from_millis(5000),
            Timeout::Millis(ms) => Duration::from_millis(u64::try_from(ms).unwrap_or(0)),
            Timeout::Infinity => self.conn.timeout(),
        };
        let answers = system_request(self.conn, &list, &request, wait)?;
        Ok(answers
            .into_iter()
            .map(|answer| match answer {
                Answer::Reply(r) if is_atom(&r, "ok") => Ok(()),
                Answer::Reply(r) => Err(LiveError::Refused {
                    what: what.to_string(),
                    answer: r.to_string(),
                }),
                Answer::NoProc => Err(LiveError::Refused {
                    what: what.to_string(),
                    answer: "noproc (the process was gone)".into(),
                }),
                Answer::Timeout => Err(LiveError::Refused {
                    what: what.to_string(),
                    answer: format!("timeout (no answer within {} ms)", wait.as_millis()),
                }),
            })
            .collect())
    }

    /// code_change's Extra as the node's term: sent as a term, or, when this side cannot
    /// encode it (an integer beyond 64 bits), as text read on the node.
    fn extra_term(&mut self, extra: &Term<'static>) -> Result<ETerm, DistError> {
        match to_eetf(extra) {
            Some(term) => Ok(term),
            None => self.conn.eval(
                "{ok, Toks, _} = erl_scan:string(ExtraText ++ \".\"), {ok, E} = erl_parse:parse_term(Toks), E.",
                vec![("ExtraText", charlist(&extra.to_string()))],
            ),
        }
    }

    /// The version `code_change` is told: the one loaded before (up), `{down, It}` (down).
    fn code_change_vsn(&self, module: &Atom, mode: Mode) -> ETerm {
        let old = self
            .old_vsns
            .get(module)
            .cloned()
            .unwrap_or_else(|| atom("undefined"));
        match mode {
            Mode::Up => old,
            Mode::Down => super::dist::tuple(vec![atom("down"), old]),
        }
    }

    /// Widens the suspension window to `at`.
    fn mark_window(&mut self, at: Instant) {
        self.window = Some(self.window.map_or((at, at), |(first, _)| (first, at)));
    }
}

fn timeout_term(t: Timeout) -> ETerm {
    match t {
        Timeout::Default => ETerm::from(eetf::FixInteger::from(5000)),
        Timeout::Infinity => atom("infinity"),
        Timeout::Millis(ms) => ETerm::from(eetf::FixInteger::from(
            i32::try_from(ms).unwrap_or(i32::MAX),
        )),
    }
}

fn to_bool(t: &ETerm) -> bool {
    is_atom(t, "true")
}

impl Loader for LiveNode<'_> {
    type Error = LiveError;

    fn instruction(&mut self, _index: usize, _instruction: &LowLevel) -> Result<(), LiveError> {
        Ok(())
    }

    fn read_object_code(
        &mut self,
        application: &Atom,
        vsn: &Term<'static>,
        modules: &[Atom],
    ) -> Result<(), LiveError> {
        let vsn = vsn
            .as_charlist()
            .map(|v| v.into_owned())
            .unwrap_or_default();
        for m in modules {
            let path = ebin_dir(&self.lib, application.as_str(), &vsn).join(format!("{m}.beam"));
            let bytes = std::fs::read(&path).map_err(|e| LiveError::NoBeam {
                module: m.clone(),
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
            self.staged
                .insert(m.clone(), (path.display().to_string(), bytes));
        }
        // The version code_change is told about is the one loaded before
        // (release_handler_1:get_current_vsn/1), read now, before the suspension window.
        let names: Vec<ETerm> = modules.iter().map(|m| atom(m.as_str())).collect();
        let vsns = self.conn.eval(CURRENT_VSNS, vec![("Ms", list(names))])?;
        if let ETerm::List(vsns) = vsns {
            for (m, v) in modules.iter().zip(vsns.elements) {
                self.old_vsns.insert(m.clone(), v);
            }
        }
        Ok(())
    }

    fn has_old_processes(&mut self, module: &Atom) -> Result<bool, LiveError> {
        let answer = self.conn.eval(
            "erlang:check_old_code(M) andalso
             lists:any(fun(P) -> erlang:check_process_code(P, M) end, processes()).",
            vec![("M", atom(module.as_str()))],
        )?;
        Ok(to_bool(&answer))
    }

    fn point_of_no_return(&mut self) -> Result<(), LiveError> {
        Ok(())
    }

    fn load(&mut self, module: &Atom) -> Result<(), LiveError> {
        let (file, bytes) = self
            .staged
            .get(module)
            .cloned()
            .ok_or_else(|| LiveError::NoBeam {
                module: module.clone(),
                path: "(not read by load_object_code)".into(),
                why: "no load_object_code names it".into(),
            })?;
        let _ = self
            .conn
            .call("code", "purge", vec![atom(module.as_str())])?;
        let answer = self.conn.call(
            "code",
            "load_binary",
            vec![atom(module.as_str()), charlist(&file), binary(bytes)],
        )?;
        match as_tuple(&answer) {
            Some([t, _]) if is_atom(t, "module") => Ok(()),
            _ => Err(LiveError::Refused {
                what: format!("code:load_binary({module})"),
                answer: answer.to_string(),
            }),
        }
    }

    fn soft_purge(&mut self, module: &Atom) -> Result<bool, LiveError> {
        let answer = self
            .conn
            .call("code", "soft_purge", vec![atom(module.as_str())])?;
        Ok(to_bool(&answer))
    }

    fn purge(&mut self, module: &Atom) -> Result<bool, LiveError> {
        let answer = self
            .conn
            .call("code", "purge", vec![atom(module.as_str())])?;
        Ok(to_bool(&answer))
    }

    fn delete(&mut self, module: &Atom) -> Result<(), LiveError> {
        let _ = self
            .conn
            .call("code", "delete", vec![atom(module.as_str())])?;
        Ok(())
    }

    fn processes_using(&mut self, module: &Atom) -> Result<Vec<Pid>, LiveError> {
        let users = self.users(module)?;
        Ok(users.into_iter().map(|(_, _, p)| self.handle(p)).collect())
    }

    fn suspend(&mut self, pid: Pid, timeout: Timeout) -> Result<(), LiveError> {
        let p = self.pid(pid);
        let answer = self.conn.eval(
            "try sys:suspend(P, T) catch _:R -> {error, R} end.",
            vec![("P", p), ("T", timeout_term(timeout))],
        )?;
        self.mark_window(Instant::now());
        self.expect_ok("sys:suspend", answer)
    }

    fn code_change(
        &mut self,
        pid: Pid,
        module: &Atom,
        mode: Mode,
        extra: &Term<'static>,
        timeout: Timeout,
    ) -> Result<(), LiveError> {
        let p = self.pid(pid);
        let vsn = self.code_change_vsn(module, mode);
        let extra = self.extra_term(extra)?;
        let answer = self.conn.eval(
            "try sys:change_code(P, M, Vsn, Extra, T) catch _:R -> {error, R} end.",
            vec![
                ("P", p),
                ("M", atom(module.as_str())),
                ("Vsn", vsn),
                ("Extra", extra),
                ("T", timeout_term(timeout)),
            ],
        )?;
        self.expect_ok(&format!("sys:change_code({module})"), answer)
    }

    fn resume(&mut self, pid: Pid) -> Result<(), LiveError> {
        let p = self.pid(pid);
        let answer = self.conn.call("sys", "resume", vec![p])?;
        self.mark_window(Instant::now());
        self.expect_ok("sys:resume", answer)
    }

    fn suspend_group(&mut self, pids: &[Pid], timeout: Timeout) -> Vec<Result<(), LiveError>> {
        if pids.is_empty() {
            return Vec::new();
        }
        let now = Instant::now();
        match self.group("sys:suspend", atom("suspend"), pids, timeout) {
            Ok(results) => {
                self.mark_window(now);
                self.mark_window(Instant::now());
                results
            }
            Err(_) => pids.iter().map(|p| self.suspend(*p, timeout)).collect(),
        }
    }

    fn code_change_group(
        &mut self,
        pids: &[Pid],
        module: &Atom,
        mode: Mode,
        extra: &Term<'static>,
        timeout: Timeout,
    ) -> Vec<Result<(), LiveError>> {
        if pids.is_empty() {
            return Vec::new();
        }
        let vsn = self.code_change_vsn(module, mode);
        let request = self.extra_term(extra).map(|extra| {
            super::dist::tuple(vec![atom("change_code"), atom(module.as_str()), vsn, extra])
        });
        let what = format!("sys:change_code({module})");
        match request.and_then(|r| self.group(&what, r, pids, timeout)) {
            // release_handler stops at the first process that fails; all were asked here at
            // once, so the answers after the first failure are not reported.
            Ok(results) => {
                let failed = results.iter().position(Result::is_err);
                results
                    .into_iter()
                    .take(failed.map_or(usize::MAX, |n| n + 1))
                    .collect()
            }
            Err(_) => pids
                .iter()
                .map(|p| self.code_change(*p, module, mode, extra, timeout))
                .collect(),
        }
    }

    fn resume_group(&mut self, pids: &[Pid]) -> Vec<Result<(), LiveError>> {
        if pids.is_empty() {
            return Vec::new();
        }
        match self.group("sys:resume", atom("resume"), pids, Timeout::Default) {
            Ok(results) => {
                self.mark_window(Instant::now());
                results
            }
            Err(_) => pids.iter().map(|p| self.resume(*p)).collect(),
        }
    }

    fn stop_children(&mut self, module: &Atom) -> Result<Vec<ChildRef>, LiveError> {
        let users = self.users(module)?;
        let mut out = Vec::new();
        for (sup, id, _) in users {
            if !matches!(sup, ETerm::Pid(_)) {
                continue;
            }
            let answer = self.conn.call(
                "supervisor",
                "terminate_child",
                vec![sup.clone(), id.clone()],
            )?;
            self.expect_ok("supervisor:terminate_child", answer)?;
            let id = match &id {
                ETerm::Atom(a) => Atom::from(a.name.as_str()),
                other => Atom::from(other.to_string().as_str()),
            };
            out.push(ChildRef {
                supervisor: self.handle(sup),
                id,
            });
        }
        Ok(out)
    }

    fn restart_child(&mut self, child: &ChildRef) -> Result<(), LiveError> {
        let sup = self.pid(child.supervisor);
        let answer = self.conn.call(
            "supervisor",
            "restart_child",
            vec![sup, atom(child.id.as_str())],
        )?;
        self.expect_ok("supervisor:restart_child", answer)
    }

    fn apply(&mut self, mfa: &Mfa) -> Result<(), LiveError> {
        // release_handler ignores what the call returns; an exception fails the script.
        let answer = self.conn.eval(
            "{ok, Toks, _} = erl_scan:string(ArgsText ++ \".\"),
             {ok, Args} = erl_parse:parse_term(Toks),
             try erlang:apply(M, F, Args), ok catch C:R -> {error, {C, R}} end.",
            vec![
                ("M", atom(mfa.module.as_str())),
                ("F", atom(mfa.function.as_str())),
                ("ArgsText", charlist(&mfa.args.to_string())),
            ],
        )?;
        self.expect_ok(&format!("apply {}:{}", mfa.module, mfa.function), answer)
    }

    fn sync_nodes(&mut self, _id: &Term<'static>, _target: &SyncTarget) -> Result<(), LiveError> {
        Err(LiveError::Unsupported("sync_nodes"))
    }

    fn restart_emulator(&mut self, _new_emulator: bool) -> Result<(), LiveError> {
        Err(LiveError::Unsupported("restarting the emulator"))
    }
}
