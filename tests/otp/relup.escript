#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell +S 1:1 +SDcpu 1:1 +SDio 1
%%
%% The project's OTP oracle for relup planning: builds a throw-away release tree from a spec
%% (tests/otp/README.md), runs sasl's own systools:make_relup/4 on it with noexec and silent,
%% and prints the relup and warnings, or the error.
%%
%%   relup.escript [--keep] SPECFILE      (SPECFILE "-" reads stdin)
%%   relup.escript --tree DIR OPTIONS      make_relup on a tree kept before
%%
%% Spec options beyond the README's: {registered, [Name]} and
%% {app_suffix, Text} (text after the .app's term) per application, {rel_suffix, Text}
%% (text after each .rel's term) for the spec.
%%
%% --keep leaves the tree and prints "relup: kept PATH" on stderr. The tree's path is written
%% as $TMP in the output so that runs compare equal.
-mode(compile).

main(["--tree", Tree, Opts0]) ->
    %% make_relup on a tree kept earlier (and perhaps edited): releases/new.rel against
    %% releases/old*.rel, with the options given as an Erlang term.
    ok = io:setopts(standard_io, [{encoding, unicode}]),
    {ok, Tokens, _} = erl_scan:string(Opts0 ++ "."),
    {ok, Opts} = erl_parse:parse_term(Tokens),
    Olds = lists:sort([filename:rootname(F)
                       || F <- filelib:wildcard(filename:join([Tree, "releases", "old*.rel"]))]),
    Lib = filename:join([Tree, "lib", "*", "ebin"]),
    New = filename:join([Tree, "releases", "new"]),
    Result = try systools:make_relup(New, Olds, Olds, [{path, [Lib]}, noexec, silent | Opts])
             catch C:E -> {error, oracle, {raised, C, E}}
             end,
    report(Result, Tree),
    halt(0);
main(Args) ->
    {Keep, File} = case Args of
                       ["--keep", F] -> {true, F};
                       [F] -> {false, F};
                       _ -> usage()
                   end,
    ok = io:setopts(standard_io, [{encoding, unicode}]),
    Spec = case consult(File) of
               {ok, Terms} -> Terms;
               {error, Why} -> spec_error({unreadable, Why})
           end,
    Tree = make_tree_dir(),
    try
        {New, Olds, Opts} = build(Tree, Spec),
        Lib = filename:join([Tree, "lib", "*", "ebin"]),
        Result = systools:make_relup(New, Olds, Olds, [{path, [Lib]}, noexec, silent | Opts]),
        report(Result, Tree)
    after
        case Keep of
            true -> io:format(standard_error, "relup: kept ~ts~n", [Tree]);
            false -> delete_tree(Tree)
        end
    end,
    halt(0).

usage() ->
    io:format(standard_error, "usage: relup.escript [--keep] SPECFILE~n", []),
    halt(2).

spec_error(What) ->
    io:format("error\t~0p~n", [{oracle_spec_error, What}]),
    halt(2).

consult("-") ->
    {ok, Tokens, _} = erl_scan:string(read_stdin([])),
    parse_all(Tokens, []);
consult(File) -> file:consult(File).

read_stdin(Acc) ->
    case io:get_chars(standard_io, "", 65536) of
        eof -> lists:append(lists:reverse(Acc));
        Chars -> read_stdin([Chars | Acc])
    end.

parse_all([], Acc) -> {ok, lists:reverse(Acc)};
parse_all(Tokens, Acc) ->
    {Term, Rest} = lists:splitwith(fun(T) -> element(1, T) =/= dot end, Tokens),
    case erl_parse:parse_term(Term ++ [hd(Rest)]) of
        {ok, T} -> parse_all(tl(Rest), [T | Acc]);
        Error -> Error
    end.

make_tree_dir() ->
    Tmp = case os:getenv("TMPDIR") of
              false -> "/tmp";
              "" -> "/tmp";
              D -> D
          end,
    make_tree_dir(Tmp, 100).

%% OS pids are reused (a kept tree may still hold an earlier run's name), so the name also
%% carries random bits and a taken name is retried.
make_tree_dir(_Tmp, 0) ->
    error(no_free_tree_dir);
make_tree_dir(Tmp, Tries) ->
    Base = filename:join(Tmp, "relup-oracle-" ++ os:getpid() ++ "-"
                         ++ integer_to_list(rand:uniform(1 bsl 40))),
    case file:make_dir(Base) of
        ok -> Base;
        {error, eexist} -> make_tree_dir(Tmp, Tries - 1)
    end.

delete_tree(Dir) -> file:del_dir_r(Dir).

%% Writes lib/App-Vsn/ebin/App.app (+ App.appup) for every application and
%% releases/new.rel, old1.rel, old2.rel, ...; returns the release names without ".rel".
build(Tree, Spec) ->
    AutoApps = proplists:get_value(auto_apps, Spec, true),
    RelSuffix = proplists:get_value(rel_suffix, Spec, ""),
    Opts = proplists:get_value(options, Spec, []),
    News = [R || {new, _, _, _, _} = R <- Spec],
    Olds = [R || {old, _, _, _, _} = R <- Spec],
    case {News, Olds} of
        {[New], [_ | _]} ->
            NewName = write_release(Tree, "new", New, AutoApps, RelSuffix),
            OldNames = [write_release(Tree, "old" ++ integer_to_list(I), R, AutoApps, RelSuffix)
                        || {I, R} <- lists:zip(lists:seq(1, length(Olds)), Olds)],
            {NewName, OldNames, Opts};
        _ -> spec_error({need_one_new_and_some_old, length(News), length(Olds)})
    end.

write_release(Tree, File, {_, RelName, RelVsn, Erts0, Apps0}, AutoApps, RelSuffix) ->
    Erts = case Erts0 of
               current -> erlang:system_info(version);
               _ -> Erts0
           end,
    Apps = with_auto_apps(Apps0, AutoApps),
    RelApps = [rel_entry(A) || A <- Apps],
    [write_app(Tree, A) || A <- Apps, not is_auto(A)],
    Rel = {release, {RelName, RelVsn}, {erts, Erts}, RelApps},
    Path = filename:join([Tree, "releases", File]),
    ok = filelib:ensure_dir(Path),
    ok = file:write_file(Path ++ ".rel", [io_lib:format("~tp.~n", [Rel]), RelSuffix]),
    Path.

%% kernel, stdlib and sasl at the installed versions, in front, where the spec leaves them out.
with_auto_apps(Apps, false) -> [normalize(A) || A <- Apps];
with_auto_apps(Apps0, true) ->
    Apps = [normalize(A) || A <- Apps0],
    Given = [element(1, A) || A <- Apps],
    Missing = [{auto, Name, installed_vsn(Name)} || Name <- [kernel, stdlib, sasl],
                                                    not lists:member(Name, Given)],
    Missing ++ Apps.

installed_vsn(Name) ->
    _ = application:load(Name),
    {ok, Vsn} = application:get_key(Name, vsn),
    Vsn.

normalize({Name, Vsn, Mods}) -> {Name, Vsn, Mods, []};
normalize({Name, Vsn, Mods, Opts}) -> {Name, Vsn, Mods, Opts};
normalize(Other) -> spec_error({bad_app_spec, Other}).

is_auto({auto, _, _}) -> true;
is_auto(_) -> false.

rel_entry({auto, Name, Vsn}) -> {Name, Vsn};
rel_entry({Name, Vsn, _, Opts}) ->
    case lists:keyfind(type, 1, Opts) of
        {type, Type} -> {Name, Vsn, Type};
        false -> {Name, Vsn}
    end.

write_app(Tree, {Name, Vsn, Mods, Opts}) ->
    Ebin = filename:join([Tree, "lib", atom_to_list(Name) ++ "-" ++ Vsn, "ebin"]),
    ok = filelib:ensure_dir(filename:join(Ebin, "x")),
    Keys = [{description, ""}, {vsn, Vsn}, {modules, Mods},
            {registered, proplists:get_value(registered, Opts, [])},
            {applications, proplists:get_value(applications, Opts, [kernel, stdlib])},
            {included_applications, proplists:get_value(included_applications, Opts, [])}]
        ++ [{mod, M} || {mod, M} <- Opts],
    AppFile = filename:join(Ebin, atom_to_list(Name) ++ ".app"),
    Suffix = proplists:get_value(app_suffix, Opts, ""),
    ok = file:write_file(AppFile, [io_lib:format("~tp.~n", [{application, Name, Keys}]), Suffix]),
    Appup = filename:join(Ebin, atom_to_list(Name) ++ ".appup"),
    case {lists:keyfind(appup, 1, Opts), lists:keyfind(appup_text, 1, Opts)} of
        {{appup, Term}, _} -> ok = file:write_file(Appup, io_lib:format("~tp.~n", [Term]));
        {false, {appup_text, Text}} -> ok = file:write_file(Appup, unicode:characters_to_binary(Text));
        {false, false} -> ok
    end.

report({ok, Relup, _Mod, Warnings}, Tree) ->
    line("ok", Relup, Tree),
    line("warnings", Warnings, Tree);
report(Error, Tree) ->
    line("error", Error, Tree),
    case Error of
        {error, Mod, Reason} ->
            Text = try Mod:format_error(Reason) catch _:_ -> io_lib:format("~tp", [Reason]) end,
            catch io:format(standard_error, "~ts~n", [Text]);
        _ -> ok
    end.

line(Tag, Term, Tree) ->
    Text = lists:flatten(io_lib:format("~0p", [Term])),
    io:format("~ts\t~ts~n", [Tag, string:replace(Text, Tree, "$TMP", all)]).
