//! The loader: one transaction that checks for earlier data, empties the seeded tables, drops their
//! secondary indexes and foreign keys, streams every table in with binary COPY (events while they are
//! generated), restores indexes and keys exactly as they were, records the ledger row and analyzes.
//! Anything that fails or is interrupted rolls back as a whole.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::MultiProgress;
use postgres::Transaction;

use super::copy::{HEADER, TRAILER};
use super::profile::{Profile, Reference};
use super::sim::World;
use super::sink::{Chunk, Sink};
use super::tables::{COUNT, T, TABLES};
use super::{SeedOptions, TableStat, ledger};
use crate::error::CliError;
use crate::output::{Output, progress};

/// Tables whose append-only guard triggers refuse TRUNCATE: (table, trigger).
const GUARDS: [(&str, &str); 3] = [
    ("event_store.events", "events_append_only"),
    ("audit.audit_log", "audit_log_append_only"),
    ("auth.emergency_access_log", "emergency_access_log_guard_delete"),
];

/// Keys, secondary indexes and foreign keys of the seeded tables, to drop before loading and restore after
/// (building an index once from sorted data is several times cheaper than maintaining it row by row).
#[derive(Default)]
struct Deferred {
    /// CHECK constraints: validating them in one scan per table after the load costs less than half of
    /// evaluating them row by row during COPY (the schema's bounded-repetition regexes are the costly part).
    checks: Vec<(String, String, String)>,
    /// Primary keys and unique constraints: (table, name, definition).
    keys: Vec<(String, String, String)>,
    indexes: Vec<(String, String)>,
    foreign_keys: Vec<(String, String, String)>,
}

fn table_list() -> Vec<String> {
    TABLES.iter().map(|t| t.0.to_string()).collect()
}

fn deferred(tx: &mut Transaction) -> Result<Deferred> {
    let tables = table_list();
    let indexes = tx
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid)
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE i.indrelid = ANY (SELECT to_regclass(t)::oid FROM unnest($1::text[]) t)
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
              ORDER BY 1",
            &[&tables],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let constraints = |tx: &mut Transaction, kinds: &[&str]| -> Result<Vec<(String, String, String)>> {
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_string()).collect();
        Ok(tx
            .query(
                "SELECT k.conrelid::regclass::text, quote_ident(k.conname), pg_get_constraintdef(k.oid)
                   FROM pg_constraint k
                  WHERE k.contype::text = ANY ($2)
                    AND k.conrelid = ANY (SELECT to_regclass(t)::oid FROM unnest($1::text[]) t)
                  ORDER BY 1, 2",
                &[&tables, &kinds],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    };
    let foreign_keys = constraints(tx, &["f"])?;
    let keys = constraints(tx, &["p", "u"])?;
    let checks = constraints(tx, &["c"])?;
    let checks = round_trips(tx, checks)?;
    Ok(Deferred { checks, keys, indexes, foreign_keys })
}

/// The checks that come back byte-identical when re-added from their definition text. PostgreSQL
/// normalises some expressions on the way (`(a AND b) AND c` becomes `a AND b AND c`), which would
/// change `pg_dump` output; those stay in place during the load. Probed on empty temporary copies: one
/// per table carrying all of its checks, created, read back and dropped in three round trips (probing
/// the ~150 checks one statement at a time cost about half a second).
fn round_trips(tx: &mut Transaction, checks: Vec<(String, String, String)>) -> Result<Vec<(String, String, String)>> {
    // Checks arrive ordered by table, so consecutive runs share a probe table.
    let mut tables: Vec<&str> = Vec::new();
    let mut sql = String::new();
    for (table, name, def) in &checks {
        if tables.last() == Some(&table.as_str()) {
            sql.push_str(", ");
        } else {
            if !tables.is_empty() {
                sql.push_str(";\n");
            }
            tables.push(table);
            let probe = format!("rehab_seed_probe_{}", tables.len());
            sql.push_str(&format!("CREATE TEMP TABLE {probe} (LIKE {table}) ON COMMIT DROP;\nALTER TABLE {probe} "));
        }
        sql.push_str(&format!("ADD CONSTRAINT {name} {def}"));
    }
    if tables.is_empty() {
        return Ok(checks);
    }
    sql.push_str(";\n");
    tx.batch_execute(&sql)?;
    let probes: Vec<String> = (1..=tables.len()).map(|i| format!("rehab_seed_probe_{i}")).collect();
    let again: std::collections::HashMap<(String, String), String> = tx
        .query(
            "SELECT c.relname::text, quote_ident(k.conname), pg_get_constraintdef(k.oid)
               FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
              WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = ANY ($1) AND k.contype = 'c'",
            &[&probes],
        )?
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    tx.batch_execute(&probes.iter().map(|p| format!("DROP TABLE {p};")).collect::<String>())?;
    let mut kept = Vec::new();
    let mut probe = 0;
    let mut last: Option<String> = None;
    for (table, name, def) in checks {
        if last.as_deref() != Some(table.as_str()) {
            probe += 1;
            last = Some(table.clone());
        }
        if again.get(&(format!("rehab_seed_probe_{probe}"), name.clone())) == Some(&def) {
            kept.push((table, name, def));
        }
    }
    Ok(kept)
}

