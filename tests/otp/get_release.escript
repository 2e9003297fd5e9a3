#!/usr/bin/env escript
%% -*- erlang -*-
%% The oracle for reading a release: for each case directory given, runs
%% systools_make:get_release(Dir/r, [Dir]) (the .rel and every .app it names, with OTP's own
%% checks) and prints one line: CaseDir TAB Result, where Result is
%%   {ok, [#application{} in start order], Warnings}
%% or the error as get_release returns it, or {'EXIT', Class} when OTP crashes.
%% Terms are printed with ~0p on one line.
main(Dirs) ->
    lists:foreach(fun(Dir) -> one(Dir) end, Dirs).

one(Dir) ->
    Result = try systools_make:get_release(filename:join(Dir, "r"), [Dir]) of
                 {ok, _Release, Appls, Warnings} ->
                     {ok, [A || {_, A} <- Appls], Warnings};
                 Other ->
                     Other
             catch
                 throw:T -> T;
                 Class:_ -> {'EXIT', Class}
             end,
    io:format("~ts\t~0tp~n", [Dir, Result]).
