//! Builds the run context from the resolved settings and dispatches to the command.

use std::time::Duration;

use anyhow::Result;
use postgres::Client;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::db::{ConnInfo, connect, session};
use crate::output::Output;
use crate::settings::Settings;

/// What every command gets: the settings and the name it connects under.
pub struct Ctx {
    pub settings: Settings,
    pub command: &'static str,
    /// setup, migrate, rollback, reset and seed: their target is `[database] direct_url_env` when that
    /// applies, and their connections must keep one server session (checked right after connecting).
    pub changes_schema: bool,
}

impl Ctx {
    pub fn out(&self) -> &Output {
        &self.settings.output
    }

    /// A connection to the target database, named `rehab <command>`.
    pub fn connect(&self) -> Result<Client> {
        self.connect_waiting(Duration::ZERO)
    }

    /// Like [`Ctx::connect`], retrying for up to `wait` while the server is not accepting connections yet.
    pub fn connect_waiting(&self, wait: Duration) -> Result<Client> {
        self.connect_to(&self.settings.conn, wait)
    }

    /// A connection to `info` (the target, or the maintenance database next to it). A command that changes
    /// the schema refuses, before it sends anything else, a session a transaction pooler would not keep.
    pub fn connect_to(&self, info: &ConnInfo, wait: Duration) -> Result<Client> {
        let s = &self.settings;
        self.out().detail(&format!("connecting to {}", info.redacted()));
        let mut client = connect::connect_waiting(info, self.command, s.connect_timeout, wait)?;
        if self.changes_schema {
            session::ensure_kept(&mut client, info, self.command, s.connect_timeout, &self.direct_url_hint())?;
        }
        Ok(client)
    }

    /// How to reach the server without the transaction pooler, in the terms of this run's configuration.
    fn direct_url_hint(&self) -> String {
        let s = &self.settings;
        match (&s.config.file.database.direct_url_env, &s.direct_conn) {
            (None, _) => "point rehab at the PostgreSQL server itself, or at a pooler in session mode: pass its own \
                          URL with --database-url, or, where the application URL must stay pooled, name a variable \
                          holding the direct URL in rehab.toml as [database] direct_url_env = \"VAR\""
                .to_string(),
            (Some(v), None) => format!(
                "set ${v} to the PostgreSQL server's own URL: [database] direct_url_env reads it for the commands \
                 that change the schema (--database-url, when given, wins over it)"
            ),
            (Some(v), Some(_)) => format!(
                "${v} ([database] direct_url_env) must reach the PostgreSQL server itself, or a pooler in session mode"
            ),
        }
    }
}

pub fn run(cli: Cli) -> Result<()> {
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
    };
    let cwd = std::env::current_dir()?;
    let mut settings = Settings::resolve(&cli.global, &|k| std::env::var(k).ok(), &cwd)?;
    let changes_schema = matches!(
        cli.command,
        Command::Setup(_) | Command::Migrate(_) | Command::Rollback(_) | Command::Reset(_) | Command::Seed(_)
    );
    if changes_schema && let Some(direct) = &settings.direct_conn {
        // Every message and report of the run then names the target it really works on.
        settings.conn = direct.clone();
    }
    let ctx = Ctx { settings, command, changes_schema };
    let out = *ctx.out();
    match &cli.command {
        Command::Setup(args) => out.emit(&commands::setup::run(&ctx, args)?),
        Command::Migrate(args) => out.emit(&commands::migrate::run(&ctx, args)?),
        Command::Show(args) => {
            let report = commands::show::run(&ctx)?;
            out.emit(&report)?;
            commands::show::check(&report, args)
        }
        Command::Current => out.emit(&commands::current::run(&ctx)?),
        Command::Doctor(args) => {
            let report = commands::doctor::run(&ctx, args)?;
            out.emit(&report)?;
            commands::doctor::check(&report, args)
        }
        Command::Seed(args) => out.emit(&commands::seed::run(&ctx, args)?),
        Command::Rollback(args) => out.emit(&commands::rollback::run(&ctx, args)?),
        Command::Reset(args) => out.emit(&commands::reset::run(&ctx, args)?),
        Command::New(args) => out.emit(&commands::new::run(&ctx, args)?),
        Command::Completions(_) | Command::Man(_) | Command::Dev(_) => {
            unreachable!("answered before the settings were resolved")
        }
    }
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
    let cluster = dev::DevCluster::locate(&config, &|k| std::env::var(k).ok(), &cwd)?;
    match &args.action {
        DevAction::Start(a) => out.emit(&dev::start(&cluster, a, &out)?),
        DevAction::Stop => out.emit(&dev::stop(&cluster)?),
        DevAction::Status => out.emit(&dev::status(&cluster)?),
        DevAction::Url(a) => out.emit(&dev::url(&cluster, a)?),
        DevAction::Destroy => out.emit(&dev::destroy(&cluster, global.yes)?),
    }
}
