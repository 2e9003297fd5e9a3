-module(tally_sup).
-vsn("0.2.0").
-behaviour(supervisor).
-export([start_link/0, init/1]).

start_link() -> supervisor:start_link({local, tally_sup}, ?MODULE, []).

%% 0.2.0 adds the audit child; supervisor:code_change learns its spec, the appup starts it.
init([]) ->
    Srv = #{id => tally_srv, start => {tally_srv, start_link, []}, modules => [tally_srv]},
    Audit = #{id => tally_audit, start => {tally_audit, start_link, []},
              modules => [tally_audit]},
    {ok, {#{strategy => one_for_one, intensity => 3, period => 10}, [Srv, Audit]}}.
