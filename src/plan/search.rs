//! The code path systools searches for `.app` files: directories given with `*` wildcards in
//! any component (`systools_lib:get_path/1`), expanded in the order the directory lists its
//! entries (`file:list_dir`, not sorted: with two versions of an application under one
//! `lib/`, that order decides which `.app` systools reads first).

use std::path::{Path, PathBuf};

/// Expands each pattern (a `*` matches any run of characters inside one path component) and
/// concatenates the results, keeping the first occurrence of a directory (`make_set`).
pub fn expand_path(patterns: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in patterns {
        for dir in expand_one(p) {
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out
}

fn expand_one(pattern: &Path) -> Vec<PathBuf> {
    let mut current: Vec<PathBuf> = vec![PathBuf::new()];
    for component in pattern.components() {
        let text = component.as_os_str().to_string_lossy();
        if !text.contains('*') {
            current = current
                .into_iter()
                .map(|c| c.join(component.as_os_str()))
                .collect();
            continue;
        }
        let mut next = Vec::new();
        for base in &current {
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| wildcard_match(&text, n))
                .collect();
            next.extend(names.into_iter().map(|n| base.join(n)));
        }
        current = next;
    }
    current.into_iter().filter(|p| p.is_dir()).collect()
}

/// `*`-only glob matching of one file name.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    !name.starts_with('.') || pattern.starts_with('.')
}

/// The lib directories of the installed Erlang/OTP (`$RELUP_OTP_ROOT`, else the root of the
/// `erl` found on `PATH`): what `code:get_path()` adds after the given paths in systools.
pub fn otp_code_path() -> Vec<PathBuf> {
    let root = std::env::var_os("RELUP_OTP_ROOT")
        .map(PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|d| d.join("erl"))
                .find(|p| p.exists())
                .and_then(|erl| {
                    let real = std::fs::canonicalize(erl).ok()?;
                    Some(real.parent()?.parent()?.to_path_buf())
                })
        });
    match root {
        Some(r) => expand_path(&[r.join("lib").join("*").join("ebin")]),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn star_matches_inside_one_component() {
        assert!(wildcard_match("*", "kernel-8.5"));
        assert!(wildcard_match("kernel-*", "kernel-8.5"));
        assert!(!wildcard_match("kernel-*", "stdlib-4.2"));
        assert!(wildcard_match("*-1.*", "a-1.0"));
        assert!(!wildcard_match("*", ".hidden"));
    }
}
