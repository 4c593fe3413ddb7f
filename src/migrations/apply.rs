//! Applies pending migrations under the migration lock: each migration and its history row in one
//! transaction (refinery's grouped mode, one version at a time), or statement by statement for scripts
//! marked `-- rehab:no-transaction`, recorded afterwards exactly once.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use postgres::{Client, GenericClient, Transaction};
use serde::Serialize;

use super::catalog::{Migration, MigrationCatalog};
use super::history::{self, HISTORY_TABLE, MigrationState};
use super::sql_error::{self, ScriptError};
use super::{OnStart, split};
use crate::db::error::DbError;
use crate::db::lock;
use crate::error::CliError;

#[derive(Debug, Clone, Default)]
pub struct MigrateOptions {
    /// Stop after this version.
    pub target: Option<i32>,
    pub dry_run: bool,
    pub lock_timeout: Duration,
}

impl MigrateOptions {
    /// Every pending migration, for real (what `setup` and `reset` apply).
    pub fn all(lock_timeout: Duration) -> Self {
        Self { target: None, dry_run: false, lock_timeout }
    }
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
        // Each migration commits with its history row, so a commit lost in a server crash loses both together;
        // waiting for every flush would only slow long chains down. But what the run reports as applied must
        // survive a crash right after it, since a deploy trusts it: `make_durable` ends the run with one
        // synchronous commit, and as WAL is flushed in order, that one flush makes every earlier commit durable.
        client.batch_execute("SET synchronous_commit = off").context("could not set synchronous_commit for the run")?;
        let result = migrate_locked(client, catalog, opts.target, on_start);
        // Also after a failure: the migrations applied before it are reported as kept. A run that applied
        // nothing (the everyday `rehab migrate` on an up-to-date database) committed nothing to flush.
        let applied_any = result.as_ref().map_or(true, |m| !m.steps.is_empty());
        let durable = if applied_any {
            make_durable(client)
        } else {
            client.batch_execute("RESET synchronous_commit").context("could not reset synchronous_commit")
        };
        let steps = result?;
        durable?;
        Ok(steps)
    })
}

/// Restores the session's `synchronous_commit`, then commits one synchronous transaction that writes WAL
/// (a no-op update of the newest history row: PostgreSQL does not wait for the flush of a transaction that
/// wrote nothing), so every earlier commit of the run is on disk when this returns. `on` even where the
/// server's default is `off`: the promise is durability.
pub fn make_durable(client: &mut Client) -> Result<()> {
    client.batch_execute("RESET synchronous_commit").context("could not reset synchronous_commit")?;
    if !history::table_exists(client)? {
        return Ok(());
    }
    client
        .batch_execute(&format!(
            "BEGIN;
             SELECT pg_catalog.set_config('synchronous_commit', 'on', true)
              WHERE pg_catalog.current_setting('synchronous_commit') = 'off';
             UPDATE {HISTORY_TABLE} SET name = name WHERE version = (SELECT max(version) FROM {HISTORY_TABLE});
             COMMIT;"
        ))
        .context("could not flush the run's commits to disk (the synchronous commit that ends the run failed)")
}

fn migrate_locked(
    client: &mut Client,
    catalog: &MigrationCatalog,
    target: Option<i32>,
    on_start: OnStart<'_>,
) -> Result<Migrated> {
    let (pending, newest_applied) = plan(client, catalog, target)?;
    if !pending.is_empty() {
        ensure_history_table(client)?;
    }
    let mut done = Vec::with_capacity(pending.len());
    let total = pending.len();
    for (i, m) in pending.into_iter().enumerate() {
        // Only a run that asked for a graceful Ctrl-C (a fleet) gets here with the flag set; it stops between
        // two migrations, each of which committed whole.
        if crate::interrupt::requested() {
            return Err(interrupted(m, &done));
        }
        on_start(m, i, total);
        let started = Instant::now();
        if let Err(e) = apply_one(client, m) {
            return Err(failed(&e, &done));
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

/// Applies, inside the caller's transaction on an emptied database, the migrations from the first one up to
/// (not including) the first marked `-- rehab:no-transaction`, and records each in the history table as
/// refinery does (same table, same row format), so `reset` can drop and rebuild in one transaction: a
/// kill at any point leaves the database untouched or fully reset. Returns the steps and what is left.
pub fn apply_in_transaction<'c>(
    tx: &mut Transaction<'_>,
    catalog: &'c MigrationCatalog,
    on_start: OnStart<'_>,
) -> Result<(Vec<AppliedStep>, &'c [Migration])> {
    let inside = catalog.migrations.iter().take_while(|m| !m.up.no_transaction).count();
    let (now, later) = catalog.migrations.split_at(inside);
    ensure_history_table(tx)?;
    let mut done = Vec::with_capacity(now.len());
    for (i, m) in now.iter().enumerate() {
        on_start(m, i, now.len());
        let started = Instant::now();
        split::execute_each(tx, &m.up).and_then(|()| record(tx, m)).map_err(|e| {
            let sqlstate = e.sqlstate.clone();
            DbError::new(format!("migration failed: {e}")).with_sqlstate(sqlstate.as_deref())
        })?;
        done.push(step(m, Some(started.elapsed())));
    }
    Ok((done, later))
}

/// refinery's history table, created as refinery creates it, so refinery-made and rehab-made rows are alike.
pub fn ensure_history_table(client: &mut impl GenericClient) -> Result<()> {
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (version INT4 PRIMARY KEY, name VARCHAR(255), \
             applied_on VARCHAR(255), checksum VARCHAR(255))"
        ))
        .context("could not create the migration history table")
}

