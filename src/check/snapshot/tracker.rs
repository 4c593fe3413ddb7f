//! The incremental snapshot behind the proof: one full snapshot at the start, then after each script only
//! the units (a table with its parts, a type, a function, ...) whose catalog rows the script wrote, deleted,
//! or whose referenced objects it changed are read again. Reading every definition again after every script
//! was most of the proof's time; this reads a few. Whatever it cannot follow cheaply (a renamed schema, a
//! renamed role, rows it cannot account for) makes it read everything again. Debug builds (the test
//! suite) compare each incremental snapshot with a full one and fail on any difference.

use std::collections::{BTreeSet, HashMap};

use anyhow::{Context, Result, bail};
use postgres::{Client, Statement, Transaction};

use super::census::{self, COUNTED};
use super::{ObjectKey, Snapshot, object, query};

/// A unit as the queries write it: its kind letter and OID (`r16402`).
type Unit = String;

/// The schema of one connection's database as of its last step, and what is needed to follow it.
pub struct Tracker {
    current: Snapshot,
    units: HashMap<Unit, Vec<ObjectKey>>,
    /// Every row of the counted catalogs, by catalog then key, with the unit it belongs to.
    rows: HashMap<&'static str, HashMap<String, Option<Unit>>>,
    /// The oldest transaction that may have written since the last step (with its epoch; see
    /// [`census::MARK`]).
    mark: i64,
    /// The server's roles as of the last step (their names appear in privileges and policies).
    roles: String,
    /// Whether each step is compared with a full snapshot.
    verify: bool,
    statements: Statements,
}

struct Statements {
    full: Statement,
    partial: Statement,
    listing: Statement,
    keys: Statement,
    changes: Statement,
    /// The mark and the roles of a new starting point.
    start: Statement,
}

/// What one step found: the units to read again, the counted catalogs that lost rows, the next mark.
struct Changes {
    dirty: BTreeSet<Unit>,
    /// With the number of rows each has now.
    short: Vec<(&'static str, usize)>,
    mark: i64,
}

impl Tracker {
    /// Prepares the queries and reads the whole schema once.
    /// `verify`: compare each step with a full snapshot (debug builds always do).
    pub fn start(client: &mut Client, verify: bool) -> Result<Self> {
        let mut tx = begin(client)?;
        let statements = Statements {
            full: tx.prepare(&query::snapshot_sql(false))?,
            partial: tx.prepare(&query::snapshot_sql(true))?,
            listing: tx.prepare(&census::listing_sql())?,
            keys: tx.prepare(&census::keys_sql())?,
            changes: tx.prepare(&census::changes_sql())?,
            start: tx.prepare(&format!("SELECT ({}), ({})", census::MARK, census::ROLES))?,
        };
        tx.commit()?;
        let mut tracker = Self {
            current: Snapshot::default(),
            units: HashMap::new(),
            rows: HashMap::new(),
            mark: 0,
            roles: String::new(),
            statements,
            verify: verify || cfg!(debug_assertions),
        };
        tracker.read_everything(client)?;
        Ok(tracker)
    }

    /// The schema as of the last step.
    pub fn current(&self) -> &Snapshot {
        &self.current
    }

    /// Follows what was written since the last step and returns the schema now.
    pub fn step(&mut self, client: &mut Client) -> Result<&Snapshot> {
        let mut tx = begin(client)?;
        let mark = (self.mark % (1_i64 << 32)).to_string();
        let rows =
            tx.query(&self.statements.changes, &[&mark]).context("could not read what changed in the catalogs")?;
        let Some(changes) = self.changes(&rows)? else {
            drop(tx);
            self.read_everything(client)?;
            return Ok(&self.current);
        };
        let mut dirty = changes.dirty;
        if !changes.short.is_empty() {
            self.relist(&mut tx, &changes.short, &mut dirty)?;
        }
        self.read_units(&mut tx, &dirty)?;
        if self.verify {
            verify(&mut tx, &self.statements.full, &self.current)?;
        }
        tx.commit().context("could not end the catalog snapshot")?;
        self.mark = changes.mark;
        Ok(&self.current)
    }

