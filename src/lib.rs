//! relup: Erlang/OTP hot code upgrades (appup → relup → release_handler), exact and offline.
pub mod span;
pub mod term;
pub mod instr;
