//! Lint: parses every script and applies the rules (skeleton; issue 12).

use super::Finding;
use crate::migrations::MigrationCatalog;
use crate::migrations::history::AppliedMigration;

/// Every finding in the catalog's scripts, in file and line order. `applied` is the target's
/// history when a server was reached, for the rule about edited applied files.
#[must_use]
pub fn lint(catalog: &MigrationCatalog, applied: Option<&[AppliedMigration]>) -> Vec<Finding> {
    let _ = (catalog, applied);
    Vec::new()
}
