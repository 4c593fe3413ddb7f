//! `rehab new NAME`: the next migration and its down script, numbered one above the highest version in
//! the migrations folder, with a name refinery will not skip.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::NewArgs;
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::migrations::MigrationCatalog;
use crate::migrations::catalog::{self, IRREVERSIBLE_MARKER};

#[derive(Debug, Serialize)]
pub struct NewReport {
    pub version: i32,
    pub name: String,
    /// The folder, created by this run when `created_dir` is true.
    pub dir: PathBuf,
    pub created_dir: bool,
    pub up: PathBuf,
    pub down: PathBuf,
    pub irreversible: bool,
}

pub fn run(ctx: &Ctx, args: &NewArgs) -> Result<NewReport> {
    let dir = match &ctx.settings.migrations_dir {
        Some(d) => d.clone(),
        None => std::env::current_dir()?.join("migrations"),
    };
    catalog::check_name(&args.name).map_err(|why| {
        CliError::usage(format!("cannot create migration `{}`: {why}", args.name))
            .with_hint("use snake_case, e.g. `rehab new add_patient_notes`")
    })?;
    let created_dir = !dir.is_dir();
    let in_folder = if created_dir { None } else { MigrationCatalog::from_dir(&dir)?.latest_version() };
    // Numbered above the set runs use too (the built-in one, without --migrations), so the new file never
    // lands below an applied version.
    let active = ctx.settings.catalog()?;
    let latest = in_folder.max(active.latest_version());
    let version = match latest {
        None => 1,
        Some(v) => v.checked_add(1).ok_or_else(|| {
            CliError::usage(format!("V{v} in {} is the highest version refinery can store", dir.display()))
        })?,
    };
    if created_dir {
        std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    }
    let stem = format!("V{version}__{}", args.name);
    let up = dir.join(format!("{stem}.sql"));
    let down = dir.join(format!("{stem}.down.sql"));
    let up_sql = format!(
        "-- V{version} {}: write the change here. Each migration runs in its own transaction;\n-- put `-- rehab:no-transaction` on the first line for statements that cannot (CREATE INDEX CONCURRENTLY).\n\n",
        args.name
    );
    let down_sql = if args.irreversible {
        format!(
            "{IRREVERSIBLE_MARKER}\n-- V{version} {} cannot be undone: `rehab rollback` refuses to go below it.\n",
            args.name
        )
    } else {
        format!("-- Undo V{version} {}: reverse every statement of {stem}.sql, newest first.\n\n", args.name)
    };
    write_new(&up, &up_sql)?;
    if let Err(e) = write_new(&down, &down_sql) {
        // Do not leave half a pair behind.
        let _ = std::fs::remove_file(&up);
        return Err(e);
    }
    if ctx.settings.migrations_dir.is_none() {
        ctx.out().status(&format!(
            "note: runs without --migrations use the migrations built into rehab: rebuild rehab (cargo build) to \
             embed V{version}, or pass --migrations {} (or set [migrations] dir)",
            dir.display()
        ));
    }
    Ok(NewReport { version, name: args.name.clone(), dir, created_dir, up, down, irreversible: args.irreversible })
}

fn write_new(path: &Path, text: &str) -> Result<()> {
    let mut file = std::fs::File::create_new(path).with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("could not write {}", path.display()))
}
