//! Erlang term → typed [`Instruction`], with exactly OTP's rules: the expansion table of
//! `systools_rc:expand_script/1`, the syntax checks of `check_op/1` in their order (the first
//! failing check decides the reason), then `normalize_instrs/1`.
//!
//! Rules cite `grammar/appup.ebnf`; a rejected instruction gives OTP's reason term
//! ([`SyntaxError::reason`]), the span of the offending part and a sentence.

use super::syntax_error::{SyntaxError, SyntaxErrorKind};
use super::{
    Atom, Change, Instruction, LowLevel, Mfa, ModType, Mode, PurgeMethod, StartType, SuspendItem,
    SyncTarget, Timeout,
};
use crate::term::{Item, Term, TermKind};

type Res<T> = Result<T, SyntaxError>;
use SyntaxErrorKind as K;

// instruction ::= update | load_module | module_dep | application_instr | low_instr
/// Decodes one instruction of an appup script: expansion, syntax check and normalization as
/// `systools_rc` does them.
///
/// # Errors
/// The first failing check, with OTP's reason.
pub fn decode_instruction(t: &Term<'_>) -> Res<Instruction> {
    if let Some(a) = t.as_atom() {
        return decode_atom(t, a);
    }
    let Some((tag, _)) = t.tagged() else {
        return Err(SyntaxError::new(K::BadInstruction, t));
    };
    let items = t.as_tuple().unwrap_or(&[]);
    let args = &items[1..];
    match tag {
        "update" => decode_update(t, args),
        "load_module" => decode_load_module(t, args),
        "add_module" | "delete_module" => decode_module_dep(t, tag, args),
        "add_application" | "remove_application" | "restart_application" => {
            decode_application(t, tag, args)
        }
        _ => decode_low_tuple(t, tag, args).map(Instruction::Low),
    }
}

// atom_instr ::= "point_of_no_return" | "restart_new_emulator" | "restart_emulator" | "restart" | "reboot"
fn decode_atom(t: &Term<'_>, a: &str) -> Res<Instruction> {
    let low = match a {
        "point_of_no_return" => LowLevel::PointOfNoReturn,
        "restart_new_emulator" => LowLevel::RestartNewEmulator,
        "restart_emulator" => LowLevel::RestartEmulator,
        "restart" => LowLevel::Restart,
        "reboot" => LowLevel::Reboot,
        "mnesia_backup" => return Err(SyntaxError::new(K::NotYetImplemented, t)),
        _ => return Err(SyntaxError::new(K::BadInstruction, t)),
    };
    Ok(Instruction::Low(low))
}

/// The defaults `expand_script` fills in for a short `update`.
struct UpdateDefaults {
    mod_type: ModType,
    timeout: Timeout,
}

const DYNAMIC_DEFAULT: UpdateDefaults = UpdateDefaults {
    mod_type: ModType::Dynamic,
    timeout: Timeout::Default,
};

