//! One request to many processes at once, for the suspension window.
//!
//! release_handler suspends, code-changes and resumes the processes of a module one after
//! another: `sys:suspend/2`, `sys:change_code/5` and `sys:resume/2` are each a `gen:call` of
//! `{system, From, Request}` that waits for its reply before the next process is asked. Here
//! the same system message goes to every process of the group in one pass and the replies
//! are gathered afterwards, so the processes answer in parallel and the window shrinks to
//! about one message round per process instead of one call.
//!
//! The messages go straight from this connection to each process, in one write, with
//! `From = {Collector, {Tag, Index}}`: the collector is a process on the node sleeping in
//! `timer:sleep/1`, so the replies, `{{Tag, Index}, Reply}`, pile up in its mailbox on the
//! node (ten thousand small messages back over the wire one by one cost far more than the
//! processes' work) and are read in one piece with `erlang:process_info(Collector,
//! messages)` once `message_queue_len` says all are there. Nothing is loaded on the node and
//! no atom is made; the collector ends by itself if this side goes away. A process that dies
//! before answering is noticed by `erlang:is_process_alive/1` and reported as such without
//! waiting out the timeout; one that does not answer in time is reported as a timeout (and,
//! as with release_handler's timed-out `sys:suspend`, the request stays in its mailbox).

use std::time::{Duration, Instant};

use eetf::Term as ETerm;

use super::dist::{Connection, DistError, as_tuple, atom, int, is_atom, tuple};

/// What became of the request to one process.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The process answered this.
    Reply(ETerm),
    /// The process was gone before it answered.
    NoProc,
    /// No answer within the timeout.
    Timeout,
}

/// How long to wait before asking which of the silent processes are still alive.
const LIVENESS_AFTER: Duration = Duration::from_millis(200);

/// Sends `{system, {Self, {Tag, I}}, request}` to the `I`th of `pids` (all at once), and
/// waits for the answers until `timeout`. The answers come back in the order of `pids`.
///
/// # Errors
/// A [`DistError`] when the node cannot be asked; the processes' own refusals are answers.
pub fn system_request(
    conn: &mut Connection,
    pids: &[ETerm],
    request: &ETerm,
    timeout: Duration,
) -> Result<Vec<Answer>, DistError> {
    with_collector(conn, timeout, |conn, collector| {
        gather(conn, collector, pids, request, timeout)
    })
}

/// Runs `f` with a fresh collector on the node, killed afterwards. The collector outlives
/// the wait by a margin and then ends by itself, should this side go away first.
fn with_collector<T>(
    conn: &mut Connection,
    timeout: Duration,
    f: impl FnOnce(&mut Connection, &ETerm) -> Result<T, DistError>,
) -> Result<T, DistError> {
    let lifetime = ETerm::from(eetf::FixInteger::from(
        i32::try_from(timeout.as_millis().saturating_add(60_000)).unwrap_or(i32::MAX),
    ));
    let collector = conn.call(
        "erlang",
        "spawn",
        vec![atom("timer"), atom("sleep"), list(vec![lifetime])],
    )?;
    let result = f(conn, &collector);
    let _ = conn.call("erlang", "exit", vec![collector, atom("kill")]);
    result
}

/// Sends the request to every pid, replies to go to `collector`; returns the tag, the
/// answers known already (not a pid: gone) and how many replies to wait for.
fn send(
    conn: &mut Connection,
    collector: &ETerm,
    pids: &[ETerm],
    request: &ETerm,
) -> Result<(u64, Vec<Option<Answer>>, usize), DistError> {
    let tag = next_tag();
    let mut answers: Vec<Option<Answer>> = vec![None; pids.len()];
    let mut to = Vec::with_capacity(pids.len());
    let mut messages = Vec::with_capacity(pids.len());
    for (i, pid) in pids.iter().enumerate() {
        if matches!(pid, ETerm::Pid(_)) {
            to.push(pid.clone());
            messages.push(tuple(vec![
                atom("system"),
                tuple(vec![
                    collector.clone(),
                    tuple(vec![int(tag), int(i as u64)]),
                ]),
                request.clone(),
            ]));
        } else {
            answers[i] = Some(Answer::NoProc);
        }
    }
    let waiting = to.len();
    if waiting > 0 {
        let send = ETerm::from(eetf::ExternalFun {
            module: eetf::Atom::from("erlang"),
            function: eetf::Atom::from("send"),
            arity: 2,
        });
        // One message to the node, fanned out there by compiled code: ten thousand frames
        // decoded one by one cost the node more than the processes' own work.
        conn.cast("lists", "zipwith", vec![send, list(to), list(messages)])?;
    }
    Ok((tag, answers, waiting))
}

