//! The incremental snapshot's fast path for a superuser: two event triggers log, in a temporary table of the
//! proof's own session, each object a DDL command created, altered or dropped. A step then learns what
//! changed in the large catalogs (relations, types, functions, constraints, defaults, comments, dependencies)
//! from the log and the objects it names, instead of scanning them whole for rows written since the last
//! step, which was most of a step's time. The small catalogs are still counted and scanned as before
//! ([`super::census`]), so what a command changes there without naming it (a detached partition, an
//! operator's commutator) is still seen. What the log cannot see is left to a full read: a GRANT names no
//! object (the catalogs it may have written are scanned), and a proof whose migrations write catalog rows
//! themselves, `CLUSTER` a table or create event triggers does not use the log at all.

use anyhow::{Context, Result};

use crate::migrations::MigrationCatalog;

/// The large catalogs the log stands for: not counted, not scanned (the log names what changed in them).
pub const LOGGED: &[&str] =
    &["pg_class", "pg_type", "pg_proc", "pg_constraint", "pg_attrdef", "pg_description", "pg_depend"];

/// The scans of the census's unlisted catalogs the log stands for too.
pub const LOGGED_WRITTEN: &[&str] = &["pg_attribute", "pg_index", "pg_sequence"];

/// Creates the log table, its function and the two event triggers (enabled `ALWAYS`, so a migration's
/// `session_replication_role` cannot silence them). Superuser only; the function and the table are
/// temporary, so they go with the session, and the triggers with the function.
pub const INSTALL: &str = "
CREATE TEMPORARY TABLE rehab_check_ddl (cls oid, obj oid, sub int, tag text, otype text, dropped boolean);
CREATE FUNCTION pg_temp.rehab_check_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- Another session's DDL (nobody else should connect) finds no table of its own here and is left alone.
  IF to_regclass('pg_temp.rehab_check_ddl') IS NULL THEN
    RETURN;
  END IF;
  IF TG_EVENT = 'sql_drop' THEN
    INSERT INTO pg_temp.rehab_check_ddl SELECT classid, objid, objsubid, TG_TAG, object_type, true FROM pg_event_trigger_dropped_objects();
  ELSE
    INSERT INTO pg_temp.rehab_check_ddl SELECT classid, objid, objsubid, command_tag, object_type, false FROM pg_event_trigger_ddl_commands();
  END IF;
END
$$;
CREATE EVENT TRIGGER rehab_check_ddl_end ON ddl_command_end EXECUTE FUNCTION pg_temp.rehab_check_ddl();
CREATE EVENT TRIGGER rehab_check_ddl_drop ON sql_drop EXECUTE FUNCTION pg_temp.rehab_check_ddl();
ALTER EVENT TRIGGER rehab_check_ddl_end ENABLE ALWAYS;
ALTER EVENT TRIGGER rehab_check_ddl_drop ENABLE ALWAYS";

