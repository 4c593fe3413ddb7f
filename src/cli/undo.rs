//! The flags of the commands that undo: `rehab rollback` and `rehab reset`.

use clap::{ArgGroup, Args};

#[derive(Debug, Args, Clone, Default)]
#[command(group(ArgGroup::new("how_far").args(["steps", "to", "all"])))]
pub struct RollbackArgs {
    /// Undo the newest N applied migrations [default: 1]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub steps: Option<u32>,

    /// Undo every migration applied above VERSION (VERSION itself stays applied)
    #[arg(long, value_name = "VERSION", allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(1..))]
    pub to: Option<i32>,

    /// Undo every applied migration
    #[arg(long)]
    pub all: bool,

    /// Run the down scripts inside a transaction and roll it back: proves the chain works, changes nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Roll back even a protected environment (config `protected = true` or the database's own marker)
    #[arg(long)]
    pub allow_protected: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ResetArgs {
    /// List what would be dropped and change nothing (needs no confirmation)
    #[arg(long)]
    pub dry_run: bool,

    /// Reset even an environment marked `protected` (in rehab.toml or in the database's marker)
    #[arg(long)]
    pub allow_protected: bool,

    /// After migrating, seed with the environment's `seed_profile` (default: minimal), as `setup --seed`
    #[arg(long)]
    pub seed: bool,
}