// update ::= "{update," mod "}" | "{update," mod ",supervisor}" | "{update," mod "," change "}" | "{update," mod "," dep_mods "}" | "{update," mod "," change "," dep_mods "}" | "{update," mod "," change "," purge "," purge "," dep_mods "}" | "{update," mod "," timeout "," change "," purge "," purge "," dep_mods "}" | "{update," mod "," mod_type "," timeout "," change "," purge "," purge "," dep_mods "}"
fn decode_update(t: &Term<'_>, a: &[Term<'_>]) -> Res<Instruction> {
    let brutal = PurgeMethod::DEFAULT;
    match a {
        [m] => update(m, DYNAMIC_DEFAULT, Change::Soft, brutal, brutal, None),
        [m, x] if x.is_atom("supervisor") => {
            let defaults = UpdateDefaults {
                mod_type: ModType::Static,
                timeout: Timeout::Default,
            };
            update(
                m,
                defaults,
                Change::Advanced(Box::new(Term::nil())),
                brutal,
                brutal,
                None,
            )
        }
        [m, c] if c.as_tuple().is_some() || c.is_atom("soft") => {
            let module = module(m)?;
            let change = change(c)?;
            finish_update(module, DYNAMIC_DEFAULT, change, brutal, brutal, None)
        }
        [m, deps] if deps.is_list() => {
            update(m, DYNAMIC_DEFAULT, Change::Soft, brutal, brutal, Some(deps))
        }
        [m, c, deps] if (c.as_tuple().is_some() || c.is_atom("soft")) && deps.is_list() => {
            let module = module(m)?;
            let change = change(c)?;
            finish_update(module, DYNAMIC_DEFAULT, change, brutal, brutal, Some(deps))
        }
        [m, c, pre, post, deps] => {
            let (module, change) = (module(m)?, change(c)?);
            finish_update(
                module,
                DYNAMIC_DEFAULT,
                change,
                purge(pre)?,
                purge(post)?,
                Some(deps),
            )
        }
        [m, to, c, pre, post, deps] => {
            let module = module(m)?;
            let defaults = UpdateDefaults {
                mod_type: ModType::Dynamic,
                timeout: timeout(to)?,
            };
            let change = change(c)?;
            finish_update(
                module,
                defaults,
                change,
                purge(pre)?,
                purge(post)?,
                Some(deps),
            )
        }
        [m, mt, to, c, pre, post, deps] => {
            let module = module(m)?;
            let defaults = UpdateDefaults {
                mod_type: mod_type(mt)?,
                timeout: timeout(to)?,
            };
            let change = change(c)?;
            finish_update(
                module,
                defaults,
                change,
                purge(pre)?,
                purge(post)?,
                Some(deps),
            )
        }
        _ => Err(SyntaxError::new(K::BadInstruction, t)),
    }
}

fn update(
    m: &Term<'_>,
    d: UpdateDefaults,
    change: Change,
    pre: PurgeMethod,
    post: PurgeMethod,
    deps: Option<&Term<'_>>,
) -> Res<Instruction> {
    finish_update(module(m)?, d, change, pre, post, deps)
}

fn finish_update(
    module: Atom,
    d: UpdateDefaults,
    change: Change,
    pre_purge: PurgeMethod,
    post_purge: PurgeMethod,
    deps: Option<&Term<'_>>,
) -> Res<Instruction> {
    let dep_mods = deps.map_or(Ok(Vec::new()), |d| atom_list(d, K::BadModule))?;
    Ok(Instruction::Update {
        module,
        mod_type: d.mod_type,
        timeout: d.timeout,
        change,
        pre_purge,
        post_purge,
        dep_mods,
    })
}

// load_module ::= "{load_module," mod "}" | "{load_module," mod "," dep_mods "}" | "{load_module," mod "," purge "," purge "," dep_mods "}"
fn decode_load_module(t: &Term<'_>, a: &[Term<'_>]) -> Res<Instruction> {
    let (m, pre, post, deps) = match a {
        [m] => (m, None, None, None),
        [m, deps] if deps.is_list() => (m, None, None, Some(deps)),
        [m, pre, post, deps] => (m, Some(pre), Some(post), Some(deps)),
        _ => return Err(SyntaxError::new(K::BadInstruction, t)),
    };
    let module = module(m)?;
    let pre_purge = pre.map_or(Ok(PurgeMethod::DEFAULT), purge)?;
    let post_purge = post.map_or(Ok(PurgeMethod::DEFAULT), purge)?;
    let dep_mods = deps.map_or(Ok(Vec::new()), |d| atom_list(d, K::BadModule))?;
    Ok(Instruction::LoadModule {
        module,
        pre_purge,
        post_purge,
        dep_mods,
    })
}

// module_dep ::= "{" ( "add_module" | "delete_module" ) "," mod ( "," dep_mods )? "}"
fn decode_module_dep(t: &Term<'_>, tag: &str, a: &[Term<'_>]) -> Res<Instruction> {
    let (module, dep_mods) = match a {
        [m] => (module(m)?, Vec::new()),
        [m, deps] => (module(m)?, atom_list(deps, K::BadModule)?),
        _ => return Err(SyntaxError::new(K::BadInstruction, t)),
    };
    Ok(if tag == "add_module" {
        Instruction::AddModule { module, dep_mods }
    } else {
        Instruction::DeleteModule { module, dep_mods }
    })
}

