//! The tracker's prepared queries, and preparing them again when a migration deallocated them
//! (`DEALLOCATE ALL`, `DISCARD ALL`): the migrations run on the tracker's own connection.

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
    pub changes: Statement,
    /// The changes query reading the DDL log, when the log is installed.
    pub logged: Option<Statement>,
    /// The mark, the roles and the OID floor of a new starting point.
    pub start: Statement,
}

impl Statements {
    /// Prepares every query of the tracker, the one reading the DDL log only with `log`.
    pub fn prepare(client: &mut Client, log: bool) -> Result<Self> {
        let mut tx = begin(client, false)?;
        let statements = Self {
            full: tx.prepare(&query::snapshot_sql(false))?,
            partials: query::Partials::default(),
            listing: tx.prepare(&census::listing_sql())?,
            keys: tx.prepare(&census::keys_sql())?,
            changes: tx.prepare(&census::changes_sql(false))?,
            logged: if log { Some(tx.prepare(&census::changes_sql(true))?) } else { None },
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
