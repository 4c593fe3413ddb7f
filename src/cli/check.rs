//! `rehab check`'s flags.

use clap::Args;

#[derive(Debug, Args, Clone, Default)]
#[allow(clippy::struct_excessive_bools, reason = "each is an independent command-line switch")]
pub struct CheckArgs {
    /// Lint only: connect to nothing, prove nothing (no server needed)
    #[arg(long, conflicts_with_all = ["pending", "all", "drift"])]
    pub lint_only: bool,

    /// Prove only the migrations the target database has not applied yet (the CI case)
    #[arg(long, conflicts_with = "all")]
    pub pending: bool,

    /// Prove every migration (the default when neither --pending nor --all is given)
    #[arg(long)]
    pub all: bool,

    /// Skip the up/down/up proof: lint (and --drift, when given) only
    #[arg(long, conflicts_with_all = ["pending", "all"])]
    pub no_proof: bool,

    /// Also compare the target database with the schema its applied migrations build (exit 3 on drift)
    #[arg(long)]
    pub drift: bool,

    /// Exit 3 on any finding, warnings included (without it only errors fail the check)
    #[arg(long)]
    pub strict: bool,

    /// Compare each of the proof's incremental snapshots with a full one and fail (exit 1) on a difference:
    /// slower; for when a verdict looks wrong (the test suite's debug builds always do). REHAB_PROOF_NO_DDL_LOG=1
    /// in the environment proves without the superuser's DDL log (event triggers), by catalog scans alone
    #[arg(long, conflicts_with_all = ["lint_only", "no_proof"])]
    pub verify_snapshots: bool,
}
