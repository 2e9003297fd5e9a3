-module(tally_audit).
-vsn("0.2.0").
-behaviour(gen_server).
-export([start_link/0]).
-export([init/1, handle_call/3, handle_cast/2]).

%% New in 0.2.0: answers `ping` with its version.
start_link() -> gen_server:start_link({local, tally_audit}, ?MODULE, [], []).

init([]) -> {ok, started}.

handle_call(ping, _From, S) -> {reply, {pong, "0.2.0"}, S}.

handle_cast(_Msg, S) -> {noreply, S}.
