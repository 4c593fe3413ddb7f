//! Proof: each down script checked in a scratch database by up, down and up again, comparing catalog
//! snapshots: after the down the schema must be what it was before the up, and after the second up what
//! the first one built. The scripts run through rehab's own apply and rollback code, as `migrate` and
//! `rollback` run them (transactions, `-- rehab:no-transaction`, history rows), on one connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Result;
use postgres::Client;

mod ranges;

use super::scratch::Scratch;
use super::snapshot::{self, Difference, Follow, Tracker};
use super::{Change, ProofEntry, ProofStatus};
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::interrupt;
use crate::migrations::batch::{self, Outcome};
use crate::migrations::catalog::Script;
use crate::migrations::sql_error::ScriptError;
use crate::migrations::{Migration, MigrationCatalog, apply, rollback};

/// Proves the migrations above `after` (all of them when `None`) in scratch databases on the target's server,
/// dropped afterwards. Migrations at or below `after`, and those without a usable down script (the lint
/// reports those), are applied once and not listed. A failing script ends the proof: the later migrations
/// build on it. A long proof is split into consecutive ranges proved side by side, each in its own scratch
/// database brought to the range's start by applying the migrations before it.
/// `verify`: compare every incremental snapshot with a full one (always so in debug builds).
pub fn prove(ctx: &Ctx, catalog: &MigrationCatalog, after: Option<i32>, verify: bool) -> Result<Vec<ProofEntry>> {
    let checked = |m: &Migration| after.is_none_or(|a| m.version > a) && m.reversible();
    let marks: Vec<bool> = catalog.migrations.iter().map(checked).collect();
    let count = marks.iter().filter(|c| **c).count();
    if count == 0 {
        let scope = after.map_or_else(String::new, |v| format!(" above V{v}, the target's version,"));
        ctx.out().status(&format!("proof: nothing to prove: no migration{scope} has a down script"));
        return Ok(Vec::new());
    }
    let started = Instant::now();
    // The census alone when asked (to rule the DDL log out when a verdict looks wrong).
    let log = snapshot::ddl_log::sees_everything(catalog) && std::env::var_os("REHAB_PROOF_NO_DDL_LOG").is_none();
    let follow = Follow { verify, log };
    let ranges = ranges::split(&marks, ranges::workers(count, catalog));
    let results: Vec<Result<Range>> = if ranges.len() == 1 {
        vec![prove_range(ctx, catalog, &marks, 0..marks.len(), &AtomicUsize::new(usize::MAX), follow)]
    } else {
        // The first migration found failing: the ranges after it stop (what they would prove is dropped).
        let failed_at = AtomicUsize::new(usize::MAX);
        std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .iter()
                .map(|range| {
                    let worker = ctx.for_worker();
                    let (marks, range, failed_at) = (&marks, range.clone(), &failed_at);
                    scope.spawn(move || prove_range(&worker, catalog, marks, range, failed_at, follow))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        })
    };
    let entries = if let Some(entries) = merge(ctx, catalog, results)? {
        entries
    } else {
        ctx.out().status(
            "proof: a migration that the proof before it applied failed to apply in a later range's own \
             scratch database; proving again from the start in one",
        );
        let again = prove_range(ctx, catalog, &marks, 0..marks.len(), &AtomicUsize::new(usize::MAX), follow);
        merge(ctx, catalog, vec![again])?.expect("a proof from the start has no migrations before it")
    };
    ctx.out().status(&format!(
        "proved {} of {count} down script(s) in {:.1} s{}",
        entries.len(),
        started.elapsed().as_secs_f64(),
        if ranges.len() > 1 { format!(" ({} scratch databases side by side)", ranges.len()) } else { String::new() }
    ));
    Ok(entries)
}

/// What one range's proof found: its entries, and where it stopped (the index of the migration after the
/// one that failed), if it did. `unreached`: a migration before the range failed to apply in its database,
/// though the range before proved it (the schema a proof leaves can differ from the one a plain apply
/// builds): what the range found is not what one proof from the start would find.
struct Range {
    entries: Vec<ProofEntry>,
    stopped_at: Option<usize>,
    unreached: bool,
}

impl Range {
    fn new(entries: Vec<ProofEntry>, stopped_at: Option<usize>) -> Self {
        Self { entries, stopped_at, unreached: false }
    }
}

/// The ranges' entries in order, up to the first failure: what a single proof from the start would list;
/// `None` when a range could not be brought to its start although no range before it stopped.
fn merge(ctx: &Ctx, catalog: &MigrationCatalog, results: Vec<Result<Range>>) -> Result<Option<Vec<ProofEntry>>> {
    let mut entries = Vec::new();
    for result in results {
        let range = with_paths(catalog, result?);
        if range.unreached {
            return Ok(None);
        }
        entries.extend(range.entries);
        if let Some(next) = range.stopped_at {
            stopped(ctx, &catalog.migrations[next..]);
            break;
        }
    }
    Ok(Some(entries))
}

