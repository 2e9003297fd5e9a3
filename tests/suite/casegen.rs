//! A seeded generator of oracle case files (`{case, Name, Mode, Script, Apps, PreApps}.`):
//! every instruction form and arity, valid and invalid fields, several scripts,
//! `point_of_no_return` placements, application instructions, dependency chains, cycles and
//! diamonds, emulator restarts. Deterministic for a seed, so a failure can be replayed.

/// SplitMix64: small, fast, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }
}

const MODS: &[&str] = &["m1", "m2", "m3", "m4", "m5", "m6", "m7"];

/// A field value: valid most of the time, invalid with probability `bad`%.
fn field(g: &mut Rng, bad: u64, good: &[&str], wrong: &[&str]) -> String {
    if g.chance(bad) {
        g.pick(wrong).to_string()
    } else {
        g.pick(good).to_string()
    }
}

fn change(g: &mut Rng, bad: u64) -> String {
    field(
        g,
        bad,
        &[
            "soft",
            "{advanced,[]}",
            "{advanced,extra}",
            "{advanced,{1,\"s\"}}",
            "{advanced,42}",
        ],
        &["advanced", "{simple,[]}", "{advanced}", "hard"],
    )
}
fn purge(g: &mut Rng, bad: u64) -> String {
    field(
        g,
        bad,
        &["soft_purge", "brutal_purge"],
        &["rutal_purge", "purge", "\"soft_purge\""],
    )
}
fn timeout(g: &mut Rng, bad: u64) -> String {
    field(
        g,
        bad,
        &["default", "infinity", "5000", "1"],
        &["0", "-5", "static", "1.5"],
    )
}
fn mod_type(g: &mut Rng, bad: u64) -> String {
    field(g, bad, &["static", "dynamic"], &["foo", "supervisor"])
}
fn module(g: &mut Rng, m: &str, bad: u64) -> String {
    if g.chance(bad) {
        g.pick(&["\"m1\"", "3", "{m1}"]).to_string()
    } else {
        m.to_string()
    }
}
fn deps(g: &mut Rng, d: &[String], bad: u64) -> String {
    if g.chance(bad) {
        return g
            .pick(&["ba", "\"ab\"", "[m1|m2]", "[m1,\"x\"]"])
            .to_string();
    }
    format!("[{}]", d.join(","))
}

/// One dependency instruction (`update`, `load_module`, `add_module`, `delete_module`) for
/// module `m` with dependencies `d`, in a random form; fields go bad with probability `bad`%.
pub fn dep_instruction(g: &mut Rng, m: &str, d: &[String], bad: u64) -> String {
    let mm = module(g, m, bad);
    match g.below(17) {
        0 => format!("{{update,{mm}}}"),
        1 => format!("{{update,{mm},supervisor}}"),
        2 => format!("{{update,{mm},{}}}", change(g, bad)),
        3 => format!("{{update,{mm},soft}}"),
        4 => format!("{{update,{mm},{}}}", deps(g, d, bad)),
        5 => format!("{{update,{mm},{},{}}}", change(g, bad), deps(g, d, bad)),
        6 => format!("{{update,{mm},soft,{}}}", deps(g, d, bad)),
        7 => format!(
            "{{update,{mm},{},{},{},{}}}",
            change(g, bad),
            purge(g, bad),
            purge(g, bad),
            deps(g, d, bad)
        ),
        8 => format!(
            "{{update,{mm},{},{},{},{},{}}}",
            timeout(g, bad),
            change(g, bad),
            purge(g, bad),
            purge(g, bad),
            deps(g, d, bad)
        ),
        9 => format!(
            "{{update,{mm},{},{},{},{},{},{}}}",
            mod_type(g, bad),
            timeout(g, bad),
            change(g, bad),
            purge(g, bad),
            purge(g, bad),
            deps(g, d, bad)
        ),
        10 => format!("{{load_module,{mm}}}"),
        11 => format!("{{load_module,{mm},{}}}", deps(g, d, bad)),
        12 => format!(
            "{{load_module,{mm},{},{},{}}}",
            purge(g, bad),
            purge(g, bad),
            deps(g, d, bad)
        ),
        13 => format!("{{add_module,{mm}}}"),
        14 => format!("{{add_module,{mm},{}}}", deps(g, d, bad)),
        15 => format!("{{delete_module,{mm}}}"),
        _ => format!("{{delete_module,{mm},{}}}", deps(g, d, bad)),
    }
}

