//! `rehab doctor`: runs the health checks of `src/doctor/` in one read-only session and reports them as a
//! table (or JSON), ending with a summary. Exit 3 when a check FAILs (or WARNs under `--strict`).

use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::DoctorArgs;
use crate::ctx::Ctx;
use crate::db::error::DbError;
use crate::doctor::{self, CHECKS, CheckCtx, CheckRow, DoctorCheck, GROUPS, Link, Status};
use crate::error::CliError;

#[derive(Debug, Serialize)]
pub struct DoctorReport {
    pub checks: Vec<CheckRow>,
    pub summary: Summary,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
}

impl Summary {
    fn of(rows: &[CheckRow]) -> Self {
        let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
        Self {
            ok: count(Status::Ok),
            warn: count(Status::Warn),
            fail: count(Status::Fail),
            skip: count(Status::Skip),
            error: count(Status::Error),
        }
    }
}

/// The checks of the groups `only` names (all when empty); an unknown group is a usage error.
fn selected(only: &[String]) -> Result<Vec<&'static DoctorCheck>> {
    let only: Vec<&str> = only.iter().map(|g| g.trim()).filter(|g| !g.is_empty()).collect();
    if let Some(bad) = only.iter().find(|g| !GROUPS.contains(g)) {
        return Err(
            CliError::usage(format!("unknown doctor group `{bad}`; valid groups: {}", GROUPS.join(", "))).into()
        );
    }
    Ok(CHECKS.iter().filter(|c| only.is_empty() || only.contains(&c.group)).collect())
}

/// One session for every check: read-only, so no check can change anything even by mistake.
fn open(ctx: &Ctx) -> Link {
    let started = Instant::now();
    let connected = ctx.connect().and_then(|mut client| {
        client
            .batch_execute("SET default_transaction_read_only = on")
            .context("could not make the doctor session read-only")?;
        Ok(client)
    });
    match connected {
        Ok(client) => Link::Up { client: Box::new(client), connect_ms: started.elapsed().as_secs_f64() * 1000.0 },
        Err(e) => Link::Down(match e.downcast::<DbError>() {
            Ok(cli) => cli,
            Err(other) => DbError::new(format!("could not connect to {}: {other:#}", ctx.settings.conn.redacted())),
        }),
    }
}

pub fn run(ctx: &Ctx, args: &DoctorArgs) -> Result<DoctorReport> {
    let mut checks = selected(&args.only)?;
    let link = open(ctx);
    // Without a connection every other check SKIPs, so the reason must be in the report even when
    // --only leaves the connection group out (otherwise CI would see a green run).
    if matches!(link, Link::Down(_)) && !checks.iter().any(|c| c.group == "connection") {
        checks.insert(0, &CHECKS[0]);
    }
    let limits = ctx.settings.doctor_limits.clone();
    let mut check_ctx = CheckCtx::new(&ctx.settings, &limits, link);
    let rows = doctor::run(&mut check_ctx, &checks);
    Ok(DoctorReport { summary: Summary::of(&rows), checks: rows })
}

/// Exit 3 when something FAILs, or under `--strict` when something WARNs or could not run.
pub fn check(report: &DoctorReport, args: &DoctorArgs) -> Result<()> {
    let s = &report.summary;
    let bad = s.fail + if args.strict { s.warn + s.error } else { 0 };
    if bad == 0 {
        return Ok(());
    }
    let names: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail || (args.strict && matches!(c.status, Status::Warn | Status::Error)))
        .map(|c| format!("{}/{}", c.group, c.name))
        .collect();
    Err(CliError::check_failed(format!("doctor found problems: {}", names.join(", ")))
        .with_hint("each row above says what to do (hint column)")
        .into())
}
