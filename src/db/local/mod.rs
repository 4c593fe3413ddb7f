//! The development cluster behind `rehab dev`: a private PostgreSQL that rehab creates, starts and stops with
//! the installed server programs, reachable over a Unix socket only its owner (and root) can open.

pub mod binaries;
pub mod layout;
pub mod process;

pub use binaries::ServerBinaries;
pub use layout::ClusterLayout;
pub use process::ServerState;
