//! `rehab check`: lint the scripts, prove the down scripts in a scratch database, compare the target for drift.
//! The parts live in `crate::check`; this file decides which run, and the exit verdict.

use anyhow::Result;

use postgres::Client;
use postgres::error::SqlState;

use crate::check::{self, CheckReport, Finding, ProofStatus, Severity, Summary};
use crate::cli::CheckArgs;
use crate::ctx::Ctx;
use crate::db::error::{DbError, sqlstate_of};
use crate::error::CliError;
use crate::migrations::MigrationCatalog;
use crate::migrations::history::{self, AppliedMigration};

pub fn run(ctx: &Ctx, args: &CheckArgs) -> Result<CheckReport> {
    let loaded = check::lint::load(ctx.settings.migrations_dir.as_deref())?;
    let catalog = loaded.catalog;
    ctx.note_unbuilt(&catalog);
    let needs_server = args.pending || args.all || args.drift;
    let mut client = if args.lint_only {
        None
    } else {
        match ctx.connect() {
            Ok(client) => Some(client),
            // The target does not exist yet (a CI job before `setup`): nothing is applied there, and the
            // proof's scratch database lives on the same server.
            Err(e) if sqlstate_of(&e) == Some(SqlState::INVALID_CATALOG_NAME.code()) && args.drift => {
                return Err(e.context(format!(
                    "cannot look for drift in {}: the database does not exist (`rehab setup` creates it)",
                    ctx.settings.conn.redacted()
                )));
            }
            Err(e) if sqlstate_of(&e) == Some(SqlState::INVALID_CATALOG_NAME.code()) => {
                ctx.out().status(&format!(
                    "{} does not exist yet: every migration counts as pending",
                    ctx.settings.conn.redacted()
                ));
                return finish(ctx, args, &catalog, loaded.findings, None, Some(&[]));
            }
            // Only a server that could not be reached leaves a lint-only run; one that answered and refused
            // (a transaction pooler, a bad password) is an error to fix.
            Err(e) if needs_server || e.downcast_ref::<DbError>().is_none_or(|db| db.sqlstate.is_some()) => {
                return Err(e);
            }
            Err(e) => {
                ctx.out().status(&format!(
                    "lint only: {e} (pass --all, --pending or --drift to require a server, --lint-only to not try)"
                ));
                None
            }
        }
    };
    let applied = match client.as_mut() {
        Some(c) => Some(history::applied(c)?),
        None => None,
    };
    finish(ctx, args, &catalog, loaded.findings, client, applied.as_deref())
}

/// Lints, then proves and compares as the flags ask; `applied` is the target's history, `None` when no server
/// was reached (then nothing is proved), read through `target`, which drift reuses.
fn finish(
    ctx: &Ctx,
    args: &CheckArgs,
    catalog: &MigrationCatalog,
    load_findings: Vec<Finding>,
    target: Option<Client>,
    applied: Option<&[AppliedMigration]>,
) -> Result<CheckReport> {
    let lint = check::lint::lint(catalog, applied, load_findings);
    for u in &lint.unparsed {
        ctx.out().detail(&format!(
            "{}:{}:{}: not parsed, so only the word-level rules checked it: {}",
            u.file, u.line, u.column, u.reason
        ));
    }
    // Dropped when the proof and drift are done (their scratch databases gone): the roles they created.
    let _roles = if applied.is_some() && (!args.no_proof || args.drift) {
        check::roles::CreatedRoles::watch(ctx, catalog)
    } else {
        None
    };
    let proof = match applied {
        Some(_) if args.no_proof => None,
        Some(applied) => {
            let after = if args.pending { applied.iter().map(|a| a.version).max() } else { None };
            Some(check::proof::prove(ctx, catalog, after, args.verify_snapshots)?)
        }
        None => None,
    };
    let drift = match (args.drift, target, applied) {
        (true, Some(target), Some(applied)) => Some(check::drift::drift(ctx, catalog, target, applied)?),
        _ => None,
    };
    let findings = lint.findings;
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        files: catalog.migrations.iter().map(|m| 1 + usize::from(m.down.is_some())).sum(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        suppressed: lint.suppressed,
        unparsed: lint.unparsed.len(),
        proved: proof.as_ref().map_or(0, Vec::len),
        proof_failures: proof.as_ref().map_or(0, |p| p.iter().filter(|e| e.status != ProofStatus::Ok).count()),
        drifted: drift.as_ref().map_or(0, Vec::len),
    };
    Ok(CheckReport { findings, proof, drift, summary })
}

/// Exit 3 when the check found an error (any finding with `--strict`), a failed proof or drift.
pub fn verdict(report: &CheckReport, args: &CheckArgs) -> Result<()> {
    let s = &report.summary;
    let findings = if args.strict { s.errors + s.warnings } else { s.errors };
    if findings + s.proof_failures + s.drifted == 0 {
        return Ok(());
    }
    let counted = if args.strict { "finding(s)" } else { "error finding(s)" };
    Err(CliError::check_failed(format!(
        "check failed: {findings} {counted}, {} proof failure(s), {} drifted object(s)",
        s.proof_failures, s.drifted
    ))
    .with_hint(
        "fix what the report lists (each finding names its fix), or suppress a finding that is safe with \
         `-- rehab:allow RULE reason` on the line before the statement",
    )
    .into())
}
