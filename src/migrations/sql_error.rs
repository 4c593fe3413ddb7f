//! Turns a server error from a script into "file, line, server message", the three things a person needs.

use std::fmt;

use postgres::error::ErrorPosition;

use super::catalog::Script;

#[derive(Debug)]
pub struct ScriptError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
    /// True when part of the script may have run (no-transaction scripts).
    pub partial: bool,
    /// The server's SQLSTATE, or `08006` (connection failure) when the connection itself was lost, so the
    /// hint can follow the cause (see [`crate::error::hint_of`]).
    pub sqlstate: Option<String>,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScriptError {}

/// An error from running `sql`, a part of `script` that starts on `first_line`.
pub fn from_postgres(script: &Script, err: &postgres::Error, sql: &str, first_line: usize) -> ScriptError {
    let Some(db) = err.as_db_error() else {
        return ScriptError {
            file: script.file_name.clone(),
            line: None,
            message: crate::db::connect::describe(err),
            partial: script.no_transaction,
            sqlstate: crate::error::connection_lost(err).then(|| crate::error::CONNECTION_FAILURE.to_string()),
        };
    };
    let line = match db.position() {
        Some(ErrorPosition::Original(pos)) => {
            let before = sql.chars().take((*pos as usize).saturating_sub(1));
            Some(first_line + before.filter(|c| *c == '\n').count())
        }
        _ => None,
    };
    let mut message = format!("{}: {}", db.severity(), db.message());
    if let Some(detail) = db.detail() {
        message.push_str(&format!(" (detail: {detail})"));
    }
    if let Some(hint) = db.hint() {
        message.push_str(&format!(" (hint: {hint})"));
    }
    if let Some(context) = db.where_() {
        message.push_str(&format!(" (context: {})", context.replace('\n', "; ")));
    }
    ScriptError {
        file: script.file_name.clone(),
        line,
        message,
        partial: script.no_transaction,
        sqlstate: Some(db.code().code().to_string()),
    }
}