/// The log's rows since the last step, taken out of it (a temporary table may be written in a read-only
/// transaction), and the relations and types they name that still exist: with the typed tables of a named
/// composite type, every relation above and below a named one in its inheritance or partition tree (a column
/// added to a table reaches its grandchildren, an index attached to a partition's index can make the one above
/// it valid), their TOAST tables and owned sequences (moved by SET SCHEMA without being named), row types, and
/// a range's multirange (whose constructors depend on it alone). The parts of those units (indexes,
/// constraints, defaults, array types) are read from them.
pub const LOG_CTES: &str = "log AS (DELETE FROM pg_temp.rehab_check_ddl RETURNING cls, obj, sub, tag, otype, dropped),
named(oid) AS MATERIALIZED (
  SELECT DISTINCT l.obj FROM log l WHERE l.cls = 'pg_class'::regclass AND (NOT l.dropped OR l.sub <> 0)
),
composites(oid) AS MATERIALIZED (
  SELECT l.obj FROM log l WHERE l.cls = 'pg_type'::regclass AND NOT l.dropped
  UNION SELECT c.reltype FROM named n JOIN pg_class c ON c.oid = n.oid AND c.relkind = 'c'
),
typed(oid) AS (
  SELECT c.oid FROM pg_class c WHERE EXISTS (SELECT 1 FROM composites) AND c.reloftype IN (SELECT oid FROM composites)
),
below(oid) AS (
  SELECT oid FROM named UNION SELECT oid FROM typed
  UNION SELECT i.inhrelid FROM below b JOIN pg_inherits i ON i.inhparent = b.oid
),
above(oid) AS (SELECT oid FROM named UNION SELECT i.inhparent FROM above a JOIN pg_inherits i ON i.inhrelid = a.oid),
tree(oid) AS MATERIALIZED (
  SELECT c.oid FROM (SELECT oid FROM below UNION SELECT oid FROM above) t JOIN pg_class c ON c.oid = t.oid
),
rels(oid) AS MATERIALIZED (
  SELECT oid FROM tree UNION SELECT c.reltoastrelid FROM tree t JOIN pg_class c ON c.oid = t.oid WHERE c.reltoastrelid <> 0
  UNION SELECT o.oid FROM tree t, LATERAL (
    SELECT s.oid FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid
      AND d.deptype IN ('a', 'i')
    -- OFFSET 0: probed per relation of the tree. Joined flat, the generic plan (which guesses the tree large)
    -- walked every sequence's pg_depend rows each step, 1.6 ms of a 4.5 ms query at 200 tables.
    OFFSET 0) o
),
types(oid) AS MATERIALIZED (
  SELECT t.oid FROM log l JOIN pg_type t ON l.cls = 'pg_type'::regclass AND t.oid = l.obj WHERE NOT l.dropped
  UNION SELECT c.reltype FROM rels r JOIN pg_class c ON c.oid = r.oid WHERE c.reltype <> 0
  UNION SELECT g.rngmultitypid FROM log l JOIN pg_range g ON l.cls = 'pg_type'::regclass AND g.rngtypid = l.obj
  WHERE NOT l.dropped
),
grants(otype) AS MATERIALIZED (SELECT DISTINCT otype FROM log WHERE cls IS NULL AND tag IN ('GRANT', 'REVOKE')),";

/// [`LOGGED`] as a SQL list of `regclass` constants.
fn large_catalogs() -> String {
    LOGGED.iter().map(|c| format!("'{c}'::regclass")).collect::<Vec<_>>().join(", ")
}

/// Rows of the census's `written(cat, key, cls, obj)`: each object the log names as created or altered (or
/// whose column was dropped: a type dropped with CASCADE takes a table's column without naming the table), the
/// parts of its unit kept in the large catalogs (keyed, so a later drop of one of them finds its unit), and,
/// after a GRANT or REVOKE, the rows written in the catalogs whose privileges it may have changed.
pub fn written() -> String {
    let keyed = |cat: &str, obj: &str, from: &str| {
        format!("SELECT '{cat}'::text, ({obj})::text, '{cat}'::regclass::oid, {obj} FROM {from}")
    };
    let granted = |select: &str, table: &str, filter: &str, types: &str| {
        format!(
            "SELECT {select} FROM {table} WHERE EXISTS (SELECT 1 FROM grants WHERE otype IN ({types}))
    AND {filter} AND age(xmin) <= (SELECT age FROM mark)"
        )
    };
    let big = large_catalogs();
    [
        format!(
            "SELECT CASE WHEN l.cls IN ({big}) AND NOT l.dropped THEN l.cls::regclass::text END,
    CASE WHEN l.cls IN ({big}) AND NOT l.dropped THEN l.obj::text END, l.cls, l.obj
  FROM log l WHERE (NOT l.dropped OR l.sub <> 0) AND l.cls IS NOT NULL"
        ),
        keyed("pg_class", "r.oid", "rels r"),
        keyed("pg_class", "i.indexrelid", "rels r JOIN pg_index i ON i.indrelid = r.oid"),
        keyed("pg_type", "t.oid", "types t"),
        keyed("pg_type", "a.typarray", "types t JOIN pg_type a ON a.oid = t.oid AND a.typarray <> 0"),
        keyed("pg_constraint", "c.oid", "rels r JOIN pg_constraint c ON c.conrelid = r.oid"),
        keyed("pg_constraint", "c.oid", "types t JOIN pg_constraint c ON c.conrelid = 0 AND c.contypid = t.oid"),
        keyed("pg_attrdef", "d.oid", "rels r JOIN pg_attrdef d ON d.adrelid = r.oid"),
        granted(
            "'pg_class'::text, oid::text, 'pg_class'::regclass::oid, oid",
            "pg_class",
            "oid >= 16384",
            "'TABLE', 'SEQUENCE', 'COLUMN'",
        ),
        granted(
            "NULL::text, NULL::text, 'pg_class'::regclass::oid, attrelid",
            "pg_attribute",
            "attrelid::int8 >= 16384",
            "'TABLE', 'COLUMN'",
        ),
        granted(
            "'pg_proc'::text, oid::text, 'pg_proc'::regclass::oid, oid",
            "pg_proc",
            "oid >= 16384",
            "'FUNCTION', 'PROCEDURE', 'ROUTINE'",
        ),
        granted(
            "'pg_type'::text, oid::text, 'pg_type'::regclass::oid, oid",
            "pg_type",
            "oid >= 16384",
            "'TYPE', 'DOMAIN'",
        ),
    ]
    .join("\n  UNION ALL ")
}

