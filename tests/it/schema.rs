//! The bundled schema (issue 3): `setup` builds it, the catalog rules hold, the down scripts undo it without a
//! trace, each migration is reversible on its own, the append-only tables refuse changes, and the smoke fixture
//! fills every table.

use std::collections::BTreeSet;
use std::path::PathBuf;

use postgres::error::SqlState;

use crate::support::TestDb;

/// The bundled relations: everything outside the system schemas except rehab's own bookkeeping.
const BUNDLED: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)' \
     AND c.relname <> 'refinery_schema_history' AND c.relname NOT LIKE 'rehab\\_%'";

/// The bundled tables (partitioned ones included), as `t(oid, name)` with a quoted, schema-qualified name.
fn tables_cte() -> String {
    format!(
        "WITH t AS (SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND {BUNDLED})"
    )
}

fn versions() -> Vec<i32> {
    rehab::MigrationCatalog::embedded().unwrap().migrations.iter().map(|m| m.version).collect()
}

/// A database with the whole bundled schema, built by `rehab setup`.
fn set_up(test: &str) -> TestDb {
    let db = TestDb::new(test);
    db.rehab(&["setup"]).ok();
    db
}

/// The first column of every row of `sql`, as text.
fn texts(client: &mut postgres::Client, sql: &str) -> Vec<String> {
    client.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}\n{}", pg_message(&e))).iter().map(|r| r.get(0)).collect()
}

fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!(
            "{} {}: {}{}",
            d.severity(),
            d.code().code(),
            d.message(),
            d.detail().map(|x| format!(" ({x})")).unwrap_or_default()
        ),
        None => e.to_string(),
    }
}

// --- 1. setup -----------------------------------------------------------------------------------------------------