/// Proves the checked migrations of `range` in a scratch database of its own, after applying every
/// migration before the range.
fn prove_range(
    ctx: &Ctx,
    catalog: &MigrationCatalog,
    checked: &[bool],
    range: std::ops::Range<usize>,
    failed_at: &AtomicUsize,
    follow: Follow,
) -> Result<Range> {
    let mut scratch = Scratch::create(ctx, "proof")?;
    let client = scratch.client();
    apply::ensure_history_table(client)?;
    let mut entries = Vec::new();
    let (start, end) = (range.start, range.end);
    let abandoned = || failed_at.load(Ordering::SeqCst) < start;
    for m in &catalog.migrations[..start] {
        stop_if_interrupted()?;
        if abandoned() {
            return Ok(Range::new(entries, None));
        }
        if up(client, m).is_err() {
            stop_if_interrupted()?;
            // The range that proves it reports it if it fails there too.
            return Ok(Range { entries, stopped_at: None, unreached: true });
        }
    }
    let mut tracker = Tracker::start(client, follow)?;
    // Whether scripts ran since the tracker's last step: the second up's snapshot is the next migration's
    // "before", and migrations that are only applied are caught up with in one step.
    let mut stale = false;
    for i in range {
        let m = &catalog.migrations[i];
        if abandoned() {
            return Ok(Range::new(entries, None));
        }
        if !checked[i] {
            stale = true;
            if let Err(e) = up(client, m) {
                stop_if_interrupted()?;
                entries.push(failed(m, "up", &e, Vec::new()));
                failed_at.fetch_min(i, Ordering::SeqCst);
                return Ok(Range::new(entries, Some(i + 1)));
            }
            continue;
        }
        if stale {
            tracker.step(client)?;
            stale = false;
        }
        let took = Instant::now();
        let proved = prove_one(client, &mut tracker, m);
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
            failed_at.fetch_min(i, Ordering::SeqCst);
            return Ok(Range::new(entries, Some(i + 1)));
        }
    }
    ctx.out().detail(&format!(
        "proof of V{first}..V{last}: {}",
        tracker.summary(),
        first = catalog.migrations[start].version,
        last = catalog.migrations[end - 1].version
    ));
    Ok(Range::new(entries, None))
}

/// Names each entry's file as the lint's findings name files (a path when the migrations come from a folder).
fn with_paths(catalog: &MigrationCatalog, mut range: Range) -> Range {
    for e in &mut range.entries {
        e.file = super::lint::display(&catalog.source, &e.file);
    }
    range
}

/// Up, down, up again for one migration, from the schema as of the tracker's last step; the tracker follows
/// each script.
fn prove_one(client: &mut Client, tracker: &mut Tracker, m: &Migration) -> Result<ProofEntry> {
    let before = tracker.mark_fresh();
    if let Err(e) = up(client, m) {
        return Ok(failed(m, "up", &e, Vec::new()));
    }
    tracker.step(client)?;
    let built = tracker.mark();
    if let Err(e) = undo(client, m) {
        return Ok(failed(m, "down", &e, Vec::new()));
    }
    tracker.step(client)?;
    let after_down = tracker.since(before)?;
    let mut objects: Vec<String> = after_down.iter().map(after_down_line).collect();
    let mut status = if after_down.iter().any(|d| d.change != Change::Added) {
        ProofStatus::Changed
    } else if after_down.is_empty() {
        ProofStatus::Ok
    } else {
        ProofStatus::Leftover
    };
    if let Err(e) = up(client, m) {
        // What the down left behind is usually why the up fails now: that stays the verdict when there is one.
        let mut entry = failed(m, "up again", &e, objects);
        if status != ProofStatus::Ok {
            // The verdict is the down script's, so is the file it points at.
            entry.status = status;
            entry.file = m.down.as_ref().map_or_else(String::new, |d| d.file_name.clone());
            entry.line = 1;
        }
        return Ok(entry);
    }
    tracker.step(client)?;
    let after_redo = tracker.since(built)?;
    if !after_redo.is_empty() {
        status = ProofStatus::Changed;
        objects.extend(after_redo.iter().map(after_redo_line));
    }
    let file = m.down.as_ref().map_or_else(String::new, |d| d.file_name.clone());
    Ok(ProofEntry { version: m.version, name: m.name.clone(), status, objects, error: None, file, line: 1 })
}

/// Applies `m` as `rehab migrate` does (in one round trip when it can: [`batch`]).
fn up(client: &mut Client, m: &Migration) -> Result<(), ScriptError> {
    match batch::apply(client, m) {
        Outcome::Done => Ok(()),
        Outcome::Unsuited => apply::apply_one(client, m),
        Outcome::Failed(failed) => failed.settle(client, &m.up, |c| apply::apply_one(c, m)),
    }
}

/// Runs the down script as `rehab rollback` does: in a transaction with the deletion of its history row
/// (in one round trip when it can), or statement by statement for a no-transaction one.
fn undo(client: &mut Client, m: &Migration) -> Result<(), ScriptError> {
    let down = m.down.as_ref().expect("only reversible migrations are proved");
    match batch::undo(client, m) {
        Outcome::Done => Ok(()),
        Outcome::Unsuited => undo_each(client, m, down),
        Outcome::Failed(failed) => failed.settle(client, down, |c| undo_each(c, m, down)),
    }
}

/// The down script statement by statement, in a transaction unless it is a no-transaction one.
fn undo_each(client: &mut Client, m: &Migration, down: &Script) -> Result<(), ScriptError> {
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
        file: e.file.clone(),
        line: e.line.unwrap_or(1),
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
