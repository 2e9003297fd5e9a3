#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell +S 1:1 +SDcpu 1:1 +SDio 1
%%
%% The project's OTP oracle for translation: runs sasl's own
%% systools_rc:translate_scripts/4 on every case of a case file and prints one
%% line per case (see tests/otp/README.md for the formats).
%%
%%   translate.escript [--components] CASEFILE      (CASEFILE "-" reads stdin)
%%
%% One scheduler of each kind: where OTP's order inside a dependency component
%% comes from ETS iteration over atom indices, a single-scheduler boot gives
%% the same indices, and so the same order, on every run.
-mode(compile).

main(Args) ->
    case parse_args(Args, #{components => false}) of
        {ok, Opts, File} ->
            case read_input(File) of
                {ok, Text} -> run(Text, Opts);
                {error, Why} ->
                    io:format(standard_error, "translate: ~ts: ~p~n", [File, Why]),
                    halt(2)
            end;
        usage ->
            io:format(standard_error, "usage: translate.escript [--components] CASEFILE~n", []),
            halt(2)
    end.

parse_args(["--components" | Rest], Opts) -> parse_args(Rest, Opts#{components => true});
parse_args([File], Opts) -> {ok, Opts, File};
parse_args(_, _) -> usage.

read_input("-") -> {ok, read_stdin([])};
read_input(File) ->
    case file:read_file(File) of
        {ok, Bin} -> {ok, unicode:characters_to_list(Bin)};
        Error -> Error
    end.

read_stdin(Acc) ->
    case io:get_chars(standard_io, "", 65536) of
        eof -> lists:append(lists:reverse(Acc));
        Chars -> read_stdin([Chars | Acc])
    end.

run(Text, Opts) ->
    ok = io:setopts(standard_io, [{encoding, unicode}]),
    %% Calls of translate_dep_to_low/3 show the order OTP took inside each component.
    {module, systools_rc} = code:ensure_loaded(systools_rc),
    1 = erlang:trace_pattern({systools_rc, translate_dep_to_low, 3}, true, [local]),
    Count = each_term(Text, 1, Opts, 0),
    io:format(standard_error, "translate: ~b cases~n", [Count]),
    halt(0).

%% Reads the terms one at a time, so that a syntax error costs one line only.
each_term(Text, Line, Opts, N) ->
    case erl_scan:tokens([], Text, Line) of
        {done, {ok, Tokens, Next}, Rest} ->
            print(case_of(Tokens, Line), Opts),
            each_term(Rest, Next, Opts, N + 1);
        {done, {error, {ErrLine, Mod, Desc}, Next}, Rest} ->
            print({{line, ErrLine}, {{error, parse_error(ErrLine, Mod, Desc)}, []}}, Opts),
            each_term(Rest, Next, Opts, N + 1);
        {done, {eof, _}, _} -> N;
        {more, _} ->
            case lists:all(fun is_blank/1, Text) orelse only_comments(Text) of
                true -> N;
                false ->
                    print({{line, Line}, {{error, {oracle_parse_error, Line, "missing dot"}}, []}}, Opts),
                    N + 1
            end
    end.

is_blank(C) -> C =:= $\s orelse C =:= $\n orelse C =:= $\t orelse C =:= $\r.

only_comments(Text) ->
    case erl_scan:string(Text) of
        {ok, [], _} -> true;
        _ -> false
    end.

parse_error(Line, Mod, Desc) ->
    {oracle_parse_error, Line, lists:flatten(Mod:format_error(Desc))}.

%% `case` is a reserved word; the case files write `{case, ...}` all the same.
case_of(Tokens0, Line) ->
    Tokens = [unreserve(T) || T <- Tokens0],
    case erl_parse:parse_term(Tokens) of
        {ok, {'case', Name, Mode, Script, Apps, PreApps}} ->
            {Name, translate(Mode, Script, Apps, PreApps)};
        {ok, Term} when is_tuple(Term), tuple_size(Term) >= 2 ->
            {element(2, Term), {{error, {oracle_bad_case, Term}}, []}};
        {ok, Term} ->
            {{line, Line}, {{error, {oracle_bad_case, Term}}, []}};
        {error, {ErrLine, Mod, Desc}} ->
            {{line, ErrLine}, {{error, parse_error(ErrLine, Mod, Desc)}, []}}
    end.

unreserve({'case', Anno}) -> {atom, Anno, 'case'};
unreserve(T) -> T.

translate(Mode, Script, Apps0, PreApps0) ->
    case {applications(apps, Apps0), applications(pre_apps, PreApps0)} of
        {{ok, Apps}, {ok, PreApps}} -> run_case(Mode, scripts(Script), Apps, PreApps);
        {{error, _} = E, _} -> {E, []};
        {_, {error, _} = E} -> {E, []}
    end.

scripts({script, Instrs}) -> [Instrs];
scripts({scripts, Scripts}) -> Scripts;
scripts([_ | _] = L) ->
    case all_lists(L) of
        true -> L;
        false -> [L]
    end;
scripts(Other) -> [Other].

all_lists([H | T]) when is_list(H) -> all_lists(T);
all_lists([]) -> true;
all_lists(_) -> false.

%% sasl's #application{} record (systools.hrl): name, type, vsn, id, description, modules,
%% uses, optional, includes, regs, env, maxT, maxP, mod, start_phases, dir.
application(Name, Vsn, Mods, Type) ->
    {application, Name, Type, Vsn, "", "", Mods, [], [], [], [], [], infinity, infinity,
     [], undefined, ""}.

applications(Which, L) when is_list(L) ->
    try
        {ok, [app_entry(Which, E) || E <- L]}
    catch
        throw:{bad_app, E} -> {error, {oracle_bad_app, Which, E}}
    end;
applications(Which, L) -> {error, {oracle_bad_app, Which, L}}.

app_entry(_, {Name, Vsn, Mods}) when is_atom(Name), is_list(Mods) ->
    application(Name, Vsn, Mods, permanent);
app_entry(_, {Name, Vsn, Mods, Type}) when is_atom(Name), is_list(Mods) ->
    application(Name, Vsn, Mods, Type);
app_entry(_, E) -> throw({bad_app, E}).

%% Each case runs in a process of its own, traced, so that the tables systools_rc leaves
%% behind on some errors go with it and the components it translated can be read.
run_case(Mode, Scripts, Apps, PreApps) ->
    Parent = self(),
    {Pid, Ref} = spawn_monitor(fun() ->
        receive go -> ok end,
        Result = try systools_rc:translate_scripts(Mode, Scripts, Apps, PreApps) of
                     R -> R
                 catch
                     Class:E -> {raised, Class, E}
                 end,
        Parent ! {self(), Result}
    end),
    erlang:trace(Pid, true, [call]),
    Pid ! go,
    receive
        {Pid, Result} ->
            erlang:demonitor(Ref, [flush]),
            TRef = erlang:trace_delivered(Pid),
            receive {trace_delivered, Pid, TRef} -> ok end,
            {outcome(Result), components(Pid, [])};
        {'DOWN', Ref, process, Pid, Why} ->
            {{error, {raised, exit, Why}}, components(Pid, [])}
    end.

components(Pid, Acc) ->
    receive
        {trace, Pid, call, {systools_rc, translate_dep_to_low, [_Mode, Instrs, _Appls]}} ->
            components(Pid, [[element(2, I) || I <- Instrs] | Acc])
    after 0 -> lists:reverse(Acc)
    end.

outcome({ok, Script}) -> {ok, Script};
outcome({error, systools_rc, {E, Stack}}) when is_list(Stack), Stack =/= [] ->
    case lists:all(fun is_frame/1, Stack) of
        true -> {error, {'EXIT', E}};
        false -> {error, {E, Stack}}
    end;
outcome({error, systools_rc, Reason}) -> {error, Reason};
outcome({raised, _, _} = R) -> {error, R};
outcome(Other) -> {error, {unexpected, Other}}.

is_frame({M, F, A, Loc}) when is_atom(M), is_atom(F), is_list(Loc) ->
    is_integer(A) orelse is_list(A);
is_frame(_) -> false.

print({Name, {Outcome, Components}}, Opts) ->
    print_line(Name, Outcome, Components, Opts).

print_line(Name, {Tag, Value}, Components, #{components := WithComponents}) ->
    Cols = [p(Name), atom_to_list(Tag), p(Value)] ++
        [p(Components) || WithComponents],
    io:put_chars(standard_io, [lists:join($\t, Cols), $\n]).

p(T) -> io_lib:format("~0p", [T]).
