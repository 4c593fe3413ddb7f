//! migrations: the history table compared with the catalog (read-only), and who holds the migration lock.

use super::{CheckCtx, CheckResult, Outcome, Status, list};
use crate::db::lock;
use crate::migrations::history::{self, HISTORY_TABLE, MigrationState, MigrationStatus};

fn in_state(all: &[MigrationStatus], states: &[MigrationState]) -> Vec<String> {
    all.iter()
        .filter(|s| states.contains(&s.state))
        .map(|s| {
            let mut text = format!("V{} {}", s.version, s.name);
            if s.state == MigrationState::OutOfOrder {
                text.push_str(" (out of order: below the newest applied version)");
            }
            if let Some(d) = &s.detail {
                text.push_str(&format!(": {d}"));
            }
            text
        })
        .collect()
}

pub fn history_table(ctx: &mut CheckCtx) -> CheckResult {
    Ok(if history::table_exists(ctx.client()?)? {
        Outcome::ok(format!("{HISTORY_TABLE} present"))
    } else {
        Outcome::new(
            Status::Fail,
            format!("{HISTORY_TABLE} does not exist: no migration was ever applied here"),
            "run `rehab setup`",
        )
    })
}

pub fn pending(ctx: &mut CheckCtx) -> CheckResult {
    let found = in_state(ctx.statuses()?, &[MigrationState::Pending, MigrationState::OutOfOrder]);
    Ok(if found.is_empty() {
        Outcome::ok(format!("none pending ({} known)", ctx.catalog()?.migrations.len()))
    } else {
        Outcome::new(
            Status::Fail,
            format!("{} not applied: {}", found.len(), list(&found, 5)),
            "run `rehab migrate` (an out-of-order one needs a version above the newest applied)",
        )
        .with_objects(found)
    })
}

pub fn divergent(ctx: &mut CheckCtx) -> CheckResult {
    let found = in_state(ctx.statuses()?, &[MigrationState::Divergent]);
    Ok(if found.is_empty() {
        Outcome::ok("every applied migration matches its file")
    } else {
        Outcome::new(
            Status::Fail,
            format!("{} edited after they were applied: {}", found.len(), list(&found, 3)),
            "restore the applied file as it was (git checkout) and put the change in a new migration",
        )
        .with_objects(found)
    })
}

pub fn missing(ctx: &mut CheckCtx) -> CheckResult {
    let found = in_state(ctx.statuses()?, &[MigrationState::Missing]);
    let source = ctx.catalog()?.source.to_string();
    Ok(if found.is_empty() {
        Outcome::ok(format!("every applied migration is in {source}"))
    } else {
        Outcome::new(
            Status::Fail,
            format!("{} applied but unknown here: {}", found.len(), list(&found, 3)),
            "use the rehab build (or --migrations folder) that applied them, or restore the files",
        )
        .with_objects(found)
    })
}

pub fn lock(ctx: &mut CheckCtx) -> CheckResult {
    Ok(match lock::holder(ctx.client()?)? {
        None => Outcome::ok("not held"),
        Some(h) => Outcome::new(
            Status::Warn,
            format!("held by {h}"),
            format!(
                "a migration command is running; if it is stuck: SELECT pg_terminate_backend({}) (the lock goes with the session)",
                h.pid
            ),
        )
        .with_objects(vec![h.to_string()]),
    })
}
