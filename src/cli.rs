//! Command-line surface: global flags and one variant per subcommand (clap derive).

// The doc comments here are the `--help` text, printed as written: backticks would show.
#![allow(clippy::doc_markdown)]

mod check;
mod dev;
mod help;
mod seed;
mod undo;

pub use check::CheckArgs;
pub use dev::{DevAction, DevArgs, DevStartArgs, DevUrlArgs};
pub use seed::SeedArgs;
pub use undo::{ResetArgs, RollbackArgs};

use std::path::PathBuf;

use crate::output::style::ColorChoice;
use clap::builder::PossibleValuesParser;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

// No Debug on `Cli` and `GlobalArgs`: `--database-url` may carry a password.
#[derive(Parser)]
#[command(
    name = "rehab",
    version,
    about = "Create, migrate, roll back, reset, seed and diagnose the PostgreSQL database of the rehabilitation-tracking backend",
    long_about = None,
    after_help = "Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error, \
                  3 a check found problems, 4 refused by a safety guard.\n\
                  With --fleet, the worst member's: 1 over 4 over 3 over 0 (130 when interrupted, unless a \
                  member failed or was refused).\n\
                  Settings resolve as: command-line flag > environment variable > rehab.toml > built-in default."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted before or after the subcommand.
#[derive(Args, Clone, Default)]
#[allow(clippy::struct_excessive_bools, reason = "independent on/off flags, as clap parses them")]
// Listed after a command's own options wherever clap sorts them together (man page synopses).
#[command(next_help_heading = "Global options", next_display_order = 100)]
pub struct GlobalArgs {
    /// PostgreSQL URL: postgresql://user@host:port/db (env: DATABASE_URL)
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Config file instead of the nearest rehab.toml (env: REHAB_CONFIG)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Environment from the config's [environments.NAME] (env: REHAB_ENV)
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub env_name: Option<String>,

    /// Load migrations from DIR instead of the ones built into rehab
    #[arg(long, global = true, value_name = "DIR")]
    pub migrations: Option<PathBuf>,

    /// Append `_N` to the database name (CI shards; env: REHAB_TEST_PARTITION)
    #[arg(long, global = true, value_name = "N")]
    pub partition: Option<u32>,

    /// Format of the results
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Confirm destructive commands without asking (needed without a terminal)
    #[arg(long, global = true)]
    pub yes: bool,

    /// Print only results and errors: no progress bars or status lines
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail about what rehab does (connection target, timings)
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Colour for people: auto (a terminal, unless NO_COLOR), always or never; never in JSON
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Run on every member of the config's [fleets.NAME]: migrate, show, current, doctor, setup, check --drift
    /// (env: REHAB_FLEET)
    #[arg(long, global = true, value_name = "NAME")]
    pub fleet: Option<String>,

    /// Let reset, rollback and seed run on a fleet (with --yes)
    #[arg(long, global = true)]
    pub allow_fleet: bool,
}

/// The command line as `rehab` parses it: `Cli`, with each command's `--help` showing the global options
/// as a compact summary after its own (see `cli/help.rs`), wrapped at `COLUMNS` when that is set.
pub fn command() -> clap::Command {
    // clap would let the terminal's width win over COLUMNS; rehab's tables let COLUMNS win, and so does help.
    let width = crate::output::terminal::columns().map(usize::from);
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let base = Cli::command().color(crate::output::style::for_clap(&args));
    let cmd = match width {
        Some(width) => base.term_width(width),
        None => base,
    };
    help::compact_global_options(cmd, width)
}

/// Parses the process's arguments; prints help, version or a usage error (exit 2) and exits when asked to.
#[must_use]
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Tables for people
    #[default]
    Table,
    /// One JSON document on stdout, for machines
    Json,
    /// SARIF 2.1.0 on stdout, for code-scanning uploads (`rehab check` only)
    Sarif,
    /// GitHub Actions annotations (`::error file=..::`) on stdout (`rehab check` only)
    Github,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Table => "table",
            Self::Json => "json",
            Self::Sarif => "sarif",
            Self::Github => "github",
        })
    }
}

