//! schema: leftovers and hazards found in the catalog (`pg_type`, `pg_index`, `pg_constraint`, `pg_sequences`),
//! never by reading user tables.

use super::{CheckCtx, CheckResult, Outcome, Status, join, list, statements, worst};
use crate::db::{USER_SCHEMAS, quote_ident};

/// `schema.name`, both quoted, for hints that are SQL.
fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// Enums, domains, ranges and stand-alone composite types that nothing depends on: no column, function,
/// other type, view or cast (`pg_depend` records each of those; internal entries such as the type's own
/// array or range constructors do not count). Types of extensions are left out.
pub fn unused_types(ctx: &mut CheckCtx) -> CheckResult {
    let sql = format!(
        "SELECT n.nspname::text, t.typname::text,
                CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range' ELSE 'composite' END
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE {USER_SCHEMAS}
            AND (t.typtype IN ('e', 'd', 'r')
                 OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
            AND NOT EXISTS (SELECT 1 FROM pg_depend e
                             WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
            AND NOT EXISTS (SELECT 1 FROM pg_depend d
                             WHERE d.refclassid = 'pg_type'::regclass AND d.refobjid IN (t.oid, t.typarray)
                               AND d.deptype <> 'i')
          ORDER BY 1, 2"
    );
    let rows = ctx.client()?.query(&sql, &[])?;
    if rows.is_empty() {
        return Ok(Outcome::ok("every enum, domain, range and composite type is in use"));
    }
    let found: Vec<String> =
        rows.iter().map(|r| format!("{} {}", r.get::<_, String>(2), qualified(r.get(0), r.get(1)))).collect();
    let drops: Vec<String> = rows.iter().map(|r| format!("DROP TYPE {};", qualified(r.get(0), r.get(1)))).collect();
    Ok(Outcome::new(
        Status::Warn,
        format!("{} used by no column, function or type: {}", found.len(), list(&found, 5)),
        format!("if no function body uses them either: {}", statements(&drops, 3)),
    )
    .with_objects(found))
}

/// Indexes left invalid by a failed `CREATE INDEX CONCURRENTLY` (or one still running): maintained on
/// every write, never used by a query.
pub fn invalid_indexes(ctx: &mut CheckCtx) -> CheckResult {
    let sql = format!(
        "SELECT n.nspname::text, ci.relname::text, ct.relname::text
           FROM pg_index i
           JOIN pg_class ci ON ci.oid = i.indexrelid
           JOIN pg_class ct ON ct.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = ci.relnamespace
          WHERE NOT i.indisvalid AND {USER_SCHEMAS}
          ORDER BY 1, 2"
    );
    let rows = ctx.client()?.query(&sql, &[])?;
    if rows.is_empty() {
        return Ok(Outcome::ok("no invalid index"));
    }
    let found: Vec<String> =
        rows.iter().map(|r| format!("{} on {}", qualified(r.get(0), r.get(1)), r.get::<_, String>(2))).collect();
    let fixes: Vec<String> =
        rows.iter().map(|r| format!("DROP INDEX CONCURRENTLY {};", qualified(r.get(0), r.get(1)))).collect();
    Ok(Outcome::new(
        Status::Fail,
        format!(
            "{} invalid (a failed CREATE INDEX CONCURRENTLY, unless one is running now): {}",
            found.len(),
            list(&found, 5)
        ),
        format!("drop each and create it again (or REINDEX INDEX CONCURRENTLY): {}", statements(&fixes, 3)),
    )
    .with_objects(found))
}

/// Foreign-key and check constraints added `NOT VALID` and never validated: old rows are unchecked.
pub fn unvalidated_constraints(ctx: &mut CheckCtx) -> CheckResult {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, k.conname::text
           FROM pg_constraint k
           JOIN pg_class c ON c.oid = k.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE NOT k.convalidated AND {USER_SCHEMAS}
          ORDER BY 1, 2, 3"
    );
    let rows = ctx.client()?.query(&sql, &[])?;
    if rows.is_empty() {
        return Ok(Outcome::ok("every constraint is validated"));
    }
    let found: Vec<String> =
        rows.iter().map(|r| format!("{} on {}", r.get::<_, String>(2), qualified(r.get(0), r.get(1)))).collect();
    let fixes: Vec<String> = rows
        .iter()
        .map(|r| {
            format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", qualified(r.get(0), r.get(1)), quote_ident(r.get(2)))
        })
        .collect();
    Ok(Outcome::new(Status::Warn, format!("{} NOT VALID: {}", found.len(), list(&found, 5)), statements(&fixes, 3))
        .with_objects(found))
}

/// Foreign keys whose columns are not the leading columns of a valid, non-partial index: deleting a
/// parent row scans the child table.
pub fn unindexed_foreign_keys(ctx: &mut CheckCtx) -> CheckResult {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, k.conname::text,
                array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.ord)
           FROM pg_constraint k
           JOIN pg_class c ON c.oid = k.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE k.contype = 'f' AND {USER_SCHEMAS}
            AND NOT EXISTS (
                SELECT 1 FROM pg_index i
                 WHERE i.indrelid = k.conrelid AND i.indisvalid AND i.indpred IS NULL
                   AND (i.indkey::int2[])[0:cardinality(k.conkey) - 1] @> k.conkey
                   AND (i.indkey::int2[])[0:cardinality(k.conkey) - 1] <@ k.conkey)
          ORDER BY 1, 2, 3"
    );
    let rows = ctx.client()?.query(&sql, &[])?;
    if rows.is_empty() {
        return Ok(Outcome::ok("every foreign key has an index"));
    }
    let columns =
        |r: &postgres::Row| r.get::<_, Vec<String>>(3).iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
    let found: Vec<String> = rows
        .iter()
        .map(|r| format!("{} ({}) on {}", r.get::<_, String>(2), columns(r), qualified(r.get(0), r.get(1))))
        .collect();
    let fixes: Vec<String> = rows
        .iter()
        .map(|r| format!("CREATE INDEX CONCURRENTLY ON {} ({});", qualified(r.get(0), r.get(1)), columns(r)))
        .collect();
    Ok(Outcome::new(
        Status::Warn,
        format!("{} without an index: {}", found.len(), list(&found, 5)),
        statements(&fixes, 3),
    )
    .with_objects(found))
}

