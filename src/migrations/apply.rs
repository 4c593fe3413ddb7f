//! Applies pending migrations under the migration lock: each migration and its history row in one
//! transaction (refinery's grouped mode, one version at a time), or statement by statement for scripts
//! marked `-- rehab:no-transaction`, recorded afterwards exactly once.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use postgres::Client;
use refinery::{Runner, Target};
use serde::Serialize;

use super::catalog::{Migration, MigrationCatalog};
use super::history::{self, MigrationState};
use super::sql_error::{self, ScriptError};
use super::{OnStart, split};
use crate::db::lock;
use crate::error::CliError;

#[derive(Debug, Clone, Default)]
pub struct MigrateOptions {
    /// Stop after this version.
    pub target: Option<i32>,
    pub dry_run: bool,
    pub lock_timeout: Duration,
}

/// One migration applied (or, in a dry run, that would be).
#[derive(Debug, Clone, Serialize)]
pub struct AppliedStep {
    pub version: i32,
    pub name: String,
    pub file: String,
    pub no_transaction: bool,
    /// Milliseconds; `None` in a dry run.
    pub duration_ms: Option<f64>,
}

/// What a run applied (or, in a dry run, would apply) and where the database stands afterwards.
#[derive(Debug, Clone)]
pub struct Migrated {
    pub steps: Vec<AppliedStep>,
    /// The newest applied version after the run (before it, in a dry run).
    pub current_version: Option<i32>,
}

/// Applies what is pending up to the target and returns what ran (or would run). Reads the history once:
/// the version reached follows from it and the steps.
pub fn migrate(
    client: &mut Client,
    catalog: &MigrationCatalog,
    opts: &MigrateOptions,
    on_start: OnStart<'_>,
) -> Result<Migrated> {
    if opts.dry_run {
        let (pending, current_version) = plan(client, catalog, opts.target)?;
        return Ok(Migrated { steps: pending.into_iter().map(|m| step(m, None)).collect(), current_version });
    }
    lock::with_lock(client, opts.lock_timeout, |client| {
        // Each migration commits with its history row, so a commit lost in a server crash loses both together
        // and the next run applies it again; waiting for every flush would only slow long chains down.
        client.batch_execute("SET synchronous_commit = off").context("could not set synchronous_commit for the run")?;
        let result = migrate_locked(client, catalog, opts.target, on_start);
        let reset = client.batch_execute("RESET synchronous_commit").context("could not reset synchronous_commit");
        let steps = result?;
        reset?;
        Ok(steps)
    })
}

fn migrate_locked(
    client: &mut Client,
    catalog: &MigrationCatalog,
    target: Option<i32>,
    on_start: OnStart<'_>,
) -> Result<Migrated> {
    let (pending, newest_applied) = plan(client, catalog, target)?;
    let all = catalog.refinery_migrations();
    let mut done = Vec::with_capacity(pending.len());
    let total = pending.len();
    for (i, m) in pending.into_iter().enumerate() {
        on_start(m, i, total);
        let started = Instant::now();
        if let Err(e) = apply_one(client, &all, m) {
            return Err(failed(e, &done));
        }
        done.push(step(m, Some(started.elapsed())));
    }
    // Pending versions are all above the newest applied one (out-of-order ones were refused).
    Ok(Migrated { current_version: done.last().map(|s| s.version).or(newest_applied), steps: done })
}

/// The migrations to apply, after refusing divergent, missing and out-of-order ones and unknown targets,
/// and the newest version applied now.
pub fn plan<'c>(
    client: &mut Client,
    catalog: &'c MigrationCatalog,
    target: Option<i32>,
) -> Result<(Vec<&'c Migration>, Option<i32>)> {
    let applied = history::applied(client)?;
    let statuses = history::compare(catalog, &applied);
    let problems: Vec<String> =
        statuses.iter().filter(|s| s.state.is_problem()).map(history::describe_problem).collect();
    if !problems.is_empty() {
        return Err(CliError::failure(format!("refusing to migrate:\n  - {}", problems.join("\n  - ")))
            .with_hint("restore the applied file as it was (divergent, missing) or renumber the new one above the newest applied version (out of order); `rehab show` lists every state")
            .into());
    }
    if let Some(t) = target
        && catalog.get(t).is_none()
    {
        return Err(CliError::usage(format!(
            "unknown target version {t}: {} has {}",
            catalog.source,
            catalog.migrations.iter().map(|m| m.version.to_string()).collect::<Vec<_>>().join(", ")
        ))
        .into());
    }
    let pending = statuses
        .iter()
        .filter(|s| s.state == MigrationState::Pending && target.is_none_or(|t| s.version <= t))
        .filter_map(|s| catalog.get(s.version))
        .collect();
    Ok((pending, applied.last().map(|a| a.version)))
}

fn step(m: &Migration, took: Option<Duration>) -> AppliedStep {
    AppliedStep {
        version: m.version,
        name: m.name.clone(),
        file: m.up.file_name.clone(),
        no_transaction: m.up.no_transaction,
        duration_ms: took.map(|d| d.as_secs_f64() * 1000.0),
    }
}

fn apply_one(client: &mut Client, all: &[refinery::Migration], m: &Migration) -> std::result::Result<(), ScriptError> {
    let runner = Runner::new(all).set_grouped(true);
    if m.up.no_transaction {
        split::execute_each(client, &m.up)?;
        runner
            .set_target(Target::FakeVersion(m.version))
            .run(client)
            .map_err(|e| sql_error::from_refinery(&m.up, &e))?;
    } else {
        runner.set_target(Target::Version(m.version)).run(client).map_err(|e| sql_error::from_refinery(&m.up, &e))?;
    }
    Ok(())
}

fn failed(e: ScriptError, done: &[AppliedStep]) -> anyhow::Error {
    let kept = if done.is_empty() {
        "no migration was applied in this run".to_string()
    } else {
        format!(
            "applied before it in this run, and kept: {}",
            done.iter().map(|s| format!("V{} {}", s.version, s.name)).collect::<Vec<_>>().join(", ")
        )
    };
    let hint = if e.partial {
        format!(
            "{kept}. Statements of {} before the failing one ran and stay (it runs outside a transaction): make them idempotent (IF NOT EXISTS), fix the file and run `rehab migrate` again",
            e.file
        )
    } else {
        format!("{kept}. {} left nothing behind: fix it and run `rehab migrate` again", e.file)
    };
    CliError::failure(format!("migration failed: {e}")).with_hint(hint).into()
}