/// One instruction that takes no part in dependency ordering: application instructions,
/// hand-written low-level ones, restarts, and junk.
pub fn other_instruction(g: &mut Rng, bad: u64) -> Vec<String> {
    let m = g.pick(MODS).to_string();
    let one = |s: String| vec![s];
    match g.below(24) {
        0 | 1 => one(format!("{{apply,{{m,f,[{}]}}}}", g.below(9))),
        2 => one(g
            .pick(&[
                "{apply,{m,f,a}}",
                "{apply,{m,3,[]}}",
                "{apply,{m,f}}",
                "{apply,{\"m\",f,[]}}",
            ])
            .to_string()),
        3 => one(format!(
            "{{add_application,newapp{}}}",
            if g.chance(50) {
                String::new()
            } else {
                format!(
                    ",{}",
                    field(
                        g,
                        bad,
                        &["permanent", "transient", "temporary", "load", "none"],
                        &["perm"]
                    )
                )
            }
        )),
        4 => one(g
            .pick(&[
                "{remove_application,oldapp}",
                "{remove_application,app1}",
                "{remove_application,nope}",
                "{restart_application,both}",
                "{restart_application,nope}",
                "{add_application,nope}",
                "{add_application,\"x\"}",
            ])
            .to_string()),
        5 => one("{restart_application,both}".to_string()),
        6 => one(format!(
            "{{load_object_code,{{app1,{},[{m}]}}}}",
            field(g, bad, &["\"2.0\"", "\"1.0\""], &["v2", "\"0.9\""])
        )),
        7 => one(g
            .pick(&[
                "{load_object_code,{342,\"1.0\",[m1]}}",
                "{load_object_code,{app1,\"2.0\",foo}}",
                "{load_object_code,hej}",
                "{load_object_code,{app2,\"9\",[m9]}}",
            ])
            .to_string()),
        8 => vec![
            format!("{{load_object_code,{{app1,\"2.0\",[{m}]}}}}"),
            format!("{{load,{{{m},{},{}}}}}", purge(g, bad), purge(g, bad)),
        ],
        9 => one(format!(
            "{{load,{{{m},{},{}}}}}",
            purge(g, bad),
            purge(g, bad)
        )),
        10 => one(format!(
            "{{remove,{{{},{},{}}}}}",
            module(g, &m, bad),
            purge(g, bad),
            purge(g, bad)
        )),
        11 => one(format!("{{purge,[{}]}}", module(g, &m, bad))),
        12 => {
            let t = timeout(g, bad);
            vec![
                format!("{{suspend,[{m},{{x1,{t}}}]}}"),
                format!("{{code_change,[{{{m},x}}]}}"),
                format!("{{resume,[x1,{m}]}}"),
            ]
        }
        13 => one(g
            .pick(&[
                "{suspend,[m1]}",
                "{resume,[m2]}",
                "{start,[m3]}",
                "{stop,[m4]}",
            ])
            .to_string()),
        14 => vec![format!("{{stop,[{m}]}}"), format!("{{start,[{m}]}}")],
        15 => one(format!(
            "{{code_change,{},[{{{m},x}}]}}",
            field(g, bad, &["up", "down"], &["sideways"])
        )),
        16 => one(g
            .pick(&[
                "{code_change,[module]}",
                "{code_change,bad,notalist}",
                "{code_change,up,[{1,x}]}",
                "{code_change,\"ab\"}",
            ])
            .to_string()),
        17 => one(g
            .pick(&[
                "{sync_nodes,id,[a@b,c@d]}",
                "{sync_nodes,id,{m,f,[]}}",
                "{sync_nodes,id,[a,\"b\"]}",
                "{sync_nodes,id,{m,f,x}}",
                "{sync_nodes,id,nodes}",
            ])
            .to_string()),
        18 | 19 => one(g
            .pick(&["restart_new_emulator", "restart_emulator"])
            .to_string()),
        20 => one(g.pick(&["restart", "reboot", "mnesia_backup"]).to_string()),
        21 => one(g
            .pick(&[
                "foo",
                "42",
                "{upgrade,m1}",
                "{update,m1,static}",
                "{load_module,m1,bar}",
                "{update,m1,soft,notalist}",
                "{update}",
                "{add_module,m1,x,y}",
            ])
            .to_string()),
        22 => one(format!("{{suspend,[{{{m},{}}}]}}", timeout(g, bad))),
        _ => one(format!(
            "{{update,{m},dynamic,{},soft,brutal_purge,brutal_purge,[]}}",
            timeout(g, bad)
        )),
    }
}