pub fn tables_without_primary_key(ctx: &mut CheckCtx) -> CheckResult {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER_SCHEMAS}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
            AND NOT EXISTS (SELECT 1 FROM pg_depend e
                             WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
          ORDER BY 1, 2"
    );
    let rows = ctx.client()?.query(&sql, &[])?;
    if rows.is_empty() {
        return Ok(Outcome::ok("every table has a primary key"));
    }
    let found: Vec<String> = rows.iter().map(|r| qualified(r.get(0), r.get(1))).collect();
    Ok(Outcome::new(
        Status::Warn,
        format!("{} without a primary key: {}", found.len(), list(&found, 5)),
        "ALTER TABLE ... ADD PRIMARY KEY (...): logical replication and many tools need one",
    )
    .with_objects(found))
}

/// Sequences that can only count up to an int2/int4 limit (their own maximum or their column's type).
pub fn sequences(ctx: &mut CheckCtx) -> CheckResult {
    let (warn, fail) = (ctx.limits.sequence_warn_pct, ctx.limits.sequence_fail_pct);
    let rows = ctx.client()?.query(
        "WITH s AS (
             SELECT s.schemaname::text AS schema, s.sequencename::text AS name, s.last_value, s.max_value,
                    (SELECT format_type(a.atttypid, NULL)
                       FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) AS column_type
               FROM pg_sequences s
               JOIN pg_namespace n ON n.nspname = s.schemaname
               JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
              WHERE s.increment_by > 0)
         SELECT schema, name, last_value,
                least(max_value, CASE column_type WHEN 'smallint' THEN 32767 WHEN 'integer' THEN 2147483647
                                                  ELSE 9223372036854775807 END) AS lim
           FROM s ORDER BY 1, 2",
        &[],
    )?;
    let mut status = Status::Ok;
    let mut found = Vec::new();
    let mut watched = 0;
    for r in &rows {
        let (schema, name, last, limit): (String, String, Option<i64>, i64) = (r.get(0), r.get(1), r.get(2), r.get(3));
        if limit > i64::from(i32::MAX) {
            continue;
        }
        watched += 1;
        let pct = last.unwrap_or(0) as f64 * 100.0 / limit as f64;
        let this = Status::by_threshold(pct, warn, fail);
        if this == Status::Ok {
            continue;
        }
        status = worst(status, this);
        found.push(format!("{} at {pct:.1}% ({} of {limit})", qualified(&schema, &name), last.unwrap_or(0)));
    }
    Ok(if found.is_empty() {
        Outcome::ok(format!("{watched} int2/int4 sequences, all below {warn}% of their range"))
    } else {
        Outcome::new(
            status,
            list(&found, 5),
            "widen the column and the sequence to bigint (ALTER TABLE ... ALTER COLUMN ... TYPE bigint; ALTER SEQUENCE ... AS bigint) before it runs out",
        )
        .with_objects(found)
    })
}

/// The extensions `[database] extensions` requires.
pub fn extensions(ctx: &mut CheckCtx) -> CheckResult {
    let required = ctx.settings.extensions.clone();
    let installed: Vec<String> = ctx
        .client()?
        .query("SELECT extname::text FROM pg_extension ORDER BY 1", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let missing: Vec<String> = required.iter().filter(|e| !installed.contains(e)).cloned().collect();
    Ok(if missing.is_empty() {
        let what = if required.is_empty() { "none required".to_string() } else { required.join(", ") };
        Outcome::ok(format!("{what}; installed: {}", installed.join(", ")))
    } else {
        Outcome::new(
            Status::Fail,
            format!("required by [database] extensions but not installed: {}", missing.join(", ")),
            format!(
                "run `rehab setup`, or as a superuser: {}",
                join(&missing.iter().map(|e| format!("CREATE EXTENSION {};", quote_ident(e))).collect::<Vec<_>>())
            ),
        )
        .with_objects(missing)
    })
}
