//! The closed set of diagnostic codes: every finding of the file decoders, the term parser,
//! OTP's instruction syntax check and its translation checks has one, stable across releases
//! (JSON `code`). Where OTP reports the finding, the code is the tag of OTP's reason.

use serde::Serialize;

macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        /// A diagnostic's code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in output (`bad_purge_method`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    // The release files' structure (`relup check`, the file decoders).
    AppNameMismatch => "app_name_mismatch",
    BadApp => "bad_app",
    BadAppKey => "bad_app_key",
    BadAppKeys => "bad_app_keys",
    BadAppMod => "bad_app_mod",
    BadAppName => "bad_app_name",
    BadAppVsn => "bad_app_vsn",
    BadAppup => "bad_appup",
    BadClauses => "bad_clauses",
    BadConfig => "bad_config",
    BadConfigEntry => "bad_config_entry",
    BadErts => "bad_erts",
    BadErtsVsn => "bad_erts_vsn",
    BadRel => "bad_rel",
    BadRelApp => "bad_rel_app",
    BadRelName => "bad_rel_name",
    BadRelVsn => "bad_rel_vsn",
    BadReleaseEntry => "bad_release_entry",
    BadReleaseStatus => "bad_release_status",
    BadReleases => "bad_releases",
    BadRelup => "bad_relup",
    BadRelupEntries => "bad_relup_entries",
    BadRelupEntry => "bad_relup_entry",
    BadRelupVsn => "bad_relup_vsn",
    BadScript => "bad_script",
    BadStartErlData => "bad_start_erl_data",
    BadStartType => "bad_start_type",
    BadVsn => "bad_vsn",
    EmptyFile => "empty_file",
    ExtraTerm => "extra_term",
    HighLevelInRelup => "high_level_in_relup",
    IllegalInstructionAfterPointOfNoReturn => "illegal_instruction_after_point_of_no_return",
    InvalidRegex => "invalid_regex",
    MalformedClause => "malformed_clause",
    MissingMandatoryApp => "missing_mandatory_app",
    MissingSasl => "missing_sasl",
    MissingVsn => "missing_vsn",
    PermanentRelease => "permanent_release",
    RestartNewEmulatorNotFirst => "restart_new_emulator_not_first",
    ShadowedClause => "shadowed_clause",
    BadAppApplications => "bad_app_applications",
    BadAppDescription => "bad_app_description",
    BadAppIncluded => "bad_app_included",
    BadAppModules => "bad_app_modules",
    BadAppRegistered => "bad_app_registered",
    BadAppId => "bad_app_id",
    BadAppOptional => "bad_app_optional",
    BadAppStartPhases => "bad_app_start_phases",
    BadAppEnv => "bad_app_env",
    BadAppLimit => "bad_app_limit",
    MissingAppKey => "missing_app_key",
    MandatoryApp => "mandatory_app",
    BadRelApps => "bad_rel_apps",
    // The term syntax (the parser's error kinds).
    SyntaxError => "syntax_error",
    Unterminated => "unterminated",
    MissingDot => "missing_dot",
    Variable => "variable",
    ReservedWord => "reserved_word",
    IntegerTooLarge => "integer_too_large",
    BadBase => "bad_base",
    FloatOutOfRange => "float_out_of_range",
    BadEscape => "bad_escape",
    BadBinarySegment => "bad_binary_segment",
    AtomTooLong => "atom_too_long",
    TooDeep => "too_deep",
    InvalidUtf8 => "invalid_utf8",
    TrailingText => "trailing_text",
    // OTP's instruction syntax check (`systools_rc`'s `bad_*` reasons).
    BadInstruction => "bad_instruction",
    BadModule => "bad_module",
    BadChange => "bad_change",
    BadModType => "bad_mod_type",
    BadPurgeMethod => "bad_purge_method",
    BadList => "bad_list",
    BadArgsList => "bad_args_list",
    BadNode => "bad_node",
    BadApplication => "bad_application",
    BadFunc => "bad_func",
    BadLib => "bad_lib",
    BadLibVsn => "bad_lib_vsn",
    BadTimeout => "bad_timeout",
    BadMode => "bad_mode",
    BadCodeChange => "bad_code_change",
    NotYetImplemented => "not_yet_implemented",
    ImproperList => "improper_list",
    // OTP's script translation checks (`systools_rc`'s other reasons).
    TooManyPointOfNoReturn => "too_many_point_of_no_return",
    BadOpBeforePointOfNoReturn => "bad_op_before_point_of_no_return",
    NoObjectCode => "no_object_code",
    SuspendedNotResumed => "suspended_not_resumed",
    ResumedNotSuspended => "resumed_not_suspended",
    StartNotStop => "start_not_stop",
    StopNotStart => "stop_not_start",
    NoSuchApplication => "no_such_application",
    RemovedApplicationPresent => "removed_application_present",
    MuldefModule => "muldef_module",
    UndefModule => "undef_module",
    NoSuchModule => "no_such_module",
    ConflictingVersions => "conflicting_versions",
    ScriptNotAList => "script_not_a_list",
    // `appup lint`: what an appup leaves uncovered in the beams.
    NoClause => "no_clause",
    UncoveredModule => "uncovered_module",
    NoCodeChange => "no_code_change",
    LoadOrder => "load_order",
    UnchangedModule => "unchanged_module",
    UpdateKind => "update_kind",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case_words() {
        let mut texts: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert!(texts.iter().all(|t| {
            t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }));
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), Code::ALL.len());
    }
}
