//! relup: Erlang/OTP hot code upgrades (appup → relup → release_handler), exact and offline.
//!
//! The crate reads the files of a release with byte positions, checks appup instructions with
//! OTP's own rules and reason terms, expands them into the low-level script `release_handler`
//! runs (what `systools_rc:translate_scripts/4` gives), plans whole relups (what
//! `systools:make_relup/4` writes, byte for byte), reads BEAM files (`beam_lib:md5/1`), and
//! runs scripts with `release_handler`'s semantics against any [`Loader`], such as the
//! [`SimulatedRuntime`] that predicts what an upgrade does to a running node.
//!
//! ```text
//!  .appup/.app/.rel text ──term──▶ Term ──files / instr──▶ typed Appup, Instruction
//!                                                              │
//!              plan::make_relup ──▶ passes::translate (order: petgraph)
//!                                                              ▼
//!                      Vec<LowLevel> ──plan::write──▶ relup file (~tp, atomic)
//!                            │
//!                            ▼
//!          exec::execute(script, impl Loader) ──▶ Report   (SimulatedRuntime predicts)
//! ```
//!
//! From an appup's text to its relup and a prediction of what the upgrade does to a node:
//!
//! ```
//! use relup::{App, Appup, SimulatedRuntime, appup_relup, execute};
//! use relup::exec::{ExecOptions, scenario::Scenario, select_script};
//!
//! let appup: Appup = r#"{"2", [{"1", [{update, counter, {advanced, []}}]}],
//!                             [{"1", [{update, counter, {advanced, []}}]}]}."#.parse()?;
//! let app: App = r#"{application, shop, [{vsn, "2"}, {modules, [counter]}]}."#.parse()?;
//! let relup = appup_relup(&appup, &app, "1")?;
//! assert!(relup::plan::relup_text(&relup).contains("{code_change,up,[{counter,[]}]}"));
//!
//! // A node running shop 1: a counter gen_server whose state gains a field in 2.
//! let node = relup::term::parse_terms(
//!     r#"{release, "1"}.
//!        {module, counter, [{current, "1"}]}.
//!        {module, shop_sup, [{current, "1"}]}.
//!        {supervisor, shop_sup, "1", [{counter, [counter]}]}.
//!        {process, shop_sup, [{runs, [{shop_sup, "1"}]}, {top_supervisor, shop}]}.
//!        {process, counter, [{runs, [{counter, "1"}]}, {child_of, shop_sup, counter},
//!                            {state, {st, 7}}]}.
//!        {migration, counter, up, {st, '$1'}, {st, '$1', []}}."#,
//! )?;
//! let mut node = SimulatedRuntime::new(Scenario::from_terms(&node)?)?;
//! let (script, _) = select_script(&relup, "1", "2")?;
//! let report = execute(script, &mut node, &ExecOptions::default())?;
//! assert_eq!(report.instructions_run, script.len());
//! let counter = node.state().processes.values().find(|p| p.name.as_str() == "counter").unwrap();
//! assert_eq!(counter.state.as_ref().unwrap().to_string(), "{st,7,[]}");
//! # Ok::<(), relup::Error>(())
//! ```
//!
//! Every error converts into [`Error`]; each phase also has its own closed error enum
//! ([`passes::TranslateError`], [`plan::PlanErrorKind`], [`exec::ExecError`], ...) that yields
//! OTP's reason term where OTP has one.
//!
//! * [`term`]: Erlang term parser (nom) with spans, `~0p` printer, `~tp` pretty printer.
//! * [`instr`]: the closed instruction enums and OTP's syntax check.
//! * [`passes`]: `systools_rc:translate_scripts/4`, pass by pass.
//! * [`order`]: the dependency order of update/load/delete instructions.
//! * [`files`]: the release files as typed models, with diagnostics (`str::parse` too); one
//!   decoder per file kind, which the planner uses too (`.app` and `.rel` with systools' rules).
//! * [`plan`]: `systools:make_relup/4`: releases, start order, appups, warnings, the file;
//!   release roots as rebar3, relx and `mix release` lay them out.
//! * [`beam`]: BEAM files: chunks, exports and imports, `beam_lib:md5/1`.
//! * [`exec`]: `release_handler`'s evaluation against a [`Loader`], and
//!   [`SimulatedRuntime`], a model of a running node.
//! * [`check`]: what `relup check` runs on one file (decoding plus the translation's checks).
//! * [`node`] (feature `node`): live nodes over Erlang distribution: snapshot, install.
//! * [`run`] (feature `run`, Unix): whole-process upgrades that keep the listening sockets.
//! * [`cases`]: the OTP oracle's case-file format.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod appup;
pub mod beam;
pub mod cases;
pub mod check;
pub mod diagnostic;
pub mod exec;
pub mod files;
mod front;
pub mod instr;
#[cfg(feature = "node")]
pub mod node;
pub mod order;
pub mod passes;
pub mod plan;
#[cfg(all(feature = "run", unix))]
pub mod run;
pub mod span;
pub mod term;

pub use beam::Beam;
pub use exec::{Loader, SimulatedRuntime, execute};
pub use files::{App, Appup, Rel, Relup};
pub use front::{Error, appup_relup, appup_script};
pub use instr::{Instruction, LowLevel, Mode};
pub use passes::{Application, Apps, translate};
pub use plan::{BaseRelease, Plan, PlanOptions, make_relup};
pub use term::Term;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
