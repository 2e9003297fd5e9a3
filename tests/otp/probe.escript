#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% The live-release harness's hands on the node (tests/suite/live_release.rs):
%% connects as a hidden node and runs one command.
%%
%%   probe.escript NODE COOKIE wait              until the node answers and tally_srv runs
%%   probe.escript NODE COOKIE bump N            N increments through tally_srv
%%   probe.escript NODE COOKIE state             key=value lines of what the node runs
%%   probe.escript NODE COOKIE install VSN TAR   unpack (bytes sent over the connection),
%%                                               check, install, make permanent
%%   probe.escript NODE COOKIE switch VSN        install an unpacked release, make permanent
%%   probe.escript NODE COOKIE stop              init:stop() on the node
%%
%% Each rpc has a timeout; `wait` tries for at most 30 s. Exit 0 when the command did what
%% it says, 1 otherwise (the reason is printed).

main([Node0, Cookie | Cmd]) ->
    Node = list_to_atom(Node0),
    Me = list_to_atom("probe_" ++ os:getpid() ++ "_"
                      ++ integer_to_list(erlang:unique_integer([positive])) ++ "@localhost"),
    {ok, _} = net_kernel:start([Me, shortnames, 15000]),
    erlang:set_cookie(node(), list_to_atom(Cookie)),
    erlang:set_cookie(Node, list_to_atom(Cookie)),
    ok = io:setopts(standard_io, [{encoding, unicode}]),
    halt(run(Node, Cmd));
main(_) ->
    io:format(standard_error, "usage: probe.escript NODE COOKIE COMMAND [ARGS]~n", []),
    halt(2).

rpc(Node, M, F, A) ->
    case rpc:call(Node, M, F, A, 20000) of
        {badrpc, Why} -> throw({badrpc, {M, F, length(A)}, Why});
        R -> R
    end.

run(Node, ["wait"]) -> wait(Node, 300);
run(Node, ["bump", N]) ->
    [ok = rpc(Node, tally_srv, bump, []) || _ <- lists:seq(1, list_to_integer(N))],
    0;
run(Node, ["state"]) ->
    try state(Node) of
        Lines -> [kv(K, V) || {K, V} <- Lines], 0
    catch
        throw:Why -> kv(probe_error, Why), 1
    end;
run(Node, ["install", Vsn, Tar]) ->
    {ok, Bytes} = file:read_file(Tar),
    Root = rpc(Node, code, root_dir, []),
    Package = filename:join([Root, "releases", Vsn, "tally.tar.gz"]),
    Steps = [{write, fun() -> ok = rpc(Node, filelib, ensure_dir, [Package]),
                              rpc(Node, file, write_file, [Package, Bytes]) end},
             {unpack, fun() -> rpc(Node, release_handler, unpack_release, [Vsn ++ "/tally"]) end}
             | install_steps(Node, Vsn)],
    steps(Steps);
run(Node, ["switch", Vsn]) -> steps(install_steps(Node, Vsn));
run(Node, ["stop"]) ->
    rpc:call(Node, init, stop, [], 5000),
    0;
run(_, Cmd) ->
    io:format(standard_error, "probe: unknown command ~p~n", [Cmd]),
    2.

install_steps(Node, Vsn) ->
    [{check, fun() -> rpc(Node, release_handler, check_install_release, [Vsn]) end},
     {install, fun() -> rpc(Node, release_handler, install_release, [Vsn, [{update_paths, true}]]) end},
     {permanent, fun() -> rpc(Node, release_handler, make_permanent, [Vsn]) end}].

%% Runs the steps in order, printing each result; stops at the first that is not ok.
steps([]) -> 0;
steps([{Name, Fun} | Rest]) ->
    Result = try Fun() catch throw:Why -> {error, Why} end,
    kv(Name, Result),
    case Result of
        ok -> steps(Rest);
        {ok, _} -> steps(Rest);
        {ok, _, _} -> steps(Rest);
        {continue_after_restart, _, _} -> 1;
        _ -> 1
    end.

wait(_Node, 0) -> io:format("wait=timeout~n"), 1;
wait(Node, N) ->
    case net_adm:ping(Node) =:= pong andalso
         is_pid(rpc:call(Node, erlang, whereis, [tally_srv], 2000)) of
        true -> io:format("wait=ok~n"), 0;
        false -> timer:sleep(100), wait(Node, N - 1)
    end.

state(Node) ->
    Releases = [{V, S} || {_, V, _, S} <- rpc(Node, release_handler, which_releases, [])],
    Srv = rpc(Node, erlang, whereis, [tally_srv]),
    Sup = rpc(Node, erlang, whereis, [tally_sup]),
    Children = lists:sort([{Id, is_pid(P)} || {Id, P, _, _} <- rpc(Node, supervisor, which_children, [tally_sup])]),
    Mods = [tally_app, tally_sup, tally_srv, tally_lib, tally_audit],
    Loaded = [{M, module_vsn(Node, M)} || M <- Mods],
    [{releases, lists:sort(Releases)},
     {srv_pid, Srv},
     {sup_pid, Sup},
     {srv_state, rpc(Node, sys, get_state, [tally_srv])},
     {report, rpc(Node, tally_srv, report, [])},
     {step_of_zero, rpc(Node, tally_lib, step, [0])},
     {children, Children},
     {audit, case rpc:call(Node, gen_server, call, [tally_audit, ping], 5000) of
                 {badrpc, _} -> not_running;
                 Pong -> Pong
             end},
     {loaded, Loaded},
     {old_code, [M || M <- Mods, rpc(Node, erlang, check_old_code, [M])]}].

module_vsn(Node, M) ->
    case rpc(Node, code, is_loaded, [M]) of
        false -> not_loaded;
        {file, _} ->
            Attrs = rpc(Node, M, module_info, [attributes]),
            case lists:keyfind(vsn, 1, Attrs) of
                {vsn, V} when is_list(V) -> V;
                _ -> unknown
            end
    end.

kv(K, V) -> io:format("~p=~0tp~n", [K, V]).
