//! `rehab doctor`'s checks: one small function per check, grouped by file, listed once in [`CHECKS`] so
//! adding a check is one edit. The runner gives every check its own statement timeout and turns any
//! error into an ERROR row, so one broken check never hides the others.

mod activity;
mod connection;
mod maintenance;
mod migrations;
mod projections;
mod replication;
mod schema;
mod text;

pub use text::{human_bytes, human_secs, join, list, statements};

use std::time::Instant;

use anyhow::Result;
use postgres::Client;
use postgres::error::SqlState;
use serde::Serialize;

use crate::config::DoctorSection;
use crate::migrations::MigrationCatalog;
use crate::migrations::history::{self, MigrationStatus};
use crate::settings::Settings;

/// The result of one check. Ordered by severity for [`worst`] (ERROR is reported, not ranked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
    Error,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
            Self::Skip => "SKIP",
            Self::Error => "ERROR",
        }
    }

    /// How the status reads at a glance, when output is coloured.
    pub fn tone(self) -> crate::output::style::Tone {
        use crate::output::style::Tone;
        match self {
            Self::Ok => Tone::Good,
            Self::Warn => Tone::Warn,
            Self::Fail | Self::Error => Tone::Bad,
            Self::Skip => Tone::Quiet,
        }
    }

    /// FAIL at or above `fail`, WARN at or above `warn`, else OK.
    pub fn by_threshold(value: f64, warn: f64, fail: f64) -> Self {
        if value >= fail {
            Self::Fail
        } else if value >= warn {
            Self::Warn
        } else {
            Self::Ok
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Skip => 0,
            Self::Ok => 1,
            Self::Warn => 2,
            Self::Error => 3,
            Self::Fail => 4,
        }
    }
}

/// The more severe of two statuses.
pub fn worst(a: Status, b: Status) -> Status {
    if b.rank() > a.rank() { b } else { a }
}

/// What a check found: a status, one line of detail, what fixes it, and every object at fault.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub detail: String,
    pub hint: Option<String>,
    /// Every object the check found at fault, each in the words its detail uses. The detail may show only
    /// the first few (see [`list`]); this never leaves one out, so a script acting on them gets them all.
    pub objects: Vec<String>,
}

impl Outcome {
    pub fn ok(detail: impl Into<String>) -> Self {
        Self { status: Status::Ok, detail: detail.into(), hint: None, objects: Vec::new() }
    }

    pub fn skip(detail: impl Into<String>) -> Self {
        Self { status: Status::Skip, detail: detail.into(), hint: None, objects: Vec::new() }
    }

    pub fn new(status: Status, detail: impl Into<String>, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        Self {
            status,
            detail: detail.into(),
            hint: (status != Status::Ok && !hint.is_empty()).then_some(hint),
            objects: Vec::new(),
        }
    }

    /// The objects at fault (all of them, whatever the detail shows).
    pub fn with_objects(mut self, objects: Vec<String>) -> Self {
        self.objects = objects;
        self
    }
}

/// A check returns what it found, or the error that kept it from finding out (reported as ERROR).
pub type CheckResult = Result<Outcome>;

/// One entry of the registry.
pub struct DoctorCheck {
    pub group: &'static str,
    pub name: &'static str,
    pub run: fn(&mut CheckCtx) -> CheckResult,
}

/// Every group, in the order the report lists them.
pub const GROUPS: &[&str] =
    &["connection", "migrations", "schema", "projections", "activity", "maintenance", "replication"];

macro_rules! checks {
    ($($group:ident :: $name:ident),* $(,)?) => {
        &[$(DoctorCheck { group: stringify!($group), name: stringify!($name), run: $group::$name }),*]
    };
}

/// The registry: every check, in report order. The name of a check is its function's name.
pub const CHECKS: &[DoctorCheck] = checks![
    connection::reachable,
    connection::latency,
    connection::authentication,
    connection::server_version,
    connection::tls,
    migrations::history_table,
    migrations::pending,
    migrations::divergent,
    migrations::missing,
    migrations::lock,
    schema::unused_types,
    schema::invalid_indexes,
    schema::unvalidated_constraints,
    schema::unindexed_foreign_keys,
    schema::tables_without_primary_key,
    schema::sequences,
    schema::extensions,
    projections::lag,
    projections::rebuilds,
    projections::stalled,
    activity::connections,
    activity::long_queries,
    activity::idle_in_transaction,
    activity::blocked_sessions,
    activity::prepared_transactions,
    maintenance::wraparound,
    maintenance::vacuum,
    maintenance::cache_hit,
    maintenance::size,
    maintenance::scratch_databases,
    replication::replicas,
    replication::slots,
];

/// The connection the checks share, or why there is none.
pub enum Link {
    Up { client: Box<Client>, connect_ms: f64 },
    Down(crate::db::error::DbError),
}

/// What a check can use: settings, thresholds, the connection, and the migration catalog (loaded once).
pub struct CheckCtx<'a> {
    pub settings: &'a Settings,
    pub limits: &'a DoctorSection,
    pub link: Link,
    catalog: Option<MigrationCatalog>,
    /// The catalog compared with the history, read once for the three checks that need it.
    statuses: Option<Vec<MigrationStatus>>,
}

