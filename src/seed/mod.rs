//! `rehab seed`: fast, deterministic, realistic synthetic data for the bundled schema. Profiles and
//! reference data live in `seeds/` (embedded); `sim` generates the clinic's history as events and
//! `project` folds them into the read models; `load` writes everything with binary COPY in one transaction.

// Until the seed restructure (issue 11): the generator and the COPY encoder convert between integer widths
// on purpose everywhere (bounded ids, counts and microseconds), and their long functions, short names and
// matches are reshaped there rather than twice.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::format_collect,
    clippy::many_single_char_names,
    clippy::match_same_arms,
    clippy::similar_names,
    clippy::single_match_else,
    clippy::struct_field_names,
    clippy::too_many_lines,
    clippy::unused_self
)]

pub mod auth;
pub mod clock;
pub mod copy;
pub mod encode;
pub mod ledger;
pub mod load;
pub mod profile;
pub mod project;
pub mod rng;
pub mod sim;
pub mod sink;
pub mod tables;

use serde::Serialize;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub profile: String,
    pub seed: u64,
    pub scale: f64,
    pub replace: bool,
    /// Load with every index and key in place (for measuring what dropping and rebuilding them saves).
    pub keep_indexes: bool,
}

impl SeedOptions {
    /// What `setup --seed` and `reset --seed` load: the environment's `seed_profile`, seed 1, full scale.
    pub fn environment(profile: &str) -> Self {
        Self { profile: profile.to_string(), seed: 1, scale: 1.0, replace: false, keep_indexes: false }
    }
}

/// One loaded table: rows, size on disk afterwards (indexes included) and COPY time.
#[derive(Debug, Clone, Serialize)]
pub struct TableStat {
    pub table: String,
    pub rows: u64,
    /// Bytes sent over COPY.
    pub copy_bytes: u64,
    /// `pg_total_relation_size` after loading (heap, TOAST and indexes), MiB.
    pub mib: f64,
    /// `pg_relation_size` (heap only), MiB.
    pub heap_mib: f64,
    pub seconds: f64,
}

impl TableStat {
    pub fn new(table: &str, rows: u64, copy_bytes: u64, seconds: f64) -> Self {
        Self { table: table.to_string(), rows, copy_bytes, mib: 0.0, heap_mib: 0.0, seconds }
    }
}
