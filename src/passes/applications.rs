//! Pass 7: application instructions (`systools_rc:translate_application_instrs/3`).
//! `add_application` becomes `add_module`s plus a start, `remove_application` a stop, removes,
//! a purge and an unload, `restart_application` both, by the start type of the new release.
//! Pass 8 (`add_module` → `load_module` with brutal purges) is folded in here.

use super::dependent::{Dep, DepKind, Step};
use super::{Application, Apps, TranslateError};
use crate::instr::{Atom, Instruction, LowLevel, Mfa, PurgeMethod, StartType};
use crate::term::Term;

/// Replaces application instructions (after the point of no return) by their expansion.
pub(crate) fn run(
    after: Vec<Instruction>,
    apps: &Apps,
    pre_apps: &Apps,
) -> Result<Vec<Step>, TranslateError> {
    let mut out = Vec::with_capacity(after.len());
    for instr in after {
        match instr {
            Instruction::AddApplication {
                application,
                start_type,
            } => {
                let app = apps
                    .find(&application)
                    .ok_or(TranslateError::NoSuchApplication { application })?;
                out.extend(add_modules(app));
                out.extend(start(app, start_type));
            }
            Instruction::RemoveApplication { application } => {
                if apps.find(&application).is_some() {
                    return Err(TranslateError::RemovedApplicationPresent { application });
                }
                let old = pre_apps
                    .find(&application)
                    .ok_or(TranslateError::NoSuchApplication { application })?;
                out.extend(stop_and_remove(old));
                out.push(apply("unload", vec![old.name.to_term()]));
            }
            Instruction::RestartApplication { application } => {
                let old = pre_apps.find(&application);
                let new = apps.find(&application);
                let (Some(old), Some(new)) = (old, new) else {
                    return Err(TranslateError::NoSuchApplication { application });
                };
                out.extend(stop_and_remove(old));
                out.extend(add_modules(new));
                out.extend(start(new, new.start_type));
            }
            Instruction::AddModule { module, dep_mods } => out.push(load_module(module, dep_mods)),
            Instruction::Update {
                module,
                mod_type,
                timeout,
                change,
                pre_purge,
                post_purge,
                dep_mods,
            } => {
                let kind = DepKind::Update {
                    mod_type,
                    timeout,
                    change,
                    pre: pre_purge,
                    post: post_purge,
                };
                out.push(Step::Dep(Dep {
                    module,
                    dep_mods,
                    kind,
                }));
            }
            Instruction::LoadModule {
                module,
                pre_purge,
                post_purge,
                dep_mods,
            } => {
                out.push(Step::Dep(Dep {
                    module,
                    dep_mods,
                    kind: DepKind::Load {
                        pre: pre_purge,
                        post: post_purge,
                    },
                }));
            }
            Instruction::DeleteModule { module, dep_mods } => {
                out.push(Step::Dep(Dep {
                    module,
                    dep_mods,
                    kind: DepKind::Delete,
                }));
            }
            Instruction::Low(low) => out.push(Step::Low(low)),
        }
    }
    Ok(out)
}

/// `add_module` (and every module an application instruction adds): a load with brutal purges.
fn load_module(module: Atom, dep_mods: Vec<Atom>) -> Step {
    let brutal = PurgeMethod::BrutalPurge;
    Step::Dep(Dep {
        module,
        dep_mods,
        kind: DepKind::Load {
            pre: brutal,
            post: brutal,
        },
    })
}

fn add_modules(app: &Application) -> impl Iterator<Item = Step> + '_ {
    app.modules
        .iter()
        .map(|m| load_module(m.clone(), Vec::new()))
}

fn start(app: &Application, start_type: StartType) -> Option<Step> {
    let name = app.name.to_term();
    match start_type {
        StartType::None => None,
        StartType::Load => Some(apply("load", vec![name])),
        other => Some(apply("start", vec![name, Term::atom(other.atom())])),
    }
}

fn stop_and_remove(old: &Application) -> Vec<Step> {
    let mut out = vec![apply("stop", vec![old.name.to_term()])];
    out.extend(old.modules.iter().map(|m| {
        Step::Low(LowLevel::Remove {
            module: m.clone(),
            pre_purge: PurgeMethod::BrutalPurge,
            post_purge: PurgeMethod::BrutalPurge,
        })
    }));
    out.push(Step::Low(LowLevel::Purge {
        modules: old.modules.clone(),
    }));
    out
}

fn apply(function: &str, args: Vec<Term<'static>>) -> Step {
    Step::Low(LowLevel::Apply {
        mfa: Box::new(Mfa {
            module: Atom::from("application"),
            function: Atom::from(function),
            args: Term::list(args),
        }),
    })
}
