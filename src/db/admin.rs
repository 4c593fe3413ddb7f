//! Database-level administration through the maintenance database: exists, create, drop; and the one
//! helper that quotes identifiers.

use anyhow::{Context, Result};
use postgres::Client;
use postgres::error::SqlState;

/// Quotes an identifier for SQL; every identifier rehab puts into SQL text goes through here.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub fn database_exists(admin: &mut Client, name: &str) -> Result<bool> {
    let row = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .context("could not look up the database in pg_database")?;
    Ok(row.is_some())
}

/// Creates `name`; returns false when it already existed (also when a concurrent run created it first).
pub fn create_database(admin: &mut Client, name: &str) -> Result<bool> {
    if database_exists(admin, name)? {
        return Ok(false);
    }
    match admin.batch_execute(&format!("CREATE DATABASE {}", quote_ident(name))) {
        Ok(()) => Ok(true),
        // A concurrent creator that committed first gives 42P04; one that is still committing when our
        // insert into pg_database runs gives a unique violation on its name index. Both mean "exists".
        Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) || e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Ok(false)
        }
        Err(e) => Err(e).with_context(|| format!("could not create database `{name}`")),
    }
}

/// True when the table (or view) `name`, schema-qualified as in SQL, exists in the connected database.
pub fn relation_exists(client: &mut impl postgres::GenericClient, name: &str) -> Result<bool> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .with_context(|| format!("could not look for {name}"))?;
    Ok(row.get(0))
}

/// `CREATE EXTENSION IF NOT EXISTS` for each configured extension (`setup` and `reset`).
pub fn create_extensions(client: &mut impl postgres::GenericClient, extensions: &[String]) -> Result<()> {
    for ext in extensions {
        client
            .batch_execute(&format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(ext)))
            .with_context(|| format!("could not create extension `{ext}` (listed in [database] extensions)"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::quote_ident;

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(quote_ident("plain"), "\"plain\"");
        assert_eq!(quote_ident("it's \"x\" y"), "\"it's \"\"x\"\" y\"");
    }
}
