//! One module per subcommand: each turns settings into a report and never prints.

pub mod current;
pub mod doctor;
mod guard;
pub mod migrate;
pub mod new;
pub mod reset;
pub mod rollback;
pub mod seed;
pub mod setup;
pub mod show;
