//! The situations `real_vs_sim.rs` runs on real nodes and in the simulator. Each is Erlang
//! source per application version (the harness adds `-module` and `-vsn`), the setup that
//! starts it on a node running version 1, the low-level script release_handler evaluates,
//! what is observed, and the same situation as a scenario file.

use crate::real_vs_sim_code::*;

/// The scenario of application `a` running version 1 (`a_sup` with `srv` in state
/// `{st, 1}`), then the lines given (scenario lines may come in any order but processes').
macro_rules! a_node {
    ($($more:literal),* $(,)?) => {
        concat!(
            r#"{release, "1"}.
{module, a_app, [{current, "1"}]}.
{module, srv, [{current, "1"}]}.
{supervisor, a_app, "1", [{srv, [srv]}]}.
{process, a_sup, [{runs, [{a_app, "1"}]}, {top_supervisor, a}]}.
{process, srv, [{runs, [{srv, "1"}]}, {child_of, a_sup, srv}, {state, {st, 1}}]}.
"#,
            $($more),*
        )
    };
}

/// Application `a` with `srv` from version 1 to version 2 (which migrates its state).
const A_SRV_1_TO_2: &[(&str, &str, &str, &str)] = &[
    ("a", "1", "a_app", A_APP),
    ("a", "1", "srv", SRV),
    ("a", "2", "a_app", A_APP),
    ("a", "2", "srv", SRV_2),
];

/// Application `a` gaining the child `extra` in version 2.
const A_EXTRA_1_TO_2: &[(&str, &str, &str, &str)] = &[
    ("a", "1", "a_app", A_APP),
    ("a", "1", "srv", SRV),
    ("a", "2", "a_app", A_APP_EXTRA),
    ("a", "2", "extra", EXTRA),
];

/// One situation.
pub(crate) struct Case {
    /// A name that says what happens.
    pub name: &'static str,
    /// `(application, version, module, source after -module/-vsn)`, an application's
    /// versions together and in order.
    pub sources: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// Erlang expressions run after each application's first version is on the code path
    /// (`Lib` is the lib directory); their value must be `ok`.
    pub setup: &'static str,
    /// Registered names observed, and whether their state is compared.
    pub names: &'static [(&'static str, bool)],
    /// Modules observed.
    pub modules: &'static [&'static str],
    /// The low-level script.
    pub script: &'static str,
    /// The same situation for the simulator.
    pub scenario: &'static str,
    /// Then `make_permanent`'s purges of the modules left unpurged.
    pub make_permanent: bool,
    /// Erlang expressions run on the real node last (`Orig` maps each observed name to its
    /// pid before the script), whose value lists the hazards seen to happen (`badfun`,
    /// `data_format_window`), compared with the simulator's predicted hazards of those
    /// kinds; empty for none.
    pub probe: &'static str,
}

