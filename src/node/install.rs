//! `relup node install`: what relx's install script does, over the distribution connection
//! instead of ssh and escripts. The tarball's bytes go into the node's `releases/VSN/`, then
//! `release_handler` unpacks, checks, installs and makes the release permanent. Each step is
//! timed on the node; the first that fails stops the run and is explained.

use serde::Serialize;

use eetf::Term as ETerm;

use super::dist::{
    Connection, DistError, as_tuple, atom, binary, bytes_of, charlist, is_atom, list,
};

/// The steps of the phases `Phases` (`prepare`: write, unpack, check; `install`;
/// `permanent`), evaluated on the node; returns `[{Step, Ok, Micros, ResultText}]` up to and
/// including the first that failed.
const STEPS: &str = r#"
IsOk = fun(ok) -> true; ({ok, _}) -> true; ({ok, _, _}) -> true; (_) -> false end,
Name = case [N || {N, _, _, S} <- release_handler:which_releases(), S =:= current]
            ++ [N || {N, _, _, S} <- release_handler:which_releases(), S =:= permanent] of
    [N1 | _] -> N1;
    [] -> "release"
end,
Package = filename:join([code:root_dir(), "releases", Vsn, Name ++ ".tar.gz"]),
Unpack = case Tar of
    none -> [];
    _ -> [{write, fun() -> case filelib:ensure_dir(Package) of
                               ok -> file:write_file(Package, Tar);
                               E -> E
                           end end},
          {unpack, fun() -> release_handler:unpack_release(Vsn ++ "/" ++ Name) end}]
end,
All = [{prepare, S} || S <- Unpack] ++
    [{prepare, {check, fun() -> release_handler:check_install_release(Vsn) end}},
     {install, {install, fun() -> release_handler:install_release(Vsn, [{update_paths, true}]) end}},
     {permanent, {permanent, fun() -> release_handler:make_permanent(Vsn) end}}],
Steps = [S || {P, S} <- All, lists:member(P, Phases)],
Run = fun Run([], Acc) -> lists:reverse(Acc);
          Run([{Step, F} | T], Acc) ->
              {Us, R} = timer:tc(fun() -> try F() catch C:E -> {C, E} end end),
              Text = unicode:characters_to_binary(io_lib:format("~0tp", [R])),
              Entry = {Step, IsOk(R), Us, Text},
              case IsOk(R) of
                  true -> Run(T, [Entry | Acc]);
                  false -> lists:reverse([Entry | Acc])
              end
      end,
Run(Steps, []).
"#;

/// One step's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `write`, `unpack`, `check`, `install` or `permanent`.
    pub step: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// How long it took on the node, in microseconds.
    pub micros: u64,
    /// What release_handler returned, as Erlang prints it.
    pub result: String,
    /// What a failure means, when we know.
    pub explanation: Option<String>,
}

/// All the steps run.
#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    /// The release installed.
    pub release: String,
    /// The steps, in order, up to the first failure.
    pub steps: Vec<Step>,
}

impl InstallReport {
    /// True when every step ran and succeeded (for the phases run, every step succeeded).
    pub fn steps_ok(&self) -> bool {
        self.steps.iter().all(|s| s.ok)
    }

    /// True when every step ran and succeeded (the last is `permanent`, or `handoff` when
    /// relup run restarted the node into the release: [`super::handoff`]).
    pub fn ok(&self) -> bool {
        self.steps
            .last()
            .is_some_and(|s| s.ok && (s.step == "permanent" || s.step == "handoff"))
    }
}

/// What release_handler's reason means, for the common ones.
fn explain(step: &str, result: &str) -> Option<String> {
    let known: &[(&str, &str)] = &[
        (
            "existing_release",
            "the release is already unpacked on the node: install it without --tar",
        ),
        (
            "no_such_release",
            "the node has no such release: give its tarball with --tar",
        ),
        (
            "no_matching_relup",
            "the release's relup has no entry from the running release: make the relup with --up-from the version the node runs",
        ),
        ("bad_relup_file", "the release's relup cannot be read"),
        ("already_installed", "this release is already installed"),
        (
            "old_processes",
            "processes still run old code of a module whose PrePurge is soft_purge: nothing was changed",
        ),
        ("enoent", "a file is missing on the node"),
        ("eacces", "the node cannot write there (permissions)"),
        (
            "code_change_failed",
            "a code_change crashed after the point of no return: the node restarts into the old release",
        ),
    ];
    known
        .iter()
        .find(|(k, _)| result.contains(k))
        .map(|(_, why)| format!("{step}: {why}"))
}