// application_instr ::= "{add_application," appl ( "," start_type )? "}" | "{remove_application," appl "}" | "{restart_application," appl "}"
// appl ::= atom
// start_type ::= "permanent" | "transient" | "temporary" | "load" | "none"
fn decode_application(t: &Term<'_>, tag: &str, a: &[Term<'_>]) -> Res<Instruction> {
    let application = |x: &Term<'_>| atom_of(x, K::BadApplication);
    match (tag, a) {
        ("add_application", [app]) => Ok(Instruction::AddApplication {
            application: application(app)?,
            start_type: StartType::Permanent,
        }),
        ("add_application", [app, ty]) => {
            let application = application(app)?;
            let start_type = ty
                .as_atom()
                .and_then(StartType::from_atom)
                .ok_or_else(|| SyntaxError::new(K::BadStartType, ty))?;
            Ok(Instruction::AddApplication {
                application,
                start_type,
            })
        }
        ("remove_application", [app]) => Ok(Instruction::RemoveApplication {
            application: application(app)?,
        }),
        ("restart_application", [app]) => Ok(Instruction::RestartApplication {
            application: application(app)?,
        }),
        _ => Err(SyntaxError::new(K::BadInstruction, t)),
    }
}

// low_instr ::= load_object_code | load_remove | module_list_instr | suspend | code_change | sync_nodes | apply | atom_instr
// load_remove ::= "{" ( "load" | "remove" ) ",{" mod "," purge "," purge "}}"
// module_list_instr ::= "{" ( "purge" | "resume" | "stop" | "start" ) "," mods "}"
// apply ::= "{apply," mfa "}"
fn decode_low_tuple(t: &Term<'_>, tag: &str, a: &[Term<'_>]) -> Res<LowLevel> {
    let bad = || SyntaxError::new(K::BadInstruction, t);
    match (tag, a) {
        ("load_object_code", [payload]) => match payload.as_tuple() {
            Some([lib, vsn, mods]) => load_object_code(lib, vsn, mods),
            _ => Err(bad()),
        },
        ("load" | "remove", [payload]) => match payload.as_tuple() {
            Some([m, pre, post]) => {
                let (module, pre_purge, post_purge) = (module(m)?, purge(pre)?, purge(post)?);
                Ok(if tag == "load" {
                    LowLevel::Load {
                        module,
                        pre_purge,
                        post_purge,
                    }
                } else {
                    LowLevel::Remove {
                        module,
                        pre_purge,
                        post_purge,
                    }
                })
            }
            _ => Err(bad()),
        },
        ("purge" | "resume" | "stop" | "start", [mods]) => {
            let modules = atom_list(mods, K::BadModule)?;
            Ok(match tag {
                "purge" => LowLevel::Purge { modules },
                "resume" => LowLevel::Resume { modules },
                "stop" => LowLevel::Stop { modules },
                _ => LowLevel::Start { modules },
            })
        }
        ("suspend", [mods]) => suspend(mods),
        ("code_change", [changes]) => Ok(LowLevel::CodeChange {
            mode: None,
            changes: code_changes(changes)?,
        }),
        ("code_change", [mode, changes]) => {
            list_items(changes)?;
            let mode = match mode.as_atom() {
                Some("up") => Mode::Up,
                Some("down") => Mode::Down,
                _ => return Err(SyntaxError::new(K::BadMode, mode)),
            };
            Ok(LowLevel::CodeChange {
                mode: Some(mode),
                changes: code_changes(changes)?,
            })
        }
        ("sync_nodes", [id, target]) => sync_nodes(id, target),
        ("apply", [mfa_term]) => match mfa_term.as_tuple() {
            Some([m, f, args]) => Ok(LowLevel::Apply {
                mfa: Box::new(mfa(m, f, args)?),
            }),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

// load_object_code ::= "{load_object_code,{" lib "," lib_vsn "," mods "}}"
// lib ::= atom
// lib_vsn ::= list
fn load_object_code(lib: &Term<'_>, vsn: &Term<'_>, mods: &Term<'_>) -> Res<LowLevel> {
    let application = atom_of(lib, K::BadLib)?;
    if !vsn.is_list() {
        return Err(SyntaxError::new(K::BadLibVsn, vsn));
    }
    let modules = atom_list(mods, K::BadModule)?;
    Ok(LowLevel::LoadObjectCode {
        application,
        vsn: Box::new(vsn.clone().into_owned()),
        modules,
    })
}

// suspend ::= "{suspend,[" ( ( mod | "{" mod "," timeout "}" ) ( "," ( mod | "{" mod "," timeout "}" ) )* )? "]}"
fn suspend(mods: &Term<'_>) -> Res<LowLevel> {
    let mut modules = Vec::new();
    for item in list_items(mods)? {
        let entry = match item {
            Item::Term(t) => match t.as_tuple() {
                Some([m, to]) => SuspendItem {
                    module: module(m)?,
                    timeout: Some(timeout(to)?),
                },
                _ => SuspendItem {
                    module: module(t)?,
                    timeout: None,
                },
            },
            Item::Char(..) => return Err(SyntaxError::from_item(K::BadModule, item)),
        };
        modules.push(entry);
    }
    Ok(LowLevel::Suspend { modules })
}

// code_change ::= "{code_change," ( mode "," )? "[" ( "{" mod "," term "}" ( "," "{" mod "," term "}" )* )? "]}"
// mode ::= "up" | "down"
fn code_changes(list: &Term<'_>) -> Res<Vec<(Atom, Term<'static>)>> {
    let mut out = Vec::new();
    for item in list_items(list)? {
        match item {
            Item::Term(t) => match t.as_tuple() {
                Some([m, extra]) => out.push((module(m)?, extra.clone().into_owned())),
                _ => return Err(SyntaxError::new(K::BadCodeChange, t)),
            },
            Item::Char(..) => return Err(SyntaxError::from_item(K::BadCodeChange, item)),
        }
    }
    Ok(out)
}

// sync_nodes ::= "{sync_nodes," term "," ( mfa | "[" ( node ( "," node )* )? "]" ) "}"
// node ::= atom
fn sync_nodes(id: &Term<'_>, target: &Term<'_>) -> Res<LowLevel> {
    let target = match target.as_tuple() {
        Some([m, f, args]) => SyncTarget::Mfa(mfa(m, f, args)?),
        _ => SyncTarget::Nodes(atom_list(target, K::BadNode)?),
    };
    Ok(LowLevel::SyncNodes {
        id: Box::new(id.clone().into_owned()),
        target: Box::new(target),
    })
}

// mfa ::= "{" mod "," func "," args "}"
// func ::= atom
// args ::= list
fn mfa(m: &Term<'_>, f: &Term<'_>, args: &Term<'_>) -> Res<Mfa> {
    let module = module(m)?;
    let function = atom_of(f, K::BadFunc)?;
    if !args.is_list() {
        return Err(SyntaxError::new(K::BadArgsList, args));
    }
    Ok(Mfa {
        module,
        function,
        args: args.clone().into_owned(),
    })
}

// mod ::= atom
fn module(t: &Term<'_>) -> Res<Atom> {
    atom_of(t, K::BadModule)
}

fn atom_of(t: &Term<'_>, kind: SyntaxErrorKind) -> Res<Atom> {
    t.as_atom()
        .map(Atom::from)
        .ok_or_else(|| SyntaxError::new(kind, t))
}

// change ::= "soft" | "{advanced," term "}"
fn change(t: &Term<'_>) -> Res<Change> {
    if t.is_atom("soft") {
        return Ok(Change::Soft);
    }
    match t.as_tuple() {
        Some([tag, extra]) if tag.is_atom("advanced") => {
            Ok(Change::Advanced(Box::new(extra.clone().into_owned())))
        }
        _ => Err(SyntaxError::new(K::BadChange, t)),
    }
}

// mod_type ::= "static" | "dynamic"
fn mod_type(t: &Term<'_>) -> Res<ModType> {
    match t.as_atom() {
        Some("static") => Ok(ModType::Static),
        Some("dynamic") => Ok(ModType::Dynamic),
        _ => Err(SyntaxError::new(K::BadModType, t)),
    }
}

// purge ::= "soft_purge" | "brutal_purge"
fn purge(t: &Term<'_>) -> Res<PurgeMethod> {
    t.as_atom()
        .and_then(PurgeMethod::from_atom)
        .ok_or_else(|| SyntaxError::new(K::BadPurgeMethod, t))
}

// timeout ::= "default" | "infinity" | integer
fn timeout(t: &Term<'_>) -> Res<Timeout> {
    match &t.kind {
        TermKind::Atom(a) if a == "default" => Ok(Timeout::Default),
        TermKind::Atom(a) if a == "infinity" => Ok(Timeout::Infinity),
        // Beyond 128 bits: clamped like any timeout beyond 64 bits.
        TermKind::BigInt(b) if !b.is_negative() && b.to_i128().is_none() => {
            Ok(Timeout::Millis(i64::MAX))
        }
        TermKind::Int(_) | TermKind::BigInt(_) if t.as_int().is_some_and(|ms| ms > 0) => {
            Ok(Timeout::Millis(
                t.as_int()
                    .map_or(1, |ms| i64::try_from(ms).unwrap_or(i64::MAX)),
            ))
        }
        _ => Err(SyntaxError::new(K::BadTimeout, t)),
    }
}

/// `is_list` then the elements; an improper list passes OTP's check and crashes later.
fn list_items<'t, 'a>(t: &'t Term<'a>) -> Res<Vec<Item<'t, 'a>>> {
    if !t.is_list() {
        return Err(SyntaxError::new(K::BadList, t));
    }
    t.list_items()
        .ok_or_else(|| SyntaxError::new(K::ImproperList, t))
}

// dep_mods ::= mods
// mods ::= "[" ( mod ( "," mod )* )? "]"
fn atom_list(t: &Term<'_>, kind: SyntaxErrorKind) -> Res<Vec<Atom>> {
    list_items(t)?
        .into_iter()
        .map(|item| {
            item.as_atom()
                .map(Atom::from)
                .ok_or_else(|| SyntaxError::from_item(kind, item))
        })
        .collect()
}

/// The expansion table of `systools_rc:expand_script/1` on a raw term: short forms of
/// `load_module`, `update` and `add_application` get their defaults; anything else is returned
/// unchanged. OTP expands before it splits at `point_of_no_return`, so a misplaced
/// instruction is reported in its expanded form.
pub fn expand_term(t: &Term<'_>) -> Term<'static> {
    let owned = |x: &Term<'_>| x.clone().into_owned();
    let brutal = || Term::atom("brutal_purge");
    let with = |tag: &'static str, rest: Vec<Term<'static>>| {
        let mut items = vec![Term::atom(tag)];
        items.extend(rest);
        Term::tuple(items)
    };
    let Some((tag, _)) = t.tagged() else {
        return owned(t);
    };
    let args = &t.as_tuple().unwrap_or(&[])[1..];
    match (tag, args) {
        ("load_module", [m]) => with(
            "load_module",
            vec![owned(m), brutal(), brutal(), Term::nil()],
        ),
        ("load_module", [m, d]) if d.is_list() => {
            with("load_module", vec![owned(m), brutal(), brutal(), owned(d)])
        }
        ("update", [m]) => with(
            "update",
            vec![
                owned(m),
                Term::atom("soft"),
                brutal(),
                brutal(),
                Term::nil(),
            ],
        ),
        ("update", [m, s]) if s.is_atom("supervisor") => with(
            "update",
            vec![
                owned(m),
                Term::atom("static"),
                Term::atom("default"),
                Term::tuple(vec![Term::atom("advanced"), Term::nil()]),
                brutal(),
                brutal(),
                Term::nil(),
            ],
        ),
        ("update", [m, c]) if c.as_tuple().is_some() || c.is_atom("soft") => with(
            "update",
            vec![owned(m), owned(c), brutal(), brutal(), Term::nil()],
        ),
        ("update", [m, d]) if d.is_list() => with(
            "update",
            vec![owned(m), Term::atom("soft"), brutal(), brutal(), owned(d)],
        ),
        ("update", [m, c, d]) if (c.as_tuple().is_some() || c.is_atom("soft")) && d.is_list() => {
            with(
                "update",
                vec![owned(m), owned(c), brutal(), brutal(), owned(d)],
            )
        }
        ("add_application", [a]) => {
            with("add_application", vec![owned(a), Term::atom("permanent")])
        }
        _ => owned(t),
    }
}
