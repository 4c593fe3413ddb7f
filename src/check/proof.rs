//! Proof: each down script checked in a scratch database by up, down and up again, comparing catalog
//! snapshots: after the down the schema must be what it was before the up, and after the second up what
//! the first one built. The scripts run through rehab's own apply and rollback code, as `migrate` and
//! `rollback` run them (transactions, `-- rehab:no-transaction`, history rows), on one connection.

use std::time::Instant;

use anyhow::Result;
use postgres::Client;

use super::scratch::Scratch;
use super::snapshot::{self, Difference, Snapshot, Tracker};
use super::{Change, ProofEntry, ProofStatus};
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::interrupt;
use crate::migrations::sql_error::ScriptError;
use crate::migrations::{Migration, MigrationCatalog, apply, rollback};

/// Proves the migrations above `after` (all of them when `None`) in a scratch database on the target's server,
/// dropped afterwards. Migrations at or below `after`, and those without a usable down script (the lint
/// reports those), are applied once and not listed. A failing script ends the proof: the later migrations
/// build on it.
pub fn prove(ctx: &Ctx, catalog: &MigrationCatalog, after: Option<i32>) -> Result<Vec<ProofEntry>> {
    let checked = |m: &Migration| after.is_none_or(|a| m.version > a) && m.reversible();
    let count = catalog.migrations.iter().filter(|m| checked(m)).count();
    if count == 0 {
        let scope = after.map_or_else(String::new, |v| format!(" above V{v}, the target's version,"));
        ctx.out().status(&format!("proof: nothing to prove: no migration{scope} has a down script"));
        return Ok(Vec::new());
    }
    let started = Instant::now();
    let mut scratch = Scratch::create(ctx, "proof")?;
    let client = scratch.client();
    apply::ensure_history_table(client)?;
    let mut tracker = Tracker::start(client)?;
    let mut entries = Vec::with_capacity(count);
    // Whether scripts ran since the tracker's last step: the second up's snapshot is the next migration's
    // "before", and migrations that are only applied are caught up with in one step.
    let mut stale = false;
    for (i, m) in catalog.migrations.iter().enumerate() {
        if !checked(m) {
            stale = true;
            if let Err(e) = apply::apply_one(client, m) {
                stop_if_interrupted()?;
                entries.push(failed(m, "up", &e, Vec::new()));
                stopped(ctx, &catalog.migrations[i + 1..]);
                break;
            }
            continue;
        }
        if stale {
            tracker.step(client)?;
            stale = false;
        }
        let before = tracker.current().clone();
        let took = Instant::now();
        let proved = prove_one(client, &mut tracker, m, &before);
        // An interrupt drops the scratch database under the running script: its error is not a finding.
        stop_if_interrupted()?;
        let entry = proved?;
        ctx.out().detail(&format!(
            "proved V{} {}: {} ({} ms)",
            m.version,
            m.name,
            label(entry.status),
            took.elapsed().as_millis()
        ));
        let stop = entry.error.is_some();
        entries.push(entry);
        if stop {
            stopped(ctx, &catalog.migrations[i + 1..]);
            break;
        }
    }
    ctx.out().status(&format!(
        "proved {} of {count} down script(s) in {:.1} s",
        entries.len(),
        started.elapsed().as_secs_f64()
    ));
    Ok(entries)
}

/// Up, down, up again for one migration, from the schema `before` it; the tracker follows each script.
fn prove_one(client: &mut Client, tracker: &mut Tracker, m: &Migration, before: &Snapshot) -> Result<ProofEntry> {
    if let Err(e) = apply::apply_one(client, m) {
        return Ok(failed(m, "up", &e, Vec::new()));
    }
    let built = tracker.step(client)?.clone();
    if let Err(e) = undo(client, m) {
        return Ok(failed(m, "down", &e, Vec::new()));
    }
    let after_down = snapshot::compare(before, tracker.step(client)?);
    let mut objects: Vec<String> = after_down.iter().map(after_down_line).collect();
    let mut status = if after_down.iter().any(|d| d.change != Change::Added) {
        ProofStatus::Changed
    } else if after_down.is_empty() {
        ProofStatus::Ok
    } else {
        ProofStatus::Leftover
    };
    if let Err(e) = apply::apply_one(client, m) {
        // What the down left behind is usually why the up fails now: that stays the verdict when there is one.
        let mut entry = failed(m, "up again", &e, objects);
        if status != ProofStatus::Ok {
            entry.status = status;
        }
        return Ok(entry);
    }
    let after_redo = snapshot::compare(&built, tracker.step(client)?);
    if !after_redo.is_empty() {
        status = ProofStatus::Changed;
        objects.extend(after_redo.iter().map(after_redo_line));
    }
    Ok(ProofEntry { version: m.version, name: m.name.clone(), status, objects, error: None })
}

/// Runs the down script as `rehab rollback` does: in a transaction with the deletion of its history row,
/// or statement by statement for a no-transaction one.
fn undo(client: &mut Client, m: &Migration) -> Result<(), ScriptError> {
    let down = m.down.as_ref().expect("only reversible migrations are proved");
    if down.no_transaction {
        return rollback::run_down(client, m, down);
    }
    let connection_error = |e: &postgres::Error| ScriptError {
        file: down.file_name.clone(),
        line: None,
        message: crate::db::connect::describe(e),
        partial: false,
        sqlstate: None,
    };
    client.batch_execute("BEGIN").map_err(|e| connection_error(&e))?;
    if let Err(e) = rollback::run_down(client, m, down) {
        let _ = client.batch_execute("ROLLBACK");
        return Err(e);
    }
    client.batch_execute("COMMIT").map_err(|e| connection_error(&e))
}

/// A difference between the schema before the up and after the down, as a person reads it.
fn after_down_line(d: &Difference) -> String {
    match d.change {
        Change::Added => format!("{}: left behind by the down script", d.key),
        Change::Removed => format!("{}: missing after the down script (it existed before the up)", d.key),
        Change::Changed => format!("{}: {} (after the down script)", d.key, d.detail),
    }
}

/// A difference between what the first and the second up built.
fn after_redo_line(d: &Difference) -> String {
    match d.change {
        Change::Added => format!("{}: built by the second up only", d.key),
        Change::Removed => format!("{}: missing after the second up", d.key),
        Change::Changed => format!("{}: {} (second up against the first)", d.key, d.detail),
    }
}

fn failed(m: &Migration, stage: &str, e: &ScriptError, objects: Vec<String>) -> ProofEntry {
    let message = e.to_string();
    ProofEntry {
        version: m.version,
        name: m.name.clone(),
        status: ProofStatus::Failed,
        objects,
        error: Some(format!("{stage}: {}", message.lines().next().unwrap_or(""))),
    }
}

fn stop_if_interrupted() -> Result<()> {
    if interrupt::requested() {
        return Err(CliError::interrupted("interrupted: the proof stopped and its scratch database was dropped").into());
    }
    Ok(())
}

/// Says which migrations were not proved because an earlier one failed.
fn stopped(ctx: &Ctx, rest: &[Migration]) {
    if rest.is_empty() {
        return;
    }
    let names: Vec<String> = rest.iter().map(|m| format!("V{}", m.version)).collect();
    ctx.out().status(&format!(
        "proof stopped: {} not proved, since they build on the migration that failed",
        names.join(", ")
    ));
}

fn label(status: ProofStatus) -> &'static str {
    match status {
        ProofStatus::Ok => "ok",
        ProofStatus::Failed => "failed",
        ProofStatus::Leftover => "leftover",
        ProofStatus::Changed => "changed",
    }
}
