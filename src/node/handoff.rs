//! `relup node install` for a relup whose script restarts the emulator (`restart_emulator`,
//! `restart_new_emulator`) on a node that runs under `relup run`.
//!
//! release_handler would write `new_start_erl.data`, point heart at it and reboot the node:
//! every connection drops while the new node boots (and without heart the install fails with
//! `'heart:set_cmd() error'`). Under `relup run` the restart becomes a handoff instead: the
//! release is made the one the next boot starts (`releases/RELEASES` marks it permanent and
//! `releases/start_erl.data` names it, as `make_permanent` would after the reboot), then the
//! node asks its own `relup run` for a new instance (`SIGHUP` to `RELUP_RUN_PID`). The new
//! node boots the new release on the same sockets; once it is ready the old node is told to
//! drain and stops, which ends this connection: that is the success. If the old node still
//! runs after relup run's ready and drain timeouts, the new instance failed, relup run kept the
//! old one serving, and both files are put back.

use std::time::{Duration, Instant};

use super::dist::{Connection, DistError, as_tuple, bytes_of, charlist, is_atom};
use super::install::Step;

/// Where a handoff goes: relup run's pid and how long it takes at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffTarget {
    /// The pid of the `relup run` supervising the node.
    pub supervisor_pid: u32,
    /// relup run's ready timeout plus its drain timeout (from the node's environment).
    pub wait: Duration,
}

const TARGET: &str = concat!(
    releases_dir!(),
    r#"
Running = [V || {_, V, _, S} <- release_handler:which_releases(), S =:= current]
          ++ [V || {_, V, _, S} <- release_handler:which_releases(), S =:= permanent],
Restarts = case {Running, file:consult(filename:join([Dir, Vsn, "relup"]))} of
    {[From | _], {ok, [{_, Ups, _}]}} ->
        case lists:keyfind(From, 1, Ups) of
            {_, _, Script} ->
                lists:any(fun(I) -> lists:member(I, [restart_emulator, restart_new_emulator]) end,
                          Script);
            false -> false
        end;
    _ -> false
end,
Env = fun(K) -> case os:getenv(K) of false -> <<>>; V -> list_to_binary(V) end end,
{Restarts, Env("RELUP_RUN_PID"), Env("RELUP_RUN_READY_TIMEOUT"), Env("RELUP_RUN_DRAIN_TIMEOUT")}.
"#
);

/// The handoff to make instead of release_handler's reboot, if release `vsn` (unpacked on the
/// node) restarts the emulator from the running release and the node runs under `relup run`.
///
/// # Errors
/// A [`DistError`] when the node cannot be asked.
pub fn handoff_target(
    conn: &mut Connection,
    vsn: &str,
) -> Result<Option<HandoffTarget>, DistError> {
    let answer = conn.eval(TARGET, vec![("Vsn", charlist(vsn))])?;
    let Some([restarts, pid, ready, drain]) = as_tuple(&answer) else {
        return Ok(None);
    };
    let text =
        |t: &eetf::Term| String::from_utf8_lossy(&bytes_of(t).unwrap_or_default()).into_owned();
    let secs = |t: &eetf::Term| {
        text(t)
            .parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    };
    let Ok(supervisor_pid) = text(pid).parse::<u32>() else {
        return Ok(None);
    };
    if !is_atom(restarts, "true") {
        return Ok(None);
    }
    let wait = secs(ready).unwrap_or(Duration::from_secs(60))
        + secs(drain).unwrap_or(Duration::from_secs(30))
        + Duration::from_secs(10);
    Ok(Some(HandoffTarget {
        supervisor_pid,
        wait,
    }))
}

/// Marks `Vsn` permanent in RELEASES and names it in start_erl.data (each file written to a
/// temporary name and renamed; the old contents kept in `*.relup-backup`), then sends SIGHUP.
const SWITCH: &str = concat!(
    releases_dir!(),
    r#"
RelFile = filename:join(Dir, "RELEASES"),
DataFile = filename:join(Dir, "start_erl.data"),
Write = fun(F, Bytes) ->
            Tmp = F ++ ".relup-tmp",
            ok = file:write_file(Tmp, Bytes),
            ok = file:rename(Tmp, F)
        end,
try
    {ok, [Rels]} = file:consult(RelFile),
    New = case lists:keyfind(Vsn, 3, Rels) of
              false -> throw({no_such_release, Vsn});
              R -> R
          end,
    {ok, OldRels} = file:read_file(RelFile),
    {ok, OldData} = file:read_file(DataFile),
    ok = file:write_file(RelFile ++ ".relup-backup", OldRels),
    ok = file:write_file(DataFile ++ ".relup-backup", OldData),
    Status = fun(R1) when element(3, R1) =:= Vsn -> permanent;
                (R1) when element(6, R1) =:= permanent; element(6, R1) =:= current -> old;
                (R1) -> element(6, R1)
             end,
    Write(RelFile, io_lib:format("~p.~n", [[setelement(6, R1, Status(R1)) || R1 <- Rels]])),
    Write(DataFile, [element(4, New), " ", Vsn]),
    os:cmd("kill -HUP " ++ integer_to_list(Pid)),
    {ok, Vsn}
catch C:E -> {C, E}
end.
"#
);

const RESTORE: &str = concat!(
    releases_dir!(),
    r#"
[begin
     F = filename:join(Dir, N),
     {ok, B} = file:read_file(F ++ ".relup-backup"),
     ok = file:write_file(F ++ ".relup-tmp", B),
     ok = file:rename(F ++ ".relup-tmp", F)
 end || N <- ["RELEASES", "start_erl.data"]],
restored.
"#
);

/// Performs the handoff and waits for it (see the module's doc); the outcome is the install's
/// `handoff` step. The connection is closed by the node's stop when it succeeds.
///
/// # Errors
/// A [`DistError`] when the node cannot be asked before the switch.
pub fn handoff(
    conn: &mut Connection,
    vsn: &str,
    target: &HandoffTarget,
) -> Result<Step, DistError> {
    let started = Instant::now();
    let pid = super::dist::int(u64::from(target.supervisor_pid));
    let answer = conn.eval(SWITCH, vec![("Vsn", charlist(vsn)), ("Pid", pid)])?;
    let step = |ok: bool, result: String, explanation: Option<String>| Step {
        step: "handoff".into(),
        ok,
        micros: started.elapsed().as_micros() as u64,
        result,
        explanation,
    };
    if !matches!(as_tuple(&answer), Some([tag, _]) if is_atom(tag, "ok")) {
        let text = super::terms::from_eetf(&answer).to_string();
        return Ok(step(
            false,
            text,
            Some("handoff: the release files could not be switched; nothing was changed".into()),
        ));
    }
    conn.set_timeout(Duration::from_secs(2));
    let deadline = started + target.wait;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        if conn.eval("ok.", Vec::new()).is_err() {
            let result = format!(
                "{{handoff,{vsn}}}: relup run (pid {}) started {vsn} on the same sockets; the old node drained and stopped",
                target.supervisor_pid
            );
            return Ok(step(true, result, None));
        }
    }
    let restored = conn.eval(RESTORE, Vec::new()).is_ok();
    Ok(step(
        false,
        format!("{{handoff_timeout,{}}}", target.wait.as_secs()),
        Some(format!(
            "handoff: the old node still runs after {} s: the new instance was not ready (see relup run's log), relup run kept the old one serving; release files {}",
            target.wait.as_secs(),
            if restored {
                "put back"
            } else {
                "NOT put back (see releases/*.relup-backup)"
            }
        )),
    ))
}