#[test]
fn setup_on_an_empty_database_builds_every_domain_schema() {
    let db = set_up("schema_setup");
    assert_eq!(db.applied_versions(), versions());
    let expected: Vec<(String, i64)> = [
        ("adherence", 4),
        ("audit", 1),
        ("auth", 6),
        ("event_store", 1),
        ("projections", 1),
        ("quality", 5),
        ("work_queue", 5),
    ]
    .iter()
    .map(|(s, n)| (s.to_string(), *n))
    .collect();
    let names: Vec<String> = expected.iter().map(|(s, _)| s.clone()).collect();
    let found: Vec<(String, i64)> = db
        .client()
        .query(
            "SELECT n.nspname::text, count(c.oid) FROM pg_namespace n \
             LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p') \
             WHERE n.nspname = ANY ($1) GROUP BY 1 ORDER BY 1",
            &[&names],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(found, expected, "(schema, table count) after setup");
    let total: i64 = db.scalar(&format!("{} SELECT count(*) FROM t", tables_cte()));
    assert_eq!(total, 23, "tables in the bundled schema");
}

// --- 2. catalog rules ---------------------------------------------------------------------------------------------
// Each rule is a query listing its offenders, so a failure names them; `catalog_rules_catch_violations` proves
// that every rule can fail.

fn fk_without_leading_index(c: &mut postgres::Client) -> Vec<String> {
    // A non-partial index whose first n key columns are exactly the n foreign-key columns (in any order).
    texts(
        c,
        &format!(
            "{} SELECT format('%s (%s) [%s]', t.name, \
                 (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(f.conkey) WITH ORDINALITY k(n, ord) \
                  JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.n), f.conname) \
             FROM pg_constraint f JOIN t ON t.oid = f.conrelid \
             WHERE f.contype = 'f' AND NOT EXISTS ( \
                 SELECT 1 FROM pg_index i, LATERAL (SELECT (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(f.conkey)] AS lead) l \
                 WHERE i.indrelid = f.conrelid AND i.indpred IS NULL AND l.lead @> f.conkey AND l.lead <@ f.conkey) \
             ORDER BY 1",
            tables_cte()
        ),
    )
}

/// JSONB columns that docs/schema.md says are not queried by content. It names none: its rule 3 says every JSONB
/// column has a GIN index, and JSON that is not queried is stored as text[] instead.
const UNQUERIED_JSONB: &[&str] = &[];

fn jsonb_without_gin(c: &mut postgres::Client) -> Vec<String> {
    let mut offenders = texts(
        c,
        &format!(
            "{} SELECT format('%s.%I', t.name, a.attname) FROM t JOIN pg_attribute a ON a.attrelid = t.oid \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'jsonb'::regtype AND NOT EXISTS ( \
                 SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam \
                 WHERE i.indrelid = t.oid AND am.amname = 'gin' AND i.indpred IS NULL AND a.attnum = ANY (i.indkey)) \
             ORDER BY 1",
            tables_cte()
        ),
    );
    offenders.retain(|o| !UNQUERIED_JSONB.contains(&o.as_str()));
    offenders
}

fn status_without_status_created_at_index(c: &mut postgres::Client) -> Vec<String> {
    // Status-like columns: `status` and `*_status` (auth.emergency_access_log.review_status), as docs/schema.md says.
    texts(
        c,
        &format!(
            "{} SELECT format('%s.%I', t.name, a.attname) FROM t JOIN pg_attribute a ON a.attrelid = t.oid \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND (a.attname = 'status' OR a.attname LIKE '%\\_status') \
             AND NOT EXISTS ( \
                 SELECT 1 FROM pg_index i JOIN pg_attribute ca ON ca.attrelid = t.oid AND ca.attname = 'created_at' \
                 WHERE i.indrelid = t.oid AND i.indpred IS NULL AND i.indnkeyatts >= 2 \
                 AND i.indkey[0] = a.attnum AND i.indkey[1] = ca.attnum) \
             ORDER BY 1",
            tables_cte()
        ),
    )
}

fn tables_without_primary_key(c: &mut postgres::Client) -> Vec<String> {
    texts(
        c,
        &format!(
            "{} SELECT t.name FROM t WHERE NOT EXISTS \
             (SELECT 1 FROM pg_constraint p WHERE p.conrelid = t.oid AND p.contype = 'p') ORDER BY 1",
            tables_cte()
        ),
    )
}

fn tables_without_comment(c: &mut postgres::Client) -> Vec<String> {
    texts(
        c,
        &format!(
            "{} SELECT t.name FROM t WHERE coalesce(btrim(obj_description(t.oid, 'pg_class')), '') = '' ORDER BY 1",
            tables_cte()
        ),
    )
}

fn timestamps_without_time_zone(c: &mut postgres::Client) -> Vec<String> {
    // Columns of tables, views, materialized views, composite and foreign tables alike.
    texts(
        c,
        &format!(
            "SELECT format('%I.%I.%I (%s)', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f') AND {BUNDLED} AND a.attnum > 0 AND NOT a.attisdropped \
             AND a.atttypid IN ('timestamp'::regtype, 'timestamp[]'::regtype) ORDER BY 1"
        ),
    )
}

#[test]
fn every_foreign_key_leads_an_index() {
    let db = set_up("schema_fk_idx");
    let offenders = fk_without_leading_index(&mut db.client());
    assert!(
        offenders.is_empty(),
        "foreign keys that are not the leading columns of a non-partial index: {offenders:#?}"
    );
}

#[test]
fn every_jsonb_column_has_a_gin_index() {
    let db = set_up("schema_jsonb_gin");
    let offenders = jsonb_without_gin(&mut db.client());
    assert!(offenders.is_empty(), "JSONB columns without a non-partial GIN index: {offenders:#?}");
}

#[test]
fn every_status_column_has_a_status_created_at_index() {
    let db = set_up("schema_status_idx");
    let offenders = status_without_status_created_at_index(&mut db.client());
    assert!(offenders.is_empty(), "status columns without a non-partial (status, created_at) index: {offenders:#?}");
}

#[test]
fn every_table_has_a_primary_key_and_a_comment() {
    let db = set_up("schema_pk_comment");
    let mut c = db.client();
    let no_pk = tables_without_primary_key(&mut c);
    assert!(no_pk.is_empty(), "tables without a primary key: {no_pk:#?}");
    let no_comment = tables_without_comment(&mut c);
    assert!(no_comment.is_empty(), "tables without a COMMENT: {no_comment:#?}");
}

#[test]
fn every_timestamp_has_a_time_zone() {
    let db = set_up("schema_timestamptz");
    let offenders = timestamps_without_time_zone(&mut db.client());
    assert!(offenders.is_empty(), "columns of type timestamp without time zone: {offenders:#?}");
}

#[test]
fn catalog_rules_catch_violations() {
    let db = TestDb::new("schema_rules_bite");
    let mut c = db.client();
    c.batch_execute(
        "CREATE SCHEMA probe;
         CREATE TABLE probe.parent (id int PRIMARY KEY, doc jsonb);
         CREATE INDEX parent_doc_idx ON probe.parent USING gin (doc) WHERE id > 0;
         COMMENT ON TABLE probe.parent IS 'fine but for the partial GIN index';
         CREATE TABLE probe.child (parent_id int REFERENCES probe.parent, note text, status text, created_at timestamp);
         CREATE INDEX child_created_at_status_idx ON probe.child (created_at, status);
         CREATE INDEX child_note_parent_id_idx ON probe.child (note, parent_id);",
    )
    .unwrap();
    assert_eq!(fk_without_leading_index(&mut c), ["probe.child (parent_id) [child_parent_id_fkey]"]);
    assert_eq!(jsonb_without_gin(&mut c), ["probe.parent.doc"]);
    assert_eq!(status_without_status_created_at_index(&mut c), ["probe.child.status"]);
    assert_eq!(tables_without_primary_key(&mut c), ["probe.child"]);
    assert_eq!(tables_without_comment(&mut c), ["probe.child"]);
    assert_eq!(timestamps_without_time_zone(&mut c), ["probe.child.created_at (timestamp without time zone)"]);
}

// --- 3. and 4. down scripts ---------------------------------------------------------------------------------------

/// The down script of `version` in the repository's migrations/ folder: (file name, SQL).
fn down_script(version: i32) -> (String, String) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let prefix = format!("V{version}__");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with(&prefix) && n.ends_with(".down.sql"))
        .unwrap_or_else(|| panic!("no V{version}__*.down.sql in {}", dir.display()));
    let sql = std::fs::read_to_string(dir.join(&file)).unwrap();
    (file, sql)
}

