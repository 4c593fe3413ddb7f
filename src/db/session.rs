//! Checks that a connection keeps one server session across transactions before rehab relies on it.
//! Behind a transaction-pooling proxy (PgBouncer's `pool_mode = transaction` or `statement`) each
//! transaction may run on another server backend, and a backend serves other clients in between: the
//! session-level migration lock would stay behind on a pooled backend and serialise nothing, and the
//! `postgres` crate's prepared statements (`s0`, `s1`...) would collide. No pooler, or one in session
//! mode, keeps the session and passes. Every statement here is a simple query, so a pooler cannot turn
//! the refusal into a prepared-statement error.

use std::time::Duration;

use anyhow::{Context, Result};
use postgres::{Client, SimpleQueryMessage};

use super::ConnInfo;
use super::connect;
use crate::error::CliError;

/// Probe rounds. One round already catches a quiet pool; the others catch a busy one, where a third client
/// took our backend in between.
const ROUNDS: usize = 3;

/// Refuses `client` (connected to `info`) unless its server session is kept across transactions, before
/// anything is changed. `fix` is the hint that says how to reach the server directly.
///
/// One connection alone cannot tell: an otherwise idle transaction pooler may give it the same backend every
/// time. So a second connection (the probe) asks for a backend right after one of our transactions ends,
/// then we run two more. PgBouncer hands idle server connections out last-in first-out by default, so the
/// probe gets ours; with `server_round_robin` it hands them out first-in first-out, so of two consecutive
/// transactions of ours the second runs elsewhere; and a pool of one backend gives the probe ours in either
/// order. In a kept session none of that can happen. Each simple-query statement is its own transaction,
/// which is what lets a pooler switch.
pub fn ensure_kept(client: &mut Client, info: &ConnInfo, command: &str, timeout: Duration, fix: &str) -> Result<()> {
    let ours = backend_pid(client)?;
    let mut probe = connect::connect(info, command, timeout)
        .context("could not open a second connection to check that the session is kept across transactions")?;
    for _ in 0..ROUNDS {
        let theirs = backend_pid(&mut probe)?;
        if theirs == ours {
            let evidence =
                format!("server backend {ours} served another connection between two of this one's transactions");
            return Err(not_kept(info, command, &evidence, fix));
        }
        for _ in 0..2 {
            let again = backend_pid(client)?;
            if again != ours {
                let evidence = format!("two transactions of this connection ran on server backends {ours} and {again}");
                return Err(not_kept(info, command, &evidence, fix));
            }
        }
    }
    Ok(())
}

/// The refusal: names the cause and says that nothing was changed; `fix` says what to do.
fn not_kept(info: &ConnInfo, command: &str, evidence: &str, fix: &str) -> anyhow::Error {
    CliError::failure(format!(
        "refusing to run `rehab {command}` through a transaction-pooling proxy: the connection to {} does not keep \
         its server session across transactions ({evidence}), so the migration lock would not hold; nothing was changed",
        info.redacted()
    ))
    .with_hint(fix)
    .into()
}

/// `pg_backend_pid()` in a statement (and so a transaction) of its own.
fn backend_pid(client: &mut Client) -> Result<i32> {
    let messages = client
        .simple_query("SELECT pg_backend_pid()")
        .context("could not read the server backend pid to check that the session is kept")?;
    first_value(&messages).context("the server returned no backend pid")
}

/// The first column of the first row of a simple query, parsed.
pub fn first_value<T: std::str::FromStr>(messages: &[SimpleQueryMessage]) -> Option<T> {
    messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
        _ => None,
    })
}
