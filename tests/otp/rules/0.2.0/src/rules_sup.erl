-module(rules_sup).
-behaviour(supervisor).
-export([start_link/0, init/1]).

start_link() -> supervisor:start_link({local, rules_sup}, ?MODULE, []).

%% 0.2.0: rules_old's child goes, rules_new's comes (a tuple spec and a map spec).
init([]) ->
    Srv = {rules_srv, {rules_srv, start_link, []}, permanent, 5000, worker, [rules_srv]},
    {ok, {{one_for_one, 3, 10}, [Srv, #{id => rules_new, start => {rules_new, start_link, []}}]}}.
