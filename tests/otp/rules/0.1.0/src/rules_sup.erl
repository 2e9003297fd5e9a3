-module(rules_sup).
-behaviour(supervisor).
-export([start_link/0, init/1]).

start_link() -> supervisor:start_link({local, rules_sup}, ?MODULE, []).

init([]) ->
    {ok, {{one_for_one, 3, 10},
          [{rules_srv, {rules_srv, start_link, []}, permanent, 5000, worker, [rules_srv]},
           #{id => rules_old, start => {rules_old, start_link, []}}]}}.
