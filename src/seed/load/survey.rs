//! Before anything changes: whether every seeded table exists and which hold rows (one round trip for all
//! of them), the refusal of data that is not ours or not to be replaced, and the emptying.

use anyhow::{Context, Result};
use postgres::Transaction;

use super::ledger;
use super::registry::Table;
use crate::error::CliError;

/// Tables whose append-only guard triggers refuse TRUNCATE: (table, trigger).
const GUARDS: [(&str, &str); 3] = [
    ("event_store.events", "events_append_only"),
    ("audit.audit_log", "audit_log_append_only"),
    ("auth.emergency_access_log", "emergency_access_log_guard_delete"),
];

/// The seeded tables that already hold rows.
#[derive(Debug)]
pub struct Survey {
    pub busy: Vec<String>,
}

/// Reads, in one statement, whether each seeded table exists and holds a row (a table's emptiness needs
/// a query of its own, so the statement builds one per table that exists with `query_to_xml`). A missing
/// table fails with the hint to migrate.
pub fn survey(tx: &mut Transaction, database: &str) -> Result<Survey> {
    let names: Vec<String> = Table::NAMES.iter().map(|n| (*n).to_string()).collect();
    let rows = tx.query(
        "SELECT t, CASE WHEN to_regclass(t) IS NOT NULL THEN
                 (xpath('/row/busy/text()',
                        query_to_xml(format('SELECT EXISTS (SELECT 1 FROM %s) AS busy', t), false, true, '')))[1]::text
                 = 'true' END
           FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
        &[&names],
    )?;
    let mut busy = Vec::new();
    for row in rows {
        let table: String = row.get(0);
        match row.get::<_, Option<bool>>(1) {
            None => {
                return Err(CliError::failure(format!("table {table} does not exist in {database}"))
                    .with_hint("apply the bundled schema first: `rehab migrate` (or `rehab setup --seed`)")
                    .into());
            }
            Some(true) => busy.push(table),
            Some(false) => {}
        }
    }
    Ok(Survey { busy })
}

/// Refuses when the tables hold data: seed data without `--replace`, or data rehab seed did not write.
/// Returns whether an earlier seed is being replaced.
pub fn refuse_unless_replacing(tx: &mut Transaction, survey: &Survey, replace: bool, database: &str) -> Result<bool> {
    if survey.busy.is_empty() {
        return Ok(false);
    }
    match ledger::last(tx)? {
        Some(_) if replace => Ok(true),
        Some(last) => {
            Err(CliError::refused(format!("database {database} already holds seed data ({last}); nothing was changed"))
                .with_hint("run `rehab seed --replace` to remove the previous seed data and seed again")
                .into())
        }
        None => Err(CliError::refused(format!(
            "database {database} holds data that rehab seed did not write (in {}); nothing was changed",
            survey.busy.join(", ")
        ))
        .with_hint("seed an empty database: `rehab seed` never deletes data it did not write (see `rehab reset`)")
        .into()),
    }
}

/// Empties every seeded table (it lets COPY FREEZE write frozen rows). The append-only guards refuse
/// TRUNCATE, so they are disabled for this statement only, inside this transaction, as the owner.
pub fn empty(tx: &mut Transaction) -> Result<()> {
    let mut sql = String::new();
    for (table, trigger) in GUARDS {
        sql.push_str(&format!("ALTER TABLE {table} DISABLE TRIGGER {trigger};\n"));
    }
    sql.push_str(&format!("TRUNCATE {} RESTART IDENTITY;\n", Table::NAMES.join(", ")));
    for (table, trigger) in GUARDS {
        sql.push_str(&format!("ALTER TABLE {table} ENABLE TRIGGER {trigger};\n"));
    }
    tx.batch_execute(&sql).context("could not empty the seeded tables (the seed must run as their owner)")
}
