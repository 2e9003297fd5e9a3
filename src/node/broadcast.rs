//! One request to many processes at once, for the suspension window.
//!
//! release_handler suspends, code-changes and resumes the processes of a module one after
//! another: `sys:suspend/2`, `sys:change_code/5` and `sys:resume/2` are each a `gen:call` of
//! `{system, From, Request}` that waits for its reply before the next process is asked. Here
//! the same system message goes to every process of the group in one pass and the replies
//! are gathered afterwards, so the processes answer in parallel and the window shrinks to
//! about one message round per process instead of one call.
//!
//! One evaluation on the node does it: it starts a collector (a process sleeping in
//! `timer:sleep/1`), builds the messages `{system, {Collector, Pid}, Request}` and sends
//! them with compiled `lists` functions (`zip3`, `zip`, `duplicate`, `zipwith` of
//! `erlang:send/2`: nothing interpreted runs once per process), and waits in 1 ms steps for
//! the collector's mailbox to hold every reply `{Pid, Reply}`. When all are `ok` it says only
//! that; otherwise the replies are read here, and a process that died before answering is
//! noticed by `erlang:is_process_alive/1` rather than waited for. One that does not answer in
//! time is reported as a timeout (and, as with release_handler's timed-out `sys:suspend`,
//! the request stays in its mailbox). Nothing is loaded on the node and no atom is made; the
//! collector ends by itself should this side go away.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use eetf::Term as ETerm;

use super::dist::{Connection, DistError, as_tuple, atom, int, is_atom, list};

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

/// How long the node waits for the replies before this side looks at who is silent.
const LIVENESS_AFTER: Duration = Duration::from_millis(200);

/// The fan-out, evaluated on the node: `all_ok` (collector gone), or `{detail, Collector}`
/// when some reply is not `ok` or missing after `WaitMs` (collector left for reading).
const FAN_OUT: &str = "
W = length(Pids),
Collector = spawn(timer, sleep, [LifeMs]),
lists:zipwith(fun erlang:send/2, Pids,
              lists:zip3(lists:duplicate(W, system),
                         lists:zip(lists:duplicate(W, Collector), Pids),
                         lists:duplicate(W, Request))),
Deadline = erlang:monotonic_time(millisecond) + WaitMs,
Wait = fun Loop() ->
    {_, L} = erlang:process_info(Collector, message_queue_len),
    case L >= W of
        true -> done;
        false ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true -> waiting;
                false -> receive after 1 -> Loop() end
            end
    end
end,
case Wait() of
    done ->
        {messages, Ms} = erlang:process_info(Collector, messages),
        case lists:ukeysort(2, Ms) of
            [{_, ok}] -> exit(Collector, kill), all_ok;
            _ -> {detail, Collector}
        end;
    waiting -> {detail, Collector}
end.
";

/// Sends `{system, {Collector, Pid}, request}` to each of `pids` at once and waits for the
/// answers until `timeout`. The answers come back in the order of `pids`.
///
/// # Errors
/// A [`DistError`] when the node cannot be asked; the processes' own refusals are answers.
pub fn system_request(
    conn: &mut Connection,
    pids: &[ETerm],
    request: &ETerm,
    timeout: Duration,
) -> Result<Vec<Answer>, DistError> {
    let started = Instant::now();
    let mut answers: Vec<Option<Answer>> = pids
        .iter()
        .map(|p| (!matches!(p, ETerm::Pid(_))).then_some(Answer::NoProc))
        .collect();
    let to: Vec<ETerm> = pids
        .iter()
        .filter(|p| matches!(p, ETerm::Pid(_)))
        .cloned()
        .collect();
    if to.is_empty() {
        return Ok(finish(answers));
    }
    let first_wait = timeout.min(LIVENESS_AFTER);
    let outcome = conn.eval(
        FAN_OUT,
        vec![
            ("Pids", list(to)),
            ("Request", request.clone()),
            ("WaitMs", millis(first_wait)),
            ("LifeMs", millis(timeout + Duration::from_secs(60))),
        ],
    )?;
    if is_atom(&outcome, "all_ok") {
        return Ok(answers
            .into_iter()
            .map(|a| a.unwrap_or(Answer::Reply(atom("ok"))))
            .collect());
    }
    let Some([_, collector]) = as_tuple(&outcome) else {
        return Err(DistError::BadRpc {
            node: conn.node().to_string(),
            what: "the fan-out".into(),
            reason: outcome.to_string(),
        });
    };
    let collector = collector.clone();
    let result = follow_up(conn, &collector, pids, &mut answers, started + timeout);
    let _ = conn.call("erlang", "exit", vec![collector, atom("kill")]);
    result.map(|()| finish(answers))
}

/// Reads the replies in the collector's mailbox until every process has answered or is
/// gone, or `deadline`.
fn follow_up(
    conn: &mut Connection,
    collector: &ETerm,
    pids: &[ETerm],
    answers: &mut [Option<Answer>],
    deadline: Instant,
) -> Result<(), DistError> {
    let mut index: HashMap<&ETerm, Vec<usize>> = HashMap::new();
    for (i, pid) in pids.iter().enumerate() {
        index.entry(pid).or_default().push(i);
    }
    loop {
        read_replies(conn, collector, &index, answers)?;
        let silent: Vec<usize> = (0..pids.len()).filter(|&i| answers[i].is_none()).collect();
        if silent.is_empty() || Instant::now() >= deadline {
            return Ok(());
        }
        let alive = are_alive(conn, silent.iter().map(|&i| pids[i].clone()).collect())?;
        for (i, alive) in silent.into_iter().zip(alive) {
            if !alive {
                answers[i] = Some(Answer::NoProc);
            }
        }
        if answers.iter().all(Option::is_some) {
            return Ok(());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(left.min(Duration::from_millis(20)));
    }
}

/// Files each `{Pid, Reply}` in the collector's mailbox under its process (replies already
/// filed are skipped: the mailbox is read whole each time).
fn read_replies(
    conn: &mut Connection,
    collector: &ETerm,
    index: &HashMap<&ETerm, Vec<usize>>,
    answers: &mut [Option<Answer>],
) -> Result<(), DistError> {
    let info = conn.call(
        "erlang",
        "process_info",
        vec![collector.clone(), atom("messages")],
    )?;
    let Some([_, ETerm::List(messages)]) = as_tuple(&info) else {
        return Ok(());
    };
    for message in &messages.elements {
        if let Some([pid, reply]) = as_tuple(message) {
            for &i in index.get(pid).map_or(&[][..], Vec::as_slice) {
                if let Some(slot @ None) = answers.get_mut(i) {
                    *slot = Some(Answer::Reply(reply.clone()));
                    break;
                }
            }
        }
    }
    Ok(())
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

fn finish(answers: Vec<Option<Answer>>) -> Vec<Answer> {
    answers
        .into_iter()
        .map(|a| a.unwrap_or(Answer::Timeout))
        .collect()
}

fn millis(d: Duration) -> ETerm {
    int(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
