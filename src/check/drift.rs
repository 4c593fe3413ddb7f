//! Drift: the target's catalog against a scratch database built to the target's version (skeleton; issue 12).

use anyhow::Result;

use super::DriftEntry;
use crate::ctx::Ctx;
use crate::migrations::MigrationCatalog;

/// Every object of the target database that differs from what its applied migrations build.
pub fn drift(ctx: &Ctx, catalog: &MigrationCatalog) -> Result<Vec<DriftEntry>> {
    let _ = (ctx, catalog);
    anyhow::bail!("drift is not built yet")
}
