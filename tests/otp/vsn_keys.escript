#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% The project's OTP oracle for appup version keys: for each `{Key, Vsn}.` term of a file,
%% asks sasl's own systools_relup:appup_search_for_version/2 whether an entry keyed `Key`
%% is selected for version `Vsn`. Prints one line per term: `match`, `nomatch`, or
%% `crash` (OTP raises, e.g. on a pattern re cannot compile).
%%
%%   vsn_keys.escript FILE
-mode(compile).

main([File]) ->
    {ok, Terms} = file:consult(File),
    ok = io:setopts(standard_io, [{encoding, unicode}]),
    [io:put_chars([lookup(Key, Vsn), $\n]) || {Key, Vsn} <- Terms],
    halt(0);
main(_) ->
    io:format(standard_error, "usage: vsn_keys.escript FILE~n", []),
    halt(2).

lookup(Key, Vsn) ->
    try systools_relup:appup_search_for_version(Vsn, [{Key, selected}]) of
        {ok, selected} -> "match";
        error -> "nomatch"
    catch
        _:_ -> "crash"
    end.
