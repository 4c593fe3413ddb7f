//! One module per subcommand: each turns settings into a report and never prints.

pub mod check;
pub mod completions;
pub mod current;
pub mod dev;
pub mod doctor;
pub mod fallback;
pub mod fleet;
mod guard;
pub mod man;
pub mod migrate;
pub mod new;
pub mod reset;
pub mod rollback;
pub mod seed;
pub mod setup;
pub mod show;
