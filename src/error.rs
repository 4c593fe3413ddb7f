//! The few failures that need their own exit code; everything else is an `anyhow` error and exits 1.

use std::fmt;

/// Exit codes are a contract with scripts and CI: documented in the README and tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    Failure = 1,
    Usage = 2,
    CheckFailed = 3,
    Refused = 4,
}

/// An error that carries its exit code and, optionally, the next step to take.
#[derive(Debug)]
pub struct CliError {
    pub code: ExitCode,
    pub message: String,
    pub hint: Option<String>,
    /// The server's SQLSTATE when the failure came from PostgreSQL, so callers can react to it.
    pub sqlstate: Option<String>,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self { code: ExitCode::Usage, message: message.into(), hint: None, sqlstate: None }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self { code: ExitCode::Refused, message: message.into(), hint: None, sqlstate: None }
    }

    pub fn check_failed(message: impl Into<String>) -> Self {
        Self { code: ExitCode::CheckFailed, message: message.into(), hint: None, sqlstate: None }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        Self { code: ExitCode::Failure, message: message.into(), hint: None, sqlstate: None }
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

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code for any error: the first `CliError` in the chain decides, otherwise 1.
pub fn exit_code_of(err: &anyhow::Error) -> ExitCode {
    err.chain().find_map(|e| e.downcast_ref::<CliError>()).map_or(ExitCode::Failure, |e| e.code)
}

/// The SQLSTATE recorded on the first `CliError` in the chain, if any.
pub fn sqlstate_of(err: &anyhow::Error) -> Option<&str> {
    err.chain().find_map(|e| e.downcast_ref::<CliError>()).and_then(|e| e.sqlstate.as_deref())
}

/// The hint attached to the first `CliError` in the chain, if any.
pub fn hint_of(err: &anyhow::Error) -> Option<&str> {
    err.chain().find_map(|e| e.downcast_ref::<CliError>()).and_then(|e| e.hint.as_deref())
}