/// Undoes one migration as the rollback command will: its down script and the removal of its history row, in one
/// transaction.
fn roll_back(db: &TestDb, version: i32) {
    let (file, sql) = down_script(version);
    let mut client = db.client();
    let mut tx = client.transaction().unwrap();
    tx.batch_execute(&sql).unwrap_or_else(|e| panic!("{file} failed: {}", pg_message(&e)));
    let deleted = tx.execute("DELETE FROM refinery_schema_history WHERE version = $1", &[&version]).unwrap();
    assert_eq!(deleted, 1, "history row of version {version}");
    tx.commit().unwrap();
}

/// Every schema, relation, type, function, trigger and extension outside `pg_catalog` and `information_schema`, except
/// rehab's bookkeeping tables and what belongs to them (indexes, toast tables, row and array types).
fn catalog_objects(db: &TestDb) -> BTreeSet<String> {
    let sql = "
        WITH RECURSIVE bookkeeping(classid, objid) AS (
            SELECT 'pg_class'::regclass::oid, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND (c.relname = 'refinery_schema_history' OR c.relname LIKE 'rehab\\_%')
            UNION
            SELECT d.classid, d.objid FROM pg_depend d
            JOIN bookkeeping b ON d.refclassid = b.classid AND d.refobjid = b.objid
            WHERE d.deptype IN ('a', 'i')
        ),
        user_ns AS (
            SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')
        )
        SELECT 'schema ' || nspname FROM user_ns WHERE nspname !~ '^pg_(toast_)?temp_'
        UNION ALL
        SELECT format('relation %s.%s (kind %s)', n.nspname, c.relname, c.relkind)
        FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
        WHERE NOT EXISTS (SELECT 1 FROM bookkeeping b WHERE b.classid = 'pg_class'::regclass AND b.objid = c.oid)
        UNION ALL
        SELECT format('type %s (kind %s)', t.oid::regtype, t.typtype)
        FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
        WHERE NOT EXISTS (SELECT 1 FROM bookkeeping b WHERE b.classid = 'pg_type'::regclass AND b.objid = t.oid)
        UNION ALL
        SELECT format('function %s', p.oid::regprocedure) FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
        UNION ALL
        SELECT format('trigger %s on %s', tg.tgname, tg.tgrelid::regclass)
        FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN user_ns n ON n.oid = c.relnamespace
        WHERE NOT EXISTS (SELECT 1 FROM bookkeeping b WHERE b.classid = 'pg_trigger'::regclass AND b.objid = tg.oid)
        UNION ALL
        SELECT 'extension ' || extname FROM pg_extension";
    texts(&mut db.client(), sql).into_iter().collect()
}

