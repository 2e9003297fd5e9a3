-module(tally_sup).
-vsn("0.1.0").
-behaviour(supervisor).
-export([start_link/0, init/1]).

start_link() -> supervisor:start_link({local, tally_sup}, ?MODULE, []).

init([]) ->
    Srv = #{id => tally_srv, start => {tally_srv, start_link, []}, modules => [tally_srv]},
    {ok, {#{strategy => one_for_one, intensity => 3, period => 10}, [Srv]}}.
