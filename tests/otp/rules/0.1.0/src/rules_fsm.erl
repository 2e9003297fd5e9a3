-module(rules_fsm).
-behaviour(gen_statem).
-export([init/1, callback_mode/0, idle/3]).

%% A gen_statem without code_change: a soft update (suspended, loaded, resumed).
init([]) -> {ok, idle, 1}.

callback_mode() -> state_functions.

idle(_Type, _Msg, Data) -> {keep_state, Data}.