/// Raised by [`CheckCtx::client`] without a connection; the runner reports it as SKIP.
#[derive(Debug, thiserror::Error)]
#[error("no connection")]
pub struct NotConnected;

impl<'a> CheckCtx<'a> {
    pub fn new(settings: &'a Settings, limits: &'a DoctorSection, link: Link) -> Self {
        Self { settings, limits, link, catalog: None, statuses: None }
    }

    pub fn client(&mut self) -> Result<&mut Client> {
        match &mut self.link {
            Link::Up { client, .. } => Ok(client),
            Link::Down(_) => Err(NotConnected.into()),
        }
    }

    /// The migrations this run compares against (the folder or the embedded set).
    pub fn catalog(&mut self) -> Result<&MigrationCatalog> {
        if self.catalog.is_none() {
            self.catalog = Some(self.settings.catalog()?);
        }
        Ok(self.catalog.as_ref().expect("loaded above"))
    }

    /// Every migration's state (an absent history table means nothing applied); read on first use.
    pub fn statuses(&mut self) -> Result<&[MigrationStatus]> {
        if self.statuses.is_none() {
            let applied = history::applied(self.client()?)?;
            self.statuses = Some(history::compare(self.catalog()?, &applied));
        }
        Ok(self.statuses.as_deref().expect("loaded above"))
    }
}

/// One row of the report.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRow {
    pub group: &'static str,
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    pub hint: Option<String>,
    /// Every object at fault ([`Outcome::objects`]); empty when there is none or the check does not list any.
    pub objects: Vec<String>,
    /// How long the check took, in milliseconds.
    pub ms: f64,
}

/// Runs `checks` in order; each statement gets the check timeout and no check can stop the others.
pub fn run(ctx: &mut CheckCtx, checks: &[&DoctorCheck]) -> Vec<CheckRow> {
    let timeout = ctx.limits.check_timeout_ms.max(1);
    // statement_timeout applies to every statement of the session, so one SET covers every check; until
    // it succeeds, each check tries again and reports the failure as its own ERROR.
    let mut timeout_set = false;
    checks
        .iter()
        .map(|check| {
            let started = Instant::now();
            let ready = if timeout_set { Ok(()) } else { set_timeout(ctx, timeout) };
            timeout_set = ready.is_ok();
            let result = ready.and_then(|()| (check.run)(ctx));
            let outcome = result.unwrap_or_else(|e| from_error(&e, timeout));
            CheckRow {
                group: check.group,
                name: check.name,
                status: outcome.status,
                detail: outcome.detail,
                hint: outcome.hint,
                objects: outcome.objects,
                ms: (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0,
            }
        })
        .collect()
}

fn set_timeout(ctx: &mut CheckCtx, ms: u64) -> Result<()> {
    if let Link::Up { client, .. } = &mut ctx.link {
        client.batch_execute(&format!("SET statement_timeout = {ms}"))?;
    }
    Ok(())
}

fn from_error(err: &anyhow::Error, timeout_ms: u64) -> Outcome {
    if err.downcast_ref::<NotConnected>().is_some() {
        return Outcome::skip("not connected (see connection/reachable)");
    }
    if let Some(pg) = err.chain().find_map(|e| e.downcast_ref::<postgres::Error>()) {
        if pg.code() == Some(&SqlState::QUERY_CANCELED) {
            return Outcome::new(
                Status::Error,
                format!("timed out after {timeout_ms} ms"),
                "look for locks on what it reads (activity/blocked_sessions), or raise [doctor] check_timeout_ms",
            );
        }
        let hint = match pg.code() {
            Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => {
                "grant the connecting role pg_monitor (GRANT pg_monitor TO <role>), or run doctor as the owner"
            }
            Some(_) => "",
            None => "the connection to the server was lost: run `rehab doctor` again",
        };
        return Outcome::new(Status::Error, format!("could not run: {}", crate::db::connect::describe(pg)), hint);
    }
    Outcome::new(Status::Error, format!("could not run: {err:#}"), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_has_a_known_group_and_a_unique_name() {
        let mut seen = std::collections::HashSet::new();
        for c in CHECKS {
            assert!(GROUPS.contains(&c.group), "{}", c.group);
            assert!(seen.insert((c.group, c.name)), "{}/{} twice", c.group, c.name);
        }
        for g in GROUPS {
            assert!(CHECKS.iter().any(|c| c.group == *g), "group {g} has no check");
        }
    }

    #[test]
    fn worst_prefers_fail_then_error_then_warn() {
        assert_eq!(worst(Status::Ok, Status::Warn), Status::Warn);
        assert_eq!(worst(Status::Fail, Status::Warn), Status::Fail);
        assert_eq!(worst(Status::Warn, Status::Ok), Status::Warn);
        assert_eq!(worst(Status::Skip, Status::Ok), Status::Ok);
    }
}