/// The applications of both releases: `app1` owns most modules, `app2` some (sometimes a module
/// both list), plus `newapp` (new only), `oldapp` (old only) and `both` (restartable).
fn apps(g: &mut Rng, new: bool) -> String {
    let split = 4 + g.below(3);
    let (a1, a2) = MODS.split_at(split);
    let mut app2: Vec<&str> = a2.to_vec();
    if g.chance(20) {
        app2.push(a1[0]);
    }
    let ty = |g: &mut Rng| {
        g.pick(&[
            "",
            ",permanent",
            ",transient",
            ",temporary",
            ",load",
            ",none",
        ])
        .to_string()
    };
    let mut out = vec![
        format!(
            "{{app1,\"{}\",[{}]{}}}",
            if new { "2.0" } else { "1.0" },
            a1.join(","),
            ty(g)
        ),
        format!(
            "{{app2,\"{}\",[{}]}}",
            if new { "1.1" } else { "1.0" },
            app2.join(",")
        ),
        format!(
            "{{both,\"{}\",[{}]{}}}",
            if new { "2" } else { "1" },
            if new { "b1,b2" } else { "b1,b0" },
            ty(g)
        ),
    ];
    out.push(if new {
        format!("{{newapp,\"0.1\",[n1,n2]{}}}", ty(g))
    } else {
        "{oldapp,\"3\",[o1,o2]}".to_string()
    });
    if g.chance(10) {
        out.push("{app1,\"9.9\",[m1,z1]}".to_string());
    }
    format!("[{}]", out.join(","))
}

/// One case. `size` bounds the number of dependency instructions; `bad` is the per-field
/// probability (%) of an invalid value.
pub fn case(g: &mut Rng, name: &str, size: usize, bad: u64) -> String {
    let mode = if g.chance(50) { "up" } else { "dn" };
    let mut dep_mods: Vec<String> = MODS.iter().map(|m| m.to_string()).collect();
    g.shuffle(&mut dep_mods);
    dep_mods.truncate(g.below(size + 1));
    if g.chance(3) {
        dep_mods.push("x8".to_string()); // in no application: no_such_module
    }
    if g.chance(5) && !dep_mods.is_empty() {
        let dup = dep_mods[0].clone();
        dep_mods.push(dup);
    }
    let mut instrs: Vec<String> = Vec::new();
    for m in &dep_mods {
        let n = g.below(3);
        let mut d: Vec<String> = (0..n).map(|_| g.pick(&dep_mods).clone()).collect();
        if g.chance(4) {
            d.push("x9".to_string());
        }
        instrs.push(dep_instruction(g, m, &d, bad));
    }
    for _ in 0..g.below(4) {
        instrs.extend(other_instruction(g, bad));
    }
    g.shuffle(&mut instrs);
    let scripts = split_into_scripts(g, instrs);
    let script_text = spell_scripts(g, scripts);
    let (new_apps, old_apps) = (apps(g, true), apps(g, false));
    let (a, p) = if mode == "up" {
        (new_apps, old_apps)
    } else {
        (old_apps, new_apps)
    };
    format!("{{case,{name},{mode},{script_text},{a},{p}}}.\n")
}

/// Deals instructions into 1..=3 scripts and adds `point_of_no_return` parts to some.
fn split_into_scripts(g: &mut Rng, instrs: Vec<String>) -> Vec<Vec<String>> {
    let k = 1 + g.below(3);
    let mut scripts: Vec<Vec<String>> = vec![Vec::new(); k];
    for i in instrs {
        let s = g.below(k);
        scripts[s].push(i);
    }
    for s in &mut scripts {
        if g.chance(25) {
            let mut before = vec![format!("{{apply,{{m,f,[b{}]}}}}", g.below(5))];
            if g.chance(50) {
                before.push(format!(
                    "{{load_object_code,{{app1,\"2.0\",[{}]}}}}",
                    g.pick(MODS)
                ));
            }
            if g.chance(5) && !s.is_empty() {
                before.push(s.remove(0));
            }
            before.push("point_of_no_return".to_string());
            if g.chance(3) {
                s.push("point_of_no_return".to_string());
            }
            before.append(s);
            *s = before;
        }
    }
    scripts
}

/// Writes the scripts in one of the oracle's spellings.
fn spell_scripts(g: &mut Rng, scripts: Vec<Vec<String>>) -> String {
    let lists: Vec<String> = scripts
        .iter()
        .map(|s| format!("[{}]", s.join(",")))
        .collect();
    if lists.len() == 1 && g.chance(70) {
        return if g.chance(50) {
            lists[0].clone()
        } else {
            format!("{{script,{}}}", lists[0])
        };
    }
    if g.chance(50) {
        format!("[{}]", lists.join(","))
    } else {
        format!("{{scripts,[{}]}}", lists.join(","))
    }
}

/// A case with a single instruction, for the syntax-check differential.
pub fn single_instruction_case(g: &mut Rng, name: &str) -> String {
    let bad = 30;
    let instr = if g.chance(50) {
        let m = g.pick(MODS).to_string();
        let d: Vec<String> = if g.chance(50) {
            vec![m.clone()]
        } else {
            vec![]
        };
        dep_instruction(g, &m, &d, bad)
    } else {
        other_instruction(g, bad).remove(0)
    };
    let mode = if g.chance(50) { "up" } else { "dn" };
    format!(
        "{{case,{name},{mode},[{instr}],{},{}}}.\n",
        apps(g, true),
        apps(g, false)
    )
}
