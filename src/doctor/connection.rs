//! connection: can rehab reach the server and log in, how fast, which version, over TLS or not.

use std::time::Instant;

use chrono::NaiveDate;

use super::{CheckCtx, CheckResult, Link, Outcome, Status};

fn auth_failed(e: &crate::db::error::DbError) -> bool {
    e.sqlstate.as_deref().is_some_and(crate::db::connect::login_refused)
}

#[allow(clippy::unnecessary_wraps, reason = "every check has the signature that CHECKS registers")]
pub fn reachable(ctx: &mut CheckCtx) -> CheckResult {
    let target = ctx.settings.conn.redacted();
    Ok(match &ctx.link {
        Link::Up { connect_ms, .. } => Outcome::ok(format!("connected to {target} in {connect_ms:.0} ms")),
        Link::Down(e) if auth_failed(e) => {
            Outcome::ok(format!("the server at {target} answered (and refused the login: see authentication)"))
        }
        Link::Down(e) => Outcome::new(Status::Fail, e.message.clone(), e.hint.clone().unwrap_or_default()),
    })
}

pub fn authentication(ctx: &mut CheckCtx) -> CheckResult {
    if let Link::Down(e) = &ctx.link {
        return Ok(if auth_failed(e) {
            Outcome::new(Status::Fail, e.message.clone(), e.hint.clone().unwrap_or_default())
        } else {
            Outcome::skip("not connected (see connection/reachable)")
        });
    }
    let row = ctx.client()?.query_one(
        "SELECT current_user::text, coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)",
        &[],
    )?;
    let (user, superuser): (String, bool) = (row.get(0), row.get(1));
    Ok(Outcome::ok(format!("logged in as `{user}`{}", if superuser { " (superuser)" } else { "" })))
}

pub fn latency(ctx: &mut CheckCtx) -> CheckResult {
    let warn = ctx.limits.latency_warn_ms;
    let client = ctx.client()?;
    let mut samples = Vec::with_capacity(5);
    for _ in 0..5 {
        let started = Instant::now();
        client.simple_query("SELECT 1")?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let detail = format!("round trip {median:.2} ms (median of 5)");
    Ok(if median > warn {
        Outcome::new(
            Status::Warn,
            format!("{detail}, above {warn} ms"),
            "run rehab close to the database, or check the network path",
        )
    } else {
        Outcome::ok(detail)
    })
}

/// The end of community support of each major version (postgresql.org/support/versioning).
const END_OF_SUPPORT: &[(i32, (i32, u32, u32))] = &[
    (13, (2025, 11, 13)),
    (14, (2026, 11, 12)),
    (15, (2027, 11, 11)),
    (16, (2028, 11, 9)),
    (17, (2029, 11, 8)),
    (18, (2030, 11, 14)),
];

fn end_of_support(major: i32) -> Option<NaiveDate> {
    END_OF_SUPPORT.iter().find(|(m, _)| *m == major).and_then(|(_, (y, mo, d))| NaiveDate::from_ymd_opt(*y, *mo, *d))
}

pub fn server_version(ctx: &mut CheckCtx) -> CheckResult {
    let row = ctx.client()?.query_one(
        "SELECT current_setting('server_version_num')::int, current_setting('server_version'), current_date",
        &[],
    )?;
    let (num, text, today): (i32, String, NaiveDate) = (row.get(0), row.get(1), row.get(2));
    let major = num / 10_000;
    let version = format!("PostgreSQL {}", text.split_whitespace().next().unwrap_or(&text));
    if major < 13 {
        return Ok(Outcome::new(
            Status::Fail,
            format!("{version}: the bundled schema needs 13 or later"),
            "upgrade the server to PostgreSQL 13 or later",
        ));
    }
    Ok(match end_of_support(major) {
        Some(eol) if eol < today => Outcome::new(
            Status::Warn,
            format!("{version}: community support for {major} ended on {eol}"),
            "plan an upgrade to a supported major version (postgresql.org/support/versioning)",
        ),
        Some(eol) => Outcome::ok(format!("{version}, supported until {eol}")),
        None => Outcome::ok(version),
    })
}

pub fn tls(ctx: &mut CheckCtx) -> CheckResult {
    let local = ctx.settings.conn.is_local();
    let row = ctx.client()?.query_opt(
        "SELECT ssl, coalesce(version, ''), coalesce(cipher, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )?;
    let (ssl, version, cipher) = row.map_or((false, String::new(), String::new()), |r| (r.get(0), r.get(1), r.get(2)));
    Ok(match (ssl, local) {
        (true, _) => Outcome::ok(format!("in use: {version} {cipher}")),
        (false, true) => Outcome::ok("not in use (fine on a loopback or Unix-socket connection)"),
        (false, false) => Outcome::new(
            Status::Warn,
            format!("not in use on a connection to {}", ctx.settings.conn.host),
            "enable ssl on the server and connect with sslmode=require (or verify-full)",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_ends_are_known_for_supported_majors() {
        assert_eq!(end_of_support(15), NaiveDate::from_ymd_opt(2027, 11, 11));
        assert!(end_of_support(12).is_none());
    }
}
