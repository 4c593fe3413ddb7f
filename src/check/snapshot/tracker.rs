//! The incremental snapshot behind the proof: one full snapshot at the start, then after each script only
//! the units (a table with its parts, a type, a function, ...) whose catalog rows the script wrote, deleted,
//! or whose referenced objects it changed are read again. Reading every definition again after every script
//! was most of the proof's time; this reads a few. Whatever it cannot follow cheaply (a renamed schema, a
//! renamed role, rows it cannot account for) makes it read everything again. Debug builds (the test
//! suite) compare each incremental snapshot with a full one and fail on any difference.

use std::collections::{BTreeSet, HashMap};

use anyhow::{Context, Result, bail};
use postgres::Client;

use super::census::{self, COUNTED};
use super::ddl_log;
use super::{ObjectKey, Snapshot, object, query};

mod journal;
mod logged;
mod statements;
mod transaction;

use statements::Statements;
use transaction::{SnapshotTx, begin, begin_with};

/// A unit as the queries write it: its kind letter and OID (`r16402`).
type Unit = String;

/// How a tracker follows the schema.
#[derive(Clone, Copy)]
pub struct Follow {
    /// Compare each step with a full snapshot (debug builds always do).
    pub verify: bool,
    /// Install the DDL log and follow the large catalogs through it, if the role may (a superuser); else
    /// they are scanned.
    pub log: bool,
}

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
    /// Whether the large catalogs are followed through the DDL log ([`ddl_log`]) rather than scanned.
    log: bool,
    /// The highest OID in the large catalogs at the last step: an object dropped since that the tracker does
    /// not know was created since, too (OIDs only grow, short of a wraparound, which costs a full read).
    floor: u32,
    /// Steps taken, and how many of them (and the start) read everything.
    steps: usize,
    full_reads: usize,
    statements: Statements,
    journal: journal::Journal,
}

/// What one step found: the units to read again, those of them whose root object is gone, the counted
/// catalogs that lost rows, the next mark and OID floor.
struct Changes {
    dirty: BTreeSet<Unit>,
    vanished: BTreeSet<Unit>,
    /// With the number of rows each has now.
    short: Vec<(&'static str, usize)>,
    mark: i64,
    floor: u32,
}

impl Tracker {
    /// Prepares the queries and reads the whole schema once.
    pub fn start(client: &mut Client, follow: Follow) -> Result<Self> {
        let Follow { verify, log } = follow;
        let log = log && ddl_log::install(client)?;
        let statements = Statements::prepare(client, log)?;
        let mut tracker = Self {
            current: Snapshot::default(),
            units: HashMap::new(),
            rows: HashMap::new(),
            mark: 0,
            roles: String::new(),
            statements,
            verify: verify || cfg!(debug_assertions),
            log,
            floor: 0,
            steps: 0,
            full_reads: 0,
            journal: journal::Journal::default(),
        };
        tracker.read_everything(client)?;
        Ok(tracker)
    }

    /// What following the schema took, for the run's details: steps, full reads, and how the large catalogs
    /// were followed.
    pub fn summary(&self) -> String {
        format!(
            "{} snapshot step(s), {} full read(s), the large catalogs followed through {}",
            self.steps,
            self.full_reads,
            if self.log { "the DDL log" } else { "catalog scans" }
        )
    }

    /// Follows what was written since the last step.
    pub fn step(&mut self, client: &mut Client) -> Result<()> {
        self.steps += 1;
        match self.follow(client) {
            Err(e) if statements::deallocated(&e) => self.prepare_again(client),
            followed => followed,
        }
    }

    fn follow(&mut self, client: &mut Client) -> Result<()> {
        let mark = (self.mark % (1_i64 << 32)).to_string();
        let (name, logged) = match (&self.statements.logged, self.log) {
            (Some(logged), true) => (logged, true),
            _ => (&self.statements.changes, false),
        };
        // The mark is a number: its literal needs no quoting beyond the quotes.
        let first = format!("EXECUTE {name}('{mark}')");
        let rows = match begin_with(client, &first) {
            Ok(rows) => rows,
            // The log is gone (a migration's DISCARD TEMP took it): the full read finds so, and the catalogs are
            // scanned from then on.
            Err(e) if logged && e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => {
                return self.read_everything(client);
            }
            Err(e) => {
                let what =
                    if logged { "could not read the DDL log" } else { "could not read what changed in the catalogs" };
                return Err(anyhow::Error::new(e).context(what));
            }
        };
        let mut tx = SnapshotTx::begun(client);
        let Some(changes) = self.changes(&rows)? else {
            drop(tx);
            return self.read_everything(client);
        };
        let (mut dirty, mut vanished) = (changes.dirty, changes.vanished);
        if !changes.short.is_empty() {
            self.relist(&mut tx, &changes.short, &mut dirty, &mut vanished)?;
        }
        self.read_units(&mut tx, &dirty, &vanished)?;
        if self.verify {
            super::verify(&mut tx, &self.statements.full, &self.current)?;
        }
        tx.commit()?;
        (self.mark, self.floor) = (changes.mark, changes.floor);
        Ok(())
    }

