//! How each command's report reads for people. Every renderer writes to the writer it is given, so the unit
//! tests render into a buffer and compare with a snapshot (squawk's reporter is the model).

pub mod check;
mod current;
mod dev;
mod doctor;
mod fleet;
mod man;
mod migrate;
mod new;
mod reset;
mod rollback;
mod seed;
mod setup;
mod show;

/// Renders `report` as people see it, into a string (no colour: the tests' stdout is not a terminal).
#[cfg(test)]
fn render(report: &impl super::Report) -> String {
    let mut buffer = Vec::new();
    report.write_human(&mut buffer).expect("writing to a Vec cannot fail");
    String::from_utf8(buffer).expect("reports are UTF-8")
}

/// A migrate report with two applied steps, one outside a transaction, for the reports that embed one.
#[cfg(test)]
fn migrate_report(dry_run: bool) -> crate::commands::migrate::MigrateReport {
    use crate::migrations::apply::AppliedStep;
    let step = |version: i32, name: &str, no_transaction: bool, ms: f64| AppliedStep {
        version,
        name: name.into(),
        file: format!("V{version}__{name}.sql"),
        no_transaction,
        duration_ms: (!dry_run).then_some(ms),
    };
    crate::commands::migrate::MigrateReport {
        database: "rehab_development".into(),
        dry_run,
        applied: vec![step(1, "event_store", false, 12.4), step(2, "indexes", true, 1530.0)],
        current_version: Some(if dry_run { 0 } else { 2 }),
    }
}