/// The catalog and key of a dependent `d` found through `pg_depend`, when it is in a large catalog: keyed, so
/// a later drop of it finds its unit.
pub fn dependent_key() -> String {
    let big = large_catalogs();
    format!(
        "CASE WHEN d.classid IN ({big}) THEN d.classid::regclass::text END, CASE WHEN d.classid IN ({big}) THEN d.objid::text END"
    )
}

/// The highest OID in the large catalogs.
pub const FLOOR: &str = "SELECT GREATEST((SELECT max(oid) FROM pg_class), (SELECT max(oid) FROM pg_type),
  (SELECT max(oid) FROM pg_proc), (SELECT max(oid) FROM pg_constraint), (SELECT max(oid) FROM pg_attrdef))";

/// The log's own rows of the changes query's result: `dropped` for each object dropped (its catalog and
/// OID: the tracker knows its unit; a dropped column is its table's change, which the log names as altered), `full` for what the log cannot follow (a command naming no object that
/// is not a GRANT of a kind it knows, an `ALTER EXTENSION`, which may change what belongs to it), `floor`
/// for [`FLOOR`] (an unknown object dropped above it was created since), `triggers` for how many of the log's
/// event triggers are still there and enabled.
pub fn outputs() -> String {
    format!(
        "
UNION ALL SELECT 'dropped', cls::regclass::text, obj::text, NULL FROM log WHERE dropped AND cls IS NOT NULL AND sub = 0
UNION ALL SELECT 'full', NULL, tag, NULL FROM log
  WHERE tag = 'ALTER EXTENSION' OR (cls IS NULL AND tag <> 'ALTER DEFAULT PRIVILEGES' AND NOT (tag IN ('GRANT', 'REVOKE')
    AND otype IN ('TABLE', 'SEQUENCE', 'COLUMN', 'FUNCTION', 'PROCEDURE', 'ROUTINE', 'TYPE', 'DOMAIN', 'SCHEMA', 'DATABASE',
                  'TABLESPACE', 'LANGUAGE', 'FOREIGN DATA WRAPPER', 'FOREIGN SERVER', 'LARGE OBJECT', 'PARAMETER')))
UNION ALL SELECT 'floor', NULL, ({FLOOR})::text, NULL
UNION ALL SELECT 'triggers', NULL, (SELECT count(*) FROM pg_event_trigger
  WHERE evtname IN ('rehab_check_ddl_end', 'rehab_check_ddl_drop') AND evtenabled = 'A')::text, NULL"
    )
}

