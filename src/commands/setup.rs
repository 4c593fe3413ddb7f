//! `rehab setup`: create the database if it is missing, create the configured extensions, migrate.
//! Safe to run again: a second run changes nothing.

use std::time::Duration;

use anyhow::{Context, Result};
use postgres::error::SqlState;
use serde::Serialize;

use super::migrate::{self, MigrateReport};
use super::seed::{self, SeedReport};
use crate::cli::SetupArgs;
use crate::ctx::Ctx;
use crate::db::admin;
use crate::db::error::sqlstate_of;
use crate::migrations::apply::MigrateOptions;
use crate::seed::SeedOptions;

#[derive(Debug, Serialize)]
pub struct SetupReport {
    pub database: String,
    pub created: bool,
    pub extensions: Vec<String>,
    pub migrate: MigrateReport,
    /// Present with `--seed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<SeedReport>,
}

pub fn run(ctx: &Ctx, args: &SetupArgs) -> Result<SetupReport> {
    let s = &ctx.settings;
    // Validate the migrations and the seed profile before creating anything.
    let catalog = s.catalog()?;
    if args.seed {
        crate::seed::profile::Profile::load(&s.seed_profile, 1.0)?;
    }
    let wait = Duration::from_secs(args.wait);
    // Connect to the target first: on managed servers the maintenance database may be off limits.
    let (mut client, created) = match ctx.connect_waiting(wait) {
        Ok(c) => (c, false),
        Err(e) if sqlstate_of(&e) == Some(SqlState::INVALID_CATALOG_NAME.code()) => {
            let admin_info = s.conn.with_dbname(&s.maintenance_db)?;
            let mut admin_client = ctx.connect_to(&admin_info, Duration::ZERO).with_context(|| {
                format!(
                    "database `{}` does not exist and the maintenance database `{}` is needed to create it",
                    s.conn.dbname, s.maintenance_db
                )
            })?;
            // Reported once, on stdout, by the report ("Database ...: created.").
            let created = admin::create_database(&mut admin_client, &s.conn.dbname)?;
            (ctx.connect()?, created)
        }
        Err(e) => return Err(e),
    };
    admin::create_extensions(&mut client, &s.extensions)?;
    let migrate = migrate::migrate_with(ctx, &mut client, &catalog, &MigrateOptions::all(s.lock_timeout))?;
    drop(client);
    let opts = SeedOptions::environment(&s.seed_profile);
    let seed = if args.seed { Some(seed::seed_with(ctx, &opts, false)?) } else { None };
    Ok(SetupReport { database: s.conn.redacted(), created, extensions: s.extensions.clone(), migrate, seed })
}