    /// A full snapshot and listing, in one transaction, as the new starting point.
    fn read_everything(&mut self, client: &mut Client) -> Result<()> {
        self.full_reads += 1;
        self.empty_log(client)?;
        let mut tx = begin(client)?;
        let row = tx.query_one(&self.statements.start, &[]).context("could not read the transaction snapshot")?;
        (self.mark, self.roles) = (row.get(0), row.get(1));
        self.floor = row.get::<_, String>(2).parse().context("an unreadable OID")?;
        self.take_all();
        self.units.clear();
        let rows = tx.query(&self.statements.full, &[]).context("could not read the catalogs for a snapshot")?;
        self.insert(&rows)?;
        self.rows = COUNTED.iter().map(|c| (c.name, HashMap::new())).collect();
        for row in tx.query(&self.statements.listing, &[]).context("could not list the catalogs for a snapshot")? {
            let cat = counted(row.get(0))?;
            self.rows.entry(cat).or_default().insert(row.get(1), row.get(2));
        }
        tx.commit()?;
        Ok(())
    }

    /// Empties the DDL log, if it is followed: what it holds is read now. A log that cannot be emptied is gone
    /// (`DISCARD TEMP`, `DISCARD ALL`), and the catalogs are scanned from then on.
    fn empty_log(&mut self, client: &mut Client) -> Result<()> {
        if self.log
            && let Err(e) = client.batch_execute("DELETE FROM pg_temp.rehab_check_ddl")
        {
            if e.code() != Some(&postgres::error::SqlState::UNDEFINED_TABLE) {
                return Err(anyhow::Error::new(e).context("could not empty the DDL log"));
            }
            self.log = false;
        }
        Ok(())
    }

    /// What the changes query says, with the rows it wrote recorded; `None` when only reading everything
    /// will do: a built-in object was changed (pinned: nothing in `pg_depend` says what names it), a schema
    /// that existed was changed, or a role (every name in it, or every grant and policy
    /// naming it, may read differently now), or a catalog holds rows the tracker does not know (rows moved by
    /// a `VACUUM FULL` of the catalog, which then cannot be told apart from new ones).
    fn changes(&mut self, rows: &[postgres::SimpleQueryRow]) -> Result<Option<Changes>> {
        let mut changes = Changes {
            dirty: BTreeSet::new(),
            vanished: BTreeSet::new(),
            short: Vec::new(),
            mark: self.mark,
            floor: self.floor,
        };
        let mut dropped_relation = false;
        let mut counts = Vec::new();
        for row in rows {
            let (tag, cat, key, unit) =
                (row.get(0).unwrap_or_default(), row.get(1), row.get(2), row.get(3).map(str::to_string));
            match (tag, cat, key) {
                ("row" | "dependent", Some(cat), Some(key)) => {
                    let known = self.rows.get_mut(cat).context("a counted catalog the tracker does not know")?;
                    let before = known.insert(key.to_string(), unit.clone());
                    if before.is_some() && cat == "pg_namespace" {
                        return Ok(None);
                    }
                    changes.dirty.extend(before.flatten());
                }
                ("count", Some(cat), Some(n)) => counts.push((counted(cat)?, n.parse::<usize>().ok())),
                ("mark", _, Some(mark)) => changes.mark = mark.parse().context("an unreadable transaction ID")?,
                ("builtin" | "full", _, _) => return Ok(None),
                ("dropped", Some(cat), Some(key)) => {
                    if !self.dropped(cat, key, &mut changes) {
                        return Ok(None);
                    }
                    dropped_relation |= cat == "pg_class";
                    continue;
                }
                ("floor", _, Some(n)) => {
                    changes.floor = n.parse().context("an unreadable OID")?;
                    continue;
                }
                ("triggers", _, Some(n)) => {
                    if n != "2" {
                        // A migration dropped or disabled the log's triggers: scanning from a full read on.
                        self.log = false;
                        return Ok(None);
                    }
                    continue;
                }
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
        if self.log {
            // DROP IDENTITY drops the sequence as an internal part of the ALTER TABLE: no sql_drop names it.
            changes.dirty.extend(self.sequences_owned_by(&changes.dirty));
        }
        if dropped_relation {
            // A publication FOR ALL TABLES or TABLES IN SCHEMA listed the dropped table with no row of its own.
            changes.dirty.extend(self.units.keys().filter(|u| u.starts_with('b')).cloned());
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
        tx: &mut Client,
        short: &[(&'static str, usize)],
        dirty: &mut BTreeSet<Unit>,
        vanished: &mut BTreeSet<Unit>,
    ) -> Result<()> {
        let mut order = short.to_vec();
        order.sort_by_key(|(cat, _)| (*cat != "pg_class", census::root_kind(cat).is_none()));
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

    /// Reads the dirty units again and puts their objects in place of the ones they had; none is read when
    /// every one of them is gone (a down script's DROP TABLE).
    fn read_units(&mut self, tx: &mut Client, dirty: &BTreeSet<Unit>, vanished: &BTreeSet<Unit>) -> Result<()> {
        if dirty.iter().all(|u| vanished.contains(u)) {
            for unit in dirty {
                for key in self.units.remove(unit).unwrap_or_default() {
                    self.take(key);
                }
            }
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
                self.take(key);
            }
        }
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            oids.iter().map(|o| o as &(dyn postgres::types::ToSql + Sync)).collect();
        let partial = self.statements.partials.get(tx, &oids)?;
        let rows = tx.query(partial, &params).context("could not read the changed objects for a snapshot")?;
        self.insert(&rows)
    }

    fn insert(&mut self, rows: &[postgres::Row]) -> Result<()> {
        for row in rows {
            let (key, def, unit) = object(row)?;
            self.units.entry(unit).or_default().push(key.clone());
            self.put(key, def);
        }
        Ok(())
    }
}

/// The name of a counted catalog, as the tracker keys it.
fn counted(name: &str) -> Result<&'static str> {
    COUNTED.iter().find(|c| c.name == name).map(|c| c.name).context("the catalog query returned an unknown catalog")
}