/// Records `m` as applied, in refinery's row format (RFC 3339 UTC time, decimal checksum).
fn record(client: &mut impl GenericClient, m: &Migration) -> std::result::Result<(), ScriptError> {
    let applied_on = applied_now();
    client
        .execute(
            &format!("INSERT INTO {HISTORY_TABLE} (version, name, applied_on, checksum) VALUES ($1, $2, $3, $4)"),
            &[&m.version, &m.name, &applied_on, &m.checksum().to_string()],
        )
        .map(|_| ())
        .map_err(|e| {
            let mut err = sql_error::from_postgres(&m.up, &e, "", 1);
            err.message = format!("could not record V{} in {HISTORY_TABLE}: {}", m.version, err.message);
            err.line = None;
            err
        })
}

/// The time a history row records, in refinery's format (RFC 3339, UTC, nanoseconds).
pub(super) fn applied_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
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

/// Applies one migration and records it. A transactional one runs statement by statement inside one
/// transaction with its history row (so a failing statement is known, and named by its line, even when the
/// server gives no position, as for `SELECT 1/0`); a no-transaction one runs statement by statement in
/// autocommit and is recorded afterwards. The order and the row are what refinery's grouped runner writes.
pub fn apply_one(client: &mut Client, m: &Migration) -> std::result::Result<(), ScriptError> {
    if m.up.no_transaction {
        split::execute_each(client, &m.up)?;
        return record(client, m);
    }
    let connection_error = |e: postgres::Error| {
        let mut err = sql_error::from_postgres(&m.up, &e, "", 1);
        err.line = None;
        err
    };
    let mut tx = client.transaction().map_err(connection_error)?;
    split::execute_each(&mut tx, &m.up)?;
    record(&mut tx, m)?;
    tx.commit().map_err(connection_error)
}

/// How the error of a run stopped by Ctrl-C between two migrations begins (a fleet reports it as interrupted).
pub const INTERRUPTED: &str = "interrupted before";

/// Ctrl-C arrived before `next` started: what committed stays, the rest is pending.
fn interrupted(next: &Migration, done: &[AppliedStep]) -> anyhow::Error {
    CliError::failure(format!(
        "{INTERRUPTED} V{} {}: {} migration(s) applied in this run and kept, the rest still pending",
        next.version,
        next.name,
        done.len()
    ))
    .with_hint("run `rehab migrate` again to apply the rest")
    .into()
}

fn failed(e: &ScriptError, done: &[AppliedStep]) -> anyhow::Error {
    // What stays is part of the message, not the hint: a hint chosen by the cause (a lost connection, a
    // read-only server) replaces the local one, and this must be read either way.
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
            "statements of {} before the failing one ran and stay (it runs outside a transaction): make them idempotent (IF NOT EXISTS), fix the file and run `rehab migrate` again",
            e.file
        )
    } else {
        format!("{} left nothing behind: fix it and run `rehab migrate` again", e.file)
    };
    let sqlstate = e.sqlstate.clone();
    DbError::new(format!("migration failed: {e}\n{kept}")).with_hint(hint).with_sqlstate(sqlstate.as_deref()).into()
}
