-module(tally_srv).
-vsn("0.2.0").
-behaviour(gen_server).
-export([start_link/0, bump/0, report/0]).
-export([init/1, handle_call/3, handle_cast/2, code_change/3]).

%% 0.2.0 remembers which version its state was migrated from.
-record(state, {count = 0, since, migrated_from = none}).

start_link() -> gen_server:start_link({local, tally_srv}, ?MODULE, [], []).

bump() -> gen_server:call(tally_srv, bump).

report() -> gen_server:call(tally_srv, report).

init([]) -> {ok, #state{since = erlang:system_time(second)}}.

handle_call(bump, _From, S = #state{count = N}) ->
    {reply, ok, S#state{count = tally_lib:step(N)}};
handle_call(report, _From, S = #state{count = N, since = T, migrated_from = F}) ->
    {reply, #{count => N, since => T, vsn => "0.2.0", migrated_from => F,
              label => tally_lib:label(N)}, S}.

handle_cast(_Msg, S) -> {noreply, S}.

%% Up: the old module's -vsn comes in; the 0.1.0 state gains a field.
code_change(OldVsn, {state, N, T}, _Extra) when is_list(OldVsn) ->
    {ok, #state{count = N, since = T, migrated_from = OldVsn}};
%% Down (dynamic: this new code runs before 0.1.0 is loaded): back to the 0.1.0 shape.
code_change({down, _Vsn}, #state{count = N, since = T}, _Extra) ->
    {ok, {state, N, T}}.
