//! Safety guards shared by the destructive commands (`reset`, `rollback`, `seed`): protected environments,
//! in the config and in the database's own marker, and confirmation. Each refusal exits 4 and changes nothing.

use anyhow::{Context, Result};
use postgres::Client;

use crate::ctx::Ctx;
use crate::db::marker::{self, EnvironmentMarker};
use crate::error::CliError;
use crate::output::prompt::{self, Confirmation};

/// The one protection guard of every destructive command (`reset`, `rollback`, `seed`, `seed --replace`):
/// refuses an environment marked protected in the config, then a database whose stored marker says
/// protected, unless `--allow-protected`. Returns the stored marker for the caller to keep.
pub fn destructive(ctx: &Ctx, client: &mut Client, action: &str, allow: bool) -> Result<Option<EnvironmentMarker>> {
    protected_config(ctx, action, allow)?;
    let stored = marker::read(client)?;
    protected_marker(ctx, stored.as_ref(), action, allow)?;
    Ok(stored)
}

/// Refuses an environment marked `protected = true` in the config, unless `--allow-protected`.
fn protected_config(ctx: &Ctx, action: &str, allow: bool) -> Result<()> {
    let s = &ctx.settings;
    if !s.protected || allow {
        return Ok(());
    }
    let env = s.env_name.as_deref().unwrap_or_default();
    let file = s.config_path.as_ref().map_or_else(|| "the config".to_string(), |p| p.display().to_string());
    Err(CliError::refused(format!(
        "refusing to {action} {}: environment `{env}` is marked `protected = true` in {file}; nothing was changed",
        s.conn.redacted()
    ))
    .with_hint(format!("pass --allow-protected if you really mean to {action} this database"))
    .into())
}

/// Refuses a database whose stored marker says it belongs to a protected environment, whatever the
/// config in hand says, unless `--allow-protected`.
fn protected_marker(ctx: &Ctx, stored: Option<&EnvironmentMarker>, action: &str, allow: bool) -> Result<()> {
    match stored.filter(|m| m.protected) {
        Some(m) if !allow => Err(CliError::refused(format!(
            "refusing to {action} {}: the database itself is marked as belonging to the protected environment `{}` ({}), whatever the config in hand says; nothing was changed",
            ctx.settings.conn.redacted(),
            m.environment,
            marker::MARKER_TABLE
        ))
        .with_hint(format!(
            "check that you are pointing at the right database; pass --allow-protected if you really mean to {action} it (the mark stays)"
        ))
        .into()),
        _ => Ok(()),
    }
}

/// How the person confirms: typing the database name (for wiping everything) or answering yes.
#[derive(Clone, Copy)]
pub enum Ask {
    TypeDatabaseName,
    YesNo,
}

/// Unless `--yes`: asks on a terminal; refuses when there is none, or when the answer is not a yes.
pub fn confirm(ctx: &Ctx, action: &str, question: &str, ask: Ask) -> Result<()> {
    let s = &ctx.settings;
    if s.yes {
        return Ok(());
    }
    let answer = match ask {
        Ask::TypeDatabaseName => prompt::type_to_confirm(question, &s.conn.dbname),
        Ask::YesNo => prompt::yes_no(question),
    }
    .context("could not read the confirmation")?;
    match answer {
        Confirmation::Confirmed => Ok(()),
        Confirmation::Declined => Err(CliError::refused(format!("{action} cancelled; nothing was changed")).into()),
        Confirmation::NotInteractive => Err(CliError::refused(format!(
            "refusing to {action} {} without confirmation: stdin is not a terminal; nothing was changed",
            s.conn.redacted()
        ))
        .with_hint(match ask {
            Ask::TypeDatabaseName => {
                "pass --yes to confirm in scripts and CI, or run it in a terminal and type the database name"
            }
            Ask::YesNo => "pass --yes to confirm in scripts and CI, or run it in a terminal and answer y",
        })
        .into()),
    }
}
