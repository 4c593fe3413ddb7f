//! A catalog snapshot: every schema object rehab compares, read from the system catalogs by rehab itself
//! (no `pg_dump`, whose version would have to match the server's). Objects are keyed by kind and qualified
//! name and hold their definition as named attributes, so two snapshots compare object by object into
//! added, removed and changed, with what changed.

mod census;
pub mod ddl_log;
mod diff;
mod query;
mod tracker;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use postgres::{Client, Statement};

pub use diff::{Difference, compare};
pub use tracker::{Follow, Tracker};

/// What identifies an object across databases: its kind (`table`, `column`, `enum`, ...) and its qualified
/// name (`public.t.c`; functions with their argument types). Never an OID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey {
    pub kind: String,
    pub name: String,
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// An object's definition: attribute name (`type`, `default`, `definition`, `comment`, ...) to its text.
/// An attribute that does not apply is absent; flags hold `true`.
pub type Definition = BTreeMap<String, String>;

/// Every compared object of one database at one moment, sorted by kind then name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub objects: BTreeMap<ObjectKey, Definition>,
}

/// The settings every snapshot reads under (for its transaction only: the session's own, which the
/// migrations use, are left as they were). `search_path` is `pg_catalog, pg_temp`, so every deparsed name is
/// schema-qualified the same way on any database and a temporary table named like a built-in type is not
/// found first; the others fix how deparsed constants read (a `timestamptz` default, an interval, a float,
/// money), which a migration's `SET TIME ZONE` or a database's settings would otherwise change. JIT is off:
/// compiling a catalog query's thousand expressions took a hundred times longer than running them.
macro_rules! session_sql {
    () => {
        "SET LOCAL search_path = pg_catalog, pg_temp; SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, MDY'; \
         SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'; \
         SET LOCAL lc_monetary = 'C'; SET LOCAL jit = off"
    };
}
pub(crate) use session_sql;
const SESSION: &str = session_sql!();

/// Reads snapshots of one connection; the catalog query is prepared once, so the proof's hundreds of
/// snapshots each cost one transaction and no planning.
pub struct Reader {
    statement: Statement,
}

impl Reader {
    pub fn new(client: &mut Client) -> Result<Self> {
        // Prepared under the search path it runs with, so the server need not analyse it again each time.
        let mut tx = client.transaction().context("could not start the catalog snapshot")?;
        tx.batch_execute(SESSION).context("could not set up the catalog snapshot")?;
        let statement =
            tx.prepare(&query::snapshot_sql(false)).context("could not prepare the catalog snapshot query")?;
        tx.commit().context("could not end the catalog snapshot")?;
        Ok(Self { statement })
    }

    /// The snapshot of the connected database now. The query runs with `search_path = pg_catalog` (for
    /// this transaction only, so the session's own path, which the migrations use, is left as it was).
    pub fn take(&self, client: &mut Client) -> Result<Snapshot> {
        let mut tx = client.transaction().context("could not start the catalog snapshot")?;
        tx.batch_execute(&format!("SET TRANSACTION READ ONLY; {SESSION}"))
            .context("could not set up the catalog snapshot")?;
        let rows = tx.query(&self.statement, &[]).context("could not read the catalogs for a snapshot")?;
        tx.commit().context("could not end the catalog snapshot")?;
        snapshot_of(&rows)
    }
}

/// The snapshot the rows of the full snapshot query make.
fn snapshot_of(rows: &[postgres::Row]) -> Result<Snapshot> {
    let mut objects = BTreeMap::new();
    for row in rows {
        let (key, def, _) = object(row)?;
        objects.insert(key, def);
    }
    Ok(Snapshot { objects })
}

/// One row of the snapshot query: the object, its definition and the unit it belongs to.
fn object(row: &postgres::Row) -> Result<(ObjectKey, Definition, String)> {
    let def: &str = row.get(2);
    let def: Definition =
        serde_json::from_str(def).context("the catalog snapshot returned an unreadable definition")?;
    Ok((ObjectKey { kind: row.get(0), name: row.get(1) }, def, row.get(3)))
}

/// One snapshot of the connected database (for a connection that takes only one).
pub fn take(client: &mut Client) -> Result<Snapshot> {
    Reader::new(client)?.take(client)
}

/// The incremental snapshot must equal a full one read in the same transaction.
pub(crate) fn verify(tx: &mut Client, full: &postgres::Statement, current: &Snapshot) -> Result<()> {
    let rows = tx.query(full, &[]).context("could not read the catalogs for a snapshot")?;
    let diffs = compare(&snapshot_of(&rows)?, current);
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
