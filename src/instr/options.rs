//! The small closed vocabularies instructions are built from: purge methods, change kinds,
//! module types, timeouts, start types and code_change modes. Each names its Erlang atom.

use serde::Serialize;

use crate::term::Term;

/// How old code is purged around a load (`soft_purge` | `brutal_purge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurgeMethod {
    /// `soft_purge`: refuse (before the point of no return) while processes run old code.
    SoftPurge,
    /// `brutal_purge`: kill processes that run old code. The default everywhere.
    BrutalPurge,
}

impl PurgeMethod {
    /// The default purge method of every high-level instruction (`systools_rc:expand_script`).
    pub const DEFAULT: PurgeMethod = PurgeMethod::BrutalPurge;

    /// The Erlang atom.
    pub fn atom(self) -> &'static str {
        match self {
            PurgeMethod::SoftPurge => "soft_purge",
            PurgeMethod::BrutalPurge => "brutal_purge",
        }
    }

    /// Reads the atom.
    pub fn from_atom(a: &str) -> Option<Self> {
        match a {
            "soft_purge" => Some(PurgeMethod::SoftPurge),
            "brutal_purge" => Some(PurgeMethod::BrutalPurge),
            _ => None,
        }
    }
}

/// What `update` does to the processes' state: nothing (`soft`) or `code_change` with an
/// extra argument (`{advanced, Extra}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// `soft`: suspend, load, resume; no `code_change`.
    Soft,
    /// `{advanced, Extra}`: `code_change` is called with `Extra` (boxed: it keeps every
    /// update instruction small).
    Advanced(Box<Term<'static>>),
}

/// Whether a module's `code_change` on downgrade runs before (`dynamic`) or after (`static`)
/// the load of the old code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModType {
    /// `static`: the module stays loaded in its new version until the load; downgrade calls
    /// the *old* code's code_change after loading it (supervisors).
    Static,
    /// `dynamic` (the default): the new code's code_change runs before the old code is loaded.
    Dynamic,
}

impl ModType {
    /// The Erlang atom.
    pub fn atom(self) -> &'static str {
        match self {
            ModType::Static => "static",
            ModType::Dynamic => "dynamic",
        }
    }
}

/// A suspend timeout: `default`, `infinity` or milliseconds (an integer > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeout {
    /// `default`: `sys:suspend/1`'s own timeout.
    Default,
    /// `infinity`.
    Infinity,
    /// A number of milliseconds, greater than zero (Erlang allows bignums; beyond 64 bits
    /// it is clamped, some 292 million years).
    Millis(i64),
}

impl Timeout {
    /// The timeout as an Erlang term.
    pub fn to_term(self) -> Term<'static> {
        match self {
            Timeout::Default => Term::atom("default"),
            Timeout::Infinity => Term::atom("infinity"),
            Timeout::Millis(ms) => Term::int(i128::from(ms)),
        }
    }
}

/// How an added or restarted application is started (`.rel` start type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartType {
    /// `permanent` (the default).
    Permanent,
    /// `transient`.
    Transient,
    /// `temporary`.
    Temporary,
    /// `load`: loaded, not started.
    Load,
    /// `none`: neither loaded nor started.
    None,
}

impl StartType {
    /// The Erlang atom.
    pub fn atom(self) -> &'static str {
        match self {
            StartType::Permanent => "permanent",
            StartType::Transient => "transient",
            StartType::Temporary => "temporary",
            StartType::Load => "load",
            StartType::None => "none",
        }
    }

    /// Reads the atom.
    pub fn from_atom(a: &str) -> Option<Self> {
        Some(match a {
            "permanent" => StartType::Permanent,
            "transient" => StartType::Transient,
            "temporary" => StartType::Temporary,
            "load" => StartType::Load,
            "none" => StartType::None,
            _ => return None,
        })
    }
}

/// Up or down: the direction a script is translated for (`translate_scripts` takes `up` or
/// `dn`), and the mode of a `{code_change, Mode, ...}` instruction (`up` or `down`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Upgrade.
    Up,
    /// Downgrade (OTP's atom is `dn`).
    Down,
}

impl Mode {
    /// The atom of a `code_change` instruction: `up` or `down`.
    pub fn atom(self) -> &'static str {
        match self {
            Mode::Up => "up",
            Mode::Down => "down",
        }
    }
}
