//! Drift: the target's catalog against a scratch database built by applying exactly the migrations the
//! target's history lists, so every object added, removed or changed by hand shows, by kind and name.

use anyhow::Result;
use postgres::Client;

use super::DriftEntry;
use super::scratch::Scratch;
use super::snapshot;
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::migrations::history::{self, AppliedMigration, MigrationState};
use crate::migrations::{MigrationCatalog, apply};

/// Every object of the target database (`target`, whose history is `applied`) that differs from what its
/// applied migrations build, sorted by kind then object. Refuses a target whose history does not match the
/// catalog (divergent or missing migrations): what they built is unknown.
pub fn drift(
    ctx: &Ctx,
    catalog: &MigrationCatalog,
    mut target: Client,
    applied: &[AppliedMigration],
) -> Result<Vec<DriftEntry>> {
    let problems: Vec<String> = history::compare(catalog, applied)
        .iter()
        .filter(|s| matches!(s.state, MigrationState::Divergent | MigrationState::Missing))
        .map(history::describe_problem)
        .collect();
    if !problems.is_empty() {
        return Err(CliError::failure(format!(
            "cannot look for drift in {}: its history does not match the migrations, so what they built is unknown:\n  - {}",
            ctx.settings.conn.redacted(),
            problems.join("\n  - ")
        ))
        .with_hint("restore the applied files as they were applied, or pass the folder they came from with --migrations; `rehab show` lists every state")
        .into());
    }
    let actual = snapshot::take(&mut target)?;
    drop(target);
    let mut scratch = Scratch::create(ctx, "drift check")?;
    let client = scratch.client();
    if !applied.is_empty() {
        apply::ensure_history_table(client)?;
    }
    for a in applied {
        let m = catalog.get(a.version).expect("missing migrations were refused above");
        apply::apply_one(client, m).map_err(|e| {
            if crate::interrupt::requested() {
                return CliError::interrupted("interrupted: the drift check stopped and its scratch database was dropped");
            }
            CliError::failure(format!(
                "could not rebuild the target's schema in the scratch database: V{} {} failed there: {e}",
                m.version, m.name
            ))
            .with_hint("the migration applies on the target but not on an empty database: it depends on something made by hand; fix it in a new migration")
        })?;
    }
    let expected = snapshot::take(client)?;
    drop(scratch);
    let version = applied.last().map_or_else(|| "no migration applied".to_string(), |a| format!("V{}", a.version));
    let diffs = snapshot::compare(&expected, &actual);
    ctx.out().status(&format!("drift: {} object(s) differ from the schema at {version}", diffs.len()));
    Ok(diffs
        .into_iter()
        .map(|d| DriftEntry { kind: d.key.kind, object: d.key.name, change: d.change, detail: d.detail })
        .collect())
}