    /// A full snapshot and listing, in one transaction, as the new starting point.
    fn read_everything(&mut self, client: &mut Client) -> Result<()> {
        let mut tx = begin(client)?;
        let row = tx.query_one(&self.statements.start, &[]).context("could not read the transaction snapshot")?;
        (self.mark, self.roles) = (row.get(0), row.get(1));
        self.current = Snapshot::default();
        self.units.clear();
        let rows = tx.query(&self.statements.full, &[]).context("could not read the catalogs for a snapshot")?;
        self.insert(&rows)?;
        self.rows = COUNTED.iter().map(|c| (c.name, HashMap::new())).collect();
        for row in tx.query(&self.statements.listing, &[]).context("could not list the catalogs for a snapshot")? {
            let cat = counted(row.get(0))?;
            self.rows.entry(cat).or_default().insert(row.get(1), row.get(2));
        }
        tx.commit().context("could not end the catalog snapshot")?;
        Ok(())
    }

    /// What the changes query says, with the rows it wrote recorded; `None` when only reading everything
    /// will do: a built-in object was changed (pinned: nothing in `pg_depend` says what names it), a schema
    /// that existed was changed, or a role (every name in it, or every grant and policy
    /// naming it, may read differently now), or a catalog holds rows the tracker does not know (rows moved by
    /// a `VACUUM FULL` of the catalog, which then cannot be told apart from new ones).
    fn changes(&mut self, rows: &[postgres::Row]) -> Result<Option<Changes>> {
        let mut changes = Changes { dirty: BTreeSet::new(), short: Vec::new(), mark: self.mark };
        let mut counts = Vec::new();
        for row in rows {
            let (tag, cat, key, unit): (&str, Option<&str>, Option<&str>, Option<String>) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            match (tag, cat, key) {
                ("row", Some(cat), Some(key)) => {
                    let known = self.rows.get_mut(cat).context("a counted catalog the tracker does not know")?;
                    let before = known.insert(key.to_string(), unit.clone());
                    if before.is_some() && cat == "pg_namespace" {
                        return Ok(None);
                    }
                    changes.dirty.extend(before.flatten());
                }
                ("count", Some(cat), Some(n)) => counts.push((counted(cat)?, n.parse::<usize>().ok())),
                ("mark", _, Some(mark)) => changes.mark = mark.parse().context("an unreadable transaction ID")?,
                ("builtin", _, _) => return Ok(None),
                ("roles", _, Some(roles)) => {
                    if roles != self.roles {
                        return Ok(None);
                    }
                    continue;
                }
                ("row" | "dependent", _, _) => {}
                _ => bail!("the catalog changes query returned an unexpected row ({tag})"),
            }
            if tag != "count" {
                changes.dirty.extend(unit);
            }
        }
        // Every row now is either known from before or was just written: a count below the known rows means
        // some were deleted.
        for (cat, n) in counts {
            let n = n.context("an unreadable row count")?;
            let known = self.rows.get(cat).map_or(0, HashMap::len);
            if n > known {
                return Ok(None);
            }
            if n < known {
                changes.short.push((cat, n));
            }
        }
        Ok(Some(changes))
    }

