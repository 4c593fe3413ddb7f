//! The environment marker: one row in `public.rehab_environment` saying which environment a database
//! belongs to and whether it is protected, so a destructive command refuses a production database even
//! when the config in hand says otherwise (like Rails' `ar_internal_metadata`).

use anyhow::{Context, Result};
use postgres::GenericClient;
use serde::Serialize;

pub const MARKER_TABLE: &str = "public.rehab_environment";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentMarker {
    pub environment: String,
    pub protected: bool,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The stored marker, if the table exists and holds a row.
pub fn read(client: &mut impl GenericClient) -> Result<Option<EnvironmentMarker>> {
    if !super::admin::relation_exists(client, MARKER_TABLE)? {
        return Ok(None);
    }
    let row = client
        .query_opt(&format!("SELECT environment, protected, updated_at FROM {MARKER_TABLE} LIMIT 1"), &[])
        .with_context(|| format!("could not read {MARKER_TABLE}"))?;
    Ok(row.map(|r| EnvironmentMarker { environment: r.get(0), protected: r.get(1), updated_at: r.get(2) }))
}

/// Records `environment`. A stored `protected = true` is never lowered: the stored row wins then, and
/// the returned marker (what is stored now) says so.
pub fn write(client: &mut impl GenericClient, environment: &str, protected: bool) -> Result<EnvironmentMarker> {
    if let Some(stored) = read(client)? {
        let unchanged = stored.environment == environment && stored.protected == protected;
        // A protected mark is never lowered, so a request to lower it changes nothing either.
        if unchanged || (stored.protected && !protected) {
            return Ok(stored);
        }
    }
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (
                 id boolean PRIMARY KEY DEFAULT true CHECK (id),
                 environment text NOT NULL,
                 protected boolean NOT NULL DEFAULT false,
                 updated_at timestamptz NOT NULL DEFAULT now()
             );
             COMMENT ON TABLE {MARKER_TABLE} IS 'rehab: the environment this database belongs to; reset refuses protected ones'"
        ))
        .with_context(|| format!("could not create {MARKER_TABLE}"))?;
    let row = client
        .query_one(
            &format!(
                "INSERT INTO {MARKER_TABLE} AS m (environment, protected) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET
                     environment = CASE WHEN m.protected AND NOT EXCLUDED.protected THEN m.environment ELSE EXCLUDED.environment END,
                     protected = m.protected OR EXCLUDED.protected,
                     updated_at = CASE WHEN m.protected AND NOT EXCLUDED.protected THEN m.updated_at ELSE now() END
                 RETURNING environment, protected, updated_at"
            ),
            &[&environment, &protected],
        )
        .with_context(|| format!("could not write {MARKER_TABLE}"))?;
    Ok(EnvironmentMarker { environment: row.get(0), protected: row.get(1), updated_at: row.get(2) })
}

/// Puts a marker read earlier back exactly (after `reset` dropped it with `public`).
pub fn restore(client: &mut impl GenericClient, marker: &EnvironmentMarker) -> Result<()> {
    write(client, &marker.environment, marker.protected)?;
    client
        .execute(&format!("UPDATE {MARKER_TABLE} SET updated_at = coalesce($1, updated_at)"), &[&marker.updated_at])
        .with_context(|| format!("could not restore {MARKER_TABLE}"))?;
    Ok(())
}
