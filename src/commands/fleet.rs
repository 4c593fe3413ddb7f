//! `rehab --fleet NAME COMMAND`: which commands may run on a fleet, and what one member's run is: its own
//! settings, connection, lock and guards, its report kept as JSON, its failure read as a status. The
//! scheduling is `fleet/runner.rs`; the summary `fleet/summary.rs`.

use std::time::Instant;

use anyhow::Result;
use postgres::error::SqlState;

use crate::cli::{CheckArgs, Command, GlobalArgs};
use crate::ctx::Ctx;
use crate::db::error::sqlstate_of;
use crate::error::{CliError, ExitCode, exit_code_of, hint_of};
use crate::fleet::{self, Fleet, FleetReport, Member, MemberOutcome, Status};
use crate::migrations::history;
use crate::output::fleet::FleetProgress;
use crate::settings::Settings;

/// Refuses what makes no sense across a fleet (exit 2) and what needs a DBA to mean it (exit 4), before any
/// member is resolved or connected to.
pub fn admit(global: &GlobalArgs, command: &Command, name: &str) -> Result<()> {
    let usage = |why: String| Err(CliError::usage(why).into());
    for (given, flag) in [
        (global.database_url.is_some(), "--database-url"),
        (global.env_name.is_some(), "--env"),
        (global.partition.is_some(), "--partition"),
    ] {
        if given {
            return usage(format!("--fleet {name} names the targets itself; drop {flag}"));
        }
    }
    // Annotations are about files and lines; a fleet's report is about members. Refused before anything runs.
    if global.format.is_check_only() {
        return usage(format!("--fleet {name} reports per member: use --format table or json, not {}", global.format));
    }
    let action = match command {
        Command::Setup(_) | Command::Migrate(_) | Command::Show(_) | Command::Current | Command::Doctor(_) => {
            return Ok(());
        }
        Command::Check(args) if args.drift => return Ok(()),
        Command::Check(_) => {
            return usage(format!(
                "`rehab --fleet {name} check` needs --drift: linting and proving the migrations does not depend on the target"
            ));
        }
        Command::Reset(_) => "reset",
        Command::Rollback(_) => "roll back",
        Command::Seed(_) => "seed",
        Command::New(_) | Command::Dev(_) | Command::Completions(_) | Command::Man(_) => {
            return usage(format!("--fleet {name}: this command does not run on a fleet (it works on no database)"));
        }
    };
    if global.yes && global.allow_fleet {
        return Ok(());
    }
    Err(CliError::refused(format!(
        "refusing to {action} every member of fleet `{name}` without --yes and --allow-fleet; nothing was changed"
    ))
    .with_hint(format!("pass both --yes and --allow-fleet if you really mean to {action} every database of the fleet"))
    .into())
}

/// What every member runs: the command, under the name it connects with.
pub struct MemberJob<'a> {
    pub command: &'a Command,
    pub name: &'static str,
    pub changes_schema: bool,
}

/// Runs `job` on every member of `fleet`; Ctrl-C starts no new member (see `interrupt.rs`).
pub fn run(base: &Settings, fleet: &Fleet, job: &MemberJob<'_>) -> Result<FleetReport> {
    let name = fleet.name.as_str();
    // An invalid migrations folder is a usage error once, not a failure per member.
    base.catalog()?;
    let _graceful = crate::interrupt::graceful();
    let started = Instant::now();
    let progress = FleetProgress::new(&base.output, name, fleet.members.len());
    let outcomes = fleet::run(fleet, &|m| member(base, job, m), &|o| progress.member_done(o.status != Status::Ok));
    progress.finish();
    Ok(FleetReport::new(name, outcomes, started.elapsed().as_secs_f64(), crate::interrupt::requested()))
}

/// The fleet's verdict: the worst member's exit code as an error (the report is printed already).
pub fn verdict(report: &FleetReport) -> Result<()> {
    let message = format!("fleet `{}`: {}", report.fleet, report.counts_line());
    let err = match report.exit_code() {
        0 => return Ok(()),
        3 => CliError::check_failed(message),
        4 => CliError::refused(message),
        _ => CliError::failure(message),
    };
    Err(err.with_hint("the table above gives each member's error; --format json gives them whole, with hints").into())
}