impl Format {
    /// The formats only `rehab check` has: its findings are about files and lines.
    #[must_use]
    pub fn is_check_only(self) -> bool {
        matches!(self, Self::Sarif | Self::Github)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if missing, create configured extensions, then apply pending migrations
    ///
    /// Connects to the target database first; only when it does not exist does it connect to the
    /// maintenance database ([database] maintenance_db, default `postgres`) to create it. Then it runs
    /// CREATE EXTENSION IF NOT EXISTS for each of [database] extensions and migrates as `rehab migrate`.
    /// Safe to run again: a second run changes nothing.
    Setup(SetupArgs),
    /// Apply pending migrations, each in its own transaction, under a lock
    ///
    /// Each migration and its history row commit together; a script marked `-- rehab:no-transaction`
    /// (first line) runs statement by statement outside a transaction. Runs wait up to
    /// [migrations] lock_timeout_secs (default 60) for the migration lock, so two never overlap. Refuses
    /// (exit 1, nothing applied) when an applied migration is divergent (file edited), missing, or a new
    /// one is out of order; `rehab show` says which. A failing migration stops the run; the ones before
    /// it stay applied.
    Migrate(MigrateArgs),
    /// List every migration, known or applied, with its state
    ///
    /// States: applied; pending; divergent (the file changed after it was applied); missing file
    /// (applied, but no file); out of order (not applied, but a later version is). Read-only.
    Show(ShowArgs),
    /// Print the version and name of the newest applied migration
    ///
    /// Prints `VERSION NAME`, or `none (no migration applied)`; with --format json,
    /// {"version", "name", "applied_on"} (null when nothing is applied). Read-only.
    Current,
    /// Check the database's health (connection, migrations, schema, projections, activity, maintenance,
    /// replication) in a read-only session; exit 3 when a check fails
    Doctor(DoctorArgs),
    /// Fill the migrated database with deterministic synthetic data (one transaction, binary COPY)
    Seed(SeedArgs),
    /// Undo applied migrations with their .down.sql scripts, newest first, all or nothing
    ///
    /// Without --steps, --to or --all (which exclude each other) it undoes the newest migration. Every
    /// chosen migration is checked first: a missing down script, one marked `-- rehab:irreversible`, or
    /// a divergent or missing migration refuses the whole run (exit 1, nothing changed). The down scripts
    /// and history deletions share one transaction, except that a down script marked
    /// `-- rehab:no-transaction` commits what ran before it and runs on its own.
    ///
    /// Down scripts drop data, so a real run asks first: on a terminal it lists what it will undo and
    /// waits for `y`; without a terminal it needs --yes (exit 4 otherwise). A protected environment
    /// (config or the database's marker) is refused unless --allow-protected. --dry-run needs neither.
    Rollback(RollbackArgs),
    /// Drop every object in every schema, then migrate: the database as a fresh `setup` leaves it
    ///
    /// Drops tables, views, materialized views, sequences, functions, procedures, triggers, types,
    /// the migration history and extensions in every non-system schema, recreates `public` with its
    /// default privileges, re-creates the configured extensions and migrates. Roles, database settings
    /// and other databases are untouched.
    ///
    /// Refuses with exit 4, dropping nothing: an environment marked `protected = true` in rehab.toml,
    /// or a database whose stored environment marker (public.rehab_environment) says protected, unless
    /// --allow-protected is given; and, without --yes, a run whose stdin is not a terminal (in a
    /// terminal, type the database name to confirm).
    Reset(ResetArgs),
    /// Create the next migration: V{next}__NAME.sql and V{next}__NAME.down.sql in the migrations folder
    ///
    /// The folder is --migrations DIR, else [migrations] dir in rehab.toml, else ./migrations (created
    /// if missing). `next` is one above the highest version in it.
    New(NewArgs),
    /// Run a private PostgreSQL for development: start, stop, status, url, destroy
    ///
    /// One cluster per user serves every database rehab makes, run with the installed server programs
    /// ([dev] bin_dir, else PATH, else /usr/lib/postgresql/*/bin, /usr/local/pgsql/bin, Homebrew's
    /// postgresql@*; nothing is downloaded). Its data lives in REHAB_DEV_DIR, else [dev] data_dir, else
    /// $XDG_DATA_HOME/rehab/pgN. It listens on a Unix socket in a private directory (mode 0700,
    /// /tmp/rehab-UID-HASH) with trust authentication, and on TCP only with `rehab dev start --port N`.
    /// As root it runs as the `postgres` account ([dev] os_user). Point other commands at it with
    /// `rehab --database-url "$(rehab dev url)" setup`. Needs no database URL or running server.
    Dev(DevArgs),
    /// Print the completion script for bash, zsh, fish, elvish or powershell
    ///
    /// The script goes to stdout as it is (--format does not apply). For bash:
    /// `rehab completions bash > ~/.local/share/bash-completion/completions/rehab`; the README says where
    /// the other shells look. Reads no rehab.toml and connects to nothing.
    Completions(CompletionsArgs),
    /// Print rehab's man page or one command's (roff), or write them all into a folder
    ///
    /// `rehab man` prints rehab(1), `rehab man migrate` prints rehab-migrate(1); `rehab man --dir DIR`
    /// writes every page into DIR (created if missing) and lists what it wrote. Reads no rehab.toml and
    /// connects to nothing.
    Man(ManArgs),
    /// Lint the migrations, prove that each down script undoes its up script, and find drift
    ///
    /// Lint (no server): parses every up and down script and reports dangerous or broken DDL (an index
    /// built without CONCURRENTLY on an existing table, a constraint added without NOT VALID, a volatile
    /// default, a type change, a missing down script, a file refinery would skip, ...) with file, line,
    /// column, rule and fix. Rules know which tables earlier migrations created (a table created in the same
    /// migration may be changed freely) and whether the file runs in a transaction (first line
    /// `-- rehab:no-transaction`). `-- rehab:allow RULE[,RULE] reason` on the line before a statement, or at
    /// the top of a file for all of it, suppresses a rule; without a reason it is a finding itself. The
    /// README lists every rule. Statements the parser cannot read are counted, not reported (--verbose
    /// lists them).
    ///
    /// Proof (on by default when the server answers): in a scratch database created from template0 and
    /// dropped afterwards, applies the migrations in order and for each one checked runs up, down and up
    /// again, comparing catalog snapshots. Drift (--drift): compares the target database with the schema its
    /// applied migrations build.
    ///
    /// --format: table (grouped by file), json, sarif (SARIF 2.1.0 for code scanning) or github (workflow
    /// annotations). Exit 0 clean, 3 on an error finding (any finding with --strict), a failed proof or
    /// drift, 2 on a usage error, 1 when the check could not run. In CI on a fresh database:
    /// rehab setup --wait 30 && rehab check --all --format github && rehab doctor --strict; before migrating
    /// a shared one: rehab check --pending && rehab migrate (a target that does not exist has all pending)
    Check(CheckArgs),
}

/// Every command, as `rehab man COMMAND` accepts it (a unit test keeps it in step with [`Command`]).
pub const COMMANDS: [&str; 13] = [
    "setup",
    "migrate",
    "show",
    "current",
    "doctor",
    "seed",
    "rollback",
    "reset",
    "new",
    "dev",
    "completions",
    "man",
    "check",
];

#[derive(Debug, Args, Clone, Default)]
pub struct SetupArgs {
    /// Wait up to SECS seconds for the server to accept connections (for CI starting PostgreSQL alongside)
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub wait: u64,

