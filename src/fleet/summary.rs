//! The fleet's report: one outcome per member, counts, and the exit code a CI job gates on.

use serde::Serialize;

use crate::error::ExitCode;

/// What happened to one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// The command failed (exit 1), or its check found problems (exit 3).
    Failed,
    /// A safety guard refused it (exit 4): a protected member, say.
    Refused,
    /// Could not connect, or lost the connection.
    Unreachable,
    /// Never started: a canary or an earlier member failed (`on_error = "stop"`), or Ctrl-C.
    Skipped,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Refused => "refused",
            Self::Unreachable => "unreachable",
            Self::Skipped => "skipped",
        }
    }
}

/// One member's line of the summary; `result` is the command's own JSON report, when it produced one.
#[derive(Debug, Clone, Serialize)]
pub struct MemberOutcome {
    pub member: String,
    pub status: Status,
    /// Newest applied version before and after the run (null: none applied, or not known).
    pub before: Option<i32>,
    pub after: Option<i32>,
    pub ms: u64,
    /// The error with its causes (passwords redacted like every message), and its hint.
    pub error: Option<String>,
    pub hint: Option<String>,
    /// What `rehab` alone would have exited with on this member.
    pub exit_code: i32,
    pub result: Option<serde_json::Value>,
}

impl MemberOutcome {
    pub fn skipped(member: &str) -> Self {
        Self {
            member: member.to_string(),
            status: Status::Skipped,
            before: None,
            after: None,
            ms: 0,
            error: None,
            hint: None,
            exit_code: 0,
            result: None,
        }
    }

    /// A failure that should keep other members from starting (`canary`, `on_error = "stop"`): anything but
    /// success and a check's findings (exit 3), which are the answer to the question asked.
    pub fn blocks(&self) -> bool {
        matches!(self.status, Status::Failed | Status::Refused | Status::Unreachable)
            && self.exit_code != ExitCode::CheckFailed as i32
    }
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub failed: usize,
    pub refused: usize,
    pub unreachable: usize,
    pub skipped: usize,
    pub total: usize,
    pub seconds: f64,
    /// Ctrl-C (or SIGTERM) arrived: the members not started by then are skipped.
    pub interrupted: bool,
}

#[derive(Debug, Serialize)]
pub struct FleetReport {
    pub fleet: String,
    pub members: Vec<MemberOutcome>,
    pub summary: Summary,
}

impl FleetReport {
    pub fn new(fleet: &str, members: Vec<MemberOutcome>, seconds: f64, interrupted: bool) -> Self {
        let count = |s: Status| members.iter().filter(|m| m.status == s).count();
        let summary = Summary {
            ok: count(Status::Ok),
            failed: count(Status::Failed),
            refused: count(Status::Refused),
            unreachable: count(Status::Unreachable),
            skipped: count(Status::Skipped),
            total: members.len(),
            seconds,
            interrupted,
        };
        Self { fleet: fleet.to_string(), members, summary }
    }

    /// The worst member's exit code, ranked 1 (failure, unreachable) over 4 (refused) over 3 (a check found
    /// problems) over 0: a failure needs someone most. An interrupted run ranks 130 between 3 and 4.
    pub fn exit_code(&self) -> i32 {
        let rank = |code: i32| match code {
            0 => 0,
            3 => 1,
            130 => 2,
            4 => 3,
            _ => 4,
        };
        let interrupted = if self.summary.interrupted { crate::interrupt::EXIT_INTERRUPTED } else { 0 };
        self.members.iter().map(|m| m.exit_code).chain([interrupted]).max_by_key(|c| rank(*c)).unwrap_or(0)
    }

    /// `N ok, N failed, N refused, N unreachable, N skipped, in T s`.
    pub fn counts_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} ok, {} failed, {} refused, {} unreachable, {} skipped, in {:.1} s",
            s.ok, s.failed, s.refused, s.unreachable, s.skipped, s.seconds
        )
    }
}
