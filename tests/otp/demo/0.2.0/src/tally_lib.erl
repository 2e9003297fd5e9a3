-module(tally_lib).
-vsn("0.2.0").
-export([step/1, label/1]).

%% 0.2.0 counts in fives, and names the count (label/1 is new: the new tally_srv calls it,
%% so the appup loads tally_lib first).
step(N) -> N + 5.

label(N) -> "tally:" ++ integer_to_list(N).