    /// After migrating, seed with the environment's `seed_profile` (default: minimal); refuses (exit 4)
    /// if the database already holds data
    #[arg(long)]
    pub seed: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct MigrateArgs {
    /// Stop after applying this version (a version in the catalog; lower ones are applied first)
    #[arg(long, value_name = "VERSION", allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(1..))]
    pub target: Option<i32>,

    /// List what would be applied and change nothing (takes no lock)
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ShowArgs {
    /// Exit 3 when any migration is pending, divergent, missing or out of order
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct DoctorArgs {
    /// Also exit 3 when a check warns or could not run (ERROR), not only when one fails
    #[arg(long)]
    pub strict: bool,

    /// Run only these groups: connection, migrations, schema, projections, activity, maintenance, replication
    #[arg(long, value_name = "GROUP[,GROUP]", value_delimiter = ',')]
    pub only: Vec<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct NewArgs {
    /// What the migration does, in letters, digits and `_` (e.g. add_patient_notes)
    pub name: String,

    /// Mark the down script `-- rehab:irreversible`: `rollback` refuses to undo this migration
    #[arg(long)]
    pub irreversible: bool,
}

#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ManArgs {
    /// The command whose page to print (default: rehab's own page, which lists the commands)
    #[arg(value_parser = PossibleValuesParser::new(COMMANDS))]
    pub command: Option<String>,

    /// Write every page (rehab.1, rehab-setup.1, ...) into DIR instead of printing one
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{COMMANDS, Cli};

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
        super::command().debug_assert();
    }

    #[test]
    fn man_accepts_every_command_and_only_those() {
        let names: Vec<String> = Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
        assert_eq!(names, COMMANDS, "update COMMANDS in cli.rs when adding a command");
    }
}
