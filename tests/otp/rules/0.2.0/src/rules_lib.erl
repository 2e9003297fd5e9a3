-module(rules_lib).
-export([old/1, fresh/1]).

%% fresh/1 is new and the new rules_srv calls it: rules_lib must be loaded first.
old(N) -> N + 1.

fresh(N) -> {fresh, N}.