pub(crate) const CASES: &[Case] = &[
    Case {
        name: "gen_server keeps its pid and migrates its state",
        sources: A_SRV_1_TO_2,
        setup: "application:start(a)",
        names: &[("a_sup", false), ("srv", true)],
        modules: &["srv"],
        script: r#"[{load_object_code,{a,"2",[srv]}},point_of_no_return,{suspend,[srv]},
            {load,{srv,brutal_purge,brutal_purge}},{code_change,up,[{srv,[]}]},{resume,[srv]}]"#,
        scenario: a_node!("{migration, srv, up, {st, '$1'}, {st, '$1', migrated}}.\n"),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "a process lingering in the oldest of three versions is killed",
        sources: &[
            ("b", "1", "m", LOOPER),
            ("b", "2", "m", LOOPER),
            ("b", "3", "m", LOOPER),
        ],
        setup: "ok = m:start(),
                {module, m} = code:load_abs(filename:join([Lib, \"b-2\", \"ebin\", \"m\"])),
                ok",
        names: &[("looper", false)],
        modules: &["m"],
        script: r#"[{load_object_code,{b,"3",[m]}},point_of_no_return,
            {load,{m,brutal_purge,brutal_purge}}]"#,
        scenario: r#"{release, "2"}.
{module, m, [{current, "2"}, {old, "1"}]}.
{process, looper, [{runs, [{m, "1"}]}, {loop, local}]}.
"#,
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "a new child spec is not started by the supervisor's code_change",
        sources: A_EXTRA_1_TO_2,
        setup: "application:start(a)",
        names: &[("a_sup", false), ("srv", true), ("extra", false)],
        modules: &["a_app", "extra"],
        script: r#"[{load_object_code,{a,"2",[a_app,extra]}},point_of_no_return,
            {load,{extra,brutal_purge,brutal_purge}},{suspend,[a_app]},
            {load,{a_app,brutal_purge,brutal_purge}},{code_change,up,[{a_app,[]}]},
            {resume,[a_app]}]"#,
        scenario: a_node!(
            "{supervisor, a_app, \"2\", [{srv, [srv]}, {extra, [extra]}]}.\n",
            "{child_start, extra, [{state, ready}]}.\n"
        ),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "restart_child starts the new child",
        sources: A_EXTRA_1_TO_2,
        setup: "application:start(a)",
        names: &[("a_sup", false), ("srv", true), ("extra", true)],
        modules: &["a_app", "extra"],
        script: r#"[{load_object_code,{a,"2",[a_app,extra]}},point_of_no_return,
            {load,{extra,brutal_purge,brutal_purge}},{suspend,[a_app]},
            {load,{a_app,brutal_purge,brutal_purge}},{code_change,up,[{a_app,[]}]},
            {resume,[a_app]},{apply,{supervisor,restart_child,[a_sup,extra]}}]"#,
        scenario: a_node!(
            "{supervisor, a_app, \"2\", [{srv, [srv]}, {extra, [extra]}]}.\n",
            "{child_start, extra, [{state, ready}]}.\n"
        ),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "suspend of a supervisor and its worker collects both before suspending",
        sources: A_SRV_1_TO_2,
        setup: "application:start(a)",
        names: &[("a_sup", false), ("srv", true)],
        modules: &["a_app", "srv"],
        script: r#"[{load_object_code,{a,"2",[a_app,srv]}},point_of_no_return,
            {suspend,[a_app,srv]},{load,{a_app,brutal_purge,brutal_purge}},
            {load,{srv,brutal_purge,brutal_purge}},
            {code_change,up,[{a_app,[]},{srv,[]}]},{resume,[a_app,srv]}]"#,
        scenario: a_node!(
            "{supervisor, a_app, \"2\", [{srv, [srv]}]}.\n",
            "{migration, srv, up, {st, '$1'}, {st, '$1', migrated}}.\n"
        ),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "a purge that kills a supervised child: the supervisor restarts it",
        sources: &[
            ("c", "1", "c_app", C_APP_ONE),
            ("c", "1", "worker", WORKER),
            ("c", "2", "worker", WORKER),
        ],
        setup: "application:start(c)",
        names: &[("c_sup", false), ("worker", false)],
        modules: &["worker"],
        script: r#"[{load_object_code,{c,"2",[worker]}},point_of_no_return,
            {load,{worker,brutal_purge,brutal_purge}},{purge,[worker]}]"#,
        scenario: r#"{release, "1"}.
{module, c_app, [{current, "1"}]}.
{module, worker, [{current, "1"}]}.
{supervisor, c_app, "1", [{worker, [worker]}]}.
{process, c_sup, [{runs, [{c_app, "1"}]}, {top_supervisor, c}]}.
{process, worker, [{runs, [{worker, "1"}]}, {child_of, c_sup, worker}, {loop, local},
                   {sys, false}]}.
"#,
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "purge kills past the restart intensity: the supervisor terminates its tree",
        sources: &[
            ("c", "1", "c_app", C_APP),
            ("c", "1", "worker", WORKER),
            ("c", "2", "worker", WORKER),
        ],
        setup: "application:start(c)",
        names: &[("c_sup", false), ("worker", false), ("worker2", false)],
        modules: &["worker"],
        script: r#"[{load_object_code,{c,"2",[worker]}},point_of_no_return,
            {load,{worker,brutal_purge,brutal_purge}},{purge,[worker]}]"#,
        scenario: r#"{release, "1"}.
{module, c_app, [{current, "1"}]}.
{module, worker, [{current, "1"}]}.
{supervisor, c_app, "1", [{worker, [worker]}, {worker2, [worker]}]}.
{process, c_sup, [{runs, [{c_app, "1"}]}, {top_supervisor, c}]}.
{process, worker, [{runs, [{worker, "1"}]}, {child_of, c_sup, worker}, {loop, local},
                   {sys, false}]}.
{process, worker2, [{runs, [{worker, "1"}]}, {child_of, c_sup, worker2}, {loop, local},
                    {sys, false}]}.
