//! Scripts run statement by statement (no-transaction ones and every down script) are split where the
//! server would end a statement: not inside an E-string's `\'`, and not at a `$` inside an identifier.

use crate::support::TestDb;

/// `tag$v$` would open a dollar quote running to the next `$v$` if the splitter took it for one, and
/// `E'it\'s; here'` would be cut at its `;` if `\'` ended it.
const FILL: &str = r"-- rehab:no-transaction
INSERT INTO notes VALUES (1, E'it\'s; here', 'x');
CREATE INDEX CONCURRENTLY notes_tag$v$_idx ON notes (tag$v$);
/* a /* nested */ comment; it's */
INSERT INTO notes SELECT 2, body || $q$; $v$ ' $q$, 'y' FROM notes WHERE tag$v$ = 'x';
";

const UNFILL: &str = r"-- rehab:no-transaction
DROP INDEX CONCURRENTLY notes_tag$v$_idx;
DELETE FROM notes WHERE body = E'it\'s; here' AND tag$v$ = 'x';
UPDATE notes SET body = E'gone; it\'s' WHERE tag$v$ = 'y';
";

fn notes(db: &TestDb) -> Vec<(i32, String)> {
    let rows = db.client().query("SELECT id, body FROM notes ORDER BY id", &[]).unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[test]
fn quoting_rules_hold_in_no_transaction_and_down_scripts() {
    let db = TestDb::new("split_quotes");
    let dir = db.fixture_dir(
        "quotes",
        &[
            ("V1__notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text, tag$v$ text);\n"),
            // A transactional down script is split too.
            ("V1__notes.down.sql", "DO $$ BEGIN RAISE NOTICE E'dropping; it\\'s $v$'; END $$;\nDROP TABLE notes;\n"),
            ("V2__fill.sql", FILL),
            ("V2__fill.down.sql", UNFILL),
        ],
    );

    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert_eq!(db.applied_versions(), vec![1, 2]);
    assert_eq!(notes(&db), [(1, "it's; here".to_string()), (2, "it's; here; $v$ ' ".to_string())]);
    // Built concurrently, hence outside a transaction, and valid.
    assert!(db.scalar::<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 'notes_tag$v$_idx'::regclass"));

    db.rehab(&["rollback", "--yes", "--migrations"]).arg(&dir).ok();
    assert_eq!(db.applied_versions(), vec![1]);
    assert_eq!(notes(&db), [(2, "gone; it's".to_string())]);
    assert!(!db.scalar::<bool>("SELECT to_regclass('notes_tag$v$_idx') IS NOT NULL"), "the index is still there");

    db.rehab(&["rollback", "--yes", "--migrations"]).arg(&dir).ok();
    assert_eq!(db.applied_versions(), Vec::<i32>::new());
    assert!(!db.scalar::<bool>("SELECT to_regclass('notes') IS NOT NULL"), "the table is still there");
}

#[test]
fn sql_standard_routine_bodies_migrate_roll_back_and_prove() {
    let db = TestDb::new("split_atomic");
    let dir = db.fixture_dir(
        "atomic",
        &[
            (
                "V1__counts.sql",
                "CREATE TABLE counts (n int);\n\
                 CREATE FUNCTION bump() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO counts VALUES (1);\n  \
                 SELECT CASE WHEN count(*) > 0 THEN count(*)::int ELSE 0 END FROM counts;\nEND;",
            ),
            ("V1__counts.down.sql", "DROP FUNCTION bump();\nDROP TABLE counts;"),
        ],
    );
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert_eq!(db.scalar::<i32>("SELECT bump()"), 1);
    assert_eq!(db.scalar::<i32>("SELECT bump()"), 2);
    let run = db.rehab(&["--format", "json", "check", "--all", "--migrations"]).arg(&dir).run();
    assert_eq!(run.json()["proof"][0]["status"], "ok", "{}\n{}", run.stdout, run.stderr);
    db.rehab(&["rollback", "--yes", "--migrations"]).arg(&dir).ok();
    assert!(!db.scalar::<bool>("SELECT to_regclass('counts') IS NOT NULL"));
}
