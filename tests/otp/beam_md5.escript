#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% The project's OTP oracle for BEAM files: for every .beam under the directories given (or
%% under code:lib_dir() when none is), prints FILE<TAB>MODULE<TAB>MD5 with the MD5 that
%% beam_lib:md5/1 computes (lowercase hex), or FILE<TAB>error<TAB>Reason.
%%
%%   beam_md5.escript [DIR...]
-mode(compile).

main(Dirs0) ->
    Dirs = case Dirs0 of
               [] -> [code:lib_dir()];
               _ -> Dirs0
           end,
    Files = lists:sort(lists:append([filelib:wildcard(filename:join(D, "**/*.beam")) || D <- Dirs])),
    [line(F) || F <- Files],
    halt(0).

line(File) ->
    case beam_lib:md5(File) of
        {ok, {Module, Md5}} ->
            Hex = [io_lib:format("~2.16.0b", [B]) || <<B>> <= Md5],
            io:format("~ts\t~ts\t~s~n", [File, atom_to_list(Module), Hex]);
        Error ->
            io:format("~ts\terror\t~0p~n", [File, Error])
    end.