/// The phases of an install, in order: a cluster whose relup synchronises its nodes
/// (`sync_nodes`) runs each phase on every node before the next phase, the `install` phase
/// on all nodes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Write the tarball (if given), `unpack_release`, `check_install_release`.
    Prepare,
    /// `install_release`.
    Install,
    /// `make_permanent`.
    Permanent,
}

impl Phase {
    fn atom(self) -> ETerm {
        atom(match self {
            Phase::Prepare => "prepare",
            Phase::Install => "install",
            Phase::Permanent => "permanent",
        })
    }
}

/// Installs release `vsn` on the node; `tar` is the release tarball to send first (when the
/// release is not unpacked there yet).
///
/// # Errors
/// A [`DistError`] when the node cannot be asked; a release_handler failure is a step with
/// `ok: false` in the report instead.
pub fn install(
    conn: &mut Connection,
    vsn: &str,
    tar: Option<Vec<u8>>,
) -> Result<InstallReport, DistError> {
    install_phases(
        conn,
        vsn,
        tar,
        &[Phase::Prepare, Phase::Install, Phase::Permanent],
    )
}

/// True when the relup of release `vsn` on the node (unpacked there) holds a `sync_nodes`
/// instruction: its nodes must then run `install_release` together.
///
/// # Errors
/// A [`DistError`] when the node cannot be asked.
pub fn uses_sync_nodes(conn: &mut Connection, vsn: &str) -> Result<bool, DistError> {
    let answer = conn.eval(
        concat!(
            releases_dir!(),
            "case file:consult(filename:join([Dir, Vsn, \"relup\"])) of
             {ok, [{_, Ups, Downs}]} ->
                 lists:any(fun({_, _, Script}) ->
                                   lists:any(fun(I) -> element(1, I) =:= sync_nodes end,
                                             [I || I <- Script, is_tuple(I)])
                           end, Ups ++ Downs);
             _ -> false
         end."
        ),
        vec![("Vsn", charlist(vsn))],
    )?;
    Ok(is_atom(&answer, "true"))
}

/// Runs the steps of `phases` only (see [`Phase`]).
///
/// # Errors
/// As [`install`].
pub fn install_phases(
    conn: &mut Connection,
    vsn: &str,
    tar: Option<Vec<u8>>,
    phases: &[Phase],
) -> Result<InstallReport, DistError> {
    let tar = tar.map_or_else(|| atom("none"), binary);
    let phases = list(phases.iter().map(|p| p.atom()).collect());
    let answer = conn.eval(
        STEPS,
        vec![("Vsn", charlist(vsn)), ("Tar", tar), ("Phases", phases)],
    )?;
    let steps = match &answer {
        eetf::Term::List(l) => l
            .elements
            .iter()
            .filter_map(|e| {
                let [step, ok, micros, text] = as_tuple(e)? else {
                    return None;
                };
                let step = match step {
                    eetf::Term::Atom(a) => a.name.clone(),
                    _ => return None,
                };
                let result = String::from_utf8_lossy(&bytes_of(text)?).into_owned();
                let ok = is_atom(ok, "true");
                let micros = match micros {
                    eetf::Term::FixInteger(i) => u64::try_from(i.value).unwrap_or(0),
                    eetf::Term::BigInteger(b) => b.value.to_string().parse().unwrap_or(0),
                    _ => 0,
                };
                let explanation = if ok { None } else { explain(&step, &result) };
                Some(Step {
                    step,
                    ok,
                    micros,
                    result,
                    explanation,
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(InstallReport {
        release: vsn.to_string(),
        steps,
    })
}
