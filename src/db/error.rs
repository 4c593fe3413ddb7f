//! The database layer's own failure: what went wrong (naming the target or the script), the server's
//! SQLSTATE when PostgreSQL gave one, and the next step. It exits 1; `error.rs` at the edge reads the SQLSTATE
//! to put the cause's hint (a read-only server, a lost connection) above the local one.

use std::fmt;

#[derive(Debug)]
pub struct DbError {
    pub message: String,
    /// The server's SQLSTATE (`42P01`), or `08006` for a connection lost mid-run.
    pub sqlstate: Option<String>,
    pub hint: Option<String>,
}

impl DbError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), sqlstate: None, hint: None }
    }

    #[must_use]
    pub fn with_sqlstate(mut self, code: Option<&str>) -> Self {
        self.sqlstate = code.map(str::to_string);
        self
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

/// The SQLSTATE of the first [`DbError`] in the chain, if any.
pub fn sqlstate_of(err: &anyhow::Error) -> Option<&str> {
    err.chain().find_map(|e| e.downcast_ref::<DbError>()).and_then(|e| e.sqlstate.as_deref())
}
