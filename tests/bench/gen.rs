//! Inputs for the benchmarks: appup scripts of a given shape and size, a large `.appup`, and a
//! release tree of many modules across many applications. Deterministic.

use std::fmt::Write;

/// The dependency shapes measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Every instruction independent.
    Independent,
    /// Chains of 5 modules (each depends on the next).
    Groups,
    /// One DAG: every module depends on up to three later modules.
    Dag,
    /// Cycles of 5 modules.
    Cycles,
}

impl Shape {
    pub const ALL: [Shape; 4] = [Shape::Independent, Shape::Groups, Shape::Dag, Shape::Cycles];
    pub fn name(self) -> &'static str {
        match self {
            Shape::Independent => "independent",
            Shape::Groups => "groups of 5",
            Shape::Dag => "one DAG",
            Shape::Cycles => "cycles of 5",
        }
    }
}

fn deps(shape: Shape, i: usize, n: usize) -> Vec<usize> {
    match shape {
        Shape::Independent => vec![],
        Shape::Groups => {
            if i % 5 != 4 && i + 1 < n {
                vec![i + 1]
            } else {
                vec![]
            }
        }
        Shape::Cycles => {
            let base = i - i % 5;
            if base + 5 <= n {
                vec![base + (i + 1) % 5]
            } else {
                vec![]
            }
        }
        Shape::Dag => {
            let mut d = Vec::new();
            let mut x = (i as u64).wrapping_mul(2654435761) ^ 0x5bd1e995;
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let span = (n - i - 1).min(50);
                if span > 0 {
                    let j = i + 1 + (x as usize) % span;
                    if !d.contains(&j) {
                        d.push(j);
                    }
                }
            }
            d
        }
    }
}

/// `n` update instructions of the shape, as the text of one script (an Erlang list).
pub fn script(shape: Shape, n: usize) -> String {
    let mut s = String::with_capacity(n * 80);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let d: Vec<String> = deps(shape, i, n)
            .into_iter()
            .map(|j| format!("m{j}"))
            .collect();
        let _ = write!(
            s,
            "{{update,m{i},{{advanced,[]}},brutal_purge,brutal_purge,[{}]}}",
            d.join(",")
        );
    }
    s.push(']');
    s
}

/// The modules `m0..m{n-1}`, as an application list term `[{app,"2.0",[...]}]`.
pub fn apps(n: usize, vsn: &str) -> String {
    let mods: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    format!("[{{app,\"{vsn}\",[{}]}}]", mods.join(","))
}

/// An appup of about `bytes` bytes with ~100-byte instructions (the 5 MB appup holds
/// 50,000): entries keyed by regexes, scripts of every instruction kind, Elixir-style module
/// names.
pub fn big_appup(bytes: usize) -> String {
    let mut s = String::from("%% coding: utf-8\n{\"2.0\",\n [");
    let mut entry = 0;
    while s.len() < bytes {
        if entry > 0 {
            s.push_str(",\n  ");
        }
        let _ = write!(s, "{{<<\"1\\\\.{entry}(\\\\.[0-9]+)*\">>,\n   [");
        for i in 0..100 {
            let m = format!("'Elixir.Shop.Billing.Invoice{entry}x{i}'");
            let dep = format!("'Elixir.Shop.Billing.Ledger{entry}x{}'", i + 1);
            let instr = match i % 5 {
                0 => format!(
                    "{{update,{m},{{advanced,{{from,\"1.{entry}\"}}}},soft_purge,brutal_purge,[{dep}]}}"
                ),
                1 => format!("{{load_module,{m},soft_purge,brutal_purge,[{dep}]}}"),
                2 => format!("{{update,{m},supervisor}}"),
                3 => format!(
                    "{{apply,{{'Elixir.Shop.Migrations',run,[\"invoice table {entry}\",<<\"v2\">>,-42]}}}}"
                ),
                _ => format!("{{add_module,{m},[{dep}]}}"),
            };
            if i > 0 {
                s.push_str(",\n    ");
            }
            s.push_str(&instr);
        }
        s.push(']');
        s.push('}');
        entry += 1;
    }
    s.push_str("],\n [{\"1.0\", []}]}.\n");
    s
}