/// Refuses when the tables hold data: seed data without `--replace`, or data rehab seed did not write.
fn check_empty(tx: &mut Transaction, opts: &SeedOptions, database: &str) -> Result<bool> {
    let mut busy = Vec::new();
    for (t, _) in TABLES {
        let has: bool = tx.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {t})"), &[])?.get(0);
        if has {
            busy.push(t);
        }
    }
    if busy.is_empty() {
        return Ok(false);
    }
    match ledger::last(tx)? {
        Some(_) if opts.replace => Ok(true),
        Some(last) => {
            Err(CliError::refused(format!("database {database} already holds seed data ({last}); nothing was changed"))
                .with_hint("run `rehab seed --replace` to remove the previous seed data and seed again")
                .into())
        }
        None => Err(CliError::refused(format!(
            "database {database} holds data that rehab seed did not write (in {}); nothing was changed",
            busy.join(", ")
        ))
        .with_hint("seed an empty database: `rehab seed` never deletes data it did not write (see `rehab reset`)")
        .into()),
    }
}

/// Runs the whole seed in `tx` (the caller commits).
pub fn run(
    tx: &mut Transaction,
    opts: &SeedOptions,
    out: &Output,
    database: &str,
) -> Result<(Vec<TableStat>, Timings)> {
    let profile = Profile::load(&opts.profile, opts.scale)?;
    let reference = Reference::load()?;
    ledger::ensure(tx)?;
    let replaced = check_empty(tx, opts, database)?;
    let t0 = Instant::now();
    // Empty every seeded table (it lets COPY FREEZE write frozen rows). The append-only guards refuse
    // TRUNCATE, so they are disabled for this statement only, inside this transaction, as the owner.
    let mut sql = String::new();
    for (t, trg) in GUARDS {
        sql.push_str(&format!("ALTER TABLE {t} DISABLE TRIGGER {trg};\n"));
    }
    sql.push_str(&format!("TRUNCATE {} RESTART IDENTITY;\n", table_list().join(", ")));
    for (t, trg) in GUARDS {
        sql.push_str(&format!("ALTER TABLE {t} ENABLE TRIGGER {trg};\n"));
    }
    tx.batch_execute(&sql).context("could not empty the seeded tables (the seed must run as their owner)")?;
    let deferred = if opts.keep_indexes { Deferred::default() } else { deferred(tx)? };
    let mut drop_sql = String::new();
    for (table, name, _) in &deferred.foreign_keys {
        drop_sql.push_str(&format!("ALTER TABLE {table} DROP CONSTRAINT {name};\n"));
    }
    for (name, _) in &deferred.indexes {
        drop_sql.push_str(&format!("DROP INDEX {name};\n"));
    }
    for (table, name, _) in deferred.keys.iter().chain(&deferred.checks) {
        drop_sql.push_str(&format!("ALTER TABLE {table} DROP CONSTRAINT {name};\n"));
    }
    tx.batch_execute(&drop_sql).context("could not drop secondary indexes before loading")?;
    out.detail(&format!("{:>7.2} s  emptied the tables and dropped what the load defers", t0.elapsed().as_secs_f64()));
    let xid: String = tx.query_one("SELECT pg_current_xact_id()::text", &[])?.get(0);
    let xid: u64 = xid.parse().context("unexpected pg_current_xact_id()")?;

    let multi = MultiProgress::new();
    let mut stats: Vec<TableStat> = Vec::new();
    let (chan_tx, chan_rx) = mpsc::sync_channel::<Chunk>(16);
    let seed = opts.seed;
    let (sink, event_stat) = std::thread::scope(|scope| -> Result<(Sink, TableStat)> {
        let generator = scope.spawn(move || -> Result<Sink> {
            let mut sink = Sink::new(Some(chan_tx));
            let mut world = World::new(seed, &profile, &reference);
            world.run(&mut sink, xid)?;
            super::auth::generate(&world, &mut sink)?;
            Ok(sink)
        });
        let streamed = (|| -> Result<TableStat> {
            let started = Instant::now();
            let bar = progress::rows(out, &multi, TABLES[0].0, 0);
            let mut w = tx.copy_in(&copy_sql(T::Events))?;
            w.write_all(HEADER)?;
            let mut bytes = 0u64;
            let mut rows = 0u64;
            for (chunk, n) in chan_rx {
                w.write_all(&chunk)?;
                bytes += chunk.len() as u64;
                rows += n;
                bar.inc(n);
            }
            w.write_all(TRAILER)?;
            w.finish().context("COPY into event_store.events failed")?;
            bar.finish();
            Ok(TableStat::new(TABLES[0].0, rows, bytes, started.elapsed().as_secs_f64()))
        })();
        let generated = generator.join().map_err(|_| anyhow::anyhow!("the data generator panicked"))?;
        // A COPY error is the cause; the generator then only reports that its receiver went away.
        let stat = streamed?;
        Ok((generated?, stat))
    })?;
    stats.push(event_stat);
    let Sink { tables, .. } = sink;
    for (i, spill) in tables.into_iter().enumerate().skip(1) {
        let (name, _) = TABLES[i];
        let started = Instant::now();
        let (mut reader, rows, bytes) = spill.into_reader()?;
        let bar = progress::rows(out, &multi, name, rows);
        let mut w = tx.copy_in(&copy_sql(table_at(i)))?;
        w.write_all(HEADER)?;
        let mut buf = vec![0u8; 1 << 20];
        let mut sent = 0u64;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            w.write_all(&buf[..n])?;
            sent += n as u64;
            if let Some(done) = (rows * sent).checked_div(bytes) {
                bar.set_position(done);
            }
        }
        w.write_all(TRAILER)?;
        w.finish().with_context(|| format!("COPY into {name} failed"))?;
        bar.finish();
        stats.push(TableStat::new(name, rows, bytes, started.elapsed().as_secs_f64()));
    }
    let load_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut restore = String::from("SET LOCAL maintenance_work_mem = '1GB';\n");
    // One ALTER TABLE per table, so all its checks are validated in a single scan.
    let mut by_table: Vec<(&str, Vec<String>)> = Vec::new();
    for (table, name, def) in &deferred.checks {
        let clause = format!("ADD CONSTRAINT {name} {def}");
        match by_table.last_mut() {
            Some((t, clauses)) if *t == table.as_str() => clauses.push(clause),
            _ => by_table.push((table.as_str(), vec![clause])),
        }
    }
    for (table, clauses) in by_table {
        restore.push_str(&format!("ALTER TABLE {table} {};\n", clauses.join(", ")));
    }
    for (table, name, def) in &deferred.keys {
        restore.push_str(&format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def};\n"));
    }
    for (_, def) in &deferred.indexes {
        restore.push_str(def);
        restore.push_str(";\n");
    }
    for (table, name, def) in &deferred.foreign_keys {
        restore.push_str(&format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def};\n"));
    }
    out.status(&format!(
        "restoring {} keys, {} checks, {} indexes and {} foreign keys, then ANALYZE",
        deferred.keys.len(),
        deferred.checks.len(),
        deferred.indexes.len(),
        deferred.foreign_keys.len()
    ));
    // One statement at a time, so --verbose can show where the time goes.
    for stmt in restore.lines() {
        let t = Instant::now();
        tx.batch_execute(stmt).with_context(|| format!("could not restore the schema after loading: {stmt}"))?;
        out.detail(&format!("{:>7.2} s  {}", t.elapsed().as_secs_f64(), stmt));
    }
    let index_seconds = t1.elapsed().as_secs_f64();
    for (table, column) in [("event_store.events", "global_position"), ("audit.audit_log", "id")] {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
            ),
            &[&table, &column],
        )?;
    }
    let t2 = Instant::now();
    tx.batch_execute(&format!("ANALYZE {}", table_list().join(", ")))?;
    let analyze_seconds = t2.elapsed().as_secs_f64();
    for s in &mut stats {
        let size: i64 = tx.query_one("SELECT pg_total_relation_size($1::text::regclass)", &[&s.table])?.get(0);
        let heap: i64 = tx.query_one("SELECT pg_relation_size($1::text::regclass)", &[&s.table])?.get(0);
        s.mib = size as f64 / 1_048_576.0;
        s.heap_mib = heap as f64 / 1_048_576.0;
    }
    debug_assert_eq!(stats.len(), COUNT);
    Ok((stats, Timings { load_seconds, index_seconds, analyze_seconds, replaced }))
}

pub struct Timings {
    pub load_seconds: f64,
    pub index_seconds: f64,
    pub analyze_seconds: f64,
    pub replaced: bool,
}

fn table_at(i: usize) -> T {
    const ALL: [T; COUNT] = [
        T::Events,
        T::Users,
        T::TherapistProfiles,
        T::PatientProfiles,
        T::PhiConsents,
        T::UserSessions,
        T::EmergencyAccess,
        T::AuditLog,
        T::AdhSummaries,
        T::SessionLogs,
        T::MissedSessions,
        T::WeeklySnapshots,
        T::QSummaries,
        T::SessionAnalyses,
        T::RepAnalyses,
        T::TrendSnapshots,
        T::Alerts,
        T::Templates,
        T::Items,
        T::TherapistCapacity,
        T::PatientPriorities,
        T::DailyMetrics,
        T::ProjectionVersions,
    ];
    ALL[i]
}

fn copy_sql(t: T) -> String {
    let (name, cols) = TABLES[t as usize];
    format!("COPY {name} ({cols}) FROM STDIN (FORMAT binary, FREEZE)")
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_at_matches_the_table_order() {
        for i in 0..super::COUNT {
            assert_eq!(super::table_at(i) as usize, i);
        }
    }
}
