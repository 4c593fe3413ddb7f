//! `rehab migrate`: apply pending migrations under the lock, one transaction each.

use anyhow::Result;
use postgres::Client;
use serde::Serialize;

use crate::cli::MigrateArgs;
use crate::ctx::Ctx;
use crate::db::marker;
use crate::migrations::MigrationCatalog;
use crate::migrations::apply::{self, AppliedStep, MigrateOptions};
use crate::output::progress;

#[derive(Debug, Serialize)]
pub struct MigrateReport {
    pub database: String,
    pub dry_run: bool,
    pub applied: Vec<AppliedStep>,
    /// The newest applied version after the run (before it, in a dry run).
    pub current_version: Option<i32>,
}

pub fn run(ctx: &Ctx, args: &MigrateArgs) -> Result<MigrateReport> {
    // An invalid migrations folder is reported (exit 2) before any connection is tried.
    let catalog = ctx.settings.catalog()?;
    ctx.note_unbuilt(&catalog);
    let mut client = ctx.connect()?;
    let opts = MigrateOptions { target: args.target, dry_run: args.dry_run, lock_timeout: ctx.settings.lock_timeout };
    migrate_with(ctx, &mut client, &catalog, &opts)
}

/// Shared with `setup` and `reset`, which load the catalog before they change anything.
pub fn migrate_with(
    ctx: &Ctx,
    client: &mut Client,
    catalog: &MigrationCatalog,
    opts: &MigrateOptions,
) -> Result<MigrateReport> {
    let bar = progress::steps(ctx.out(), catalog.migrations.len());
    let mut on_start = |m: &crate::migrations::Migration, i: usize, total: usize| {
        progress::step(&bar, i, total, format!("V{} {}", m.version, m.name));
    };
    let result = apply::migrate(client, catalog, opts, &mut on_start);
    bar.finish_and_clear();
    let migrated = result?;
    if !opts.dry_run {
        record_environment(ctx, client);
    }
    Ok(MigrateReport {
        database: ctx.settings.conn.redacted(),
        dry_run: opts.dry_run,
        applied: migrated.steps,
        current_version: migrated.current_version,
    })
}

/// Writes the environment marker when an environment is active. A failure (no CREATE on `public`) only
/// warns: the migrations did apply, and the config's `protected` still guards this machine's runs.
pub(crate) fn record_environment(ctx: &Ctx, client: &mut Client) {
    let Some(env) = &ctx.settings.env_name else { return };
    match marker::write(client, env, ctx.settings.protected) {
        Ok(stored) if stored.protected && !ctx.settings.protected => ctx.out().status(&format!(
            "note: this database is marked as belonging to the protected environment `{}`; the mark stays",
            stored.environment
        )),
        Ok(_) => {}
        Err(e) => ctx.out().status(&format!("warning: could not record the environment marker: {e:#}")),
    }
}
