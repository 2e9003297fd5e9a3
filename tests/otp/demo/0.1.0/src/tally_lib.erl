-module(tally_lib).
-vsn("0.1.0").
-export([step/1]).

%% One count per increment.
step(N) -> N + 1.
