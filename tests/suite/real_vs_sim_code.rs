//! The Erlang code of the real-vs-simulator cases (`real_vs_sim_cases.rs`): applications,
//! gen_servers, plain processes and libraries, each the source after `-module` (and `-vsn`,
//! which the harness adds unless the source sets its own).

/// An application callback that is also its top supervisor, registered as `$sup`:
/// `$flags` are the supervisor flags after `strategy => one_for_one`, `$children` the child
/// specs.
macro_rules! sup_app {
    ($sup:literal, $flags:literal, $children:literal) => {
        concat!(
            "-behaviour(application).\n-behaviour(supervisor).\n",
            "-export([start/2, stop/1, init/1]).\n",
            "start(_, _) -> supervisor:start_link({local, ",
            $sup,
            "}, ?MODULE, []).\nstop(_) -> ok.\n",
            "init([]) -> {ok, {#{strategy => one_for_one",
            $flags,
            "}, [",
            $children,
            "]}}.\n"
        )
    };
}

/// A gen_server registered as `$name` with its initial state, its `poke` cast handling and
/// its `code_change/3` clauses.
macro_rules! gen_server {
    ($name:literal, $init:literal, $cast:literal, $code_change:literal) => {
        concat!(
            "-behaviour(gen_server).\n",
            "-export([start_link/0, init/1, handle_call/3, handle_cast/2, code_change/3]).\n",
            "start_link() -> gen_server:start_link({local, ",
            $name,
            "}, ?MODULE, [], []).\n",
            "init([]) -> {ok, ",
            $init,
            "}.\nhandle_call(_, _, S) -> {reply, S, S}.\n",
            $cast,
            "\n",
            $code_change,
            "\n"
        )
    };
}

/// Application `a`: its top supervisor `a_sup` (callback `a_app`) with the gen_server `srv`.
pub(crate) const A_APP: &str = sup_app!(
    "a_sup",
    "",
    "#{id => srv, start => {srv, start_link, []}, modules => [srv]}"
);

/// Version 2 of `a_app`: a second child, `extra`.
pub(crate) const A_APP_EXTRA: &str = sup_app!(
    "a_sup",
    "",
    "#{id => srv, start => {srv, start_link, []}, modules => [srv]},
     #{id => extra, start => {extra, start_link, []}, modules => [extra]}"
);

/// A gen_server registered as `srv`, state `{st, 1}`, code_change keeps the state.
pub(crate) const SRV: &str = gen_server!(
    "srv",
    "{st, 1}",
    "handle_cast(_, S) -> {noreply, S}.",
    "code_change(_, S, _) -> {ok, S}."
);

/// Version 2 of `srv`: code_change from "1" adds a field.
pub(crate) const SRV_2: &str = gen_server!(
    "srv",
    "{st, 1, migrated}",
    "handle_cast(_, S) -> {noreply, S}.",
    "code_change(\"1\", {st, N}, _) -> {ok, {st, N, migrated}}."
);

/// A gen_server registered as `extra`.
pub(crate) const EXTRA: &str = gen_server!(
    "extra",
    "ready",
    "handle_cast(_, S) -> {noreply, S}.",
    "code_change(_, S, _) -> {ok, S}."
);

/// `srv` with its own `-vsn`, "srv-a"; code_change keeps the state.
pub(crate) const SRV_VSN_A: &str = concat!(
    "-vsn(\"srv-a\").\n",
    gen_server!(
        "srv",
        "{st, 1}",
        "handle_cast(_, S) -> {noreply, S}.",
        "code_change(_, S, _) -> {ok, S}."
    )
);

/// `srv` with `-vsn("srv-b")`: code_change puts the version it is given into the state.
pub(crate) const SRV_VSN_B: &str = concat!(
    "-vsn(\"srv-b\").\n",
    gen_server!(
        "srv",
        "{st, 1, init}",
        "handle_cast(_, S) -> {noreply, S}.",
        "code_change({down, Vsn}, {st, N, _}, _) -> {ok, {st, N, {down, Vsn}}};
code_change(Vsn, {st, N}, _) -> {ok, {st, N, Vsn}}."
    )
);

/// A process looping in a module by local calls only (it stays in the version it started in).
pub(crate) const LOOPER: &str = "-export([start/0, loop/0]).
start() -> register(looper, spawn(fun loop/0)), ok.
loop() -> receive stop -> ok after 50 -> loop() end.
";

