%% The few lines a release needs to run under `relup run` (or systemd socket activation):
%%  1. listen on the inherited socket when there is one: gen_tcp:listen(0, [{fd, 3} | Opts])
%%     (add inet6 for an IPv6 socket); otherwise bind the port as usual;
%%  2. once serving, send "READY=1" to the datagram socket named by NOTIFY_SOCKET;
%%  3. on SIGTERM, stop accepting, finish the connections in service, then init:stop().
%% The acceptor waits at most 50 ms per accept, so it sees a stop between two accepts and a
%% connection is either served here or left in the kernel's queue for the next instance.
-module(web_listener).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2, handle_info/2]).

start_link() -> gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    process_flag(trap_exit, true),
    {ok, L} = listen(),
    Self = self(),
    Acceptor = spawn_link(fun() -> accept(L, Self) end),
    ok = gen_event:swap_handler(erl_signal_server, {erl_signal_handler, []},
                                {web_sigterm, Self}),
    notify("READY=1"),
    {ok, #{acceptor => Acceptor, conns => 0, draining => false}}.

listen() ->
    Opts = [binary, {active, false}],
    Inherited = os:getenv("LISTEN_FDS") =:= "1" andalso os:getenv("LISTEN_PID") =:= os:getpid(),
    case Inherited of
        true -> gen_tcp:listen(0, [{fd, 3} | Opts]);
        false -> gen_tcp:listen(list_to_integer(os:getenv("WEB_PORT", "8080")),
                                [{reuseaddr, true} | Opts])
    end.

notify(Msg) ->
    case os:getenv("NOTIFY_SOCKET") of
        false -> ok;
        Path ->
            {ok, U} = gen_udp:open(0, [local]),
            ok = gen_udp:send(U, {local, Path}, 0, Msg),
            gen_udp:close(U)
    end.

handle_call(_, _From, S) -> {reply, ok, S}.

handle_cast(_, S) -> {noreply, S}.

handle_info({conn, Pid}, S = #{conns := N}) ->
    erlang:monitor(process, Pid),
    {noreply, S#{conns := N + 1}};
handle_info({'DOWN', _, process, _, _}, S = #{conns := N}) ->
    maybe_stop(S#{conns := N - 1});
handle_info(sigterm, S = #{acceptor := A}) ->
    A ! stop,
    {noreply, S};
handle_info(acceptor_done, S) ->
    maybe_stop(S#{draining := true});
handle_info(_, S) ->
    {noreply, S}.

maybe_stop(S = #{draining := true, conns := 0}) ->
    init:stop(),
    {noreply, S};
maybe_stop(S) ->
    {noreply, S}.

accept(L, Owner) ->
    receive
        stop -> Owner ! acceptor_done
    after 0 ->
        case gen_tcp:accept(L, 50) of
            {ok, S} ->
                Pid = spawn(fun() -> receive go -> serve(S) end end),
                ok = gen_tcp:controlling_process(S, Pid),
                Owner ! {conn, Pid},
                Pid ! go;
            {error, timeout} ->
                ok
        end,
        accept(L, Owner)
    end.

serve(S) ->
    case request_path(S, <<>>) of
        {ok, Path} ->
            case string:split(Path, "/", all) of
                [<<>>, <<"sleep">>, Ms] -> timer:sleep(binary_to_integer(Ms));
                _ -> ok
            end,
            {ok, Vsn} = application:get_key(web, vsn),
            Body = io_lib:format("pid=~s vsn=~s~n", [os:getpid(), Vsn]),
            gen_tcp:send(S, ["HTTP/1.0 200 OK\r\nContent-Length: ",
                             integer_to_list(iolist_size(Body)),
                             "\r\nConnection: close\r\n\r\n", Body]);
        error ->
            ok
    end,
    gen_tcp:close(S).

request_path(S, Acc) ->
    case binary:match(Acc, <<"\r\n\r\n">>) of
        {_, _} ->
            [Line | _] = binary:split(Acc, <<"\r\n">>),
            case binary:split(Line, <<" ">>, [global]) of
                [_, Path | _] -> {ok, Path};
                _ -> error
            end;
        nomatch when byte_size(Acc) > 8192 -> error;
        nomatch ->
            case gen_tcp:recv(S, 0, 10000) of
                {ok, More} -> request_path(S, <<Acc/binary, More/binary>>);
                _ -> error
            end
    end.
