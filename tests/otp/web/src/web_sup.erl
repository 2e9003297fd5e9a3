-module(web_sup).
-behaviour(supervisor).
-export([start_link/0, init/1]).

start_link() -> supervisor:start_link({local, ?MODULE}, ?MODULE, []).

init([]) ->
    Listener = #{id => web_listener, start => {web_listener, start_link, []},
                 shutdown => 30000},
    {ok, {#{strategy => one_for_one, intensity => 5, period => 10}, [Listener]}}.