/// Application `c`: top supervisor `c_sup` (OTP's default intensity of 1 restart in 5 s)
/// with the plain processes `worker` and `worker2` (module `worker`).
pub(crate) const C_APP: &str = sup_app!(
    "c_sup",
    "",
    "#{id => worker, start => {worker, start_link, [worker]}, modules => [worker]},
     #{id => worker2, start => {worker, start_link, [worker2]}, modules => [worker]}"
);

/// Version of `c_app` with the one child `worker`.
pub(crate) const C_APP_ONE: &str = sup_app!(
    "c_sup",
    "",
    "#{id => worker, start => {worker, start_link, [worker]}, modules => [worker]}"
);

/// A plain process (not a sys process) looping by local calls, registered under `Name`.
pub(crate) const WORKER: &str = "-export([start_link/1, loop/0]).
start_link(Name) -> P = spawn_link(fun loop/0), register(Name, P), {ok, P}.
loop() -> receive stop -> ok after 50 -> loop() end.
";

/// Application `d`: top supervisor `d_sup` with one plain process `plain`.
pub(crate) const D_APP: &str = sup_app!(
    "d_sup",
    "",
    "#{id => plain, start => {plain, start_link, []}, modules => [plain]}"
);

/// The plain process of `d`.
pub(crate) const PLAIN: &str = "-export([start_link/0, loop/0]).
start_link() -> P = spawn_link(fun loop/0), register(plain, P), {ok, P}.
loop() -> receive stop -> ok after 50 -> loop() end.
";

/// Application `g`: top supervisor `g_sup` with `srv` and a child declared with
/// `modules => dynamic`: the gen_server `dyn`.
pub(crate) const G_APP_GEN_SERVER: &str = sup_app!(
    "g_sup",
    "",
    "#{id => srv, start => {srv, start_link, []}, modules => [srv]},
     #{id => dyn, start => {gen_server, start_link, [{local, dyn}, dyn, [], []]},
       modules => dynamic}"
);

/// Application `g` with a gen_event manager `evm` as its dynamic child instead.
pub(crate) const G_APP_GEN_EVENT: &str = sup_app!(
    "g_sup",
    "",
    "#{id => srv, start => {srv, start_link, []}, modules => [srv]},
     #{id => evm, start => {gen_event, start_link, [{local, evm}]}, modules => dynamic}"
);

/// The gen_server `dyn` (started by its supervisor with gen_server:start_link/4).
pub(crate) const DYN: &str = "-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).
init([]) -> {ok, idle}.
handle_call(_, _, S) -> {reply, S, S}.
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.
";

/// A library whose `work/0` waits inside its own code for 10 s (a long call).
pub(crate) const LONG_CALL: &str = "-export([work/0]).
work() -> receive stop -> ok after 10000 -> done end.
";

/// A module that makes a fun of its own code (version 2's fun differs: a fun of equal code
/// would be found in the new code and keep working).
pub(crate) const FUN_MAKER: &str = "-export([make/0]).
make() -> fun() -> made end.
";
/// Version 2 of the fun maker.
pub(crate) const FUN_MAKER_2: &str = "-export([make/0]).
make() -> fun() -> {made, 2} end.
";

/// Application `w`: `lib:get/1` reads a counter; version 2 expects `{n, N}` instead of `N`.
pub(crate) const LIB_1: &str = "-export([get/1]).
get(N) when is_integer(N) -> N.
";
/// Version 2 of `lib`.
pub(crate) const LIB_2: &str = "-export([get/1]).
get({n, N}) -> N.
";

/// `w`'s gen_server `srv`: its state is `{st, N}` (version 1) or `{st, {n, N}}` (version 2);
/// `poke` makes it call `lib:get/1` on its counter.
pub(crate) const W_SRV_1: &str = gen_server!(
    "srv",
    "{st, 1}",
    "handle_cast(poke, {st, N} = S) -> lib:get(N), {noreply, S}.",
    "code_change(_, S, _) -> {ok, S}."
);
/// Version 2 of `w`'s `srv`.
pub(crate) const W_SRV_2: &str = gen_server!(
    "srv",
    "{st, {n, 1}}",
    "handle_cast(poke, {st, N} = S) -> lib:get(N), {noreply, S}.",
    "code_change(\"1\", {st, N}, _) -> {ok, {st, {n, N}}}."
);

/// Application `w`'s top supervisor `w_sup` (intensity 5: the crash in the window restarts
/// `srv` without ending the tree).
pub(crate) const W_APP: &str = sup_app!(
    "w_sup",
    ", intensity => 5",
    "#{id => srv, start => {srv, start_link, []}, modules => [srv]}"
);
