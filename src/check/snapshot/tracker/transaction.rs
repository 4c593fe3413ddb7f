//! The transaction a snapshot is read in: repeatable read, read only, with fixed settings, begun in one
//! round trip, a step's together with its changes query (a proof of 200 migrations takes about 600 steps).

use std::ops::{Deref, DerefMut};

use anyhow::{Context, Result};
use postgres::Client;

/// The start of a snapshot transaction, with its settings: the full snapshot's, and prepared queries planned once
/// (the server would otherwise plan the changes query again on each of its first five runs).
const START: &str = concat!(
    "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; ",
    crate::check::snapshot::session_sql!(),
    "; SET LOCAL plan_cache_mode = force_generic_plan"
);

/// A step's queries look up a few objects by OID: a generic plan, not knowing how few, would hash whole
/// catalogs to join them, or scan one whole to find a few rows of it (a partial read's `oid = ANY($1)` on
/// `pg_class`, its indexes by a loop over all of `pg_index`; without sequential scans the logged changes
/// query fell from 2.2 to 1.9 ms a step at 200 tables, the scanning one from 3.4 to 2.5 ms, a partial read from
/// 1.9 to 1.6 ms). The cost that disables a scan is huge: harmless only because [`START`] turns JIT off, which
/// that cost would otherwise start (a one-line query took 87 ms instead of 2). (The full snapshot and listing
/// are planned in a full read's transaction, without this, and keep that plan.)
const STEP: &str = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_seqscan = off";

/// An open snapshot transaction on the tracker's connection, rolled back if dropped before [`Self::commit`]
/// (a step that fails midway leaves the connection to the scripts as it found it).
pub(super) struct SnapshotTx<'a> {
    client: &'a mut Client,
    open: bool,
}

/// A read-only snapshot transaction with its settings, begun in one simple query (a full read's; a step's begins
/// with [`begin_with`]).
pub(super) fn begin(client: &mut Client) -> Result<SnapshotTx<'_>> {
    if let Err(e) = client.batch_execute(START) {
        // The transaction may have begun before a setting failed.
        let _ = client.batch_execute("ROLLBACK");
        return Err(anyhow::Error::new(e).context("could not start the catalog snapshot"));
    }
    Ok(SnapshotTx { client, open: true })
}

/// Begins a step's snapshot transaction with its first query (`query`, SQL) in the same round trip, and returns
/// the query's rows; [`SnapshotTx::begun`] then guards the transaction. On failure the transaction is rolled back,
/// and the server's error returned as it is.
pub(super) fn begin_with(client: &mut Client, query: &str) -> Result<Vec<postgres::SimpleQueryRow>, postgres::Error> {
    let sql = format!("{START}; {STEP}; {query}");
    match client.simple_query(&sql) {
        Ok(messages) => Ok(messages
            .into_iter()
            .filter_map(|m| if let postgres::SimpleQueryMessage::Row(row) = m { Some(row) } else { None })
            .collect()),
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK");
            Err(e)
        }
    }
}

impl<'a> SnapshotTx<'a> {
    /// Guards the snapshot transaction [`begin_with`] began.
    pub fn begun(client: &'a mut Client) -> Self {
        Self { client, open: true }
    }

    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        self.client.batch_execute("COMMIT").context("could not end the catalog snapshot")
    }
}

impl Deref for SnapshotTx<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
    }
}

impl DerefMut for SnapshotTx<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
    }
}

impl Drop for SnapshotTx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}
