//! `rehab show`: every migration, known or applied, with its state. Read-only.

use anyhow::Result;
use serde::Serialize;

use crate::cli::ShowArgs;
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::migrations::history::{self, MigrationState, MigrationStatus};
use crate::seed::ledger::{self, LastRun};

#[derive(Debug, Serialize)]
pub struct ShowReport {
    pub migrations: Vec<MigrationStatus>,
    /// The newest `rehab seed` run recorded in the database, if any.
    pub seed: Option<LastRun>,
}

pub fn run(ctx: &Ctx) -> Result<ShowReport> {
    let catalog = ctx.settings.catalog()?;
    ctx.note_unbuilt(&catalog);
    let mut client = ctx.connect()?;
    let applied = history::applied(&mut client)?;
    let seed = ledger::last(&mut client)?;
    Ok(ShowReport { migrations: history::compare(&catalog, &applied), seed })
}

/// `--check`: exit 3 when anything needs attention.
pub fn check(report: &ShowReport, args: &ShowArgs) -> Result<()> {
    if !args.check {
        return Ok(());
    }
    let count = |s: MigrationState| report.migrations.iter().filter(|m| m.state == s).count();
    let pending = count(MigrationState::Pending);
    let problems = report.migrations.iter().filter(|m| m.state.is_problem()).count();
    if pending + problems == 0 {
        return Ok(());
    }
    Err(CliError::check_failed(format!("{pending} pending, {problems} divergent, missing or out of order"))
        .with_hint(if problems == 0 {
            "run `rehab migrate`"
        } else {
            "see the table above; `rehab migrate` refuses until they are fixed"
        })
        .into())
}
