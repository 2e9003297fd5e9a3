//! Live nodes, over Erlang distribution (feature `node`): connect as a hidden node
//! ([`dist::Connection`]), take a snapshot of a running node as a simulator scenario
//! ([`snapshot::snapshot`]), and install a release the way relx's install script does
//! ([`install::install`]), each step timed and explained.

/// An Erlang snippet that binds `Dir` to the node's releases directory, found as
/// release_handler finds it (`sasl`'s `releases_dir`, else `ROOT/releases`).
macro_rules! releases_dir {
    () => {
        r#"Dir = case application:get_env(sasl, releases_dir) of
                  {ok, D} -> D;
                  _ -> filename:join(code:root_dir(), "releases")
              end,
"#
    };
}

pub mod broadcast;
pub mod dist;
pub mod handoff;
pub mod install;
pub mod live;
pub mod rehearse;
pub mod snapshot;
pub mod terms;
mod wire;

pub use dist::{ConnectOptions, Connection, DistError};
pub use install::{InstallReport, install};
pub use live::{LiveError, LiveNode};
pub use snapshot::{Snapshot, snapshot};
