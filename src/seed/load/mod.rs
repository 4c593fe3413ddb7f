//! The loader: one transaction that empties the seeded tables, drops what the load defers, streams every
//! table in with binary COPY (the events while they are generated), restores the schema exactly as it
//! was, sets the sequences and analyzes. It knows nothing of the clinic: it is handed a generator that
//! writes rows into a [`Sink`], and reports progress through [`LoadProgress`]. Anything that fails or is
//! interrupted rolls back as a whole.

pub mod copy;
pub mod defer;
pub mod ledger;
pub mod progress;
pub mod registry;
pub mod sink;
mod stream;
pub mod survey;

use std::time::Instant;

use anyhow::{Context, Result};
use postgres::Transaction;
use serde::Serialize;

use defer::Deferred;
use progress::LoadProgress;
use registry::Table;
use sink::Sink;
use survey::Survey;

/// One loaded table: rows, size on disk afterwards (indexes included) and COPY time.
#[derive(Debug, Clone, Serialize)]
pub struct TableStat {
    pub table: String,
    pub rows: u64,
    /// Bytes sent over COPY.
    pub copy_bytes: u64,
    /// `pg_total_relation_size` after loading (heap, TOAST and indexes), MiB.
    pub mib: f64,
    /// `pg_relation_size` (heap only), MiB.
    pub heap_mib: f64,
    pub seconds: f64,
}

impl TableStat {
    pub fn new(table: &str, rows: u64, copy_bytes: u64, seconds: f64) -> Self {
        Self { table: table.to_string(), rows, copy_bytes, mib: 0.0, heap_mib: 0.0, seconds }
    }
}

/// How to load.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions<'a> {
    /// Remove an earlier seed first (data rehab did not write is refused regardless).
    pub replace: bool,
    /// Load with every index and key in place (for measuring what dropping and rebuilding them saves).
    pub keep_indexes: bool,
    /// The database's redacted URL, for messages.
    pub database: &'a str,
}

/// What a load did: every table in registry order, and where the time went.
pub struct Loaded {
    pub tables: Vec<TableStat>,
    pub load_seconds: f64,
    pub index_seconds: f64,
    pub analyze_seconds: f64,
    /// True when an earlier seed was removed first.
    pub replaced: bool,
}

/// Runs the whole load in `tx` (the caller records the ledger row and commits). `survey` is what
/// [`survey::survey`] found in the same transaction; `generate` writes every row into the sink, given the
/// transaction's id.
pub fn run<G>(
    tx: &mut Transaction,
    survey: &Survey,
    options: LoadOptions<'_>,
    progress: &dyn LoadProgress,
    generate: G,
) -> Result<Loaded>
where
    G: FnOnce(&mut Sink, u64) -> Result<()> + Send,
{
    ledger::ensure(tx)?;
    let replaced = survey::refuse_unless_replacing(tx, survey, options.replace, options.database)?;
    let started = Instant::now();
    survey::empty(tx)?;
    let deferred = if options.keep_indexes { Deferred::default() } else { Deferred::read(tx)? };
    deferred.drop_all(tx)?;
    progress.detail(&format!(
        "{:>7.2} s  emptied the tables and dropped what the load defers",
        started.elapsed().as_secs_f64()
    ));
    let xid: String = tx.query_one("SELECT pg_current_xact_id()::text", &[])?.get(0);
    let xid: u64 = xid.parse().context("unexpected pg_current_xact_id()")?;
    let (sink, streamed) = stream::generate_and_stream(tx, progress, xid, generate)?;
    let mut tables = vec![streamed];
    tables.extend(stream::copy_buffered(tx, progress, sink)?);
    let load_seconds = started.elapsed().as_secs_f64();
    let restoring = Instant::now();
    deferred.restore(tx, progress)?;
    let index_seconds = restoring.elapsed().as_secs_f64();
    set_sequences(tx)?;
    let analyzing = Instant::now();
    tx.batch_execute(&format!("ANALYZE {}", Table::NAMES.join(", ")))?;
    let analyze_seconds = analyzing.elapsed().as_secs_f64();
    measure(tx, &mut tables)?;
    debug_assert_eq!(tables.len(), Table::ALL.len());
    Ok(Loaded { tables, load_seconds, index_seconds, analyze_seconds, replaced })
}

/// The identity sequences continue after the loaded ids.
fn set_sequences(tx: &mut Transaction) -> Result<()> {
    for (table, column) in [("event_store.events", "global_position"), ("audit.audit_log", "id")] {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
            ),
            &[&table, &column],
        )?;
    }
    Ok(())
}

/// Each table's size on disk, in one round trip.
fn measure(tx: &mut Transaction, tables: &mut [TableStat]) -> Result<()> {
    let names: Vec<&str> = tables.iter().map(|t| t.table.as_str()).collect();
    let sizes = tx.query(
        "SELECT pg_total_relation_size(t::regclass), pg_relation_size(t::regclass)
           FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
        &[&names],
    )?;
    for (stat, row) in tables.iter_mut().zip(sizes) {
        stat.mib = row.get::<_, i64>(0) as f64 / 1_048_576.0;
        stat.heap_mib = row.get::<_, i64>(1) as f64 / 1_048_576.0;
    }
    Ok(())
}
