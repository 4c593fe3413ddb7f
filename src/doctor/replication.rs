//! replication: replicas and their lag, replication slots and the WAL they keep. SKIP when there are none.
//! The detail lists every replica and slot (the server's `max_wal_senders` and `max_replication_slots`
//! keep that short); `objects` holds only the ones at fault.

use super::{CheckCtx, CheckResult, Outcome, Status, human_bytes, human_secs, join, worst};

pub fn replicas(ctx: &mut CheckCtx) -> CheckResult {
    let warn = ctx.limits.replica_lag_warn_secs;
    let client = ctx.client()?;
    let standby: bool = client.query_one("SELECT pg_is_in_recovery()", &[])?.get(0);
    if standby {
        let delay: Option<f64> =
            client.query_one("SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8", &[])?.get(0);
        let detail = match delay {
            Some(d) => format!("this server is a standby; last replayed transaction committed {} ago", human_secs(d)),
            None => "this server is a standby; nothing replayed yet".to_string(),
        };
        return Ok(Outcome::ok(detail));
    }
    let rows = client.query(
        "SELECT coalesce(nullif(application_name, ''), host(client_addr), 'replica'), coalesce(state, '?'),
                extract(epoch FROM replay_lag)::float8,
                pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8
           FROM pg_stat_replication ORDER BY 1",
        &[],
    )?;
    if rows.is_empty() {
        return Ok(Outcome::skip("no replica connected"));
    }
    let mut found = Vec::new();
    let mut behind = Vec::new();
    for r in &rows {
        let (name, state, lag, bytes): (String, String, Option<f64>, Option<f64>) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let text = format!(
            "{name} {state}, replay lag {} ({} behind)",
            lag.map_or_else(|| "none".into(), human_secs),
            human_bytes(bytes.unwrap_or(0.0))
        );
        if state != "streaming" || lag.is_some_and(|l| l > warn) {
            behind.push(text.clone());
        }
        found.push(text);
    }
    let status = if behind.is_empty() { Status::Ok } else { Status::Warn };
    Ok(Outcome::new(status, join(&found), "check the replica's network and load (pg_stat_replication on the primary)")
        .with_objects(behind))
}

pub fn slots(ctx: &mut CheckCtx) -> CheckResult {
    let rows = ctx.client()?.query(
        "SELECT slot_name::text, slot_type, active, coalesce(wal_status, '?'),
                CASE WHEN pg_is_in_recovery() OR restart_lsn IS NULL THEN NULL
                     ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 END
           FROM pg_replication_slots ORDER BY 1",
        &[],
    )?;
    if rows.is_empty() {
        return Ok(Outcome::skip("no replication slot"));
    }
    let mut status = Status::Ok;
    let mut found = Vec::new();
    let mut at_fault = Vec::new();
    for r in &rows {
        let (name, kind, active, wal, retained): (String, String, bool, String, Option<f64>) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let text = format!(
            "{name} ({kind}) {}, wal {wal}, retains {}",
            if active { "active" } else { "inactive" },
            human_bytes(retained.unwrap_or(0.0))
        );
        let this = if wal == "lost" {
            Status::Fail
        } else if !active {
            Status::Warn
        } else {
            Status::Ok
        };
        if this != Status::Ok {
            status = worst(status, this);
            at_fault.push(text.clone());
        }
        found.push(text);
    }
    Ok(Outcome::new(
        status,
        join(&found),
        "an inactive slot keeps WAL until the disk fills: if its consumer is gone, SELECT pg_drop_replication_slot('<name>')",
    )
    .with_objects(at_fault))
}
