//! Where a release's `.rel` file is, given what a release engineer has at hand: the `.rel`
//! file itself, a release directory (`ROOT/releases/VSN`), a release root as rebar3, relx and
//! `mix release` leave it (`_build/default/rel/NAME`, with `releases/VSN/NAME.rel` and
//! `lib/APP-VSN/ebin`), or, for a base release, a bare version that the new release's root
//! holds (rebar3's relup workflow builds both versions into one root).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// Why a release could not be found; each message says which forms are accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// Nothing at the path, and no version of that name in the new release's root.
    #[error(
        "{given}: no such file or directory{}; give a .rel file, a release directory (ROOT/releases/VSN), a release root (e.g. _build/default/rel/NAME) or, for a base release, a version the new release's root holds",
        where_looked(.root, .versions)
    )]
    NotFound {
        /// What was given.
        given: PathBuf,
        /// The new release's root, where a bare version was looked up.
        root: Option<PathBuf>,
        /// The versions that root holds.
        versions: Vec<String>,
    },
    /// A directory that is neither a release root nor a release directory.
    #[error(
        "{0}: neither a release root (no releases/ directory) nor a release directory (no .rel file); give a .rel file, ROOT/releases/VSN, or a release root such as _build/default/rel/NAME"
    )]
    NotARelease(PathBuf),
    /// A release root without any `releases/VSN/*.rel`.
    #[error(
        "{0}: a release root without releases (no releases/VSN/NAME.rel); build the release first (rebar3 release)"
    )]
    EmptyRoot(PathBuf),
    /// `--vsn` names a version the root does not hold.
    #[error("{root}: no release {vsn} in releases/ (there: {})", .versions.join(", "))]
    NoSuchVersion {
        /// The release root.
        root: PathBuf,
        /// The version asked for.
        vsn: String,
        /// The versions it holds.
        versions: Vec<String>,
    },
    /// A release directory with several `.rel` files and no name to choose.
    #[error("{dir}: several .rel files ({}); choose one with --name", .names.join(", "))]
    SeveralRelFiles {
        /// The release directory.
        dir: PathBuf,
        /// The release names found.
        names: Vec<String>,
    },
    /// `--name` names a release the directory does not have.
    #[error("{dir}: no {name}.rel here (there: {})", .names.join(", "))]
    NoSuchName {
        /// The release directory.
        dir: PathBuf,
        /// The name asked for.
        name: String,
        /// The release names found.
        names: Vec<String>,
    },
}

fn where_looked(root: &Option<PathBuf>, versions: &[String]) -> String {
    match root {
        Some(r) if versions.is_empty() => {
            format!(", nor a release of that version in {}", r.display())
        }
        Some(r) => format!(
            ", nor a release of that version in {} (there: {})",
            r.display(),
            versions.join(", ")
        ),
        None => String::new(),
    }
}

/// A release found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedRelease {
    /// Its `.rel` file.
    pub rel_file: PathBuf,
    /// The release root it sits in (`ROOT/releases/VSN/NAME.rel`), when it sits in one.
    pub root: Option<PathBuf>,
}

impl LocatedRelease {
    /// The release name (the `.rel` file's stem).
    pub fn name(&self) -> Option<&str> {
        self.rel_file.file_stem().and_then(|s| s.to_str())
    }

    /// `ROOT/lib/*/ebin`, the code path of a release root.
    pub fn lib_path(&self) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        root.join("lib")
            .is_dir()
            .then(|| root.join("lib").join("*").join("ebin"))
    }
}

/// Finds the `.rel` file of a release given in any of the accepted forms. `name` chooses among
/// several `.rel` files; `vsn` chooses the release of a root (default: its newest version);
/// `base_root` is where a bare version is looked up (the new release's root).
///
/// # Errors
/// [`LayoutError`] when nothing fits; the message lists the forms accepted.
pub fn locate_release(
    given: &Path,
    name: Option<&str>,
    vsn: Option<&str>,
    base_root: Option<&Path>,
) -> Result<LocatedRelease, LayoutError> {
    if given.is_file() {
        return Ok(LocatedRelease {
            rel_file: given.to_path_buf(),
            root: root_of(given),
        });
    }
    if given.is_dir() {
        if given.join("releases").is_dir() {
            return in_root(given, name, vsn);
        }
        let rel_file =
            rel_in_dir(given, name)?.ok_or_else(|| LayoutError::NotARelease(given.into()))?;
        return Ok(LocatedRelease {
            root: root_of(&rel_file),
            rel_file,
        });
    }
    if let Some(root) = base_root {
        let versions = versions(root, name);
        let as_vsn = given.to_string_lossy();
        if versions.iter().any(|v| *v == as_vsn) {
            return in_root(root, name, Some(as_vsn.as_ref()));
        }
        return Err(LayoutError::NotFound {
            given: given.into(),
            root: Some(root.into()),
            versions,
        });
    }
    Err(LayoutError::NotFound {
        given: given.into(),
        root: None,
        versions: Vec::new(),
    })
}

