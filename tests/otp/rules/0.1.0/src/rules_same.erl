-module(rules_same).
-export([same/0]).

%% Unchanged between the versions: no instruction.
same() -> unchanged.
