//! The session-level advisory lock that serialises every command that changes the schema
//! (refinery takes no lock of its own; a transaction-level lock would end at the first COMMIT).

use std::time::Duration;

use anyhow::{Context, Result};
use postgres::Client;
use postgres::error::SqlState;
use serde::Serialize;

use super::session::first_value;
use crate::error::CliError;

/// The lock key: "rehab" in ASCII. Advisory locks are per database, so one key serves every database.
pub const MIGRATION_LOCK_KEY: i64 = 0x72_65_68_61_62;

/// Who holds the migration lock right now.
#[derive(Debug, Clone, Serialize)]
pub struct LockHolder {
    pub pid: i32,
    pub application_name: String,
    pub client: Option<String>,
    /// When the holder's session started (it takes the lock right after connecting).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} ({})",
            self.pid,
            if self.application_name.is_empty() { "no application_name" } else { &self.application_name }
        )?;
        if let Some(client) = &self.client {
            write!(f, " from {client}")?;
        }
        if let Some(since) = self.since {
            write!(f, ", session started {}", since.format("%Y-%m-%d %H:%M:%S UTC"))?;
        }
        Ok(())
    }
}

/// `timeout` as a `lock_timeout` value: 0 would mean "forever" to the server, so at least 1 ms.
pub fn timeout_ms(timeout: Duration) -> u128 {
    timeout.as_millis().clamp(1, u128::from(u32::MAX))
}

/// Takes the migration lock on `client`, waiting up to `timeout`, and checks in a separate statement that
/// the session now holds it. Released by [`release`] or when the session ends, so a crashed run never
/// leaves it behind. Simple queries throughout: through a pooler that slipped past the session check, the
/// error is the refusal below, not a prepared-statement collision.
pub fn acquire(client: &mut Client, timeout: Duration) -> Result<()> {
    client
        .batch_execute(&format!("SET lock_timeout = {}", timeout_ms(timeout)))
        .context("could not set lock_timeout before taking the migration lock")?;
    let result =
        client.simple_query(&format!("SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})) l"));
    client
        .batch_execute("RESET lock_timeout")
        .context("could not reset lock_timeout after taking the migration lock")?;
    match result {
        Ok(messages) => {
            let locked_on = first_value(&messages).context("taking the migration lock returned no backend pid")?;
            verify_held(client, locked_on)
        }
        Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
            let holder = holder(client)?;
            let who = holder.map_or_else(|| "another session (it has just ended)".to_string(), |h| h.to_string());
            Err(CliError::failure(format!(
                "timed out after {}s waiting for the migration lock, held by {who}",
                timeout.as_secs_f64()
            ))
            .with_hint("wait for that run to finish, or stop it with SELECT pg_terminate_backend(<pid>); raise [migrations] lock_timeout_secs to wait longer")
            .into())
        }
        Err(e) => Err(e).context("could not take the migration lock"),
    }
}

/// The lock was taken on backend `locked_on`; a statement of its own must see this session hold it.
/// Otherwise a pooler moved the session after the check at connection time: refuse, and end that backend
/// if it sits idle (a pooled server connection, which the pooler replaces) so the lock does not stay behind.
fn verify_held(client: &mut Client, locked_on: i32) -> Result<()> {
    let now_on = client
        .simple_query(&format!(
            "SELECT pg_backend_pid() FROM pg_locks
              WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND classid = ({MIGRATION_LOCK_KEY}::bigint >> 32)::oid
                AND objid = ({MIGRATION_LOCK_KEY}::bigint & 4294967295)::oid AND objsubid = 1"
        ))
        .context("could not check that this session holds the migration lock")?;
    if first_value(&now_on) == Some(locked_on) {
        return Ok(());
    }
    let ended = client
        .simple_query(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = {locked_on} AND state = 'idle'"
        ))
        .is_ok_and(|m| first_value::<String>(&m).as_deref() == Some("t"));
    let left = if ended {
        format!("server backend {locked_on}, where the lock was taken, was ended to release it")
    } else {
        format!("the lock may stay on server backend {locked_on}: end it with SELECT pg_terminate_backend({locked_on})")
    };
    Err(CliError::failure(format!(
        "refusing to continue through a transaction-pooling proxy: the migration lock was taken, but the next \
         transaction of this connection ran in a session that does not hold it; nothing was changed, and {left}"
    ))
    .with_hint("point rehab at the PostgreSQL server itself (or a pooler in session mode), for example with [database] direct_url_env")
    .into())
}

/// Runs `f` holding the migration lock and releases it afterwards, also when `f` fails (ending the
/// session would release it too; releasing now keeps a long-lived caller correct). `f`'s error wins.
pub fn with_lock<T>(client: &mut Client, timeout: Duration, f: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
    acquire(client, timeout)?;
    let result = f(client);
    let released = release(client);
    let value = result?;
    released?;
    Ok(value)
}

pub fn release(client: &mut Client) -> Result<()> {
    client
        .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
        .context("could not release the migration lock")?;
    Ok(())
}

/// The session holding the migration lock in the current database, if any.
pub fn holder(client: &mut Client) -> Result<Option<LockHolder>> {
    let row = client
        .query_opt(
            "SELECT a.pid, coalesce(a.application_name, ''), host(a.client_addr), a.backend_start
               FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.granted
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1
              LIMIT 1",
            &[&MIGRATION_LOCK_KEY],
        )
        .context("could not look up the holder of the migration lock")?;
    Ok(row.map(|r| LockHolder { pid: r.get(0), application_name: r.get(1), client: r.get(2), since: r.get(3) }))
}