/// The release `vsn` (default: the newest) of a release root.
fn in_root(
    root: &Path,
    name: Option<&str>,
    vsn: Option<&str>,
) -> Result<LocatedRelease, LayoutError> {
    let versions = versions(root, name);
    let chosen = match vsn {
        Some(v) if versions.iter().any(|x| x == v) => v.to_string(),
        Some(v) => {
            return Err(LayoutError::NoSuchVersion {
                root: root.into(),
                vsn: v.into(),
                versions,
            });
        }
        None => versions
            .last()
            .cloned()
            .ok_or_else(|| LayoutError::EmptyRoot(root.into()))?,
    };
    let dir = root.join("releases").join(&chosen);
    let rel_file = rel_in_dir(&dir, name)?.ok_or_else(|| LayoutError::EmptyRoot(root.into()))?;
    Ok(LocatedRelease {
        rel_file,
        root: Some(root.to_path_buf()),
    })
}

/// The versions of a release root (directories of `releases/` holding a `.rel`, of `name`
/// when given), oldest first.
pub fn versions(root: &Path, name: Option<&str>) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join("releases")) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let names = rel_names(&e.path());
            let holds = match name {
                Some(n) => names.iter().any(|x| x == n),
                None => !names.is_empty(),
            };
            holds.then(|| e.file_name().into_string().ok()).flatten()
        })
        .collect();
    out.sort_by(|a, b| compare_versions(a, b));
    out
}

/// The release names (`.rel` stems) in a directory, sorted.
fn rel_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "rel" && p.is_file())
                .then(|| Some(p.file_stem()?.to_str()?.to_string()))?
        })
        .collect();
    names.sort();
    names
}

/// The `.rel` of a release directory: the one named, or the only one.
fn rel_in_dir(dir: &Path, name: Option<&str>) -> Result<Option<PathBuf>, LayoutError> {
    let names = rel_names(dir);
    match (name, names.len()) {
        (_, 0) => Ok(None),
        (Some(n), _) if names.iter().any(|x| x == n) => Ok(Some(dir.join(format!("{n}.rel")))),
        (Some(n), _) => Err(LayoutError::NoSuchName {
            dir: dir.into(),
            name: n.into(),
            names,
        }),
        (None, 1) => Ok(Some(dir.join(format!("{}.rel", names[0])))),
        (None, _) => Err(LayoutError::SeveralRelFiles {
            dir: dir.into(),
            names,
        }),
    }
}

/// `ROOT` for a `.rel` at `ROOT/releases/VSN/NAME.rel` (the root has a `lib/` or `releases/`).
fn root_of(rel: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(rel).ok()?;
    let releases = abs.parent()?.parent()?;
    (releases.file_name()? == "releases").then(|| releases.parent().map(Path::to_path_buf))?
}

/// Version order: numeric parts compare as numbers, others as text (`0.10.0` > `0.9.1`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |s: &str| -> Vec<String> { s.split(['.', '-', '+']).map(String::from).collect() };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Greater,
            (Err(_), Ok(_)) => Ordering::Less,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    pa.len().cmp(&pb.len()).then_with(|| a.cmp(b))
}

/// The `ebin` directory of application `app` at version `vsn` in a release's `lib` directory
/// (`lib/APP-VSN/ebin`, as rebar3, relx and `mix release` lay it out).
pub fn ebin_dir(lib: &Path, app: &str, vsn: &str) -> PathBuf {
    lib.join(format!("{app}-{vsn}")).join("ebin")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_their_numbers() {
        let mut v = vec!["0.10.0", "0.9.1", "1.0.0-rc1", "1.0.0", "0.9.1+build"];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(v, ["0.9.1", "0.9.1+build", "0.10.0", "1.0.0", "1.0.0-rc1"]);
    }
}
