//! `rehab reset`: empty the database without dropping it, then migrate, leaving what a fresh `setup`
//! leaves. Guarded, in order: a protected environment in the config, a protected marker stored in the
//! database, and a confirmation (typing the database name, or `--yes`).

use anyhow::{Context, Result};
use postgres::Client;
use serde::Serialize;

use super::guard::{self, Ask};
use super::migrate::{self, MigrateReport};
use super::seed::{self, SeedReport};
use crate::cli::ResetArgs;
use crate::ctx::Ctx;
use crate::db::marker::{self, EnvironmentMarker};
use crate::db::wipe::{self, ObjectGroup};
use crate::db::{admin, lock};
use crate::error::CliError;
use crate::migrations::MigrationCatalog;
use crate::migrations::apply::{self, MigrateOptions};
use crate::output::progress;
use crate::seed::SeedOptions;

#[derive(Debug, Serialize)]
pub struct ResetReport {
    pub database: String,
    pub dry_run: bool,
    /// What was dropped (in a dry run: what would be), grouped by kind.
    pub dropped: Vec<ObjectGroup>,
    /// Configured extensions created again.
    pub extensions: Vec<String>,
    /// The environment marker kept across the reset, if the database had one.
    pub marker: Option<EnvironmentMarker>,
    /// The migrations applied afterwards; `None` in a dry run.
    pub migrate: Option<MigrateReport>,
    /// Present with `--seed`.
    pub seed: Option<SeedReport>,
}

pub fn run(ctx: &Ctx, args: &ResetArgs) -> Result<ResetReport> {
    let s = &ctx.settings;
    let database = s.conn.redacted();
    // Invalid migrations must fail before anything is dropped, not after.
    let catalog = s.catalog()?;
    if args.seed {
        // A bad profile must fail before anything is dropped, not after.
        crate::seed::profile::Profile::load(&s.seed_profile, 1.0)?;
    }
    let mut client = ctx.connect()?;
    let stored = guard::destructive(ctx, &mut client, "reset", args.allow_protected)?;
    let planned = wipe::inventory(&mut client)?;
    if args.dry_run {
        return Ok(ResetReport {
            database,
            dry_run: true,
            dropped: planned,
            extensions: s.extensions.clone(),
            marker: stored,
            migrate: None,
            seed: None,
        });
    }
    let objects: usize = planned.iter().map(|g| g.count).sum();
    guard::confirm(
        ctx,
        "reset",
        &format!(
            "This drops every object in {database} ({objects} listed: schemas, tables, types, functions, extensions, the migration history) and migrates again."
        ),
        Ask::TypeDatabaseName,
    )?;
    let (dropped, migrate) =
        lock::with_lock(&mut client, s.lock_timeout, |c| reset_locked(ctx, c, &catalog, stored.as_ref()))?;
    let marker = marker::read(&mut client)?;
    drop(client);
    // After the lock is released: seeding opens its own connection.
    let seed = if args.seed {
        let opts = SeedOptions::environment(&ctx.settings.seed_profile);
        Some(seed::seed_with(ctx, &opts, args.allow_protected).map_err(|e| {
            e.context(
                CliError::failure("the database was reset and migrated, but seeding it failed")
                    .with_hint("fix the cause below and run `rehab seed`"),
            )
        })?)
    } else {
        None
    };
    Ok(ResetReport {
        database,
        dry_run: false,
        dropped,
        extensions: s.extensions.clone(),
        marker,
        migrate: Some(migrate),
        seed,
    })
}

/// Drops everything, recreates `public` and the extensions, applies every migration that can run in a
/// transaction and restores the marker, all in ONE transaction: killed at any point, the database is either
/// untouched or fully reset. Only migrations from the first `-- rehab:no-transaction` one on run after the
/// commit (they cannot run inside it), and the status line says so.
fn reset_locked(
    ctx: &Ctx,
    client: &mut Client,
    catalog: &MigrationCatalog,
    stored: Option<&EnvironmentMarker>,
) -> Result<(Vec<ObjectGroup>, MigrateReport)> {
    let s = &ctx.settings;
    let bar = progress::steps(ctx.out(), catalog.migrations.len());
    let mut tx = client.transaction().context("could not start the reset transaction")?;
    // Other sessions' locks would make DROP SCHEMA wait forever; give up after the lock timeout instead.
    tx.batch_execute(&format!("SET LOCAL lock_timeout = {}", lock::timeout_ms(s.lock_timeout)))
        .context("could not set lock_timeout for the reset transaction")?;
    // Listed again under the lock: this is exactly what goes.
    let dropped = wipe::inventory(&mut tx)?;
    let emptied = wipe::drop_everything(&mut tx)
        .and_then(|()| admin::create_extensions(&mut tx, &s.extensions))
        .and_then(|()| stored.map_or(Ok(()), |m| marker::restore(&mut tx, m)));
    if let Err(e) = emptied {
        return Err(e.context(
            CliError::failure("reset failed; nothing was dropped").with_hint(
                "another session may hold locks on these objects (close it, or raise [migrations] lock_timeout_secs), or the user may not own them",
            ),
        ));
    }
    let mut on_start = |m: &crate::migrations::Migration, i: usize, total: usize| {
        progress::step(&bar, i, total, format!("V{} {}", m.version, m.name));
    };
    let inside = apply::apply_in_transaction(&mut tx, catalog, &mut on_start);
    bar.finish_and_clear();
    let (mut applied, later) = inside.map_err(|e| {
        e.context(
            CliError::failure("reset failed while migrating inside its transaction; nothing was dropped or changed")
                .with_hint("fix the migration named below and run `rehab reset` again"),
        )
    })?;
    tx.commit().context("could not commit the reset; nothing was dropped")?;
    let objects: usize = dropped.iter().map(|g| g.count).sum();
    ctx.out().status(&format!(
        "reset committed: {objects} object(s) dropped and {} migration(s) applied in one transaction",
        applied.len()
    ));
    let Some(first_later) = later.first() else {
        apply::make_durable(client)?;
        migrate::record_environment(ctx, client);
        let current_version = applied.last().map(|a| a.version);
        return Ok((dropped, MigrateReport { database: s.conn.redacted(), dry_run: false, applied, current_version }));
    };
    ctx.out().status(&format!(
        "V{} {} is marked no-transaction: it and the {} migration(s) after it run now, after the reset's commit",
        first_later.version,
        first_later.name,
        later.len() - 1
    ));
    let opts = MigrateOptions::all(ctx.settings.lock_timeout);
    let rest = migrate::migrate_with(ctx, client, catalog, &opts).map_err(|e| {
        e.context(
            CliError::failure(format!(
                "the reset committed (dropped and migrated up to V{}), but the migrations after it failed",
                applied.last().map_or(0, |a| a.version)
            ))
            .with_hint("fix the migration named below and run `rehab migrate`"),
        )
    })?;
    applied.extend(rest.applied);
    Ok((dropped, MigrateReport { applied, ..rest }))
}
