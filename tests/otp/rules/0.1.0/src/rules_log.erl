-module(rules_log).
-export([banner/0]).

%% Only a literal changes between the versions.
banner() -> "rules 0.1.0".
