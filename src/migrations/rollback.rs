//! Undoes applied migrations, newest first: each `.down.sql` and the deletion of its history row, all in
//! one transaction under the migration lock, after checking every script first. refinery has no down
//! migrations (by its maintainers' choice), so this is rehab's own.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use postgres::Client;
use serde::Serialize;

use super::catalog::{IRREVERSIBLE_MARKER, Migration, MigrationCatalog, Script};
use super::history::{self, HISTORY_TABLE};
use super::sql_error::{self, ScriptError};
use super::{OnStart, split};
use crate::db::lock;
use crate::error::CliError;

/// How far back to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTarget {
    /// The newest N applied migrations.
    Steps(u32),
    /// Everything applied above this version.
    To(i32),
    All,
}

#[derive(Debug, Clone)]
pub struct RollbackOptions {
    pub target: RollbackTarget,
    pub dry_run: bool,
    pub lock_timeout: Duration,
}

/// One migration undone (or, in a dry run, undone and rolled back).
#[derive(Debug, Clone, Serialize)]
pub struct UndoneStep {
    pub version: i32,
    pub name: String,
    /// The down script that ran.
    pub file: String,
    pub no_transaction: bool,
    /// Which transaction of this run it ran in (1-based); `None` for a no-transaction script.
    pub transaction: Option<usize>,
    /// False for a no-transaction script in a dry run: it cannot run inside the dry run's transaction.
    pub ran: bool,
    /// Milliseconds; `None` when it did not run.
    pub duration_ms: Option<f64>,
}

/// What a run undid (or, in a dry run, undid and rolled back) and where the database stands afterwards.
#[derive(Debug, Clone)]
pub struct RolledBack {
    /// Newest first.
    pub steps: Vec<UndoneStep>,
    /// The newest applied version after the run (unchanged by a dry run).
    pub current_version: Option<i32>,
}

/// Undoes what `opts.target` selects and returns what ran, newest first. Reads the history once: the
/// version left follows from the plan.
pub fn rollback(
    client: &mut Client,
    catalog: &MigrationCatalog,
    opts: &RollbackOptions,
    on_start: OnStart<'_>,
) -> Result<RolledBack> {
    lock::with_lock(client, opts.lock_timeout, |client| {
        let (todo, kept) = plan(client, catalog, opts.target)?;
        let steps = run(client, &todo, opts.dry_run, on_start)?;
        // `todo` is newest first, so after a dry run its first entry is still the newest applied version.
        let current_version = if opts.dry_run { todo.first().map(|m| m.version).or(kept) } else { kept };
        Ok(RolledBack { steps, current_version })
    })
}

