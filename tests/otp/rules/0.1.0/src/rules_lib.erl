-module(rules_lib).
-export([old/1]).

old(N) -> N + 1.