/// One member's run, start to end; never fails itself (its failure is its outcome).
fn member(base: &Settings, job: &MemberJob<'_>, m: &Member) -> MemberOutcome {
    let started = Instant::now();
    let ctx = Ctx {
        settings: base.for_member(m),
        command: job.name,
        changes_schema: job.changes_schema,
        kept_sessions: std::cell::RefCell::default(),
    };
    // The probe reads where the member stands and tells an unreachable member from a failing command.
    let before = match ctx.connect() {
        Ok(mut client) => newest(&mut client),
        Err(e) if matches!(job.command, Command::Setup(_)) && missing_database(&e) => None,
        Err(e) => return outcome(m, started, (None, None), Err(e), Status::Unreachable),
    };
    let result = run_command(&ctx, job.command);
    let reported = result
        .as_ref()
        .ok()
        .and_then(|(v, _)| v["current_version"].as_i64().or(v["migrate"]["current_version"].as_i64()));
    let after = match reported.and_then(|v| i32::try_from(v).ok()) {
        Some(v) => Some(v),
        None if job.changes_schema => ctx.connect().ok().and_then(|mut c| newest(&mut c)),
        None => before,
    };
    let status = match &result {
        Ok((_, Ok(()))) => Status::Ok,
        Ok((_, Err(e))) | Err(e) => status_of(e),
    };
    outcome(m, started, (before, after), result, status)
}

type Ran = Result<(serde_json::Value, Result<()>)>;

fn outcome(
    m: &Member,
    started: Instant,
    (before, after): (Option<i32>, Option<i32>),
    ran: Ran,
    status: Status,
) -> MemberOutcome {
    let (result, err) = match ran {
        Ok((value, verdict)) => (Some(value), verdict.err()),
        Err(e) => (None, Some(e)),
    };
    MemberOutcome {
        member: m.label.clone(),
        status,
        before,
        after,
        ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        error: err.as_ref().map(|e| format!("{e:#}")),
        hint: err.as_ref().and_then(hint_of),
        exit_code: err.as_ref().map_or(0, exit_code),
        result,
    }
}

/// What `rehab` alone would exit with; a migrate that Ctrl-C stopped between two migrations is interrupted (130).
fn exit_code(err: &anyhow::Error) -> i32 {
    let stopped = crate::interrupt::requested()
        && (err.to_string().starts_with(crate::migrations::apply::INTERRUPTED)
            || exit_code_of(err) == ExitCode::Interrupted);
    if stopped { crate::interrupt::EXIT_INTERRUPTED } else { exit_code_of(err) as i32 }
}

/// The command's report as JSON, and its verdict (`show --check`, `doctor`, `check`: exit 3 on findings).
fn run_command(ctx: &Ctx, command: &Command) -> Ran {
    use crate::commands as c;
    Ok(match command {
        Command::Setup(a) => (json(&c::setup::run(ctx, a)?), Ok(())),
        Command::Migrate(a) => (json(&c::migrate::run(ctx, a)?), Ok(())),
        Command::Show(a) => {
            let r = c::show::run(ctx)?;
            (json(&r), c::show::check(&r, a))
        }
        Command::Current => (json(&c::current::run(ctx)?), Ok(())),
        Command::Doctor(a) => {
            let r = c::doctor::run(ctx, a)?;
            (json(&r), c::doctor::check(&r, a))
        }
        Command::Check(a) => {
            // Every member would prove the same migrations again: unless --all or --pending asks for it, a
            // fleet's check lints and compares each member for drift, and proves nothing.
            let a = &CheckArgs { no_proof: a.no_proof || !(a.all || a.pending), ..a.clone() };
            let r = c::check::run(ctx, a)?;
            (json(&r), c::check::verdict(&r, a))
        }
        Command::Seed(a) => (json(&c::seed::run(ctx, a)?), Ok(())),
        Command::Rollback(a) => (json(&c::rollback::run(ctx, a)?), Ok(())),
        Command::Reset(a) => (json(&c::reset::run(ctx, a)?), Ok(())),
        Command::New(_) | Command::Dev(_) | Command::Completions(_) | Command::Man(_) => {
            unreachable!("refused by fleet::admit")
        }
    })
}

/// A report as a JSON value (reports are plain data: serialising cannot fail).
fn json<T: serde::Serialize>(report: &T) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or(serde_json::Value::Null)
}

/// The newest applied version, or none (nothing applied, or the history could not be read).
fn newest(client: &mut postgres::Client) -> Option<i32> {
    history::applied(client).ok()?.last().map(|a| a.version)
}

fn missing_database(err: &anyhow::Error) -> bool {
    sqlstate_of(err) == Some(SqlState::INVALID_CATALOG_NAME.code())
}

/// Refused (exit 4), unreachable (the connection failed or was lost), or failed.
fn status_of(err: &anyhow::Error) -> Status {
    if exit_code_of(err) == ExitCode::Refused {
        return Status::Refused;
    }
    let lost_code = |c: &str| c.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&c);
    let lost = sqlstate_of(err).is_some_and(lost_code)
        || err
            .chain()
            .filter_map(|e| e.downcast_ref::<postgres::Error>())
            .any(|pg| crate::error::connection_lost(pg) || pg.code().is_some_and(|c| lost_code(c.code())));
    if lost { Status::Unreachable } else { Status::Failed }
}
