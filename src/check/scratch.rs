//! The scratch database `rehab check` proves and compares in: created for the run from `template0` on the
//! target's server, with the configured extensions, and dropped afterwards whatever happens: by a guard on
//! the normal and the error paths, and by an interrupt cleanup on Ctrl-C or SIGTERM (from a connection of
//! its own, `WITH (FORCE)`, since the run's connection is still inside it).

use std::time::Duration;

use anyhow::{Context, Result};
use postgres::Client;
use postgres::error::SqlState;

use crate::ctx::Ctx;
use crate::db::{ConnInfo, admin, connect, quote_ident};
use crate::error::CliError;
use crate::interrupt::{self, Registration};
use crate::output::Output;

/// A scratch database and one connection to it, both gone when this is dropped.
pub struct Scratch {
    pub name: String,
    client: Option<Client>,
    /// Kept open for the drop, so the end of the run needs no new connection.
    admin: Option<Client>,
    admin_info: ConnInfo,
    out: Output,
    timeout: Duration,
    _on_interrupt: Registration,
}

impl Scratch {
    /// Creates `rehab_check_<pid>_<random>` next to the target; `purpose` says in the status line what for.
    pub fn create(ctx: &Ctx, purpose: &str) -> Result<Self> {
        let s = &ctx.settings;
        let name = format!("rehab_check_{}_{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let admin_info = s.conn.with_dbname(&s.maintenance_db)?;
        let (out, timeout) = (*ctx.out(), s.connect_timeout);
        // Registered before the database exists: dropping one that is not there yet is harmless, and an
        // interrupt right after CREATE DATABASE must not leave it behind.
        let on_interrupt = {
            let (info, name) = (admin_info.clone(), name.clone());
            interrupt::on_interrupt(move || {
                // A CREATE DATABASE still running commits after a drop sent now, which would find nothing:
                // wait for it to return first (the lock is held only around it).
                let _created = CREATING.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                out.status(&format!("interrupted: dropping scratch database {name}"));
                if let Err(e) = drop_database(None, &info, &name, timeout) {
                    out.status(&leak_warning(&name, &e));
                }
            })
        };
        let mut admin_client = ctx.connect_to(&admin_info, Duration::ZERO).with_context(|| {
            format!(
                "the scratch database for the {purpose} is created through the maintenance database `{}`",
                s.maintenance_db
            )
        })?;
        {
            let _creating = CREATING.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            // The handler flags the interrupt before it takes the cleanups: seen here, after this one was
            // registered, the cleanups may have been taken without it, and a database created now would
            // outlive the run.
            if interrupt::requested() {
                return Err(CliError::interrupted("interrupted before the scratch database was created").into());
            }
            create(&mut admin_client, &name)?;
        }
        let mut scratch = Self {
            name,
            client: None,
            admin: Some(admin_client),
            admin_info,
            out,
            timeout,
            _on_interrupt: on_interrupt,
        };
        ctx.out().status(&format!("created scratch database {} for the {purpose} (dropped afterwards)", scratch.name));
        let mut client = ctx.connect_to(&s.conn.with_dbname(&scratch.name)?, Duration::ZERO)?;
        admin::create_extensions(&mut client, &s.extensions)?;
        // A scratch database is thrown away: waiting for each commit's flush would only slow the proof down.
        client.batch_execute("SET synchronous_commit = off").context("could not set synchronous_commit")?;
        scratch.client = Some(client);
        Ok(scratch)
    }

    /// The one connection to the scratch database, reused for everything run in it.
    pub fn client(&mut self) -> &mut Client {
        self.client.as_mut().expect("the scratch connection lives as long as the scratch database")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Our own session first, so the drop need not force anything on the normal path.
        drop(self.client.take());
        match drop_database(self.admin.take(), &self.admin_info, &self.name, self.timeout) {
            Ok(()) => self.out.detail(&format!("dropped scratch database {}", self.name)),
            Err(e) => self.out.status(&leak_warning(&self.name, &e)),
        }
    }
}

/// Held shared around each CREATE DATABASE (side-by-side proofs create theirs together) and exclusively by an
/// interrupt's drop, which so runs only once every database being created is committed.
static CREATING: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn create(admin_client: &mut Client, name: &str) -> Result<()> {
    admin_client.batch_execute(&format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(name))).map_err(|e| {
        let why = if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
            "the role needs CREATEDB for the proof and for --drift (`rehab check --no-proof` lints without the proof)"
        } else {
            "see the server's message above"
        };
        anyhow::Error::new(e).context(format!("could not create the scratch database `{name}`: {why}"))
    })
}

/// `DROP DATABASE IF EXISTS .. WITH (FORCE)` through `admin_client`, or a fresh connection when there is
/// none or it broke. FORCE ends sessions still inside (ours, on an interrupt, or a closing one).
fn drop_database(admin_client: Option<Client>, info: &ConnInfo, name: &str, timeout: Duration) -> Result<()> {
    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name));
    if let Some(mut c) = admin_client
        && c.batch_execute(&sql).is_ok()
    {
        return Ok(());
    }
    let mut c = connect::connect(info, "check", timeout)?;
    c.batch_execute(&sql).with_context(|| format!("could not drop the scratch database `{name}`"))
}

fn leak_warning(name: &str, e: &anyhow::Error) -> String {
    format!(
        "warning: scratch database {name} may be left behind ({e:#}); drop it with: DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    )
}