fn gather(
    conn: &mut Connection,
    collector: &ETerm,
    pids: &[ETerm],
    request: &ETerm,
    timeout: Duration,
) -> Result<Vec<Answer>, DistError> {
    let started = Instant::now();
    let deadline = started + timeout;
    let (tag, mut answers, mut waiting) = send(conn, collector, pids, request)?;
    if waiting == 0 {
        return Ok(answers
            .into_iter()
            .map(|a| a.unwrap_or(Answer::NoProc))
            .collect());
    }
    // The usual case in one evaluation: wait on the node until every reply is in, and if all
    // are `ok`, say only that (ten thousand replies need not cross the wire).
    let first_wait = timeout.min(LIVENESS_AFTER);
    let summary = conn.eval(
        WAIT_ALL_OK,
        vec![
            ("C", collector.clone()),
            ("N", int(waiting as u64)),
            ("WaitMs", millis(first_wait)),
        ],
    )?;
    if is_atom(&summary, "all_ok") {
        return Ok(answers
            .into_iter()
            .map(|a| a.unwrap_or(Answer::Reply(atom("ok"))))
            .collect());
    }
    let mut next_liveness = started + LIVENESS_AFTER;
    while waiting > 0 {
        let queued = queue_len(conn, collector)?;
        let now = Instant::now();
        if queued < waiting && now < next_liveness && now < deadline {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        waiting -= read_replies(conn, collector, tag, &mut answers)?;
        if waiting == 0 || now >= deadline {
            break;
        }
        if now >= next_liveness {
            let silent: Vec<usize> = (0..pids.len()).filter(|&i| answers[i].is_none()).collect();
            let alive = are_alive(conn, silent.iter().map(|&i| pids[i].clone()).collect())?;
            for (i, alive) in silent.into_iter().zip(alive) {
                if !alive {
                    answers[i] = Some(Answer::NoProc);
                    waiting -= 1;
                }
            }
            next_liveness = Instant::now() + LIVENESS_AFTER;
        }
    }
    Ok(answers
        .into_iter()
        .map(|a| a.unwrap_or(Answer::Timeout))
        .collect())
}

/// Waits on the node (in 1 ms steps, at most `WaitMs`) until the collector `C` holds `N`
/// replies; `all_ok` when every one is `ok`, else `partial`, `detail` or `gone`. The loop is
/// interpreted but runs once per millisecond, not once per process.
const WAIT_ALL_OK: &str = "
Deadline = erlang:monotonic_time(millisecond) + WaitMs,
Wait = fun W() ->
    case erlang:process_info(C, message_queue_len) of
        {_, L} when L >= N -> done;
        {_, _} ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true -> partial;
                false -> receive after 1 -> W() end
            end;
        undefined -> gone
    end
end,
case Wait() of
    done ->
        {messages, Ms} = erlang:process_info(C, messages),
        case lists:ukeysort(2, Ms) of
            [{_, ok}] -> all_ok;
            _ -> detail
        end;
    Other -> Other
end.
";

/// How many replies wait in the collector's mailbox.
fn queue_len(conn: &mut Connection, collector: &ETerm) -> Result<usize, DistError> {
    let info = conn.call(
        "erlang",
        "process_info",
        vec![collector.clone(), atom("message_queue_len")],
    )?;
    match as_tuple(&info) {
        Some([_, ETerm::FixInteger(n)]) => Ok(usize::try_from(n.value).unwrap_or(0)),
        _ => Err(DistError::BadRpc {
            node: conn.node().to_string(),
            what: "the reply collector".into(),
            reason: format!("it is gone ({info})"),
        }),
    }
}

/// Files the replies in the collector's mailbox under their index; returns how many were
/// new (the mailbox is read whole each time: replies already filed are skipped).
fn read_replies(
    conn: &mut Connection,
    collector: &ETerm,
    tag: u64,
    answers: &mut [Option<Answer>],
) -> Result<usize, DistError> {
    let info = conn.call(
        "erlang",
        "process_info",
        vec![collector.clone(), atom("messages")],
    )?;
    Ok(match as_tuple(&info) {
        Some([_, messages]) => file_replies(messages, tag, answers),
        _ => 0,
    })
}

/// Files each `{{Tag, I}, Reply}` of `messages` under `I`; returns how many were new.
fn file_replies(messages: &ETerm, tag: u64, answers: &mut [Option<Answer>]) -> usize {
    let mut new = 0;
    for message in list_items(messages) {
        if let Some([id, reply]) = as_tuple(message)
            && let Some(i) = id_index(id, tag)
            && let Some(slot @ None) = answers.get_mut(i)
        {
            *slot = Some(Answer::Reply(reply.clone()));
            new += 1;
        }
    }
    new
}

fn list_items(t: &ETerm) -> &[ETerm] {
    match t {
        ETerm::List(l) => &l.elements,
        _ => &[],
    }
}

fn millis(d: Duration) -> ETerm {
    int(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The index `I` of a reply's `{Tag, I}` for the request tagged `tag`.
fn id_index(id: &ETerm, tag: u64) -> Option<usize> {
    match as_tuple(id)? {
        [ETerm::FixInteger(t), ETerm::FixInteger(i)] if i64::from(t.value) == tag as i64 => {
            usize::try_from(i.value).ok()
        }
        _ => None,
    }
}

/// A tag no earlier request of this process used.
fn next_tag() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed) % (i32::MAX as u64)
}

/// `lists:map(fun erlang:is_process_alive/1, Pids)`.
fn are_alive(conn: &mut Connection, pids: Vec<ETerm>) -> Result<Vec<bool>, DistError> {
    let count = pids.len();
    let fun = ETerm::from(eetf::ExternalFun {
        module: eetf::Atom::from("erlang"),
        function: eetf::Atom::from("is_process_alive"),
        arity: 1,
    });
    let answer = conn.call("lists", "map", vec![fun, list(pids)])?;
    Ok(match answer {
        ETerm::List(l) if l.elements.len() == count => {
            l.elements.iter().map(|t| is_atom(t, "true")).collect()
        }
        _ => vec![true; count],
    })
}

fn list(items: Vec<ETerm>) -> ETerm {
    ETerm::from(eetf::List::from(items))
}
