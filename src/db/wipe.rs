//! Empties a database without dropping it (managed servers often forbid that): lists every object in
//! every non-system schema from the catalogs, then drops the extensions and the schemas with CASCADE and
//! recreates `public` as a fresh database has it. Objects no migration created go too: that is the point.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use postgres::GenericClient;
use serde::Serialize;

use super::{USER_SCHEMAS, quote_ident};

/// Every object a reset drops, by kind. Objects that belong to an extension are listed under it.
const INVENTORY: &str = r"
WITH ns AS (SELECT oid, nspname FROM pg_namespace n WHERE {user_schemas}),
ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT kind, name FROM (
    SELECT 'schema' AS kind, quote_ident(nspname) AS name FROM ns
  UNION ALL
    SELECT 'extension', quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql'
  UNION ALL
    -- Database-wide objects outside any schema that a fresh database does not have either.
    SELECT 'event trigger', quote_ident(evtname) FROM pg_event_trigger e
     WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_event_trigger'::regclass AND ext.objid = e.oid)
  UNION ALL
    SELECT 'publication', quote_ident(pubname) FROM pg_publication
  UNION ALL
    SELECT 'large object', oid::text FROM pg_largeobject_metadata
  UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                          WHEN 'f' THEN 'foreign table' ELSE 'table' END,
           quote_ident(ns.nspname) || '.' || quote_ident(c.relname)
      FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
  UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
           quote_ident(ns.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')'
      FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
     -- Skips the constructors a range type makes for itself (an internal dependency): they go with it.
     WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                                   AND d.deptype IN ('e', 'i'))
  UNION ALL
    SELECT 'trigger', quote_ident(t.tgname) || ' on ' || quote_ident(ns.nspname) || '.' || quote_ident(c.relname)
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON ns.oid = c.relnamespace
     WHERE NOT t.tgisinternal
  UNION ALL
    SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type'
                          ELSE 'composite type' END,
           quote_ident(ns.nspname) || '.' || quote_ident(t.typname)
      FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
     WHERE (t.typtype IN ('e', 'd', 'r')
            OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
) o
ORDER BY kind, name";

/// The objects of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectGroup {
    pub kind: String,
    pub count: usize,
    /// Schema-qualified and quoted as in SQL.
    pub objects: Vec<String>,
}

/// What is in the database now, grouped by kind, in a fixed order (schemas first, extensions second).
pub fn inventory(client: &mut impl GenericClient) -> Result<Vec<ObjectGroup>> {
    let rows = client
        .query(&INVENTORY.replace("{user_schemas}", USER_SCHEMAS), &[])
        .context("could not list the objects in the database")?;
    let mut by_kind: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &rows {
        by_kind.entry(r.get(0)).or_default().push(r.get(1));
    }
    let rank = |k: &str| match k {
        "schema" => 0,
        "extension" => 1,
        _ => 2,
    };
    let mut groups: Vec<ObjectGroup> =
        by_kind.into_iter().map(|(kind, objects)| ObjectGroup { count: objects.len(), kind, objects }).collect();
    groups.sort_by(|a, b| rank(&a.kind).cmp(&rank(&b.kind)).then_with(|| a.kind.cmp(&b.kind)));
    Ok(groups)
}

/// Drops event triggers, publications, large objects, every extension (but plpgsql) and every
/// non-system schema, then recreates `public` with the owner, privileges and comment of a fresh database.
/// Run it inside a transaction: all or nothing.
pub fn drop_everything(client: &mut impl GenericClient) -> Result<()> {
    let mut list = |sql: &str| -> Result<Vec<String>> {
        Ok(client.query(sql, &[])?.iter().map(|r| quote_ident(r.get::<_, &str>(0))).collect())
    };
    let extensions = list("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname")
        .context("could not list extensions")?;
    let schemas = list(&format!("SELECT nspname FROM pg_namespace n WHERE {USER_SCHEMAS} ORDER BY nspname"))
        .context("could not list schemas")?;
    let event_triggers =
        list("SELECT evtname FROM pg_event_trigger ORDER BY 1").context("could not list event triggers")?;
    let publications = list("SELECT pubname FROM pg_publication ORDER BY 1").context("could not list publications")?;
    for t in &event_triggers {
        client
            .batch_execute(&format!("DROP EVENT TRIGGER IF EXISTS {t}"))
            .with_context(|| format!("could not drop event trigger {t}"))?;
    }
    if !publications.is_empty() {
        client
            .batch_execute(&format!("DROP PUBLICATION IF EXISTS {}", publications.join(", ")))
            .with_context(|| format!("could not drop publications {}", publications.join(", ")))?;
    }
    client
        .batch_execute("SELECT lo_unlink(oid) FROM pg_largeobject_metadata")
        .context("could not remove large objects")?;
    if !extensions.is_empty() {
        client
            .batch_execute(&format!("DROP EXTENSION IF EXISTS {} CASCADE", extensions.join(", ")))
            .with_context(|| format!("could not drop extensions {}", extensions.join(", ")))?;
    }
    if !schemas.is_empty() {
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", schemas.join(", ")))
            .with_context(|| format!("could not drop schemas {}", schemas.join(", ")))?;
    }
    recreate_public(client)
}

/// `public` as `initdb` makes it. From PostgreSQL 15 on: owned by `pg_database_owner`, USAGE for
/// everyone (no CREATE); before 15: CREATE and USAGE for everyone.
fn recreate_public(client: &mut impl GenericClient) -> Result<()> {
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .context("could not read the server version")?
        .get(0);
    let sql = if version >= 150_000 {
        "CREATE SCHEMA public AUTHORIZATION pg_database_owner;
         GRANT USAGE ON SCHEMA public TO PUBLIC;
         COMMENT ON SCHEMA public IS 'standard public schema';"
    } else {
        "CREATE SCHEMA public;
         GRANT ALL ON SCHEMA public TO PUBLIC;
         COMMENT ON SCHEMA public IS 'standard public schema';"
    };
    client.batch_execute(sql).context("could not recreate schema public")
}
