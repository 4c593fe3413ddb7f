//! `rehab seed`: fast, deterministic, realistic synthetic data for the bundled schema, in two rooms. The
//! clinic (`clinic/`) is what is simulated: the world, its events, the projections and auth/audit. The
//! loader (`load/`) is how it reaches the server: the table registry, binary COPY encoding, the sink,
//! constraint and index deferral and the ledger, in one transaction. The clinic writes into the loader's
//! sink; the loader runs whatever generator it is handed, so neither imports the other's internals.
//! Profiles and reference data (`profile.rs`) are TOML files in `seeds/`, embedded.

pub mod clinic;
pub mod load;
pub mod profile;

pub use load::{TableStat, ledger};

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
