//! Builds the run context from the resolved settings and dispatches to the command.

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::ctx::Ctx;
use crate::output::Output;
use crate::settings::Settings;

pub fn run(cli: &Cli) -> Result<()> {
    if cli.global.format.is_check_only() && !matches!(cli.command, Command::Check(_)) {
        return Err(crate::error::CliError::usage(format!(
            "--format {} is only for `rehab check`; use table or json",
            cli.global.format
        ))
        .into());
    }
    if let Some(name) = &cli.global.fleet {
        commands::fleet::admit(&cli.global, &cli.command, name)?;
    }
    let command = match &cli.command {
        // About rehab itself: answered before any rehab.toml, DATABASE_URL or server is looked at, so a broken
        // configuration cannot keep anyone from installing completions or reading the manual.
        Command::Completions(args) => return Output::new(&cli.global).raw(&commands::completions::run(args)),
        Command::Man(args) => {
            let out = Output::new(&cli.global);
            return match &args.dir {
                Some(dir) => out.emit(&commands::man::write_all(dir)?),
                None => out.raw(&commands::man::page(args.command.as_deref())?),
            };
        }
        // Needs rehab.toml's [dev] section, but no database URL or server: it may be about to start one.
        Command::Dev(args) => return run_dev(&cli.global, args),
        Command::Setup(_) => "setup",
        Command::Migrate(_) => "migrate",
        Command::Show(_) => "show",
        Command::Current => "current",
        Command::Doctor(_) => "doctor",
        Command::Seed(_) => "seed",
        Command::Rollback(_) => "rollback",
        Command::Reset(_) => "reset",
        Command::New(_) => "new",
        Command::Check(_) => "check",
    };
    let cwd = std::env::current_dir()?;
    let offline = match &cli.command {
        Command::New(_) => true,
        Command::Check(args) => args.lint_only,
        _ => false,
    };
    let mut settings = Settings::resolve(&cli.global, &|k| std::env::var(k).ok(), &cwd, offline)?;
    // `check` reads its target, but creates a scratch database and runs the migrations' scripts in it: it needs
    // the server itself (or a session pooler) as much as `migrate` does.
    let changes_schema = matches!(
        cli.command,
        Command::Setup(_)
            | Command::Migrate(_)
            | Command::Rollback(_)
            | Command::Reset(_)
            | Command::Seed(_)
            | Command::Check(_)
    );
    // An exported REHAB_FLEET is for the commands that run on databases; `new` only writes files.
    // Taken out of the settings: each member's settings are a copy of the rest.
    if !matches!(cli.command, Command::New(_))
        && let Some(fleet) = settings.fleet.take()
    {
        let job = commands::fleet::MemberJob { command: &cli.command, name: command, changes_schema };
        return run_fleet(&cli.global, &settings, &fleet, &job);
    }
    if changes_schema && let Some(direct) = &settings.direct_conn {
        // Every message and report of the run then names the target it really works on.
        settings.conn = direct.clone();
    }
    // `new` only writes files; every other command here connects, and without a named server may use the
    // dev cluster (again, every message then names the target it really works on).
    if !matches!(cli.command, Command::New(_))
        && let Some(local) = commands::fallback::target(&settings, &cwd)?
    {
        settings.conn = local;
    }
    let ctx = Ctx { settings, command, changes_schema, kept_sessions: std::cell::RefCell::default() };
    dispatch(&ctx, &cli.command)
}

/// Runs the command on `ctx` and prints its report; `show --check`, `doctor` and `check` then give their verdict.
fn dispatch(ctx: &Ctx, command: &Command) -> Result<()> {
    let out = *ctx.out();
    match command {
        Command::Setup(args) => out.emit(&commands::setup::run(ctx, args)?),
        Command::Migrate(args) => out.emit(&commands::migrate::run(ctx, args)?),
        Command::Show(args) => {
            let report = commands::show::run(ctx)?;
            out.emit(&report)?;
            commands::show::check(&report, args)
        }
        Command::Current => out.emit(&commands::current::run(ctx)?),
        Command::Doctor(args) => {
            let report = commands::doctor::run(ctx, args)?;
            out.emit(&report)?;
            commands::doctor::check(&report, args)
        }
        Command::Seed(args) => out.emit(&commands::seed::run(ctx, args)?),
        Command::Rollback(args) => out.emit(&commands::rollback::run(ctx, args)?),
        Command::Reset(args) => out.emit(&commands::reset::run(ctx, args)?),
        Command::New(args) => out.emit(&commands::new::run(ctx, args)?),
        Command::Check(args) => {
            let report = commands::check::run(ctx, args)?;
            out.emit(&report)?;
            commands::check::verdict(&report, args)
        }
        Command::Completions(_) | Command::Man(_) | Command::Dev(_) => {
            unreachable!("answered before the settings were resolved")
        }
    }
}

/// `rehab --fleet NAME COMMAND`: the summary on stdout, then the worst member's exit code (README, "Fleets").
fn run_fleet(
    global: &crate::cli::GlobalArgs,
    settings: &Settings,
    fleet: &crate::fleet::Fleet,
    job: &commands::fleet::MemberJob<'_>,
) -> Result<()> {
    commands::fleet::admit(global, job.command, &fleet.name)?;
    let report = commands::fleet::run(settings, fleet, job)?;
    settings.output.emit(&report)?;
    if report.exit_code() == crate::interrupt::EXIT_INTERRUPTED {
        return Err(crate::error::CliError::interrupted(format!(
            "interrupted: fleet `{}` started no member after Ctrl-C; {}",
            fleet.name,
            report.counts_line()
        ))
        .into());
    }
    commands::fleet::verdict(&report)
}

/// `rehab dev ACTION`: the config's [dev] section and the global flags, never [`Settings`] (whose database URL
/// may point at the very cluster this starts).
fn run_dev(global: &crate::cli::GlobalArgs, args: &crate::cli::DevArgs) -> Result<()> {
    use crate::cli::DevAction;
    use commands::dev;
    let out = Output::new(global);
    let cwd = std::env::current_dir()?;
    let config_path =
        global.config.clone().or_else(|| std::env::var_os("REHAB_CONFIG").filter(|v| !v.is_empty()).map(Into::into));
    let config = crate::config::LoadedConfig::load(config_path.as_deref(), &cwd)?;
    let cluster = dev::DevCluster::locate(&config.dev_section(&cwd), &|k| std::env::var(k).ok(), &cwd)?;
    match &args.action {
        DevAction::Start(a) => out.emit(&dev::start(&cluster, a, &out)?),
        DevAction::Stop => out.emit(&dev::stop(&cluster)?),
        DevAction::Status => out.emit(&dev::status(&cluster)?),
        DevAction::Url(a) => out.emit(&dev::url(&cluster, a)?),
        DevAction::Destroy => out.emit(&dev::destroy(&cluster, global.yes)?),
    }
}
