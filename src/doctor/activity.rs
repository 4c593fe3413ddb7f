//! activity: connection slots, and the sessions of this database that hurt others (long queries, idle
//! transactions, lock waits, forgotten prepared transactions). Only `connections` looks at the whole
//! server: slots are shared; the rest is scoped to the current database, the one rehab is responsible for.

use super::{CheckCtx, CheckResult, Outcome, Status, human_secs, list};

pub fn connections(ctx: &mut CheckCtx) -> CheckResult {
    let (warn, fail) = (ctx.limits.connections_warn_pct, ctx.limits.connections_fail_pct);
    let row = ctx.client()?.query_one(
        "SELECT count(*) FILTER (WHERE backend_type = 'client backend'),
                current_setting('max_connections')::int8,
                coalesce((SELECT string_agg(datname || ' ' || n, ', ' ORDER BY n DESC) FROM (
                    SELECT datname::text, count(*) AS n FROM pg_stat_activity
                     WHERE backend_type = 'client backend' AND datname IS NOT NULL
                     GROUP BY 1 ORDER BY 2 DESC LIMIT 3) top), '')
           FROM pg_stat_activity",
        &[],
    )?;
    let (used, max, top): (i64, i64, String) = (row.get(0), row.get(1), row.get(2));
    let pct = used as f64 * 100.0 / max.max(1) as f64;
    let detail = format!("{used} of max_connections {max} in use ({pct:.0}%); most: {top}");
    let status = Status::by_threshold(pct, warn, fail);
    Ok(Outcome::new(
        status,
        detail,
        "use a connection pooler (PgBouncer) or smaller application pools; raise max_connections only with memory to match",
    ))
}

/// Sessions of this database other than doctor's own, matching `filter`, older than `secs` by `since`.
fn sessions(ctx: &mut CheckCtx, filter: &str, since: &str, secs: u64) -> anyhow::Result<Vec<String>> {
    let sql = format!(
        "SELECT pid, coalesce(nullif(application_name, ''), 'no application_name'),
                extract(epoch FROM now() - {since})::float8, left(regexp_replace(query, '\\s+', ' ', 'g'), 60)
           FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            AND {filter} AND now() - {since} >= make_interval(secs => $1)
          ORDER BY {since}"
    );
    let rows = ctx.client()?.query(&sql, &[&(secs as f64)])?;
    Ok(rows
        .iter()
        .map(|r| {
            let (pid, app, age, query): (i32, String, f64, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
            format!("pid {pid} ({app}) for {}: {query}", human_secs(age))
        })
        .collect())
}

pub fn long_queries(ctx: &mut CheckCtx) -> CheckResult {
    let secs = ctx.limits.long_query_secs;
    let found = sessions(ctx, "state = 'active'", "query_start", secs)?;
    Ok(if found.is_empty() {
        Outcome::ok(format!("none running longer than {}", human_secs(secs as f64)))
    } else {
        Outcome::new(
            Status::Warn,
            format!("{} running longer than {}: {}", found.len(), human_secs(secs as f64), list(&found, 3)),
            "SELECT pg_cancel_backend(<pid>) if it should not run that long; set statement_timeout for the role",
        )
        .with_objects(found)
    })
}

pub fn idle_in_transaction(ctx: &mut CheckCtx) -> CheckResult {
    let secs = ctx.limits.idle_in_transaction_secs;
    let found = sessions(ctx, "state LIKE 'idle in transaction%'", "state_change", secs)?;
    Ok(if found.is_empty() {
        Outcome::ok(format!("none idle in a transaction longer than {}", human_secs(secs as f64)))
    } else {
        Outcome::new(
            Status::Warn,
            format!(
                "{} idle in a transaction longer than {}: {}",
                found.len(),
                human_secs(secs as f64),
                list(&found, 3)
            ),
            "they hold locks and stop vacuum: SELECT pg_terminate_backend(<pid>); set idle_in_transaction_session_timeout",
        )
        .with_objects(found)
    })
}

pub fn blocked_sessions(ctx: &mut CheckCtx) -> CheckResult {
    let secs = ctx.limits.blocked_secs;
    // Only sessions waiting on a lock call pg_blocking_pids (it inspects the lock manager).
    let rows = ctx.client()?.query(
        "WITH waiting AS (
             SELECT pid, coalesce(nullif(application_name, ''), 'no application_name') AS app, query_start,
                    left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS query
               FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
                AND now() - query_start >= make_interval(secs => $1))
         SELECT w.pid, w.app, extract(epoch FROM now() - w.query_start)::float8, w.query,
                coalesce((SELECT string_agg(b.pid || ' (' || coalesce(nullif(b.application_name, ''), 'no application_name')
                                            || ', ' || coalesce(b.state, '?') || ')', ', ')
                            FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(w.pid))), 'unknown')
           FROM waiting w ORDER BY w.query_start",
        &[&(secs as f64)],
    )?;
    if rows.is_empty() {
        return Ok(Outcome::ok(format!("no session waiting on a lock longer than {}", human_secs(secs as f64))));
    }
    let found: Vec<String> = rows
        .iter()
        .map(|r| {
            let (pid, app, age, query, by): (i32, String, f64, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
            format!("pid {pid} ({app}) waiting {} on `{query}`, blocked by pid {by}", human_secs(age))
        })
        .collect();
    Ok(Outcome::new(
        Status::Warn,
        format!("{} blocked: {}", found.len(), list(&found, 3)),
        "end the blocking transaction (COMMIT/ROLLBACK in its client, or SELECT pg_terminate_backend(<blocking pid>))",
    )
    .with_objects(found))
}

pub fn prepared_transactions(ctx: &mut CheckCtx) -> CheckResult {
    let secs = ctx.limits.prepared_xact_secs;
    let rows = ctx.client()?.query(
        "SELECT gid, owner::text, extract(epoch FROM now() - prepared)::float8
           FROM pg_prepared_xacts
          WHERE database = current_database() AND now() - prepared >= make_interval(secs => $1)
          ORDER BY prepared",
        &[&(secs as f64)],
    )?;
    if rows.is_empty() {
        return Ok(Outcome::ok(format!("none older than {}", human_secs(secs as f64))));
    }
    let found: Vec<String> = rows
        .iter()
        .map(|r| format!("'{}' by {} for {}", r.get::<_, String>(0), r.get::<_, String>(1), human_secs(r.get(2))))
        .collect();
    Ok(Outcome::new(
        Status::Warn,
        format!("{} prepared transactions: {}", found.len(), list(&found, 3)),
        "they hold locks and stop vacuum until resolved: COMMIT PREPARED '<gid>' or ROLLBACK PREPARED '<gid>'",
    )
    .with_objects(found))
}
