//! `public.rehab_seed_runs`: rehab's own record of seed runs (profile, seed, scale, rows per table, start
//! and end). Created by rehab on first use, not by a migration: it is bookkeeping, not application schema.

use std::fmt;

use anyhow::Result;
use postgres::{GenericClient, Transaction};
use serde::Serialize;

pub const TABLE: &str = "public.rehab_seed_runs";

pub fn ensure(tx: &mut Transaction) -> Result<()> {
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS public.rehab_seed_runs (
             id            bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             profile       text             NOT NULL,
             seed          bigint           NOT NULL,
             scale         double precision NOT NULL,
             rows_per_table jsonb           NOT NULL,
             rehab_version text             NOT NULL,
             started_at    timestamptz      NOT NULL,
             finished_at   timestamptz      NOT NULL
         );
         COMMENT ON TABLE public.rehab_seed_runs IS 'Written by rehab seed: one row per committed seed run.';
         LOCK TABLE public.rehab_seed_runs IN EXCLUSIVE MODE;",
    )?;
    Ok(())
}

/// The newest run, for messages and `rehab show`.
#[derive(Debug, Serialize)]
pub struct LastRun {
    pub profile: String,
    pub seed: i64,
    pub scale: f64,
    pub finished_at: String,
}

impl fmt::Display for LastRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "profile {}, seed {}, scale {}, seeded {}", self.profile, self.seed, self.scale, self.finished_at)
    }
}

/// The newest committed run; `None` when the ledger is empty or was never created.
pub fn last(client: &mut impl GenericClient) -> Result<Option<LastRun>> {
    if !crate::db::admin::relation_exists(client, TABLE)? {
        return Ok(None);
    }
    Ok(client
        .query_opt(
            "SELECT profile, seed, scale, to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"')
               FROM public.rehab_seed_runs ORDER BY id DESC LIMIT 1",
            &[],
        )?
        .map(|r| LastRun { profile: r.get(0), seed: r.get(1), scale: r.get(2), finished_at: r.get(3) }))
}

pub fn record(
    tx: &mut Transaction,
    profile: &str,
    seed: u64,
    scale: f64,
    rows: &serde_json::Value,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO public.rehab_seed_runs (profile, seed, scale, rows_per_table, rehab_version, started_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())",
        &[&profile, &i64::try_from(seed).expect("--seed is checked to be below 2^63"), &scale, rows, &env!("CARGO_PKG_VERSION"), &started],
    )?;
    Ok(())
}
