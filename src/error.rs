//! The few failures that need their own exit code; everything else is an `anyhow` error and exits 1.

use std::fmt;

use crate::db::error::{DbError, sqlstate_of};

/// Exit codes are a contract with scripts and CI: documented in the README and tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    Failure = 1,
    Usage = 2,
    CheckFailed = 3,
    Refused = 4,
    /// What a shell reports for a process ended by Ctrl-C (128 + SIGINT): a fleet run that wound down.
    Interrupted = 130,
}

/// An error that carries its exit code and, optionally, the next step to take.
#[derive(Debug)]
pub struct CliError {
    pub code: ExitCode,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self { code: ExitCode::Usage, message: message.into(), hint: None }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self { code: ExitCode::Refused, message: message.into(), hint: None }
    }

    pub fn check_failed(message: impl Into<String>) -> Self {
        Self { code: ExitCode::CheckFailed, message: message.into(), hint: None }
    }

    pub fn interrupted(message: impl Into<String>) -> Self {
        Self { code: ExitCode::Interrupted, message: message.into(), hint: None }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        Self { code: ExitCode::Failure, message: message.into(), hint: None }
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code for any error: the first `CliError` in the chain decides, otherwise 1.
#[must_use]
pub fn exit_code_of(err: &anyhow::Error) -> ExitCode {
    err.chain().find_map(|e| e.downcast_ref::<CliError>()).map_or(ExitCode::Failure, |e| e.code)
}

/// SQLSTATE `08006`, connection failure: what rehab records when the connection itself was lost mid-run.
pub const CONNECTION_FAILURE: &str = "08006";

/// True when `err` means the connection is gone (closed by the server, reset, or cut), not a refused statement.
pub fn connection_lost(err: &postgres::Error) -> bool {
    err.is_closed()
        || (err.as_db_error().is_none()
            && matches!(std::error::Error::source(err), Some(s) if s.is::<std::io::Error>()))
}

/// The next step for any failure, chosen in this one place. Some causes decide it whatever the command was
/// doing - a read-only server, a missing privilege, no free connection slot, a connection lost mid-run - and
/// their hint replaces the one attached where the failure happened (which would say "fix the file" to a
/// migration that met a standby). Otherwise the first attached hint.
pub fn hint_of(err: &anyhow::Error) -> Option<String> {
    let sqlstate = sqlstate_of(err).map(str::to_string).or_else(|| {
        err.chain().find_map(|e| e.downcast_ref::<postgres::Error>()).and_then(|pg| {
            pg.code().map(|c| c.code().to_string()).or_else(|| connection_lost(pg).then(|| CONNECTION_FAILURE.into()))
        })
    });
    if let Some(hint) = sqlstate.as_deref().and_then(hint_for_cause) {
        return Some(hint.to_string());
    }
    err.chain()
        .find_map(|e| match (e.downcast_ref::<CliError>(), e.downcast_ref::<DbError>()) {
            (Some(cli), _) => Some(cli.hint.as_ref()),
            (None, Some(db)) => Some(db.hint.as_ref()),
            (None, None) => None,
        })
        .flatten()
        .cloned()
}

/// The hint for the SQLSTATEs whose next step does not depend on the command.
fn hint_for_cause(sqlstate: &str) -> Option<&'static str> {
    Some(match sqlstate {
        "25006" => {
            "the server is read-only: it is a standby, or default_transaction_read_only is on; connect to the primary"
        }
        "42501" => {
            "the user lacks the privilege named above: connect as the owner of the database (or of that object), or \
             have it granted (GRANT ... TO the user)"
        }
        "53300" | "53400" => {
            "the server has no free connection slot (max_connections): see who holds them with `SELECT usename, \
             application_name, count(*) FROM pg_stat_activity GROUP BY 1, 2`, close idle ones, and retry"
        }
        "57P01" | "57P02" | "08000" | "08003" | "08006" => {
            "the connection was lost mid-run (server restart, network, or the session was terminated): what \
             committed before stays and nothing is half-applied; see where the database stands with `rehab show`, \
             then run the command again"
        }
        _ => return None,
    })
}
