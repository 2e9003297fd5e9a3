-module(tally_srv).
-vsn("0.1.0").
-behaviour(gen_server).
-export([start_link/0, bump/0, report/0]).
-export([init/1, handle_call/3, handle_cast/2, code_change/3]).

-record(state, {count = 0, since}).

start_link() -> gen_server:start_link({local, tally_srv}, ?MODULE, [], []).

bump() -> gen_server:call(tally_srv, bump).

report() -> gen_server:call(tally_srv, report).

init([]) -> {ok, #state{since = erlang:system_time(second)}}.

handle_call(bump, _From, S = #state{count = N}) ->
    {reply, ok, S#state{count = tally_lib:step(N)}};
handle_call(report, _From, S = #state{count = N, since = T}) ->
    {reply, #{count => N, since => T, vsn => "0.1.0"}, S}.

handle_cast(_Msg, S) -> {noreply, S}.

code_change(_OldVsn, S, _Extra) -> {ok, S}.
