//! The tracker's prepared queries, and preparing them again when a migration deallocated them
//! (`DEALLOCATE ALL`, `DISCARD ALL`): the migrations run on the tracker's own connection.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use postgres::Client;
use postgres::Statement;
use postgres::error::SqlState;

use super::{Tracker, begin};
use crate::check::snapshot::{census, ddl_log, query};

pub(super) struct Statements {
    pub full: Statement,
    pub partials: query::Partials,
    pub listing: Statement,
    pub keys: Statement,
    /// The changes query, prepared in SQL (`PREPARE`) so that a step sends it with its `START TRANSACTION` in one
    /// simple query: its name.
    pub changes: String,
    /// The changes query reading the DDL log, when the log is installed: its name.
    pub logged: Option<String>,
    /// The mark, the roles and the OID floor of a new starting point.
    pub start: Statement,
}

impl Statements {
    /// Prepares every query of the tracker, the one reading the DDL log only with `log`.
    pub fn prepare(client: &mut Client, log: bool) -> Result<Self> {
        let mut tx = begin(client)?;
        let statements = Self {
            full: tx.prepare(&query::snapshot_sql(false))?,
            partials: query::Partials::default(),
            listing: tx.prepare(&census::listing_sql())?,
            keys: tx.prepare(&census::keys_sql())?,
            changes: prepare_named(&mut tx, "changes", &census::changes_sql(false))?,
            logged: if log { Some(prepare_named(&mut tx, "logged", &census::changes_sql(true))?) } else { None },
            start: tx.prepare(&format!(
                "SELECT ({}), ({}), ({})::text",
                census::MARK,
                census::ROLES,
                ddl_log::FLOOR
            ))?,
        };
        tx.commit()?;
        Ok(statements)
    }
}

/// Prepares `sql` (one text parameter) in SQL under a name no earlier preparation of this process used: one
/// left over when a migration deallocated only some of them cannot collide.
fn prepare_named(client: &mut Client, what: &str, sql: &str) -> Result<String> {
    static GENERATION: AtomicUsize = AtomicUsize::new(0);
    let name = format!("rehab_check_{what}_{}", GENERATION.fetch_add(1, Ordering::Relaxed));
    client.batch_execute(&format!("PREPARE {name}(text) AS {sql}"))?;
    Ok(name)
}

/// Whether a step failed because one of its prepared statements is gone.
pub(super) fn deallocated(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<postgres::Error>().is_some_and(|e| e.code() == Some(&SqlState::INVALID_SQL_STATEMENT_NAME))
    })
}

impl Tracker {
    /// After a migration deallocated the prepared statements: prepares them again, without the DDL log if it
    /// went too (`DISCARD ALL` drops the session's temporary objects), and reads everything.
    pub(super) fn prepare_again(&mut self, client: &mut Client) -> Result<()> {
        self.empty_log(client)?;
        self.statements = Statements::prepare(client, self.log)?;
        self.read_everything(client)
    }
}
