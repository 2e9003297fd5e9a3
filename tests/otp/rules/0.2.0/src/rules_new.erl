-module(rules_new).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

%% New in 0.2.0.
start_link() -> gen_server:start_link(?MODULE, [], []).
init([]) -> {ok, new}.
handle_call(_, _, S) -> {reply, S, S}.
handle_cast(_, S) -> {noreply, S}.
