//! `rehab seed`'s flags, with the parsers that keep `--seed` and `--scale` in range.

use clap::Args;

#[derive(Debug, Args, Clone)]
#[command(after_help = "Profiles (seeds/*.toml, built in): minimal (admin, 2 therapists, 3 patients, ~320 events), \
                  demo (50 therapists, 1,000 patients, 12 weeks, ~1.25M events), load (10x demo, ~12.5M events).\n\
                  The same profile, seed and scale always produce byte-identical data.\n\
                  Exit 4 when the database already holds seed data (without --replace), holds data rehab seed \
                  did not write, or the environment is protected (without --allow-protected).")]
pub struct SeedArgs {
    /// Seed profile: minimal, demo or load [default: the environment's seed_profile, else minimal]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Random seed: the same seed, profile and scale give identical data
    #[arg(long, value_name = "N", default_value_t = 1, allow_negative_numbers = true, value_parser = parse_seed)]
    pub seed: u64,

    /// Multiply the profile's therapists and patients by X (e.g. 0.01 for a tiny demo)
    #[arg(long, value_name = "X", default_value_t = 1.0, allow_negative_numbers = true, value_parser = parse_scale)]
    pub scale: f64,

    /// Remove the previous seed data first (only data a previous `rehab seed` wrote)
    #[arg(long)]
    pub replace: bool,

    /// Seed even though the environment is marked protected
    #[arg(long)]
    pub allow_protected: bool,

    /// Load with keys and indexes in place instead of rebuilding them afterwards (benchmarking)
    #[arg(long, hide = true)]
    pub keep_indexes: bool,
}

/// The smallest and largest `--scale`: below, a profile rounds to nobody; above, a run would take days.
const SCALE_RANGE: std::ops::RangeInclusive<f64> = 0.0001..=1000.0;

/// `--scale`: a plain positive number within [`SCALE_RANGE`] (no `NaN`, `inf` or 300-digit fractions).
fn parse_scale(text: &str) -> Result<f64, String> {
    let value: f64 = text.trim().parse().map_err(|_| "expected a number such as 0.01, 1 or 10".to_string())?;
    if value.is_finite() && SCALE_RANGE.contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be from {} to {} (1 is the profile as written)", SCALE_RANGE.start(), SCALE_RANGE.end()))
    }
}

/// `--seed`: a whole number that fits PostgreSQL's bigint (the ledger stores it), so 0 to `i64::MAX`.
fn parse_seed(text: &str) -> Result<u64, String> {
    let range = format!("must be a whole number from 0 to {}", i64::MAX);
    match text.trim().parse::<i128>() {
        Ok(n) if (0..=i128::from(i64::MAX)).contains(&n) => u64::try_from(n).map_err(|_| range),
        _ => Err(range),
    }
}
