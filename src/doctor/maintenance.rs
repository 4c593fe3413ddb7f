//! maintenance: transaction-ID wraparound, vacuum state of the largest tables, cache hit ratio and sizes,
//! all from statistics views and `pg_class` estimates (nothing scans a user table), and the scratch databases
//! `rehab check` left behind.

use chrono::{DateTime, Utc};

use super::{CheckCtx, CheckResult, Outcome, Status, human_bytes, human_secs, join, worst};

pub fn wraparound(ctx: &mut CheckCtx) -> CheckResult {
    let (warn, fail) = (ctx.limits.wraparound_warn_pct, ctx.limits.wraparound_fail_pct);
    let row = ctx.client()?.query_one(
        "SELECT age(datfrozenxid)::int8, current_setting('autovacuum_freeze_max_age')::int8
           FROM pg_database WHERE datname = current_database()",
        &[],
    )?;
    let (age, max): (i64, i64) = (row.get(0), row.get(1));
    let pct = age as f64 * 100.0 / max.max(1) as f64;
    let status = Status::by_threshold(pct, warn, fail);
    Ok(Outcome::new(
        status,
        format!(
            "oldest unfrozen transaction ID is {age} transactions old, {pct:.1}% of autovacuum_freeze_max_age ({max})"
        ),
        "VACUUM (FREEZE, VERBOSE) the oldest tables; look for long transactions, prepared transactions and inactive replication slots holding the xmin horizon",
    ))
}

fn when(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    t.map_or_else(|| "never".into(), |t| format!("{} ago", human_secs((now - t).num_seconds() as f64)))
}

/// Dead-tuple ratio and last (auto)vacuum/analyze of the largest tables (by `pg_class.relpages`).
pub fn vacuum(ctx: &mut CheckCtx) -> CheckResult {
    let (warn_pct, min_dead, top) =
        (ctx.limits.dead_tuple_warn_pct, ctx.limits.dead_tuple_min, ctx.limits.largest_tables);
    let rows = ctx.client()?.query(
        "SELECT s.schemaname::text || '.' || s.relname::text, s.n_live_tup, s.n_dead_tup,
                greatest(s.last_vacuum, s.last_autovacuum), greatest(s.last_analyze, s.last_autoanalyze), now()
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
          ORDER BY c.relpages DESC, s.n_live_tup + s.n_dead_tup DESC, 1
          LIMIT $1",
        &[&top],
    )?;
    if rows.is_empty() {
        return Ok(Outcome::ok("no user table"));
    }
    let mut status = Status::Ok;
    let mut tables = Vec::new();
    let mut bloated = Vec::new();
    for r in &rows {
        let (name, live, dead, vacuumed, analyzed, now): (String, i64, i64, _, _, DateTime<Utc>) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
        let pct = if live + dead > 0 { dead as f64 * 100.0 / (live + dead) as f64 } else { 0.0 };
        tables.push(format!(
            "{name} {pct:.0}% dead, vacuumed {}, analyzed {}",
            when(vacuumed, now),
            when(analyzed, now)
        ));
        if pct >= warn_pct && dead >= min_dead {
            status = worst(status, Status::Warn);
            bloated.push(format!("{name} ({dead} dead, {pct:.0}%)"));
        }
    }
    // `tables` is at most `largest_tables` long (the query's LIMIT) and only gives context: shown whole.
    Ok(if bloated.is_empty() {
        Outcome::ok(join(&tables))
    } else {
        Outcome::new(
            status,
            format!("dead tuples above {warn_pct}%: {}. {}", bloated.join(", "), join(&tables)),
            "VACUUM (ANALYZE) the table; if autovacuum cannot keep up, lower its autovacuum_vacuum_scale_factor",
        )
        .with_objects(bloated)
    })
}

