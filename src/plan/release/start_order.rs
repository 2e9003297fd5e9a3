//! The start order of a release's applications (`sort_used_and_incl_appls/2`,
//! `sort_appls/1`): used and included applications before the application.

use super::*;

/// `sort_used_and_incl_appls/2`: lists of more than one used or included application are put
/// in `.rel` order (applications not in the release last).
pub(super) fn sort_used_and_incl_appls(apps: Vec<AppRecord>, rel: &Rel) -> Vec<AppRecord> {
    let order = |list: Vec<Atom>| -> Vec<Atom> {
        if list.len() <= 1 {
            return list;
        }
        let mut keyed: Vec<(usize, Atom)> = list
            .into_iter()
            .map(|a| {
                (
                    rel.applications
                        .iter()
                        .position(|r| r.name == a)
                        .map_or(usize::MAX, |p| p + 1),
                    a,
                )
            })
            .collect();
        keyed.sort_by_key(|(k, _)| *k);
        keyed.into_iter().map(|(_, a)| a).collect()
    };
    apps.into_iter()
        .map(|mut a| {
            a.included_applications = order(std::mem::take(&mut a.included_applications));
            a.applications = order(std::mem::take(&mut a.applications));
            a
        })
        .collect()
}

/// `sort_appls/1`: start order; an application's used and included applications found later
/// in the list are moved before it (recursively).
pub(super) fn sort_appls(apps: Vec<AppRecord>, file: &Path) -> Result<Vec<AppRecord>, PlanError> {
    let mut pending: Vec<AppRecord> = apps;
    pending.reverse(); // work from the back: pop() takes the head
    let mut out = Vec::new();
    let mut missing: Vec<Atom> = Vec::new();
    // OTP records circular applications as `{Name, Vsn}`.
    let mut circular: Vec<(Atom, String)> = Vec::new();
    let mut visited: Vec<Atom> = Vec::new();
    while let Some(a) = pending.pop() {
        let mut rest: Vec<AppRecord> = pending.drain(..).rev().collect();
        let (uses, nf1) = find_all(&a.name, &a.applications, &mut rest, &visited);
        let (incs, nf2) = find_all(&a.name, &a.included_applications, &mut rest, &visited);
        let mut miss: Vec<Atom> = nf1
            .into_iter()
            .filter(|x| !a.optional_applications.contains(x))
            .collect();
        miss.extend(nf2);
        miss.extend(missing);
        missing = miss;
        let found: Vec<AppRecord> = uses.into_iter().chain(incs).collect();
        if found.is_empty() {
            visited.insert(0, a.name.clone());
            out.push(a);
            rest.reverse();
            pending = rest;
        } else {
            let new_circular: Vec<(Atom, String)> = found
                .iter()
                .filter(|f| visited.contains(&f.name))
                .map(|f| (f.name.clone(), f.vsn.clone()))
                .collect();
            if !new_circular.is_empty() {
                let mut c = vec![(a.name.clone(), a.vsn.clone())];
                c.extend(new_circular.iter().cloned());
                c.extend(circular);
                circular = c;
            }
            visited.insert(0, a.name.clone());
            // del_apps: each circular name loses its first entry only (lists:keydelete).
            let mut next: Vec<AppRecord> = found;
            next.push(a);
            next.extend(rest);
            for (name, _) in &new_circular {
                if let Some(pos) = next.iter().position(|r| &r.name == name) {
                    next.remove(pos);
                }
            }
            next.reverse();
            pending = next;
        }
    }
    match (missing.is_empty(), circular.is_empty()) {
        (true, true) => Ok(out),
        (false, true) => Err(make_error(
            PlanErrorKind::UndefinedApplications(make_set(missing)),
            file,
        )),
        (true, false) => Err(make_error(
            PlanErrorKind::CircularDependencies(name_vsns(make_set(circular.clone()))),
            file,
        )),
        (false, false) => Err(make_error(
            PlanErrorKind::CircularAndUndefined {
                circular: name_vsns(make_set(circular)),
                undefined: make_set(missing),
            },
            file,
        )),
    }
}

/// `find_all/6`: takes the named applications out of `rest` (in `names` order); names neither
/// in `rest` nor visited are returned as not found.
pub(super) fn find_all(
    checking: &Atom,
    names: &[Atom],
    rest: &mut Vec<AppRecord>,
    visited: &[Atom],
) -> (Vec<AppRecord>, Vec<Atom>) {
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    for name in names.iter().rev() {
        match rest.iter().position(|r| &r.name == name) {
            Some(pos) if rest[pos].included_applications.contains(checking) => {
                if !visited.contains(name) {
                    not_found.insert(0, name.clone());
                }
            }
            Some(pos) => found.insert(0, rest.remove(pos)),
            None if visited.contains(name) => {}
            None => not_found.insert(0, name.clone()),
        }
    }
    (found, not_found)
}
