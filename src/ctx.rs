//! What a command runs with: the resolved settings, the name it connects under, and how to connect.
//! Commands depend on this, never on the dispatcher in `app.rs` that builds it.

use std::time::Duration;

use anyhow::Result;
use postgres::Client;

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
    /// Targets (redacted) whose session was already found kept in this run: `setup --seed` or `reset --seed`
    /// connect to the same database again and need not open another probe connection for it. Keyed by
    /// database, since a pooler may pool each database in its own mode.
    pub(crate) kept_sessions: std::cell::RefCell<std::collections::HashSet<String>>,
}

impl Ctx {
    /// The same run for a thread of its own (a context is not shared between threads): same settings and
    /// command, and the sessions already found kept.
    pub fn for_worker(&self) -> Self {
        Self {
            settings: self.settings.clone(),
            command: self.command,
            changes_schema: self.changes_schema,
            kept_sessions: self.kept_sessions.clone(),
        }
    }

    pub fn out(&self) -> &Output {
        &self.settings.output
    }

    /// Says on stderr which migrations sit in a folder but not in the built-in set this run uses.
    pub fn note_unbuilt(&self, active: &crate::migrations::MigrationCatalog) {
        for note in self.settings.unbuilt_notes(active) {
            self.out().status(&note);
        }
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
        if self.changes_schema && !self.kept_sessions.borrow().contains(&info.redacted()) {
            session::ensure_kept(&mut client, info, self.command, s.connect_timeout, &self.direct_url_hint())?;
            self.kept_sessions.borrow_mut().insert(info.redacted());
        }
        Ok(client)
    }

    /// How to reach the server without the transaction pooler, in the terms of this run's configuration.
    fn direct_url_hint(&self) -> String {
        let s = &self.settings;
        match (&s.direct_url_env, &s.direct_conn) {
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