pub fn cache_hit(ctx: &mut CheckCtx) -> CheckResult {
    let (warn, min_blocks) = (ctx.limits.cache_hit_warn_pct, ctx.limits.cache_hit_min_blocks);
    let row = ctx
        .client()?
        .query_one("SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()", &[])?;
    let (hit, read): (i64, i64) = (row.get(0), row.get(1));
    let total = hit + read;
    let pct = if total > 0 { hit as f64 * 100.0 / total as f64 } else { 100.0 };
    Ok(if total < min_blocks {
        Outcome::ok(format!("{pct:.1}% over {total} block accesses, too few to judge (judged from {min_blocks})"))
    } else if pct < warn {
        Outcome::new(
            Status::Warn,
            format!("{pct:.1}% of {total} block accesses served from shared buffers, below {warn}%"),
            "raise shared_buffers (and the machine's memory) or find the queries that read most (pg_stat_statements)",
        )
    } else {
        Outcome::ok(format!("{pct:.1}% of {total} block accesses served from shared buffers"))
    })
}

/// Database size and the largest tables, indexes and TOAST included, from `pg_class.relpages` estimates.
pub fn size(ctx: &mut CheckCtx) -> CheckResult {
    let top = ctx.limits.largest_tables;
    let client = ctx.client()?;
    let db: i64 = client.query_one("SELECT pg_database_size(current_database())", &[])?.get(0);
    let rows = client.query(
        "SELECT n.nspname::text || '.' || c.relname::text,
                ((c.relpages::int8 + coalesce(t.relpages, 0)
                  + coalesce((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                               WHERE x.indrelid = c.oid), 0))
                 * current_setting('block_size')::int8)::float8,
                c.reltuples::float8
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
          WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%'
          ORDER BY 2 DESC, 1
          LIMIT $1",
        &[&top],
    )?;
    let tables: Vec<String> = rows
        .iter()
        .map(|r| {
            let (name, bytes, tuples): (String, f64, f64) = (r.get(0), r.get(1), r.get(2));
            let rows = if tuples < 0.0 { "not analyzed".to_string() } else { format!("~{tuples:.0} rows") };
            format!("{name} ~{} ({rows})", human_bytes(bytes))
        })
        .collect();
    Ok(Outcome::ok(format!("database {}; largest: {}", human_bytes(db as f64), join(&tables))))
}

/// Scratch databases of `rehab check` (`rehab_check_<pid>_<hex>`) that nothing uses: a check killed with
/// SIGKILL, or whose machine went away, cannot drop its own. One with a session, or whose process still runs
/// on this machine (it may be between creating the database and connecting to it), belongs to a running check.
pub fn scratch_databases(ctx: &mut CheckCtx) -> CheckResult {
    let rows = ctx.client()?.query(
        "SELECT d.datname::text, (SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid)
           FROM pg_database d WHERE d.datname ~ '^rehab_check_[0-9]+_[0-9a-f]{8}$' ORDER BY 1",
        &[],
    )?;
    let running = |name: &str| {
        let pid = name.trim_start_matches("rehab_check_").split('_').next().unwrap_or("");
        std::path::Path::new("/proc").join(pid).exists()
    };
    let (mut left, mut in_use) = (Vec::new(), 0);
    for r in &rows {
        let (name, sessions): (String, i64) = (r.get(0), r.get(1));
        if sessions > 0 || running(&name) {
            in_use += 1;
        } else {
            left.push(name);
        }
    }
    if left.is_empty() {
        let detail = match in_use {
            0 => "no scratch database of rehab check on the server".to_string(),
            n => format!("{n} scratch database(s) in use by a running rehab check, none left behind"),
        };
        return Ok(Outcome::ok(detail));
    }
    let drops: Vec<String> = left.iter().map(|n| format!("DROP DATABASE {};", crate::db::quote_ident(n))).collect();
    Ok(Outcome::new(
        Status::Warn,
        format!("{} scratch database(s) of rehab check left behind, in use by nobody: {}", left.len(), join(&left)),
        format!("a check that was killed cannot drop its own: {}", drops.join(" ")),
    )
    .with_objects(left))
}
