//! relup: Erlang/OTP hot code upgrades (appup → relup → release_handler), exact and offline.
pub mod cases;
pub mod diagnostic;
pub mod files;
pub mod instr;
pub mod order;
pub mod passes;
pub mod span;
pub mod term;
