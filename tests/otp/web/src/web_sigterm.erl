%% Replaces erl_signal_server's default SIGTERM handler (init:stop/0 at once) with a message
%% to the listener, which drains first.
-module(web_sigterm).
-behaviour(gen_event).
-export([init/1, handle_event/2, handle_call/2]).

init({Listener, _}) -> {ok, Listener}.

handle_event(sigterm, Listener) -> Listener ! sigterm, {ok, Listener};
handle_event(_, Listener) -> {ok, Listener}.

handle_call(_, Listener) -> {ok, ok, Listener}.
