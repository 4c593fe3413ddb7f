//! `rehab check`: lint the scripts, prove the down scripts in a scratch database, compare the target for drift.
//! The parts live in `crate::check`; this file decides which run, and the exit verdict.

use std::io::{self, Write};

use anyhow::Result;

use crate::check::{self, CheckReport, ProofStatus, Severity, Summary};
use crate::cli::{CheckArgs, Format};
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::migrations::history;
use crate::output::{Report, check as render};

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
    let lint = check::lint::lint(&catalog, applied.as_deref(), loaded.findings);
    for u in &lint.unparsed {
        ctx.out().detail(&format!(
            "{}:{}:{}: not parsed, so only the word-level rules checked it: {}",
            u.file, u.line, u.column, u.reason
        ));
    }
    let proof = match (&client, &applied) {
        (Some(_), Some(applied)) => {
            let after = if args.pending { applied.iter().map(|a| a.version).max() } else { None };
            Some(check::proof::prove(ctx, &catalog, after)?)
        }
        _ => None,
    };
    let drift = if args.drift { Some(check::drift::drift(ctx, &catalog)?) } else { None };
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

impl Report for CheckReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        render::write_table(self, out)
    }

    fn write_annotations(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Sarif => render::write_sarif(self, out),
            _ => render::write_github(self, out),
        }
    }
}
