//! `rehab check`'s three parts as data: lint findings on the scripts, the up/down/up proof in a scratch
//! database, and drift between the target and the schema its migrations build.

pub mod drift;
pub mod lint;
pub mod proof;
pub mod roles;
pub mod scratch;
pub mod snapshot;

use serde::Serialize;

/// How bad a finding is: an error fails the check (exit 3), a warning only under `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One lint finding, located in a script (line and column are 1-based).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The script's file name (`V3__adherence.sql`), or its path when the migrations come from a folder.
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The rule's id (`index-not-concurrent`).
    pub rule: &'static str,
    pub severity: Severity,
    /// One line: what is wrong, naming the object.
    pub message: String,
    /// One line: what to do instead.
    pub hint: String,
}

/// The outcome of proving one migration's down script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProofStatus {
    /// Up, down and up again left the catalog as it should be.
    Ok,
    /// A script failed (the up, the down or the second up).
    Failed,
    /// The down script left objects behind that the up created.
    Leftover,
    /// The down script (or the second up) left an object different from before.
    Changed,
}

/// One migration's proof.
#[derive(Debug, Clone, Serialize)]
pub struct ProofEntry {
    pub version: i32,
    pub name: String,
    pub status: ProofStatus,
    /// The differing objects (`enum public.mood`, `column public.t.c: default 0 -> none`), empty when ok.
    pub objects: Vec<String>,
    /// The failing script's error, first line, when `status` is `failed`.
    pub error: Option<String>,
    /// The script the entry points at (as lint findings name files): the one that failed, else the down
    /// script. Not in the JSON (its version and name say it); SARIF and GitHub annotations point at it.
    #[serde(skip)]
    pub file: String,
    /// The line of `file` the failing script's error names, else 1.
    #[serde(skip)]
    pub line: usize,
}

/// How an object of the target differs from the schema its migrations build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// In the target only.
    Added,
    /// In the migrations' schema only.
    Removed,
    /// In both, defined differently.
    Changed,
}

/// One drifted object.
#[derive(Debug, Clone, Serialize)]
pub struct DriftEntry {
    /// The kind of object (`table`, `column`, `index`, `enum`, `function`, ...).
    pub kind: String,
    /// Its qualified name.
    pub object: String,
    pub change: Change,
    /// What differs, for `changed` (`default 0 -> 1`); empty otherwise.
    pub detail: String,
}

/// Everything `rehab check` found: the JSON document of `--format json`, and what the other formats render.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// In file, line and column order.
    pub findings: Vec<Finding>,
    /// Null when no proof ran (`--lint-only`, or no server answered).
    pub proof: Option<Vec<ProofEntry>>,
    /// Null without `--drift`.
    pub drift: Option<Vec<DriftEntry>>,
    pub summary: Summary,
}

/// The counts behind the verdict.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Scripts linted (up and down).
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Findings a `-- rehab:allow RULE reason` comment suppressed.
    pub suppressed: usize,
    /// Statements sqlparser could not read (listed with --verbose); only the word-level rules checked them.
    pub unparsed: usize,
    pub proved: usize,
    /// Proof entries whose status is not `ok`.
    pub proof_failures: usize,
    pub drifted: usize,
}