/// Whether the log sees every change the catalog's migrations can make to what a snapshot reads. Not when a
/// migration writes catalog rows itself (`UPDATE pg_attribute ...`, no command to log), clusters a table
/// (an index's `clustered`, no event), reindexes (REINDEX CONCURRENTLY gives an index a new OID unlogged), creates or changes event triggers (whose own commands fire none, and
/// which may run DDL of their own), reassigns owned objects, or allows changes to the system catalogs. A word
/// test on the scripts' text, comments and strings included (a function body or a DO block counts too).
pub fn sees_everything(catalog: &MigrationCatalog) -> bool {
    catalog.migrations.iter().flat_map(|m| std::iter::once(&m.up).chain(m.down.as_ref())).all(|s| !blind_spot(&s.sql))
}

fn blind_spot(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"'))
        .filter(|w| !w.is_empty())
        .collect();
    // Any large catalog named in a script that writes anything (a statement's target, a string for EXECUTE, a
    // COPY): whether the write is to it is not told apart.
    let large = |w: &&str| {
        let name = w.replace('"', "").to_ascii_lowercase();
        let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
        LOGGED.iter().chain(LOGGED_WRITTEN).any(|c| *c == name)
    };
    let writes = words.iter().any(|w| matches!(*w, "UPDATE" | "INSERT" | "DELETE" | "MERGE" | "COPY"));
    let pairs = words.windows(2).any(|w| matches!(w, ["EVENT", "TRIGGER"] | ["REASSIGN", "OWNED"]));
    (writes && words.iter().any(large))
        || pairs
        || words.iter().any(|w| matches!(*w, "CLUSTER" | "REINDEX" | "ALLOW_SYSTEM_TABLE_MODS"))
}

/// Installs the DDL log in its own transaction; false when the server refuses it (only a superuser may
/// create event triggers), and the large catalogs are then scanned.
pub fn install(client: &mut postgres::Client) -> Result<bool> {
    let mut tx = client.transaction().context("could not start installing the DDL log")?;
    match tx.batch_execute(INSTALL) {
        Ok(()) => {
            tx.commit().context("could not install the DDL log")?;
            Ok(true)
        }
        // Refused by the server (a role that is not a superuser, a server without PL/pgSQL): the catalogs
        // are scanned instead. A lost connection is the proof's error.
        Err(e) if e.as_db_error().is_some() => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("could not install the DDL log in the scratch database")),
    }
}

#[cfg(test)]
mod tests {
    use super::blind_spot;

    #[test]
    fn the_log_is_not_used_where_it_would_miss_changes() {
        for sql in [
            "UPDATE pg_attribute SET attnotnull = true WHERE attrelid = 't'::regclass",
            "update pg_catalog.pg_constraint set convalidated = true",
            "DO $$ BEGIN EXECUTE 'DELETE FROM pg_catalog.pg_description WHERE objoid = 1'; END $$",
            "INSERT INTO \"pg_depend\" VALUES (1)",
            "UPDATE ONLY pg_catalog.pg_attribute SET attstattarget = 5",
            "DO $$ BEGIN EXECUTE format('UPDATE %I SET relname = relname', 'pg_class'); END $$",
            "COPY pg_catalog.pg_description FROM '/tmp/d'",
            "CREATE EVENT TRIGGER audit ON ddl_command_end EXECUTE FUNCTION f()",
            "CLUSTER t USING t_pkey",
            "REINDEX INDEX CONCURRENTLY t_idx",
            "REASSIGN OWNED BY alice TO bob",
            "SET allow_system_table_mods = on",
        ] {
            assert!(blind_spot(sql), "{sql}");
        }
        for sql in [
            "UPDATE accounts SET pg_note = 1",
            "INSERT INTO events SELECT * FROM pg_stat_activity",
            "SELECT count(*) FROM pg_class",
            "DELETE FROM sessions WHERE expires_at < now()",
            "CREATE TABLE t (id int); CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()",
            "GRANT SELECT ON t TO PUBLIC",
        ] {
            assert!(!blind_spot(sql), "{sql}");
        }
    }
}
