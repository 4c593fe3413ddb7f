//! What the database says was applied, compared with the catalog: applied, pending, divergent, missing,
//! out of order. Read-only: it never creates the history table.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use postgres::Client;
use serde::Serialize;

use super::catalog::MigrationCatalog;
use crate::db::admin;

/// refinery's history table (its default name).
pub const HISTORY_TABLE: &str = "refinery_schema_history";

/// One row of the history table.
#[derive(Debug, Clone)]
pub struct AppliedMigration {
    pub version: i32,
    pub name: String,
    pub applied_on: String,
    pub checksum: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationState {
    Applied,
    Pending,
    Divergent,
    Missing,
    OutOfOrder,
}

impl MigrationState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Pending => "pending",
            Self::Divergent => "divergent",
            Self::Missing => "missing file",
            Self::OutOfOrder => "out of order",
        }
    }

    /// Anything but applied or pending needs a person.
    pub fn is_problem(self) -> bool {
        !matches!(self, Self::Applied | Self::Pending)
    }
}

/// A migration known locally, applied in the database, or both.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationStatus {
    pub version: i32,
    pub name: String,
    pub state: MigrationState,
    pub applied_on: Option<String>,
    pub reversible: bool,
    /// For divergent migrations: what differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// True when the history table exists in the connected database.
pub fn table_exists(client: &mut Client) -> Result<bool> {
    admin::relation_exists(client, HISTORY_TABLE)
}

/// The applied migrations, ordered by version; empty when the history table does not exist yet.
pub fn applied(client: &mut Client) -> Result<Vec<AppliedMigration>> {
    if !table_exists(client)? {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            &format!("SELECT version, coalesce(name, ''), coalesce(applied_on, ''), coalesce(checksum, '') FROM {HISTORY_TABLE} ORDER BY version"),
            &[],
        )
        .with_context(|| format!("could not read {HISTORY_TABLE}"))?;
    Ok(rows
        .iter()
        .map(|r| AppliedMigration { version: r.get(0), name: r.get(1), applied_on: r.get(2), checksum: r.get(3) })
        .collect())
}

/// Compares catalog and history, one entry per version, in version order.
pub fn compare(catalog: &MigrationCatalog, applied: &[AppliedMigration]) -> Vec<MigrationStatus> {
    let max_applied = applied.iter().map(|a| a.version).max();
    let applied_by_version: BTreeMap<i32, &AppliedMigration> = applied.iter().map(|a| (a.version, a)).collect();
    let mut out: Vec<MigrationStatus> = catalog
        .migrations
        .iter()
        .map(|m| {
            let (state, applied_on, detail) = match applied_by_version.get(&m.version) {
                Some(a) => {
                    let mut diffs = Vec::new();
                    if a.name != m.name {
                        diffs.push(format!("applied as `{}`, the file is `{}`", a.name, m.name));
                    }
                    if a.checksum != m.checksum().to_string() {
                        diffs.push(format!(
                            "{} was edited after it was applied (checksum {} in the database, {} now)",
                            m.up.file_name,
                            a.checksum,
                            m.checksum()
                        ));
                    }
                    let state = if diffs.is_empty() { MigrationState::Applied } else { MigrationState::Divergent };
                    (state, Some(a.applied_on.clone()), (!diffs.is_empty()).then(|| diffs.join("; ")))
                }
                None if max_applied.is_some_and(|max| m.version < max) => (MigrationState::OutOfOrder, None, None),
                None => (MigrationState::Pending, None, None),
            };
            MigrationStatus {
                version: m.version,
                name: m.name.clone(),
                state,
                applied_on,
                reversible: m.reversible(),
                detail,
            }
        })
        .collect();
    for a in applied.iter().filter(|a| catalog.get(a.version).is_none()) {
        out.push(MigrationStatus {
            version: a.version,
            name: a.name.clone(),
            state: MigrationState::Missing,
            applied_on: Some(a.applied_on.clone()),
            reversible: false,
            detail: Some(format!("applied, but there is no V{}__{}.sql in {}", a.version, a.name, catalog.source)),
        });
    }
    out.sort_by_key(|s| s.version);
    out
}

/// The message for each problem, for refusing to migrate or roll back.
pub fn describe_problem(s: &MigrationStatus) -> String {
    match s.state {
        MigrationState::Divergent => {
            format!("V{} {}: divergent: {}", s.version, s.name, s.detail.as_deref().unwrap_or(""))
        }
        MigrationState::Missing => format!("V{} {}: missing: {}", s.version, s.name, s.detail.as_deref().unwrap_or("")),
        MigrationState::OutOfOrder => format!(
            "V{} {}: out of order: not applied, but a later version already is; give it a version above the newest applied one",
            s.version, s.name
        ),
        MigrationState::Applied | MigrationState::Pending => format!("V{} {}: {}", s.version, s.name, s.state.label()),
    }
}