    /// Finds the rows the short catalogs lost; the units they belonged to are dirty. `pg_class` is listed
    /// first (a table dropped is the usual loss), then each other catalog is listed unless the units that
    /// vanished whole account for its loss exactly: every row of a unit whose root row is gone (a dropped
    /// table's constraints, defaults, comments, dependencies, row type) goes with it, so when the count of
    /// those rows is the catalog's whole deficit, they are the rows it lost.
    fn relist(
        &mut self,
        tx: &mut Transaction<'_>,
        short: &[(&'static str, usize)],
        dirty: &mut BTreeSet<Unit>,
    ) -> Result<()> {
        let mut order = short.to_vec();
        order.sort_by_key(|(cat, _)| (*cat != "pg_class", census::root_kind(cat).is_none()));
        let mut vanished: BTreeSet<Unit> = BTreeSet::new();
        for (cat, n) in order {
            if cat == "pg_class" {
                // A publication FOR ALL TABLES or TABLES IN SCHEMA listed the dropped table with no row of its own.
                dirty.extend(self.units.keys().filter(|u| u.starts_with('b')).cloned());
            }
            let known = self.rows.get_mut(cat).context("a counted catalog the tracker does not know")?;
            let lost = known.len().saturating_sub(n);
            let explained = known.values().filter(|u| u.as_ref().is_some_and(|u| vanished.contains(u))).count();
            if cat != "pg_class" && explained == lost {
                known.retain(|_, u| !u.as_ref().is_some_and(|u| vanished.contains(u)));
                continue;
            }
            let rows =
                tx.query(&self.statements.keys, &[&vec![cat]]).context("could not list the catalogs for a snapshot")?;
            let now: std::collections::HashSet<&str> = rows.iter().map(|r| r.get(1)).collect();
            let root = census::root_kind(cat);
            known.retain(|key, unit| {
                let kept = now.contains(key.as_str());
                if !kept && let Some(unit) = unit {
                    if root.is_some_and(|k| unit.strip_prefix(k) == Some(key.as_str())) {
                        vanished.insert(unit.clone());
                    }
                    dirty.insert(unit.clone());
                }
                kept
            });
        }
        Ok(())
    }

    /// Reads the dirty units again and puts their objects in place of the ones they had.
    fn read_units(&mut self, tx: &mut Transaction<'_>, dirty: &BTreeSet<Unit>) -> Result<()> {
        if dirty.is_empty() {
            return Ok(());
        }
        let mut oids: Vec<Vec<u32>> = vec![Vec::new(); query::UNIT_KINDS.len()];
        for unit in dirty {
            let mut chars = unit.chars();
            let kind = chars.next().and_then(|k| query::UNIT_KINDS.iter().position(|u| *u == k));
            let oid = chars.as_str().parse::<u32>().ok();
            let (Some(kind), Some(oid)) = (kind, oid) else { bail!("the catalog changes query returned unit {unit}") };
            oids[kind].push(oid);
            for key in self.units.remove(unit).unwrap_or_default() {
                self.current.objects.remove(&key);
            }
        }
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            oids.iter().map(|o| o as &(dyn postgres::types::ToSql + Sync)).collect();
        let rows =
            tx.query(&self.statements.partial, &params).context("could not read the changed objects for a snapshot")?;
        self.insert(&rows)
    }

    fn insert(&mut self, rows: &[postgres::Row]) -> Result<()> {
        for row in rows {
            let (key, def, unit) = object(row)?;
            self.units.entry(unit).or_default().push(key.clone());
            self.current.objects.insert(key, def);
        }
        Ok(())
    }
}

/// The settings of a snapshot transaction: the full snapshot's, and prepared queries planned once (the server
/// would otherwise plan the changes query again on each of its first five runs).
const SETUP: &str = concat!(super::session_sql!(), "; SET LOCAL plan_cache_mode = force_generic_plan");

/// A read-only snapshot transaction with [`SETUP`].
fn begin(client: &mut Client) -> Result<Transaction<'_>> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .context("could not start the catalog snapshot")?;
    tx.batch_execute(SETUP).context("could not set up the catalog snapshot")?;
    Ok(tx)
}

/// The name of a counted catalog, as the tracker keys it.
fn counted(name: &str) -> Result<&'static str> {
    COUNTED.iter().find(|c| c.name == name).map(|c| c.name).context("the catalog query returned an unknown catalog")
}

/// The incremental snapshot must equal a full one read in the same transaction.
fn verify(tx: &mut Transaction<'_>, full: &Statement, current: &Snapshot) -> Result<()> {
    let rows = tx.query(full, &[]).context("could not read the catalogs for a snapshot")?;
    let diffs = super::compare(&super::snapshot_of(&rows)?, current);
    if !diffs.is_empty() {
        let lines: Vec<String> = diffs.iter().map(|d| format!("{} {:?} {}", d.key, d.change, d.detail)).collect();
        return Err(crate::error::CliError::failure(format!(
            "the incremental catalog snapshot differs from a full one (a bug in rehab):\n  {}",
            lines.join("\n  ")
        ))
        .with_hint("this run's proof verdicts cannot be trusted; please report it with the migration the proof was at")
        .into());
    }
    Ok(())
}
