//! A seeded generator of release-pair specs for `tests/otp/relup.escript`: several applications,
//! added, removed and upgraded ones, start types and dependencies between applications (so the
//! start order matters), appups with exact and regex version keys, erts changes, the
//! `restart_emulator` and `warnings_as_errors` options, a second base release, and failing
//! inputs (missing appup, no matching entry, undefined dependency, version mismatch).
//! Dependencies inside an appup are chains or cycles only, so OTP's hash order never decides.

use crate::casegen::{Rng, dep_instruction};

struct App {
    name: String,
    modules: Vec<String>,
}

fn modules_of(app: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{app}_m{i}")).collect()
}

/// An upgrade (or downgrade) script for one application: each module gets a dependency
/// instruction, some in a chain or a cycle, plus an occasional apply.
fn script(g: &mut Rng, modules: &[String], extra: Option<(&str, &str)>) -> String {
    let mut instrs = Vec::new();
    let chain = g.chance(40);
    let cycle = chain && g.chance(30);
    for (i, m) in modules.iter().enumerate() {
        let deps: Vec<String> = if chain && i + 1 < modules.len() {
            vec![modules[i + 1].clone()]
        } else if cycle && i + 1 == modules.len() && modules.len() > 1 {
            vec![modules[0].clone()]
        } else {
            Vec::new()
        };
        if g.chance(85) {
            instrs.push(dep_instruction(g, m, &deps, 0));
        }
    }
    if let Some((verb, m)) = extra {
        instrs.push(format!("{{{verb},{m}}}"));
    }
    if g.chance(20) {
        instrs.push("{apply,{io,format,[\"upgrading~n\"]}}".to_string());
    }
    if g.chance(3) {
        instrs.push("{update,undefined_dep,{advanced,[]},[nowhere]}".to_string());
    }
    format!("[{}]", instrs.join(","))
}

fn key(g: &mut Rng, vsn: &str) -> String {
    match g.below(4) {
        0 => format!("<<\"{}\">>", vsn.replace('.', "\\\\.")),
        1 => "<<\"1\\\\..*\">>".to_string(),
        _ => format!("\"{vsn}\""),
    }
}

/// One spec: `{old, ...}` (one or two), `{new, ...}`, maybe `{options, ...}`.
pub fn spec(g: &mut Rng) -> String {
    let n = 2 + g.below(4);
    let apps: Vec<App> = (1..=n)
        .map(|i| {
            let name = format!("app{i}");
            App {
                modules: modules_of(&name, 1 + g.below(3)),
                name,
            }
        })
        .collect();
    let mut old_specs = Vec::new();
    let mut new_specs = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        let state = g.below(10); // 0: added, 1: removed, 2-3: unchanged, else upgraded
        let deps: Vec<String> = if i > 0 && g.chance(40) {
            vec![apps[g.below(i)].name.clone()]
        } else {
            vec![]
        };
        let mut opts = vec![format!(
            "{{applications,[kernel,stdlib{}]}}",
            deps.iter().map(|d| format!(",{d}")).collect::<String>()
        )];
        if g.chance(25) {
            opts.push(format!(
                "{{type,{}}}",
                g.pick(&["transient", "temporary", "load", "none", "permanent"])
            ));
        }
        let mods = app.modules.join(",");
        let plain = |vsn: &str, opts: &[String]| {
            format!("{{{},\"{vsn}\",[{mods}],[{}]}}", app.name, opts.join(","))
        };
        match state {
            0 => new_specs.push(plain("0.5", &opts)),
            1 => old_specs.push(plain("0.9", &opts)),
            2 | 3 => {
                old_specs.push(plain("1.0", &opts));
                new_specs.push(plain("1.0", &opts));
            }
            _ => {
                old_specs.push(plain("1.0", &opts));
                let added = g.chance(30).then(|| format!("{}_new", app.name));
                let new_mods: Vec<String> =
                    app.modules.iter().cloned().chain(added.clone()).collect();
                let up = script(g, &app.modules, added.as_deref().map(|m| ("add_module", m)));
                let down = script(
                    g,
                    &app.modules,
                    added.as_deref().map(|m| ("delete_module", m)),
                );
                let appup_vsn = if g.chance(5) { "1.0.9" } else { "1.1" };
                let mut up_entries = vec![format!("{{{},{up}}}", key(g, "1.0"))];
                let mut down_entries = vec![format!("{{{},{down}}}", key(g, "1.0"))];
                if g.chance(20) {
                    up_entries.insert(0, "{\"0.1\",[]}".to_string());
                    down_entries.insert(0, "{<<\"0\\\\..*\">>,[]}".to_string());
                }
                if g.chance(4) {
                    up_entries.clear(); // no_relup
                }
                let mut new_opts = opts.clone();
                if !g.chance(4) {
                    new_opts.push(format!(
                        "{{appup,{{\"{appup_vsn}\",[{}],[{}]}}}}",
                        up_entries.join(","),
                        down_entries.join(",")
                    ));
                }
                new_specs.push(format!(
                    "{{{},\"1.1\",[{}],[{}]}}",
                    app.name,
                    new_mods.join(","),
                    new_opts.join(",")
                ));
            }
        }
    }
    g.shuffle(&mut new_specs);
    let erts_old = if g.chance(15) { "\"13.0\"" } else { "current" };
    let mut out = format!(
        "{{old,\"r\",\"1\",{erts_old},[{}]}}.\n",
        old_specs.join(",\n  ")
    );
    if g.chance(10) {
        out.push_str(&format!(
            "{{old,\"r\",\"0\",current,[{}]}}.\n",
            old_specs.join(",\n  ")
        ));
    }
    out.push_str(&format!(
        "{{new,\"r\",\"2\",current,[{}]}}.\n",
        new_specs.join(",\n  ")
    ));
    let mut options = Vec::new();
    if g.chance(10) {
        options.push("restart_emulator");
    }
    if g.chance(15) {
        options.push("warnings_as_errors");
    }
    if !options.is_empty() {
        out.push_str(&format!("{{options,[{}]}}.\n", options.join(",")));
    }
    out
}
