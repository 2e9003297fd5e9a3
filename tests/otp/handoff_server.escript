#!/usr/bin/env escript
%% A small HTTP/1.0 server for `relup run`'s tests, written the way the README tells server
%% authors to: it serves on the inherited socket (fd 3, LISTEN_FDS/LISTEN_PID), reports
%% READY=1 on NOTIFY_SOCKET, and on SIGTERM stops accepting, finishes the requests it has and
%% exits.
%%
%%   handoff_server.escript MODEFILE
%%
%% MODEFILE's first word picks how this instance behaves, so a test can change it between
%% instances: `serve` (the default), `exit` (exits at once with status 3), `never_ready`
%% (listens but never accepts nor reports ready). Its second word, if any, is a version that
%% the responses carry.
%%
%% GET /            -> "pid=OSPID vsn=VERSION\n"
%% GET /sleep/MS    -> the same, after MS milliseconds
-module(handoff_server).
-mode(compile).
-behaviour(gen_event).
-export([main/1, init/1, handle_event/2, handle_call/2]).

main([ModeFile]) ->
    {Mode, Vsn} = read_mode(ModeFile),
    Mode =:= "exit" andalso halt(3),
    "1" = os:getenv("LISTEN_FDS"),
    true = os:getenv("LISTEN_PID") =:= os:getpid(),
    {ok, L} = gen_tcp:listen(0, [{fd, 3}, binary, {active, false}]),
    ok = gen_event:swap_handler(erl_signal_server, {erl_signal_handler, []}, {?MODULE, self()}),
    case Mode of
        "never_ready" ->
            receive sigterm -> halt(0) end;
        _ ->
            Main = self(),
            Acceptor = spawn_link(fun() -> accept(L, Main, Vsn) end),
            notify("READY=1"),
            loop(Acceptor, 0, false)
    end.

read_mode(File) ->
    case file:read_file(File) of
        {ok, Bin} ->
            case string:lexemes(binary_to_list(Bin), " \n") of
                [M, V | _] -> {M, V};
                [M] -> {M, "0"};
                [] -> {"serve", "0"}
            end;
        _ -> {"serve", "0"}
    end.

%% The main process counts the connections in service; after SIGTERM it exits when the
%% acceptor has stopped and the last connection is done.
loop(Acceptor, Conns, Stopping) ->
    receive
        {conn, Pid} ->
            erlang:monitor(process, Pid),
            loop(Acceptor, Conns + 1, Stopping);
        {'DOWN', _, process, _, _} when Stopping, Conns =< 1 ->
            halt(0);
        {'DOWN', _, process, _, _} ->
            loop(Acceptor, Conns - 1, Stopping);
        sigterm ->
            Acceptor ! stop,
            loop(Acceptor, Conns, Stopping);
        acceptor_done when Conns =:= 0 ->
            halt(0);
        acceptor_done ->
            loop(Acceptor, Conns, true)
    end.

%% Accepts with a short timeout so that a stop is seen between two accepts: a connection is
%% either handed to a handler or left in the kernel's queue for the next instance.
accept(L, Main, Vsn) ->
    receive
        stop -> Main ! acceptor_done
    after 0 ->
        case gen_tcp:accept(L, 50) of
            {ok, S} ->
                Pid = spawn(fun() -> receive go -> serve(S, Vsn) end end),
                ok = gen_tcp:controlling_process(S, Pid),
                Main ! {conn, Pid},
                Pid ! go;
            {error, timeout} ->
                ok
        end,
        accept(L, Main, Vsn)
    end.

serve(S, Vsn) ->
    case read_request(S, <<>>) of
        {ok, Path} ->
            case string:split(Path, "/", all) of
                [<<>>, <<"sleep">>, Ms] -> timer:sleep(binary_to_integer(Ms));
                _ -> ok
            end,
            Body = io_lib:format("pid=~s vsn=~s~n", [os:getpid(), Vsn]),
            Resp = ["HTTP/1.0 200 OK\r\nContent-Length: ", integer_to_list(iolist_size(Body)),
                    "\r\nConnection: close\r\n\r\n", Body],
            gen_tcp:send(S, Resp);
        error ->
            ok
    end,
    gen_tcp:close(S).

read_request(S, Acc) ->
    case binary:match(Acc, <<"\r\n\r\n">>) of
        {_, _} ->
            [Line | _] = binary:split(Acc, <<"\r\n">>),
            case binary:split(Line, <<" ">>, [global]) of
                [_Method, Path | _] -> {ok, Path};
                _ -> error
            end;
        nomatch when byte_size(Acc) > 8192 ->
            error;
        nomatch ->
            case gen_tcp:recv(S, 0, 10000) of
                {ok, More} -> read_request(S, <<Acc/binary, More/binary>>);
                _ -> error
            end
    end.

notify(Msg) ->
    case os:getenv("NOTIFY_SOCKET") of
        false -> ok;
        Path ->
            {ok, U} = gen_udp:open(0, [local]),
            ok = gen_udp:send(U, {local, Path}, 0, Msg),
            gen_udp:close(U)
    end.

%% erl_signal_server handler: SIGTERM goes to the main process instead of init:stop/0.
init({Main, _}) -> {ok, Main}.
handle_event(sigterm, Main) -> Main ! sigterm, {ok, Main};
handle_event(_, Main) -> {ok, Main}.
handle_call(_, Main) -> {ok, ok, Main}.
