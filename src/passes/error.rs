//! Why a translation fails: one variant per reason `systools_rc` gives, each printable as
//! OTP's reason term ([`TranslateError::reason`]) and as a sentence.

use crate::diagnostic::Code;
use crate::instr::{Atom, SyntaxError};
use crate::term::Term;

/// A translation error, mirroring `{error, systools_rc, Reason}`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TranslateError {
    /// `too_many_point_of_no_return`: a script holds two.
    #[error("a script holds more than one point_of_no_return")]
    TooManyPointOfNoReturn,
    /// `{bad_op_before_point_of_no_return, I}`: only load_object_code and apply may precede it.
    #[error(
        "{instruction} stands before point_of_no_return, where only load_object_code and apply may"
    )]
    BadOpBeforePointOfNoReturn {
        /// The instruction.
        instruction: Term<'static>,
    },
    /// A syntax error (`bad_instruction`, `bad_module`, ...).
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    /// `{no_object_code, M}`: a hand-written `load` without a `load_object_code` for M.
    #[error("load of {module} has no load_object_code for it before point_of_no_return")]
    NoObjectCode {
        /// The module.
        module: Atom,
    },
    /// `{suspended_not_resumed, Mods}`.
    #[error("suspended but never resumed: {}", list(.modules))]
    SuspendedNotResumed {
        /// The modules.
        modules: Vec<Atom>,
    },
    /// `{resumed_not_suspended, Mods}`.
    #[error("resumed but never suspended: {}", list(.modules))]
    ResumedNotSuspended {
        /// The modules.
        modules: Vec<Atom>,
    },
    /// `{start_not_stop, Mods}`.
    #[error("started but never stopped: {}", list(.modules))]
    StartNotStop {
        /// The modules.
        modules: Vec<Atom>,
    },
    /// `{stop_not_start, Mods}`.
    #[error("stopped but never started: {}", list(.modules))]
    StopNotStart {
        /// The modules.
        modules: Vec<Atom>,
    },
    /// `{no_such_application, A}`: not in the release it must be in.
    #[error(
        "application {application} is not in the release (add_application needs it in the new release, remove_application in the old, restart_application in both)"
    )]
    NoSuchApplication {
        /// The application.
        application: Atom,
    },
    /// `{removed_application_present, A}`.
    #[error("remove_application {application}, but the release being moved to still has it")]
    RemovedApplicationPresent {
        /// The application.
        application: Atom,
    },
    /// `{muldef_module, M}`: two dependency instructions for one module.
    #[error(
        "module {module} has more than one update/load_module/add_module/delete_module instruction (also counting add_application and restart_application)"
    )]
    MuldefModule {
        /// The module.
        module: Atom,
    },
    /// `{undef_module, M}`: a DepMods entry with no instruction of its own.
    #[error(
        "{required_by} depends on {module}, which no update/load_module/add_module/delete_module instruction names (DepMods may only name modules changed in the same relup)"
    )]
    UndefModule {
        /// The missing dependency.
        module: Atom,
        /// The instruction's module whose DepMods named it.
        required_by: Atom,
    },
    /// `{no_such_module, M}`: no application of the target release lists the module.
    #[error(
        "no application of the release being moved to lists module {module} in its .app modules"
    )]
    NoSuchModule {
        /// The module.
        module: Atom,
    },
    /// `{conflicting_versions, Lib, Vsn, OtherVsn}`.
    #[error(
        "load_object_code names application {application} with two versions, {vsn} and {other_vsn}"
    )]
    ConflictingVersions {
        /// The application.
        application: Atom,
        /// The first version seen.
        vsn: Term<'static>,
        /// The last conflicting version.
        other_vsn: Term<'static>,
    },
    /// Ours: a script that is not a list (OTP raises `function_clause`).
    #[error("a script must be a list of instructions, found {0}")]
    ScriptNotAList(Term<'static>),
}

fn list(modules: &[Atom]) -> String {
    modules
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn atoms(modules: &[Atom]) -> Term<'static> {
    Term::list(modules.iter().map(Atom::to_term).collect())
}

impl TranslateError {
    /// OTP's reason term (for our own reasons, a term in the same style).
    pub fn reason(&self) -> Term<'static> {
        let pair = |t: Term<'static>| Term::tuple(vec![Term::atom(self.tag()), t]);
        match self {
            TranslateError::TooManyPointOfNoReturn => Term::atom(self.tag()),
            TranslateError::BadOpBeforePointOfNoReturn { instruction } => pair(instruction.clone()),
            TranslateError::Syntax(e) => e.reason(),
            TranslateError::NoObjectCode { module }
            | TranslateError::MuldefModule { module }
            | TranslateError::UndefModule { module, .. }
            | TranslateError::NoSuchModule { module } => pair(module.to_term()),
            TranslateError::SuspendedNotResumed { modules }
            | TranslateError::ResumedNotSuspended { modules }
            | TranslateError::StartNotStop { modules }
            | TranslateError::StopNotStart { modules } => pair(atoms(modules)),
            TranslateError::NoSuchApplication { application }
            | TranslateError::RemovedApplicationPresent { application } => {
                pair(application.to_term())
            }
            TranslateError::ConflictingVersions {
                application,
                vsn,
                other_vsn,
            } => Term::tuple(vec![
                Term::atom(self.tag()),
                application.to_term(),
                vsn.clone(),
                other_vsn.clone(),
            ]),
            TranslateError::ScriptNotAList(t) => pair(t.clone()),
        }
    }

    /// The tag of the reason term (`undef_module`, `bad_purge_method`, ...).
    pub fn tag(&self) -> &'static str {
        self.code().as_str()
    }

    /// The diagnostic code: the tag of the reason term (`undef_module`, `bad_purge_method`, ...).
    pub fn code(&self) -> Code {
        match self {
            TranslateError::TooManyPointOfNoReturn => Code::TooManyPointOfNoReturn,
            TranslateError::BadOpBeforePointOfNoReturn { .. } => Code::BadOpBeforePointOfNoReturn,
            TranslateError::Syntax(e) => e.kind.code(),
            TranslateError::NoObjectCode { .. } => Code::NoObjectCode,
            TranslateError::SuspendedNotResumed { .. } => Code::SuspendedNotResumed,
            TranslateError::ResumedNotSuspended { .. } => Code::ResumedNotSuspended,
            TranslateError::StartNotStop { .. } => Code::StartNotStop,
            TranslateError::StopNotStart { .. } => Code::StopNotStart,
            TranslateError::NoSuchApplication { .. } => Code::NoSuchApplication,
            TranslateError::RemovedApplicationPresent { .. } => Code::RemovedApplicationPresent,
            TranslateError::MuldefModule { .. } => Code::MuldefModule,
            TranslateError::UndefModule { .. } => Code::UndefModule,
            TranslateError::NoSuchModule { .. } => Code::NoSuchModule,
            TranslateError::ConflictingVersions { .. } => Code::ConflictingVersions,
            TranslateError::ScriptNotAList(_) => Code::ScriptNotAList,
        }
    }
}