fn assert_same_objects(expected: &BTreeSet<String>, actual: &BTreeSet<String>, what: &str) {
    let extra: Vec<_> = actual.difference(expected).collect();
    let missing: Vec<_> = expected.difference(actual).collect();
    assert!(extra.is_empty() && missing.is_empty(), "{what}: left over: {extra:#?}\nmissing: {missing:#?}");
}

/// Compares two schema dumps; on a difference, shows the first differing line and a few lines found on one side only.
fn assert_same_dump(expected: &str, actual: &str, what: &str) {
    if expected == actual {
        return;
    }
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = e.iter().zip(&a).position(|(x, y)| x != y).unwrap_or(e.len().min(a.len()));
    let (es, as_): (BTreeSet<&str>, BTreeSet<&str>) = (e.iter().copied().collect(), a.iter().copied().collect());
    let only = |x: &BTreeSet<&str>, y: &BTreeSet<&str>| {
        x.difference(y).take(10).map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
    };
    panic!(
        "{what}: schema dumps differ ({} vs {} lines), first at line {}:\n- {}\n+ {}\nonly in the first dump:\n{}\nonly in the second dump:\n{}",
        e.len(),
        a.len(),
        first + 1,
        e.get(first).unwrap_or(&"<end>"),
        a.get(first).unwrap_or(&"<end>"),
        only(&es, &as_),
        only(&as_, &es),
    );
}

#[test]
fn rolling_back_everything_leaves_only_bookkeeping_and_migrating_again_is_identical() {
    let fresh = TestDb::new("schema_fresh");
    let baseline = catalog_objects(&fresh);
    let db = TestDb::new("schema_roundtrip");
    db.rehab(&["migrate"]).ok();
    let first = db.schema_dump();
    for version in versions().into_iter().rev() {
        roll_back(&db, version);
    }
    assert!(db.applied_versions().is_empty());
    assert_same_objects(&baseline, &catalog_objects(&db), "a fresh database vs after every down script");
    db.rehab(&["migrate"]).ok();
    assert_eq!(db.applied_versions(), versions());
    assert_same_dump(&first, &db.schema_dump(), "first migrate vs migrate after rolling everything back");
}

/// One migration alone: with its predecessors applied, up, down (nothing of it is left), up again (same dump).
fn up_down_up_alone(version: i32) {
    let all = versions();
    let i = all.iter().position(|&v| v == version).unwrap_or_else(|| panic!("V{version} is not bundled"));
    let db = TestDb::new(&format!("schema_alone_v{version}"));
    if i > 0 {
        db.rehab(&["migrate", "--target", &all[i - 1].to_string()]).ok();
    }
    assert_eq!(db.applied_versions(), &all[..i], "predecessors of V{version}");
    let before = catalog_objects(&db);
    db.rehab(&["migrate", "--target", &version.to_string()]).ok();
    let up = db.schema_dump();
    roll_back(&db, version);
    assert_eq!(db.applied_versions(), &all[..i], "after the down script of V{version}");
    assert_same_objects(&before, &catalog_objects(&db), &format!("before V{version} vs after its up and down"));
    db.rehab(&["migrate", "--target", &version.to_string()]).ok();
    assert_same_dump(&up, &db.schema_dump(), &format!("V{version}: first up vs up after its down"));
}

/// One test per migration, so they run in parallel and a failure names the migration.
macro_rules! each_migration_alone {
    ($($test:ident = $version:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                up_down_up_alone($version);
            }
        )*
        const TESTED_ALONE: &[i32] = &[$($version),*];
    };
}

each_migration_alone!(
    v1_up_down_up_alone = 1,
    v2_up_down_up_alone = 2,
    v3_up_down_up_alone = 3,
    v4_up_down_up_alone = 4,
    v5_up_down_up_alone = 5,
    v6_up_down_up_alone = 6,
);