"#,
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "a supervised process that is not a sys process: suspend times out, make_permanent kills it, its supervisor restarts it",
        sources: &[
            ("d", "1", "d_app", D_APP),
            ("d", "1", "plain", PLAIN),
            ("d", "2", "plain", PLAIN),
        ],
        setup: "application:start(d)",
        names: &[("d_sup", false), ("plain", false)],
        modules: &["plain"],
        script: r#"[{load_object_code,{d,"2",[plain]}},point_of_no_return,
            {suspend,[{plain,300}]},{load,{plain,brutal_purge,brutal_purge}},
            {code_change,up,[{plain,[]}]},{resume,[plain]}]"#,
        scenario: r#"{release, "1"}.
{module, d_app, [{current, "1"}]}.
{module, plain, [{current, "1"}]}.
{supervisor, d_app, "1", [{plain, [plain]}]}.
{process, d_sup, [{runs, [{d_app, "1"}]}, {top_supervisor, d}]}.
{process, plain, [{runs, [{plain, "1"}]}, {child_of, d_sup, plain}, {loop, local},
                  {sys, false}]}.
"#,
        make_permanent: true,
        probe: "",
    },
    Case {
        name: "code_change is given the module's own -vsn on upgrade",
        sources: &[
            ("a", "1", "a_app", A_APP),
            ("a", "1", "srv", SRV_VSN_A),
            ("a", "2", "a_app", A_APP),
            ("a", "2", "srv", SRV_VSN_B),
        ],
        setup: "application:start(a)",
        names: &[("srv", true)],
        modules: &[],
        script: r#"[{load_object_code,{a,"2",[srv]}},point_of_no_return,{suspend,[srv]},
            {load,{srv,brutal_purge,brutal_purge}},{code_change,up,[{srv,[]}]},{resume,[srv]}]"#,
        scenario: a_node!(
            "{module_vsn, srv, \"1\", \"srv-a\"}.\n",
            "{module_vsn, srv, \"2\", \"srv-b\"}.\n",
            "{migration, srv, up, {st, '$1'}, {st, '$1', '$vsn'}}.\n"
        ),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "code_change is given {down, the -vsn of the module loaded} on downgrade",
        sources: &[
            ("a", "2", "a_app", A_APP),
            ("a", "2", "srv", SRV_VSN_B),
            ("a", "1", "a_app", A_APP),
            ("a", "1", "srv", SRV_VSN_A),
        ],
        setup: "application:start(a)",
        names: &[("srv", true)],
        modules: &[],
        script: r#"[{load_object_code,{a,"1",[srv]}},point_of_no_return,{suspend,[srv]},
            {code_change,down,[{srv,[]}]},{load,{srv,brutal_purge,brutal_purge}},
            {resume,[srv]}]"#,
        scenario: concat!(
            r#"{release, "2"}.
{module, a_app, [{current, "2"}]}.
{module, srv, [{current, "2"}]}.
{module_vsn, srv, "1", "srv-a"}.
{module_vsn, srv, "2", "srv-b"}.
{supervisor, a_app, "2", [{srv, [srv]}]}.
{process, a_sup, [{runs, [{a_app, "2"}]}, {top_supervisor, a}]}.
{process, srv, [{runs, [{srv, "2"}]}, {child_of, a_sup, srv}, {state, {st, 1, init}}]}.
"#,
            "{migration, srv, down, {st, '$1', '_'}, {st, '$1', '$vsn'}}.\n"
        ),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "a gen_server child with modules = dynamic fails every suspend (get_modules_failed)",
        sources: &[
            ("g", "1", "g_app", G_APP_GEN_SERVER),
            ("g", "1", "srv", SRV),
            ("g", "1", "dyn", DYN),
            ("g", "2", "srv", SRV_2),
        ],
        setup: "application:start(g)",
        names: &[("g_sup", false), ("srv", true), ("dyn", false)],
        modules: &["srv"],
        script: r#"[{load_object_code,{g,"2",[srv]}},point_of_no_return,{suspend,[srv]},
            {load,{srv,brutal_purge,brutal_purge}},{code_change,up,[{srv,[]}]},{resume,[srv]}]"#,
        scenario: concat!(
            r#"{release, "1"}.
{module, g_app, [{current, "1"}]}.
{module, srv, [{current, "1"}]}.
{module, dyn, [{current, "1"}]}.
{supervisor, g_app, "1", [{srv, [srv]}, {dyn, dynamic}]}.
{process, g_sup, [{runs, [{g_app, "1"}]}, {top_supervisor, g}]}.
{process, srv, [{runs, [{srv, "1"}]}, {child_of, g_sup, srv}, {state, {st, 1}}]}.
{process, dyn, [{runs, [{dyn, "1"}]}, {child_of, g_sup, dyn}, {behaviour, gen_server}]}.
"#,
            "{migration, srv, up, {st, '$1'}, {st, '$1', migrated}}.\n"
        ),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "a gen_event child with modules = dynamic answers get_modules",
        sources: &[
            ("g", "1", "g_app", G_APP_GEN_EVENT),
            ("g", "1", "srv", SRV),
            ("g", "2", "srv", SRV_2),
        ],
        setup: "application:start(g)",
        names: &[("g_sup", false), ("srv", true), ("evm", false)],
        modules: &["srv"],
        script: r#"[{load_object_code,{g,"2",[srv]}},point_of_no_return,{suspend,[srv]},
            {load,{srv,brutal_purge,brutal_purge}},{code_change,up,[{srv,[]}]},{resume,[srv]}]"#,
        scenario: concat!(
            r#"{release, "1"}.
{module, g_app, [{current, "1"}]}.
{module, srv, [{current, "1"}]}.
{supervisor, g_app, "1", [{srv, [srv]}, {evm, dynamic}]}.
{process, g_sup, [{runs, [{g_app, "1"}]}, {top_supervisor, g}]}.
{process, srv, [{runs, [{srv, "1"}]}, {child_of, g_sup, srv}, {state, {st, 1}}]}.
{process, evm, [{runs, [{gen_event, "1"}]}, {child_of, g_sup, evm}, {behaviour, gen_event}]}.
"#,
            "{migration, srv, up, {st, '$1'}, {st, '$1', migrated}}.\n"
        ),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "remove_application stops the application's tree and removes its code",
        sources: &[("a", "1", "a_app", A_APP), ("a", "1", "srv", SRV)],
        setup: "application:start(a)",
        names: &[("a_sup", false), ("srv", false)],
        modules: &["srv"],
        script: r#"[point_of_no_return,{apply,{application,stop,[a]}},
            {remove,{srv,brutal_purge,brutal_purge}},{purge,[srv]},
            {apply,{application,unload,[a]}}]"#,
        scenario: a_node!(),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "a process inside a long call of old code keeps it: soft_purge is refused",
        sources: &[("x", "1", "m", LONG_CALL), ("x", "2", "m", LONG_CALL)],
        setup: "register(busy, spawn(fun() -> m:work() end)), timer:sleep(50), ok",
        names: &[("busy", false)],
        modules: &["m"],
        script: r#"[{load_object_code,{x,"2",[m]}},point_of_no_return,
            {load,{m,soft_purge,soft_purge}}]"#,
        scenario: r#"{release, "1"}.
{module, m, [{current, "1"}]}.
{process, busy, [{runs, [{m, "1"}]}, {in_callback, m}]}.
"#,
        make_permanent: true,
        probe: "",
    },
    Case {
        name: "a process inside a long call of old code is killed by make_permanent's brutal purge",
        sources: &[("x", "1", "m", LONG_CALL), ("x", "2", "m", LONG_CALL)],
        setup: "register(busy, spawn(fun() -> m:work() end)), timer:sleep(50), ok",
        names: &[("busy", false)],
        modules: &["m"],
        script: r#"[{load_object_code,{x,"2",[m]}},point_of_no_return,
            {load,{m,brutal_purge,brutal_purge}}]"#,
        scenario: r#"{release, "1"}.
{module, m, [{current, "1"}]}.
{process, busy, [{runs, [{m, "1"}]}, {in_callback, m}]}.
"#,
        make_permanent: true,
        probe: "",
    },
    Case {
        name: "a process holding a fun of purged code survives; calling the fun fails with badfun",
        sources: &[("f", "1", "m", FUN_MAKER), ("f", "2", "m", FUN_MAKER_2)],
        setup: "register(holder, spawn(fun() ->
                    F = m:make(),
                    receive {call, From} -> From ! (catch F()) end
                end)),
                ok",
        names: &[("holder", false)],
        modules: &["m"],
        script: r#"[{load_object_code,{f,"2",[m]}},point_of_no_return,
            {load,{m,brutal_purge,brutal_purge}},{purge,[m]}]"#,
        scenario: r#"{release, "1"}.
{module, m, [{current, "1"}]}.
{process, holder, [{runs, [{m, "1"}]}, {holds_fun, m}]}.
"#,
        make_permanent: false,
        probe: "holder ! {call, self()},
                receive
                    {'EXIT', {{badfun, _}, _}} -> [badfun];
                    {'EXIT', {badfun, _}} -> [badfun];
                    _ -> []
                after 2000 -> [no_answer]
                end.",
    },
    Case {
        name: "a library loaded in another step than its caller: new code meets old data",
        sources: &[
            ("w", "1", "w_app", W_APP),
            ("w", "1", "lib", LIB_1),
            ("w", "1", "srv", W_SRV_1),
            ("w", "2", "lib", LIB_2),
            ("w", "2", "srv", W_SRV_2),
        ],
        setup: "application:start(w)",
        names: &[],
        modules: &["lib", "srv"],
        script: r#"[{load_object_code,{w,"2",[lib,srv]}},point_of_no_return,
            {load,{lib,brutal_purge,brutal_purge}},{apply,{gen_server,cast,[srv,poke]}},
            {suspend,[srv]},{load,{srv,brutal_purge,brutal_purge}},
            {code_change,up,[{srv,[]}]},{resume,[srv]}]"#,
        scenario: concat!(
            r#"{release, "1"}.
{module, w_app, [{current, "1"}]}.
{module, lib, [{current, "1"}]}.
{module, srv, [{current, "1"}]}.
{supervisor, w_app, "1", [{srv, [srv]}]}.
{process, w_sup, [{runs, [{w_app, "1"}]}, {top_supervisor, w}]}.
{process, srv, [{runs, [{srv, "1"}]}, {child_of, w_sup, srv}, {state, {st, 1}}]}.
{calls, srv, [lib]}.
{data_format_changes, [lib]}.
"#,
            "{migration, srv, up, {st, '$1'}, {st, {n, '$1'}}}.\n"
        ),
        make_permanent: false,
        probe: "case whereis(srv) =:= maps:get(srv, Orig, undefined) of
                    true -> [];
                    false -> [data_format_window]
                end.",
    },
    Case {
        name: "soft_purge pre-check: old code still in use refuses the whole script",
        sources: &[
            ("b", "1", "m", LOOPER),
            ("b", "2", "m", LOOPER),
            ("b", "3", "m", LOOPER),
        ],
        setup: "ok = m:start(),
                {module, m} = code:load_abs(filename:join([Lib, \"b-2\", \"ebin\", \"m\"])),
                ok",
        names: &[("looper", false)],
        modules: &["m"],
        script: r#"[{load_object_code,{b,"3",[m]}},point_of_no_return,
            {load,{m,soft_purge,soft_purge}}]"#,
        scenario: r#"{release, "2"}.
{module, m, [{current, "2"}, {old, "1"}]}.
{process, looper, [{runs, [{m, "1"}]}, {loop, local}]}.
"#,
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "stop and start: the supervisor terminates the child, then restarts it",
        sources: A_SRV_1_TO_2,
        setup: "application:start(a)",
        names: &[("a_sup", false), ("srv", true)],
        modules: &["srv"],
        script: r#"[{load_object_code,{a,"2",[srv]}},point_of_no_return,{stop,[srv]},
            {load,{srv,brutal_purge,brutal_purge}},{start,[srv]}]"#,
        scenario: a_node!("{child_start, srv, [{state, {st, 1, migrated}}]}.\n"),
        make_permanent: false,
        probe: "",
    },
    Case {
        name: "remove of a module a process loops in: old code kept, make_permanent kills it",
        sources: &[("b", "1", "m", LOOPER), ("b", "2", "m", LOOPER)],
        setup: "m:start()",
        names: &[("looper", false)],
        modules: &["m"],
        script: r#"[point_of_no_return,{remove,{m,brutal_purge,brutal_purge}}]"#,
        scenario: r#"{release, "1"}.
{module, m, [{current, "1"}]}.
{process, looper, [{runs, [{m, "1"}]}, {loop, local}]}.
"#,
        make_permanent: true,
        probe: "",
    },
];
