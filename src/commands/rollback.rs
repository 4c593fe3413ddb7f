//! `rehab rollback`: undo applied migrations with their down scripts, all or nothing, under the lock.

use anyhow::Result;
use serde::Serialize;

use super::guard::{self, Ask};
use crate::cli::RollbackArgs;
use crate::ctx::Ctx;
use crate::migrations::rollback::{self, RollbackOptions, RollbackTarget, UndoneStep};
use crate::output::progress;

#[derive(Debug, Serialize)]
pub struct RollbackReport {
    pub database: String,
    pub dry_run: bool,
    /// Newest first.
    pub undone: Vec<UndoneStep>,
    /// How many transactions the run used (more than one when a no-transaction down script split it).
    pub transactions: usize,
    /// The newest applied version after the run (unchanged by a dry run).
    pub current_version: Option<i32>,
}

pub fn run(ctx: &Ctx, args: &RollbackArgs) -> Result<RollbackReport> {
    let catalog = ctx.settings.catalog()?;
    let mut client = ctx.connect()?;
    let target = match (args.all, args.to, args.steps) {
        (true, _, _) => RollbackTarget::All,
        (false, Some(v), _) => RollbackTarget::To(v),
        (false, None, n) => RollbackTarget::Steps(n.unwrap_or(1)),
    };
    if !args.dry_run {
        guard::destructive(ctx, &mut client, "roll back", args.allow_protected)?;
        // Planned here only to ask about it; `rollback` plans again under the lock, which is what counts.
        let (todo, _) = rollback::plan(&mut client, &catalog, target)?;
        if !todo.is_empty() {
            let list = todo.iter().map(|m| format!("V{} {}", m.version, m.name)).collect::<Vec<_>>().join(", ");
            guard::confirm(
                ctx,
                "roll back",
                &format!(
                    "Undo {list} in {}? Their down scripts drop what those migrations created, data included.",
                    ctx.settings.conn.redacted()
                ),
                Ask::YesNo,
            )?;
        }
    }
    let opts = RollbackOptions { target, dry_run: args.dry_run, lock_timeout: ctx.settings.lock_timeout };
    let bar = progress::steps(ctx.out(), catalog.migrations.len());
    let out = *ctx.out();
    let mut on_start = |m: &crate::migrations::Migration, i: usize, total: usize| {
        progress::step(&bar, i, total, format!("V{} {}", m.version, m.name));
        if m.down.as_ref().is_some_and(|d| d.no_transaction) {
            bar.suspend(|| {
                out.status(&format!(
                    "V{} {}: down script marked no-transaction: {}",
                    m.version,
                    m.name,
                    if args.dry_run {
                        "skipped by the dry run (it cannot run inside its transaction)"
                    } else {
                        "committing what ran before it and running it statement by statement outside a transaction"
                    }
                ));
            });
        }
    };
    let result = rollback::rollback(&mut client, &catalog, &opts, &mut on_start);
    bar.finish_and_clear();
    let rollback::RolledBack { steps: undone, current_version } = result?;
    let transactions = undone.iter().filter_map(|s| s.transaction).max().unwrap_or(0);
    Ok(RollbackReport {
        database: ctx.settings.conn.redacted(),
        dry_run: args.dry_run,
        undone,
        transactions,
        current_version,
    })
}
