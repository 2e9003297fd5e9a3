//! relup: Erlang/OTP hot code upgrades (appup → relup → release_handler), exact and offline.
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
//! * [`term`]: Erlang term parser (nom) with spans, `~0p` printer, `~tp` pretty printer.
//! * [`instr`]: the closed instruction enums and OTP's syntax check.
//! * [`passes`]: `systools_rc:translate_scripts/4`, pass by pass.
//! * [`order`]: the dependency order of update/load/delete instructions.
//! * [`files`]: the release files as typed models, with diagnostics.
//! * [`plan`]: `systools:make_relup/4`: releases, start order, appups, warnings, the file.
//! * [`exec`]: `release_handler`'s evaluation against a [`exec::Loader`], and
//!   [`exec::SimulatedRuntime`], a model of a running node.
//! * [`cases`]: the OTP oracle's case-file format.
//!
//! See the README for examples; it is compiled and run as a doctest.

#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod beam;
pub mod cases;
pub mod diagnostic;
pub mod exec;
pub mod files;
pub mod instr;
pub mod order;
pub mod passes;
pub mod plan;
pub mod span;
pub mod term;
