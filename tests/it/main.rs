//! The integration tests: the real `rehab` binary against a real PostgreSQL, one database per test.

mod support;

mod check_lint;
mod check_proof;
mod check_tracker;
mod cli;
mod colour;
mod completions;
mod connection;
mod dev;
mod doctor;
mod fleet;
mod hardening;
mod interrupted;
mod messages;
mod migrate;
mod migrations_folder;
mod new;
mod pgbouncer;
mod races;
mod reset;
mod rollback;
mod schema;
mod seed;
mod setup;
mod show;
mod split;
mod terminal;
