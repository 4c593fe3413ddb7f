//! Builds the run context from the resolved settings and dispatches to the command.

use std::time::Duration;

use anyhow::Result;
use postgres::Client;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::db::connect;
use crate::output::Output;
use crate::settings::Settings;

/// What every command gets: the settings and the name it connects under.
pub struct Ctx {
    pub settings: Settings,
    pub command: &'static str,
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
        let s = &self.settings;
        self.out().detail(&format!("connecting to {}", s.conn.redacted()));
        connect::connect_waiting(&s.conn, self.command, s.connect_timeout, wait)
    }
}

pub fn run(cli: Cli) -> Result<()> {
    let cwd = std::env::current_dir()?;
    let settings = Settings::resolve(&cli.global, &|k| std::env::var(k).ok(), &cwd)?;
    let command = match &cli.command {
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
    let ctx = Ctx { settings, command };
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
    }
}
