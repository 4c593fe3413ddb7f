//! Constraint and index deferral: the keys, secondary indexes, foreign keys and CHECKs of the seeded
//! tables are read from the catalog, dropped before the load and restored from their definitions after it
//! (building an index once from sorted data is several times cheaper than maintaining it row by row), so
//! the schema is byte-identical afterwards.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, Result};
use postgres::Transaction;

use super::progress::LoadProgress;
use super::registry::Table;

/// A constraint: (table, quoted name, definition).
type Constraint = (String, String, String);

/// What the load drops and restores.
#[derive(Debug, Default)]
pub struct Deferred {
    /// CHECK constraints: validating them in one scan per table after the load costs less than half of
    /// evaluating them row by row during COPY (the schema's bounded-repetition regexes are the costly part).
    checks: Vec<Constraint>,
    /// Primary keys and unique constraints.
    keys: Vec<Constraint>,
    /// Indexes that back no constraint: (quoted name, definition).
    indexes: Vec<(String, String)>,
    foreign_keys: Vec<Constraint>,
}

fn table_list() -> Vec<String> {
    Table::NAMES.iter().map(|n| (*n).to_string()).collect()
}

fn constraints(tx: &mut Transaction, kinds: &[&str]) -> Result<Vec<Constraint>> {
    let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_string()).collect();
    Ok(tx
        .query(
            "SELECT k.conrelid::regclass::text, quote_ident(k.conname), pg_get_constraintdef(k.oid)
               FROM pg_constraint k
              WHERE k.contype::text = ANY ($2)
                AND k.conrelid = ANY (SELECT to_regclass(t)::oid FROM unnest($1::text[]) t)
              ORDER BY 1, 2",
            &[&table_list(), &kinds],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

impl Deferred {
    /// Reads what to defer from the catalog.
    pub fn read(tx: &mut Transaction) -> Result<Self> {
        let indexes = tx
            .query(
                "SELECT format('%I.%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid)
                   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE i.indrelid = ANY (SELECT to_regclass(t)::oid FROM unnest($1::text[]) t)
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                  ORDER BY 1",
                &[&table_list()],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let foreign_keys = constraints(tx, &["f"])?;
        let keys = constraints(tx, &["p", "u"])?;
        let checks = constraints(tx, &["c"])?;
        let checks = round_trips(tx, checks)?;
        Ok(Self { checks, keys, indexes, foreign_keys })
    }

    /// Drops everything deferred, in one batch.
    pub fn drop_all(&self, tx: &mut Transaction) -> Result<()> {
        let mut sql = String::new();
        for (table, name, _) in &self.foreign_keys {
            sql.push_str(&format!("ALTER TABLE {table} DROP CONSTRAINT {name};\n"));
        }
        for (name, _) in &self.indexes {
            sql.push_str(&format!("DROP INDEX {name};\n"));
        }
        for (table, name, _) in self.keys.iter().chain(&self.checks) {
            sql.push_str(&format!("ALTER TABLE {table} DROP CONSTRAINT {name};\n"));
        }
        tx.batch_execute(&sql).context("could not drop secondary indexes before loading")
    }

    /// The restoring statements, in order: checks (one ALTER TABLE per table, so all its checks are
    /// validated in a single scan), keys, indexes, foreign keys.
    fn restore_statements(&self) -> Vec<String> {
        let mut statements = vec!["SET LOCAL maintenance_work_mem = '1GB';".to_string()];
        let mut by_table: Vec<(&str, Vec<String>)> = Vec::new();
        for (table, name, def) in &self.checks {
            let clause = format!("ADD CONSTRAINT {name} {def}");
            match by_table.last_mut() {
                Some((last, clauses)) if *last == table.as_str() => clauses.push(clause),
                _ => by_table.push((table.as_str(), vec![clause])),
            }
        }
        for (table, clauses) in by_table {
            statements.push(format!("ALTER TABLE {table} {};", clauses.join(", ")));
        }
        for (table, name, def) in &self.keys {
            statements.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def};"));
        }
        statements.extend(self.indexes.iter().map(|(_, def)| format!("{def};")));
        for (table, name, def) in &self.foreign_keys {
            statements.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def};"));
        }
        statements
    }

    /// Restores everything deferred, one statement at a time so `--verbose` can show where the time goes.
    pub fn restore(&self, tx: &mut Transaction, progress: &dyn LoadProgress) -> Result<()> {
        progress.status(&format!(
            "restoring {} keys, {} checks, {} indexes and {} foreign keys, then ANALYZE",
            self.keys.len(),
            self.checks.len(),
            self.indexes.len(),
            self.foreign_keys.len()
        ));
        for statement in self.restore_statements() {
            let started = Instant::now();
            tx.batch_execute(&statement)
                .with_context(|| format!("could not restore the schema after loading: {statement}"))?;
            progress.detail(&format!("{:>7.2} s  {}", started.elapsed().as_secs_f64(), statement));
        }
        Ok(())
    }
}

/// The CREATE and ALTER statements that put every check of `checks` (ordered by table) on an empty
/// temporary copy of its table, one probe table per table; and the probe tables' names.
fn probe_sql(checks: &[Constraint]) -> (String, Vec<String>) {
    let mut probes: Vec<String> = Vec::new();
    let mut last: Option<&str> = None;
    let mut sql = String::new();
    for (table, name, def) in checks {
        if last == Some(table.as_str()) {
            sql.push_str(", ");
        } else {
            if last.is_some() {
                sql.push_str(";\n");
            }
            last = Some(table);
            let probe = format!("rehab_seed_probe_{}", probes.len() + 1);
            sql.push_str(&format!("CREATE TEMP TABLE {probe} (LIKE {table}) ON COMMIT DROP;\nALTER TABLE {probe} "));
            probes.push(probe);
        }
        sql.push_str(&format!("ADD CONSTRAINT {name} {def}"));
    }
    sql.push_str(";\n");
    (sql, probes)
}

/// The checks that come back byte-identical when re-added from their definition text. PostgreSQL
/// normalises some expressions on the way (`(a AND b) AND c` becomes `a AND b AND c`), which would
/// change `pg_dump` output; those stay in place during the load. Probed on empty temporary copies: one
/// per table carrying all of its checks, created, read back and dropped in three round trips (probing
/// the ~150 checks one statement at a time cost about half a second).
fn round_trips(tx: &mut Transaction, checks: Vec<Constraint>) -> Result<Vec<Constraint>> {
    if checks.is_empty() {
        return Ok(checks);
    }
    let (sql, probes) = probe_sql(&checks);
    tx.batch_execute(&sql)?;
    let again: HashMap<(String, String), String> = tx
        .query(
            "SELECT c.relname::text, quote_ident(k.conname), pg_get_constraintdef(k.oid)
               FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
              WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = ANY ($1) AND k.contype = 'c'",
            &[&probes],
        )?
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    tx.batch_execute(&format!("DROP TABLE {};", probes.join(", ")))?;
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