/// The migrations to undo, newest first, after checking that every one of them can be undone, and the
/// newest version that stays applied.
pub fn plan<'c>(
    client: &mut Client,
    catalog: &'c MigrationCatalog,
    target: RollbackTarget,
) -> Result<(Vec<&'c Migration>, Option<i32>)> {
    let applied = history::applied(client)?;
    let newest_first: Vec<i32> = applied.iter().rev().map(|a| a.version).collect();
    let listed = || newest_first.iter().rev().map(|v| format!("V{v}")).collect::<Vec<_>>().join(", ");
    let chosen: Vec<i32> = match target {
        RollbackTarget::All => newest_first.clone(),
        RollbackTarget::Steps(n) => {
            let n = n as usize;
            if n > newest_first.len() && !newest_first.is_empty() {
                return Err(CliError::usage(format!(
                    "cannot roll back {n} migrations: only {} applied ({})",
                    newest_first.len(),
                    listed()
                ))
                .with_hint("use --all to undo every applied migration")
                .into());
            }
            newest_first.iter().copied().take(n).collect()
        }
        RollbackTarget::To(v) => {
            if !newest_first.contains(&v) {
                let known = if catalog.get(v).is_some() { "known but not applied" } else { "unknown" };
                return Err(CliError::usage(format!(
                    "cannot roll back to V{v}: that version is {known}; applied: {}",
                    if newest_first.is_empty() { "none".to_string() } else { listed() }
                ))
                .with_hint("--to takes an applied version, which stays applied; `rehab show` lists them")
                .into());
            }
            newest_first.iter().copied().take_while(|x| *x > v).collect()
        }
    };
    let statuses = history::compare(catalog, &applied);
    let mut problems = Vec::new();
    for v in &chosen {
        let Some(status) = statuses.iter().find(|s| s.version == *v) else { continue };
        if status.state.is_problem() {
            problems.push(history::describe_problem(status));
            continue;
        }
        let m = catalog.get(*v).expect("an applied, non-missing version is in the catalog");
        match &m.down {
            None => problems.push(format!(
                "V{v} {}: no down script; add V{v}__{}.down.sql beside {}",
                m.name, m.name, m.up.file_name
            )),
            Some(d) if d.irreversible() => problems
                .push(format!("V{v} {}: irreversible ({} starts with `{IRREVERSIBLE_MARKER}`)", m.name, d.file_name)),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Err(CliError::failure(format!(
            "refusing to roll back; nothing was changed:\n  - {}",
            problems.join("\n  - ")
        ))
        .with_hint("roll back fewer steps (--steps, --to), add the missing down scripts, or restore edited files as they were applied")
        .into());
    }
    Ok((chosen.iter().filter_map(|v| catalog.get(*v)).collect(), newest_first.get(chosen.len()).copied()))
}

/// Runs the plan: consecutive transactional down scripts share one transaction; a no-transaction script
/// commits what ran before it and runs alone, statement by statement.
fn run(client: &mut Client, todo: &[&Migration], dry_run: bool, on_start: OnStart<'_>) -> Result<Vec<UndoneStep>> {
    let mut done: Vec<UndoneStep> = Vec::with_capacity(todo.len());
    let mut committed = 0; // how many of `done` are committed for good
    let mut transaction = 0;
    let mut in_tx = false;
    for (i, m) in todo.iter().enumerate() {
        let down = m.down.as_ref().expect("planned migrations have a down script");
        on_start(m, i, todo.len());
        if down.no_transaction {
            if dry_run {
                done.push(step(m, down, None, false, None));
                continue;
            }
            if in_tx {
                commit(client)?;
                in_tx = false;
                committed = done.len();
            }
            let started = Instant::now();
            run_down(client, m, down).map_err(|e| failed(&e, &done[..committed], dry_run))?;
            done.push(step(m, down, None, true, Some(started.elapsed())));
            committed = done.len();
            continue;
        }
        if !in_tx {
            client.batch_execute("BEGIN").context("could not start the rollback transaction")?;
            in_tx = true;
            transaction += 1;
        }
        let started = Instant::now();
        if let Err(e) = run_down(client, m, down) {
            // Ignore a second error: the first one is what the person needs, and the session ends soon.
            let _ = client.batch_execute("ROLLBACK");
            return Err(failed(&e, &done[..committed], dry_run));
        }
        done.push(step(m, down, Some(transaction), true, Some(started.elapsed())));
    }
    if in_tx {
        if dry_run {
            client.batch_execute("ROLLBACK").context("could not roll back the dry run")?;
        } else {
            commit(client)?;
        }
    }
    Ok(done)
}

fn commit(client: &mut Client) -> Result<()> {
    client
        .batch_execute("COMMIT")
        .context("could not commit the rollback (deferred constraints?); nothing of this transaction was kept")
}

/// Inside or outside the run's transaction alike. Statement by statement even inside it: the server gives
/// no position for many errors (`DROP TYPE` of a missing type), and the statement's line is then the best
/// pointer.
pub fn run_down(client: &mut Client, m: &Migration, down: &Script) -> std::result::Result<(), ScriptError> {
    split::execute_each(client, down)?;
    forget(client, m, down)
}

/// Deletes the history row of `m`.
fn forget(client: &mut Client, m: &Migration, down: &Script) -> std::result::Result<(), ScriptError> {
    client.execute(&format!("DELETE FROM {HISTORY_TABLE} WHERE version = $1"), &[&m.version]).map_err(|e| {
        let mut err = sql_error::from_postgres(down, &e, "", 1);
        err.message = format!("ran, but its history row could not be deleted: {}", err.message);
        err.line = None;
        err
    })?;
    Ok(())
}

fn step(m: &Migration, down: &Script, transaction: Option<usize>, ran: bool, took: Option<Duration>) -> UndoneStep {
    UndoneStep {
        version: m.version,
        name: m.name.clone(),
        file: down.file_name.clone(),
        no_transaction: down.no_transaction,
        transaction,
        ran,
        duration_ms: took.map(|d| d.as_secs_f64() * 1000.0),
    }
}

fn failed(e: &ScriptError, committed: &[UndoneStep], dry_run: bool) -> anyhow::Error {
    let what = if dry_run { "dry run of the rollback failed" } else { "rollback failed" };
    let mut hint = if committed.is_empty() {
        format!("nothing was changed: every migration of this run is still applied. Fix {} and try again", e.file)
    } else {
        format!(
            "undone and committed before it, because a no-transaction down script split the run: {}. The rest is still applied: fix {} and run `rehab rollback` again",
            committed.iter().map(|s| format!("V{} {}", s.version, s.name)).collect::<Vec<_>>().join(", "),
            e.file
        )
    };
    if e.partial {
        hint.push_str(&format!(
            ". {} runs outside a transaction: its statements before the failing one ran and stay, so make them idempotent (IF EXISTS)",
            e.file
        ));
    }
    CliError::failure(format!("{what}: {e}")).with_hint(hint).into()
}
