//! projections: how far each projection is behind the event store head, failed rebuilds, and
//! projections that stopped moving while events keep arriving. SKIP where rehab's event store is not there
//! (see [`unavailable`]).

use anyhow::Result;
use chrono::{DateTime, Utc};
use postgres::Client;

use super::{CheckCtx, CheckResult, Outcome, Status, human_secs, join, list, worst};

/// The newest event: its position (the head) and when it was recorded.
struct Head {
    position: i64,
    recorded_at: Option<DateTime<Utc>>,
}

struct Projection {
    name: String,
    last_position: i64,
    state: String,
    last_error: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    target: Option<i64>,
}

/// The SKIP to report when the projection checks cannot run here, or `None` when they can. This is the one
/// place that decides what "rehab's schema" is: a database is rehab's when `event_store.events` (V1) exists.
/// Without it (an empty database, someone else's tables) there is no event store to measure against; with it
/// but without `projections.projection_versions` (V2) the migrations stopped part way.
fn unavailable(client: &mut Client) -> Result<Option<Outcome>> {
    let row = client.query_one(
        "SELECT to_regclass('event_store.events') IS NOT NULL,
                to_regclass('projections.projection_versions') IS NOT NULL",
        &[],
    )?;
    let (events, checkpoints): (bool, bool) = (row.get(0), row.get(1));
    Ok(if !events {
        Some(Outcome::skip("no event store in this database"))
    } else if !checkpoints {
        Some(Outcome::skip(
            "the event store has no projections.projection_versions yet: a migration is pending (see migrations/pending)",
        ))
    } else {
        None
    })
}

/// The newest event. The primary-key index answers this with a few page reads, whatever the table's size.
fn head(client: &mut Client) -> Result<Head> {
    let row = client.query_opt(
        "SELECT global_position, recorded_at FROM event_store.events ORDER BY global_position DESC LIMIT 1",
        &[],
    )?;
    Ok(row.map_or(Head { position: 0, recorded_at: None }, |r| Head { position: r.get(0), recorded_at: r.get(1) }))
}

fn projections(client: &mut Client) -> Result<Vec<Projection>> {
    let rows = client.query(
        "SELECT projection_name, last_position, rebuild_state::text, last_error, last_error_at, updated_at,
                rebuild_target_position
           FROM projections.projection_versions ORDER BY projection_name",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| Projection {
            name: r.get(0),
            last_position: r.get(1),
            state: r.get(2),
            last_error: r.get(3),
            last_error_at: r.get(4),
            updated_at: r.get(5),
            target: r.get(6),
        })
        .collect())
}

pub fn lag(ctx: &mut CheckCtx) -> CheckResult {
    let (warn, fail) = (ctx.limits.projection_lag_warn, ctx.limits.projection_lag_fail);
    let client = ctx.client()?;
    if let Some(skip) = unavailable(client)? {
        return Ok(skip);
    }
    let (head, projections) = (head(client)?, projections(client)?);
    if projections.is_empty() {
        return Ok(Outcome::ok(format!("no projection registered yet; event store head at {}", head.position)));
    }
    let mut status = Status::Ok;
    let mut behind = Vec::new();
    let mut max_lag = 0;
    for p in &projections {
        let lag = (head.position - p.last_position).max(0);
        max_lag = max_lag.max(lag);
        let mut this = if lag > fail {
            Status::Fail
        } else if lag > warn {
            Status::Warn
        } else {
            continue;
        };
        // A rebuild replays from 0: being far behind is its normal state, not a failure.
        if p.state == "rebuilding" {
            this = Status::Warn;
        }
        status = worst(status, this);
        let note = if p.state == "rebuilding" { ", rebuilding" } else { "" };
        behind.push(format!("{} {lag} events behind{note}", p.name));
    }
    Ok(if behind.is_empty() {
        Outcome::ok(format!(
            "{} projections, at most {max_lag} events behind the head ({})",
            projections.len(),
            head.position
        ))
    } else {
        Outcome::new(
            status,
            format!("{} (head {}; WARN above {warn}, FAIL above {fail})", list(&behind, 5), head.position),
            "check that the projectors are running and keeping up (projections.projection_lag shows the same figures)",
        )
        .with_objects(behind)
    })
}

pub fn rebuilds(ctx: &mut CheckCtx) -> CheckResult {
    let client = ctx.client()?;
    if let Some(skip) = unavailable(client)? {
        return Ok(skip);
    }
    // Only the checkpoint table: a failed rebuild must show even while the event store is locked.
    let projections = projections(client)?;
    let failed: Vec<String> = projections
        .iter()
        .filter(|p| p.state == "failed")
        .map(|p| {
            let at = p.last_error_at.map(|t| format!(" at {}", t.format("%Y-%m-%d %H:%M:%S UTC"))).unwrap_or_default();
            format!("{} failed{at}: {}", p.name, p.last_error.as_deref().unwrap_or("no error recorded"))
        })
        .collect();
    if !failed.is_empty() {
        return Ok(Outcome::new(
            Status::Fail,
            list(&failed, 3),
            "fix the cause in the projector, then start the rebuild again (rebuild_state = 'rebuilding')",
        )
        .with_objects(failed));
    }
    let running: Vec<String> = projections
        .iter()
        .filter(|p| p.state == "rebuilding")
        .map(|p| match p.target {
            Some(t) if t > 0 => format!("{} rebuilding ({:.0}%)", p.name, p.last_position as f64 * 100.0 / t as f64),
            _ => format!("{} rebuilding", p.name),
        })
        .collect();
    Ok(Outcome::ok(if running.is_empty() {
        format!("no failed rebuild ({} projections)", projections.len())
    } else {
        // Progress, not a fault: every running rebuild is shown.
        join(&running)
    }))
}

pub fn stalled(ctx: &mut CheckCtx) -> CheckResult {
    let stall = ctx.limits.projection_stall_secs as f64;
    let client = ctx.client()?;
    if let Some(skip) = unavailable(client)? {
        return Ok(skip);
    }
    let (head, projections) = (head(client)?, projections(client)?);
    let Some(newest) = head.recorded_at else { return Ok(Outcome::ok("no event recorded yet")) };
    let stuck: Vec<String> = projections
        .iter()
        .filter(|p| p.last_position < head.position)
        .filter_map(|p| {
            let gap = (newest - p.updated_at).num_milliseconds() as f64 / 1000.0;
            (gap > stall).then(|| {
                format!(
                    "{} last moved {} before the newest event, {} events behind",
                    p.name,
                    human_secs(gap),
                    head.position - p.last_position
                )
            })
        })
        .collect();
    Ok(if stuck.is_empty() {
        Outcome::ok(format!("every lagging projection moved within {} of the newest event", human_secs(stall)))
    } else {
        Outcome::new(
            Status::Warn,
            list(&stuck, 5),
            "the projector has stopped while events arrive: check its process and projections.projection_versions.last_error",
        )
        .with_objects(stuck)
    })
}
