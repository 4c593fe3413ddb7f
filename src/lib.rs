//! rehab: creates, migrates and inspects the PostgreSQL database of the rehabilitation-tracking backend.
//! The binary is a thin shell over this library (see `main.rs`).
//!
//! Every module is private to the crate, so the compiler reports what nothing uses; the few items below
//! are all that the binary and the integration tests (which otherwise only run the binary) need.

mod app;
mod check;
mod cli;
mod commands;
mod config;
mod ctx;
mod db;
mod doctor;
mod error;
mod fleet;
mod interrupt;
mod migrations;
mod output;
mod seed;
mod settings;

// For main.rs: parse, run, report the error, exit with its code.
pub use app::run;
pub use cli::{Format, parse};
pub use error::{exit_code_of, hint_of};
pub use interrupt::{EXIT_INTERRUPTED, exiting as interrupted};
pub use output::print_error;
pub use output::style::decide as decide_colour;

// For the integration tests: what they compare the database with, and every command's name.
pub use cli::COMMANDS;
pub use db::lock::MIGRATION_LOCK_KEY;
pub use doctor::GROUPS as DOCTOR_GROUPS;
pub use migrations::MigrationCatalog;
/// Every table `rehab seed` fills, in load order (the loader's registry).
pub const SEEDED_TABLES: &[&str] = seed::load::registry::Table::NAMES;
