//! `rehab check`: lint the scripts, prove the down scripts in a scratch database, compare the target for drift.
//! Skeleton (issue 12): the report, the flags' meaning and the exit code; the parts live in `crate::check`.

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

use crate::check::{self, DriftEntry, Finding, ProofEntry, Severity};
use crate::cli::CheckArgs;
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::migrations::history;
use crate::output::Report;

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
    /// Null when no proof ran (`--lint-only`, or no server answered).
    pub proof: Option<Vec<ProofEntry>>,
    /// Null without `--drift`.
    pub drift: Option<Vec<DriftEntry>>,
    pub summary: Summary,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub proved: usize,
    pub proof_failures: usize,
    pub drifted: usize,
}

pub fn run(ctx: &Ctx, args: &CheckArgs) -> Result<CheckReport> {
    let catalog = ctx.settings.catalog()?;
    let needs_server = args.pending || args.all || args.drift;
    let mut client = if args.lint_only {
        None
    } else {
        match ctx.connect() {
            Ok(client) => Some(client),
            Err(e) if needs_server => return Err(e),
            Err(_) => {
                ctx.out().status("no server answered: lint only (pass --all, --pending or --drift to require one)");
                None
            }
        }
    };
    let applied = match client.as_mut() {
        Some(c) => Some(history::applied(c)?),
        None => None,
    };
    let findings = check::lint::lint(&catalog, applied.as_deref());
    let proof = match (&client, &applied) {
        (Some(_), Some(applied)) => {
            let after = if args.pending { applied.iter().map(|a| a.version).max() } else { None };
            Some(check::proof::prove(ctx, &catalog, after)?)
        }
        _ => None,
    };
    let drift = if args.drift { Some(check::drift::drift(ctx, &catalog)?) } else { None };
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        files: catalog.migrations.iter().map(|m| 1 + usize::from(m.down.is_some())).sum(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        proved: proof.as_ref().map_or(0, Vec::len),
        proof_failures: proof.as_ref().map_or(0, |p| p.iter().filter(|e| e.status != check::ProofStatus::Ok).count()),
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
    Err(CliError::check_failed(format!(
        "{findings} finding(s), {} proof failure(s), {} drifted object(s)",
        s.proof_failures, s.drifted
    ))
    .into())
}

impl Report for CheckReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        for f in &self.findings {
            writeln!(out, "{}:{}:{}: {:?} [{}] {}", f.file, f.line, f.column, f.severity, f.rule, f.message)?;
        }
        Ok(())
    }
}