#[test]
fn every_bundled_migration_has_an_up_down_up_test() {
    assert_eq!(versions(), TESTED_ALONE, "add the new migration to each_migration_alone!");
}

// --- 5. append-only tables ----------------------------------------------------------------------------------------

/// Runs `sql` and asserts it is refused with SQLSTATE 55000 and the trigger's message.
fn assert_refused(c: &mut postgres::Client, sql: &str, expected_message: &str) {
    let err = c.batch_execute(sql).expect_err(&format!("`{sql}` should be refused"));
    let db_err = err.as_db_error().unwrap_or_else(|| panic!("`{sql}`: not a server error: {err}"));
    assert_eq!(db_err.code(), &SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, "`{sql}`: {}", db_err.message());
    assert_eq!(db_err.message(), expected_message, "`{sql}`");
    assert!(db_err.hint().is_some_and(|h| !h.is_empty()), "`{sql}` is refused without a hint");
}

#[test]
fn event_store_and_audit_log_accept_inserts_and_refuse_update_delete_truncate() {
    let db = set_up("schema_append_only");
    let mut c = db.client();
    c.batch_execute(
        "INSERT INTO event_store.events (stream_id, stream_type, stream_version, event_type, data, occurred_at)
         VALUES ('2513ee2e-45e7-42bd-b5be-bd0cd6222917', 'patient', 1, 'PatientRegistered',
                 '{\"patient_id\": \"2513ee2e-45e7-42bd-b5be-bd0cd6222917\"}', now());
         INSERT INTO audit.audit_log (action, resource_type, resource_id, patient_id, details)
         VALUES ('phi_view', 'auth.patient_profiles', '2513ee2e-45e7-42bd-b5be-bd0cd6222917',
                 '2513ee2e-45e7-42bd-b5be-bd0cd6222917', '{\"fields\": [\"phone\"]}');",
    )
    .unwrap();
    for (table, what, set) in [
        ("event_store.events", "event store", "event_type = 'Tampered'"),
        ("audit.audit_log", "audit log", "resource_type = 'tampered'"),
    ] {
        let refused = |op: &str| format!("{op} on {table} is not allowed: the {what} is append-only");
        assert_refused(&mut c, &format!("UPDATE {table} SET {set}"), &refused("UPDATE"));
        assert_refused(&mut c, &format!("DELETE FROM {table}"), &refused("DELETE"));
        // Statement-level triggers: even a statement that touches no row is refused.
        assert_refused(&mut c, &format!("DELETE FROM {table} WHERE false"), &refused("DELETE"));
        assert_refused(&mut c, &format!("TRUNCATE {table}"), &refused("TRUNCATE"));
        assert_eq!(db.scalar::<i64>(&format!("SELECT count(*) FROM {table}")), 1, "rows left in {table}");
    }
    assert_eq!(db.scalar::<String>("SELECT event_type FROM event_store.events"), "PatientRegistered");
    assert_eq!(db.scalar::<String>("SELECT resource_type FROM audit.audit_log"), "auth.patient_profiles");
}

// --- 6. smoke fixture ---------------------------------------------------------------------------------------------

#[test]
fn smoke_fixture_puts_a_row_in_every_table() {
    let db = set_up("schema_smoke");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema_smoke.sql");
    let sql = std::fs::read_to_string(&path).unwrap();
    let mut c = db.client();
    let mut tx = c.transaction().unwrap();
    tx.batch_execute(&sql).unwrap_or_else(|e| panic!("{} failed: {}", path.display(), pg_message(&e)));
    tx.commit().unwrap();
    // Partitions are filled through their parent; the tables come from the catalog, so a new table needs a row.
    let tables = texts(
        &mut c,
        &format!(
            "{} SELECT t.name FROM t JOIN pg_class c ON c.oid = t.oid WHERE NOT c.relispartition ORDER BY 1",
            tables_cte()
        ),
    );
    assert_eq!(tables.len(), 23, "{tables:#?}");
    let empty: Vec<&String> = tables
        .iter()
        .filter(|t| !c.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {t})"), &[]).unwrap().get::<_, bool>(0))
        .collect();
    assert!(empty.is_empty(), "tables the smoke fixture leaves empty: {empty:#?}");
}
