//! Roles that the proof's and drift's migrations create. A role is the server's, not the scratch database's,
//! so dropping the scratch database leaves it behind, and the next check's `CREATE ROLE` would fail on it. The
//! check drops the roles it created itself: those whose names were not there before it ran and its
//! migrations create. A
//! `DROP ROLE` without CASCADE, so a role that anything else has come to depend on stays (with a warning).

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, Result};
use postgres::Client;

use crate::ctx::Ctx;
use crate::db::quote_ident;
use crate::migrations::MigrationCatalog;

/// The server's roles before the check's scratch databases, when a migration creates roles; dropping it
/// drops the roles created since that the migrations name.
pub struct CreatedRoles<'a> {
    ctx: &'a Ctx,
    admin: Client,
    /// By name: a down script may drop a role that was there and the next up create it again.
    before: BTreeSet<String>,
    names: BTreeSet<String>,
}

impl<'a> CreatedRoles<'a> {
    /// `None` when no migration creates a role (nothing to watch) or the maintenance database cannot be
    /// reached (the proof will say so itself).
    pub fn watch(ctx: &'a Ctx, catalog: &MigrationCatalog) -> Option<Self> {
        let names: BTreeSet<String> = catalog
            .migrations
            .iter()
            .flat_map(|m| std::iter::once(&m.up).chain(m.down.as_ref()))
            .flat_map(|s| created_roles(&s.sql))
            .collect();
        if names.is_empty() {
            return None;
        }
        let s = &ctx.settings;
        let mut admin = ctx.connect_to(&s.conn.with_dbname(&s.maintenance_db).ok()?, Duration::ZERO).ok()?;
        let before = admin.query("SELECT rolname::text FROM pg_roles", &[]).ok()?.iter().map(|r| r.get(0)).collect();
        Some(Self { ctx, admin, before, names })
    }

    fn drop_new(&mut self) -> Result<Vec<String>> {
        let rows = self.admin.query("SELECT rolname::text FROM pg_roles", &[]).context("could not list the roles")?;
        let mut dropped = Vec::new();
        for row in rows {
            let name: String = row.get(0);
            if self.before.contains(&name) || !self.names.contains(&name) {
                continue;
            }
            let sql = format!("DROP ROLE {}", quote_ident(&name));
            if let Err(e) = self.admin.batch_execute(&sql) {
                self.ctx.out().status(&format!(
                    "warning: role {name}, created by the check's migrations, is left on the server ({}); drop it with: {sql}",
                    crate::db::connect::describe(&e)
                ));
                continue;
            }
            dropped.push(name);
        }
        Ok(dropped)
    }
}

impl Drop for CreatedRoles<'_> {
    fn drop(&mut self) {
        match self.drop_new() {
            Ok(dropped) if !dropped.is_empty() => self.ctx.out().status(&format!(
                "dropped role(s) {} that the check's migrations created on the server",
                dropped.join(", ")
            )),
            Ok(_) => {}
            Err(e) => self.ctx.out().status(&format!("warning: could not drop the roles the check created: {e:#}")),
        }
    }
}

/// The names a script's `CREATE ROLE`, `CREATE USER` and `CREATE GROUP` statements give (folded to lower case
/// unless quoted), wherever they stand (a DO block's too; a name built at run time is not seen).
fn created_roles(sql: &str) -> Vec<String> {
    let lower = sql.to_ascii_lowercase();
    let words: Vec<(usize, &str)> = word_starts(&lower);
    let mut names = Vec::new();
    for w in words.windows(3) {
        let [(_, create), (_, kind), (at, _)] = w else { continue };
        if *create != "create" || !matches!(*kind, "role" | "user" | "group") {
            continue;
        }
        let rest = &sql[*at..];
        // Quoted: as written, a doubled quote standing for one; else folded as the server folds (ASCII only).
        let name = match rest.strip_prefix('"') {
            Some(quoted) => quoted_name(quoted),
            None => rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .next()
                .unwrap_or("")
                .to_ascii_lowercase(),
        };
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// A quoted name's text after its opening quote, up to the closing one.
fn quoted_name(rest: &str) -> String {
    let mut name = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() != Some(&'"') {
                break;
            }
            chars.next();
        }
        name.push(c);
    }
    name
}

/// Each word of `text` with where it starts (a quoted name is one word, from its opening quote).
fn word_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            let end = text[i + 1..].find('"').map_or(text.len(), |e| i + 2 + e);
            out.push((i, &text[i..end]));
            while chars.peek().is_some_and(|(j, _)| *j < end) {
                chars.next();
            }
        } else if c.is_alphanumeric() || c == '_' {
            let end =
                text[i..].find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).map_or(text.len(), |e| i + e);
            out.push((i, &text[i..end]));
            while chars.peek().is_some_and(|(j, _)| *j < end) {
                chars.next();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::created_roles;

    #[test]
    fn the_roles_a_script_creates_are_named() {
        assert_eq!(created_roles("CREATE ROLE Rv_Ärger; CREATE ROLE \"a\"\"b\";"), ["rv_Ärger", "a\"b"]);
        let sql = "CREATE ROLE app_reader NOLOGIN; create user \"Auditor\" LOGIN;
                   DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'x') THEN CREATE GROUP Staff; END IF; END $$;
                   CREATE USER MAPPING FOR app_reader SERVER s; CREATE TABLE role (id int);";
        assert_eq!(created_roles(sql), ["app_reader", "Auditor", "staff", "mapping"]);
    }
}
