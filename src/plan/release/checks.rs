//! The consistency checks of `get_release`: undefined applications, duplicate registered
//! names and includes (`check_applications/1`), unique module names.

use super::*;

/// `systools_make:duplicates/1`: entries sorted (stably) by name, each adjacent pair with the
/// same name as `{{Name, App, AppVsn, Dir}, {Name, App2, AppVsn2, Dir2}}`, last pair first.
pub(super) fn duplicates(mut entries: Vec<(Atom, &AppRecord)>) -> Option<Term<'static>> {
    entries.sort_by(|x, y| x.0.as_str().cmp(y.0.as_str()));
    let item = |(name, a): &(Atom, &AppRecord)| {
        Term::tuple(vec![
            name.to_term(),
            a.name.to_term(),
            Term::string(a.vsn.clone()),
            path_term(&a.dir),
        ])
    };
    let pairs: Vec<Term<'static>> = entries
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| Term::tuple(vec![item(&w[0]), item(&w[1])]))
        .rev()
        .collect();
    (!pairs.is_empty()).then(|| Term::list(pairs))
}

/// `[{Name, Vsn}]`.
pub(super) fn name_vsns(list: Vec<(Atom, String)>) -> Term<'static> {
    Term::list(
        list.into_iter()
            .map(|(n, v)| Term::tuple(vec![n.to_term(), Term::string(v)]))
            .collect(),
    )
}

/// `make_set/1`: first occurrences, in order.
pub(super) fn make_set<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// The error a duplicate name makes.
type KindOf = fn(Term<'static>) -> PlanErrorKind;

/// The names an application declares (registered processes, included applications).
type NamesOf = fn(&AppRecord) -> &[Atom];

/// `check_applications/1`: undefined applications, duplicate registered names and includes,
/// then `add_top_apps_to_uses`.
pub(super) fn check_applications(
    apps: Vec<AppRecord>,
    file: &Path,
) -> Result<Vec<AppRecord>, PlanError> {
    let defined: Vec<&Atom> = apps.iter().map(|a| &a.name).collect();
    let undefined: Vec<Atom> = apps
        .iter()
        .flat_map(|a| {
            a.applications
                .iter()
                .filter(|u| !a.optional_applications.contains(u))
                .chain(&a.included_applications)
        })
        .filter(|u| !defined.contains(u))
        .cloned()
        .collect();
    if !undefined.is_empty() {
        return Err(make_error(
            PlanErrorKind::UndefinedApplications(make_set(undefined)),
            file,
        ));
    }
    // dupl_regs, then dupl_incls: {Name, App, AppVsn, Dir} for every registered name and
    // every included application.
    let checks: [(KindOf, NamesOf); 2] = [
        (PlanErrorKind::DuplicateRegister, |a| &a.registered),
        (PlanErrorKind::DuplicateInclude, |a| {
            &a.included_applications
        }),
    ];
    for (kind, names) in checks {
        let entries: Vec<(Atom, &AppRecord)> = apps
            .iter()
            .flat_map(|a| names(a).iter().map(move |n| (n.clone(), a)))
            .collect();
        if let Some(dups) = duplicates(entries) {
            return Err(make_error(kind(dups), file));
        }
    }
    let incls: Vec<(Atom, Atom)> = apps
        .iter()
        .flat_map(|a| {
            a.included_applications
                .iter()
                .map(|i| (i.clone(), a.name.clone()))
        })
        .collect();
    let top = |app: &Atom| -> Atom {
        let mut cur = app.clone();
        let mut steps = 0;
        while let Some((_, parent)) = incls.iter().find(|(i, _)| *i == cur) {
            cur = parent.clone();
            steps += 1;
            if steps > incls.len() {
                break;
            }
        }
        cur
    };
    Ok(apps
        .into_iter()
        .map(|mut a| {
            let my_top = top(&a.name);
            let mut uses = a.applications.clone();
            for used in &a.applications {
                if *used == my_top {
                    uses.retain(|u| u != &my_top);
                } else if let Some((_, depend)) = incls.iter().find(|(i, _)| i == used) {
                    let used_top = top(depend);
                    if uses.contains(&used_top) {
                        uses.retain(|u| u != used);
                    } else if used_top != my_top {
                        uses.retain(|u| u != used);
                        uses.push(used_top);
                    }
                }
            }
            a.applications = uses;
            a
        })
        .collect())
}

/// Module names must be unique across the release (`{duplicate_modules, Dups}`).
pub(super) fn check_modules(apps: &[AppRecord], file: &Path) -> Result<(), PlanError> {
    let mut all: Vec<(&Atom, &AppRecord)> = apps
        .iter()
        .flat_map(|a| a.modules.iter().map(move |m| (m, a)))
        .collect();
    all.sort_by(|x, y| x.0.cmp(y.0));
    let triple = |(m, a): (&Atom, &AppRecord)| {
        Term::tuple(vec![m.to_term(), a.name.to_term(), path_term(&a.dir)])
    };
    let dups: Vec<Term<'static>> = all
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| Term::tuple(vec![triple(w[0]), triple(w[1])]))
        .rev()
        .collect();
    if dups.is_empty() {
        return Ok(());
    }
    Err(make_error(PlanErrorKind::DuplicateModules(dups), file))
}
