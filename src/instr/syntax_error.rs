//! The syntax errors of appup and relup instructions: `systools_rc`'s reason tags, the
//! culprit term, its span, and a sentence.

use crate::diagnostic::Code;
use crate::span::Span;
use crate::term::{Item, Term};

/// Why `systools_rc`'s syntax check rejects an instruction; each kind is the tag of OTP's
/// reason term `{Tag, Culprit}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyntaxErrorKind {
    /// `{bad_instruction, I}`: no instruction has this shape.
    BadInstruction,
    /// `{bad_module, X}`: a module name that is not an atom.
    BadModule,
    /// `{bad_change, X}`: not `soft` or `{advanced, Extra}`.
    BadChange,
    /// `{bad_mod_type, X}`: not `static` or `dynamic`.
    BadModType,
    /// `{bad_purge_method, X}`: not `soft_purge` or `brutal_purge`.
    BadPurgeMethod,
    /// `{bad_list, X}`: not a list.
    BadList,
    /// `{bad_args_list, X}`: apply arguments that are not a list.
    BadArgsList,
    /// `{bad_node, X}`: a node name that is not an atom.
    BadNode,
    /// `{bad_application, X}`: an application name that is not an atom.
    BadApplication,
    /// `{bad_start_type, X}`: not permanent, transient, temporary, load or none.
    BadStartType,
    /// `{bad_func, X}`: a function name that is not an atom.
    BadFunc,
    /// `{bad_lib, X}`: a library name that is not an atom.
    BadLib,
    /// `{bad_lib_vsn, X}`: a library version that is not a list.
    BadLibVsn,
    /// `{bad_timeout, X}`: not default, infinity or an integer > 0.
    BadTimeout,
    /// `{bad_mode, X}`: a code_change mode other than up or down.
    BadMode,
    /// `{bad_code_change, X}`: a code_change element that is not `{Mod, Extra}`.
    BadCodeChange,
    /// `{not_yet_implemented, mnesia_backup}`.
    NotYetImplemented,
    /// `{improper_list, X}`: ours; OTP accepts an improper list in its `is_list` check and then
    /// crashes while walking it (`function_clause`).
    ImproperList,
}

impl SyntaxErrorKind {
    /// The tag of OTP's reason term.
    pub fn atom(self) -> &'static str {
        self.code().as_str()
    }

    /// The diagnostic code, named after the tag of OTP's reason term.
    pub fn code(self) -> Code {
        use SyntaxErrorKind::*;
        match self {
            BadInstruction => Code::BadInstruction,
            BadModule => Code::BadModule,
            BadChange => Code::BadChange,
            BadModType => Code::BadModType,
            BadPurgeMethod => Code::BadPurgeMethod,
            BadList => Code::BadList,
            BadArgsList => Code::BadArgsList,
            BadNode => Code::BadNode,
            BadApplication => Code::BadApplication,
            BadStartType => Code::BadStartType,
            BadFunc => Code::BadFunc,
            BadLib => Code::BadLib,
            BadLibVsn => Code::BadLibVsn,
            BadTimeout => Code::BadTimeout,
            BadMode => Code::BadMode,
            BadCodeChange => Code::BadCodeChange,
            NotYetImplemented => Code::NotYetImplemented,
            ImproperList => Code::ImproperList,
        }
    }

    /// What was expected, for the sentence.
    fn expected(self) -> &'static str {
        use SyntaxErrorKind::*;
        match self {
            BadInstruction => "no appup or relup instruction has this shape",
            BadModule | BadNode | BadApplication | BadFunc | BadLib => "should be an atom",
            BadChange => "should be soft or {advanced, Extra}",
            BadModType => "should be static or dynamic",
            BadPurgeMethod => "should be soft_purge or brutal_purge",
            BadList | BadLibVsn => "should be a list",
            BadArgsList => "should be a list of arguments",
            BadStartType => "should be permanent, transient, temporary, load or none",
            BadTimeout => "should be default, infinity or an integer > 0",
            BadMode => "should be up or down",
            BadCodeChange => "should be {Module, Extra}",
            NotYetImplemented => "systools does not implement it",
            ImproperList => "should be a proper list (OTP crashes on it)",
        }
    }

    fn noun(self) -> &'static str {
        use SyntaxErrorKind::*;
        match self {
            BadInstruction => "bad instruction",
            BadModule => "bad module",
            BadChange => "bad change spec",
            BadModType => "bad module type",
            BadPurgeMethod => "bad purge method",
            BadList => "bad list",
            BadArgsList => "bad argument list",
            BadNode => "bad node",
            BadApplication => "bad application",
            BadStartType => "bad start type",
            BadFunc => "bad function",
            BadLib => "bad library",
            BadLibVsn => "bad library version",
            BadTimeout => "bad timeout",
            BadMode => "bad code_change mode",
            BadCodeChange => "bad code_change",
            NotYetImplemented => "not yet implemented",
            ImproperList => "improper list",
        }
    }
}

/// An instruction `systools_rc` rejects in its syntax check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} {} ({})", .kind.noun(), .culprit, .kind.expected())]
pub struct SyntaxError {
    /// The check that failed.
    pub kind: SyntaxErrorKind,
    /// The offending term (OTP's reason holds it).
    pub culprit: Term<'static>,
    /// Where the offending term is in the source (empty for terms built in code).
    pub span: Span,
}

impl SyntaxError {
    pub(super) fn new(kind: SyntaxErrorKind, culprit: &Term<'_>) -> Self {
        SyntaxError {
            kind,
            culprit: culprit.clone().into_owned(),
            span: culprit.span,
        }
    }

    pub(super) fn from_item(kind: SyntaxErrorKind, item: Item<'_, '_>) -> Self {
        SyntaxError {
            kind,
            culprit: item.to_term(),
            span: item.span(),
        }
    }

    /// OTP's reason term, e.g. `{bad_purge_method,rutal_purge}`.
    pub fn reason(&self) -> Term<'static> {
        Term::tuple(vec![Term::atom(self.kind.atom()), self.culprit.clone()])
    }
}
