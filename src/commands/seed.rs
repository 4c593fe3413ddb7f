//! `rehab seed`: fills the migrated database with a profile's synthetic clinic, in one transaction.

use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use postgres::Client;

use super::guard;
use crate::cli::SeedArgs;
use crate::ctx::Ctx;
use crate::db::lock;
use crate::output::progress::SeedProgress;
use crate::seed::load::{self, LoadOptions};
use crate::seed::profile::{Profile, Reference};
use crate::seed::{SeedOptions, TableStat, clinic, ledger};

#[derive(Debug, Serialize)]
pub struct SeedReport {
    pub database: String,
    pub profile: String,
    pub seed: u64,
    pub scale: f64,
    /// True when `--replace` removed an earlier seed first.
    pub replaced: bool,
    pub tables: Vec<TableStat>,
    pub total_rows: u64,
    /// `pg_total_relation_size` of every seeded table after loading, MiB.
    pub total_mib: f64,
    pub heap_mib: f64,
    pub load_seconds: f64,
    pub index_seconds: f64,
    pub analyze_seconds: f64,
    pub seconds: f64,
}

pub fn run(ctx: &Ctx, args: &SeedArgs) -> Result<SeedReport> {
    // The same default as `setup --seed` and `reset --seed`: the environment's seed_profile, else minimal.
    let profile = args.profile.clone().unwrap_or_else(|| ctx.settings.seed_profile.clone());
    seed_with(
        ctx,
        &SeedOptions {
            profile,
            seed: args.seed,
            scale: args.scale,
            replace: args.replace,
            keep_indexes: args.keep_indexes,
        },
        args.allow_protected,
    )
}

/// Also used by `setup --seed`.
pub fn seed_with(ctx: &Ctx, opts: &SeedOptions, allow_protected: bool) -> Result<SeedReport> {
    let s = &ctx.settings;
    // Loaded once, before connecting: an unknown profile or a bad scale is a usage error that changes nothing.
    let profile = Profile::load(&opts.profile, opts.scale)?;
    let reference = Reference::load()?;
    let started_wall = chrono::Utc::now();
    let started = Instant::now();
    let mut client = ctx.connect()?;
    let action = if opts.replace { "replace the seed data of" } else { "seed" };
    guard::destructive(ctx, &mut client, action, allow_protected)?;
    // Under the migration lock, like migrate, rollback and reset: a seed never interleaves with a schema
    // change, and concurrent seeds run one after the other (the later ones then find the data and refuse).
    let data = Data { opts, profile: &profile, reference: &reference };
    lock::with_lock(&mut client, s.lock_timeout, |client| seed_locked(ctx, client, &data, started_wall, started))
}

/// What one run generates.
struct Data<'a> {
    opts: &'a SeedOptions,
    profile: &'a Profile,
    reference: &'a Reference,
}

fn seed_locked(
    ctx: &Ctx,
    client: &mut Client,
    data: &Data,
    started_wall: chrono::DateTime<chrono::Utc>,
    started: Instant,
) -> Result<SeedReport> {
    let opts = data.opts;
    let database = ctx.settings.conn.redacted();
    let mut tx = client.transaction()?;
    let survey = load::survey::survey(&mut tx, &database)?;
    ctx.out().status(&format!(
        "seeding {database} with profile {} (seed {}, scale {})",
        opts.profile, opts.seed, opts.scale
    ));
    let options = LoadOptions { replace: opts.replace, keep_indexes: opts.keep_indexes, database: &database };
    let (seed, profile, reference) = (opts.seed, data.profile, data.reference);
    let loaded = load::run(&mut tx, &survey, options, &SeedProgress::new(ctx.out()), move |sink, xid| {
        Ok(clinic::generate(seed, profile, reference, sink, xid)?)
    })?;
    let rows: serde_json::Map<String, serde_json::Value> =
        loaded.tables.iter().map(|t| (t.table.clone(), serde_json::Value::from(t.rows))).collect();
    ledger::record(&mut tx, &opts.profile, opts.seed, opts.scale, &serde_json::Value::Object(rows), started_wall)?;
    tx.commit().context("could not commit the seed transaction")?;
    let tables = loaded.tables;
    Ok(SeedReport {
        database,
        profile: opts.profile.clone(),
        seed: opts.seed,
        scale: opts.scale,
        replaced: loaded.replaced,
        total_rows: tables.iter().map(|t| t.rows).sum(),
        total_mib: tables.iter().map(|t| t.mib).sum(),
        heap_mib: tables.iter().map(|t| t.heap_mib).sum(),
        tables,
        load_seconds: loaded.load_seconds,
        index_seconds: loaded.index_seconds,
        analyze_seconds: loaded.analyze_seconds,
        seconds: started.elapsed().as_secs_f64(),
    })
}
