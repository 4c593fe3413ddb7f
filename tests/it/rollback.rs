//! `rehab rollback`: how far it goes, what it refuses, and that a failure changes nothing.

use std::path::{Path, PathBuf};

use crate::support::{Exit, TestDb};

/// Four migrations, each with a down script; V2 moves data, so its down script has real work to undo.
fn four(db: &TestDb) -> PathBuf {
    db.fixture_dir(
        "four",
        &[
            ("V1__things.sql", "CREATE TABLE things (id int PRIMARY KEY, note text);\n"),
            ("V1__things.down.sql", "DROP TABLE things;\n"),
            ("V2__seed.sql", "INSERT INTO things VALUES (1, 'one'), (2, 'two');\n"),
            ("V2__seed.down.sql", "DELETE FROM things WHERE id IN (1, 2);\n"),
            ("V3__kind.sql", "CREATE TYPE kind AS ENUM ('a', 'b');\nALTER TABLE things ADD COLUMN k kind;\n"),
            ("V3__kind.down.sql", "ALTER TABLE things DROP COLUMN k;\nDROP TYPE kind;\n"),
            ("V4__index.sql", "CREATE INDEX things_note_idx ON things (note);\n"),
            ("V4__index.down.sql", "DROP INDEX things_note_idx;\n"),
        ],
    )
}

fn rollback(db: &TestDb, dir: &Path, args: &[&str]) -> crate::support::Rehab {
    db.rehab(&["rollback", "--yes"]).args(args).arg("--migrations").arg(dir)
}

/// Schema and history together: what "unchanged" means.
fn state(db: &TestDb) -> (String, Vec<i32>, i64) {
    let rows = if db.scalar::<bool>("SELECT to_regclass('things') IS NOT NULL") {
        db.scalar("SELECT count(*) FROM things")
    } else {
        -1
    };
    (db.schema_dump(), db.applied_versions(), rows)
}

#[test]
fn rollback_bundled_one_n_to_all_then_migrate_again() {
    let db = TestDb::named("rb_bundled");
    db.rehab(&["setup"]).ok();
    let fresh = db.schema_dump();
    let latest = *db.applied_versions().last().unwrap();
    assert!(latest >= 4, "the bundled schema has at least four migrations");

    let run = db.rehab(&["rollback", "--yes", "--format", "json"]).ok();
    let json = run.json();
    assert_eq!(json["undone"].as_array().unwrap().len(), 1);
    assert_eq!(json["undone"][0]["version"], latest);
    assert!(json["undone"][0]["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(json["current_version"], latest - 1);
    assert_eq!(*db.applied_versions().last().unwrap(), latest - 1);

    let run = db.rehab(&["rollback", "--yes", "--steps", "2"]).ok();
    assert!(run.stdout.contains("Rolled back 2 migration(s)"), "{}", run.stdout);
    assert_eq!(*db.applied_versions().last().unwrap(), latest - 3);

    db.rehab(&["rollback", "--yes", "--to", "1"]).ok();
    assert_eq!(db.applied_versions(), vec![1]);

    db.rehab(&["rollback", "--yes", "--all"]).ok();
    assert!(db.applied_versions().is_empty());
    db.rehab(&["rollback", "--yes"]).ok().stdout_has("Nothing to roll back");

    // Only rehab's bookkeeping is left: no schema, type, function or relation of the bundled schema.
    let schemas: i64 = db.scalar(
        "SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('public', 'pg_catalog', 'information_schema', 'pg_toast') \
         AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'",
    );
    assert_eq!(schemas, 0, "a schema survived rollback --all");
    let types: i64 = db.scalar(
        "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r')",
    );
    assert_eq!(types, 0, "a type survived rollback --all");
    let functions: i64 = db.scalar(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'",
    );
    assert_eq!(functions, 0, "a function survived rollback --all");
    let relations: Vec<String> = db
        .client()
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'S', 'p') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(relations, vec!["refinery_schema_history".to_string()]);

    db.rehab(&["migrate"]).ok();
    assert_eq!(*db.applied_versions().last().unwrap(), latest);
    assert!(db.schema_dump() == fresh, "migrating again after rollback --all gives a different schema");
}

#[test]
fn rollback_fixture_steps_to_and_dry_run() {
    let db = TestDb::new("rb_fixture");
    let dir = four(&db);
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    let full = state(&db);

    // A dry run runs the chain and changes nothing.
    let run = rollback(&db, &dir, &["--all", "--dry-run", "--format", "json"]).ok();
    assert_eq!(run.json()["dry_run"], true);
    assert_eq!(run.json()["undone"].as_array().unwrap().len(), 4);
    assert!(state(&db) == full, "a dry run changed the database");

    rollback(&db, &dir, &["--steps", "2"]).ok();
    assert_eq!(db.applied_versions(), vec![1, 2]);
    assert!(!db.scalar::<bool>("SELECT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'kind')"));
    rollback(&db, &dir, &["--to", "1"]).ok();
    assert_eq!(db.applied_versions(), vec![1]);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM things"), 0);
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert!(state(&db) == full, "rollback then migrate does not give the same database");
}

#[test]
fn rollback_refuses_with_the_versions_named_and_changes_nothing() {
    let db = TestDb::new("rb_refuse");
    let dir = four(&db);
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    let before = state(&db);

    // Unknown and unapplied targets, and more steps than applied.
    rollback(&db, &dir, &["--to", "9"])
        .run()
        .exit(Exit::Usage)
        .stderr_has("cannot roll back to V9: that version is unknown");
    rollback(&db, &dir, &["--steps", "5"]).run().exit(Exit::Usage).stderr_has("only 4 applied");

    // A missing down script (V3), two steps back: refused although V4's down script is fine.
    std::fs::rename(dir.join("V3__kind.down.sql"), db.dir.join("kept.sql")).unwrap();
    rollback(&db, &dir, &["--steps", "2"]).run().exit(Exit::Failure).stderr_has("V3 kind: no down script");
    std::fs::rename(db.dir.join("kept.sql"), dir.join("V3__kind.down.sql")).unwrap();

    // An irreversible one.
    std::fs::write(dir.join("V2__seed.down.sql"), "-- rehab:irreversible\n").unwrap();
    rollback(&db, &dir, &["--to", "1"]).run().exit(Exit::Failure).stderr_has("V2 seed: irreversible");

    // An up script edited after it was applied.
    std::fs::write(dir.join("V4__index.sql"), "CREATE INDEX things_note_idx ON things (note); -- edited\n").unwrap();
    let run = rollback(&db, &dir, &[]).run().exit(Exit::Failure);
    assert!(run.stderr.contains("V4 index: divergent") && run.stderr.contains("edited"), "{}", run.stderr);

    assert!(state(&db) == before, "a refused rollback changed the database");
}

#[test]
fn a_down_script_failing_in_the_middle_of_three_changes_nothing() {
    let db = TestDb::new("rb_fail_mid");
    let dir = four(&db);
    std::fs::write(dir.join("V3__kind.down.sql"), "ALTER TABLE things DROP COLUMN k;\n\nDROP TYPE no_such_type;\n")
        .unwrap();
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    let before = state(&db);
    // V4 undoes fine, V3 fails on its line 3, V2 never runs.
    let run = rollback(&db, &dir, &["--steps", "3"]).run().exit(Exit::Failure);
    assert!(run.stderr.contains("V3__kind.down.sql line 3"), "{}", run.stderr);
    assert!(run.stderr.contains("type \"no_such_type\" does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert!(state(&db) == before, "a failed rollback left changes behind");
    assert!(db.scalar::<bool>("SELECT to_regclass('things_note_idx') IS NOT NULL"), "V4's down script was kept");
    // The dry run finds the same failure.
    rollback(&db, &dir, &["--steps", "3", "--dry-run"])
        .run()
        .exit(Exit::Failure)
        .stderr_has("V3__kind.down.sql line 3");
}

#[test]
fn a_no_transaction_down_script_splits_the_run_and_says_so() {
    let db = TestDb::new("rb_notx");
    let dir = db.fixture_dir(
        "notx",
        &[
            ("V1__table.sql", "CREATE TABLE big (id int, email text);\n"),
            ("V1__table.down.sql", "DROP TABLE big;\n"),
            ("V2__index.sql", "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY big_email_idx ON big (email);\n"),
            ("V2__index.down.sql", "-- rehab:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS big_email_idx;\n"),
            ("V3__col.sql", "ALTER TABLE big ADD COLUMN name text;\n"),
            ("V3__col.down.sql", "ALTER TABLE big DROP COLUMN name;\n"),
        ],
    );
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    // A dry run cannot run it inside its transaction: it says so and changes nothing.
    let run = rollback(&db, &dir, &["--all", "--dry-run"]).ok();
    assert!(run.stdout.contains("not run (dry run)"), "{}", run.stdout);
    assert_eq!(db.applied_versions(), vec![1, 2, 3]);

    let run = rollback(&db, &dir, &["--all", "--format", "json"]).ok();
    assert!(run.stderr.contains("V2 index: down script marked no-transaction"), "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["transactions"], 2);
    assert_eq!(json["undone"][1]["transaction"], serde_json::Value::Null);
    assert!(db.applied_versions().is_empty());
    assert!(!db.scalar::<bool>("SELECT to_regclass('big') IS NOT NULL"));
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert!(run.stdout.contains("Applied 3"), "{}", run.stdout);
    let run = rollback(&db, &dir, &["--steps", "2"]).ok();
    assert!(run.stdout.contains("split at V2"), "{}", run.stdout);
}

#[test]
fn rollback_needs_confirmation_and_respects_protected_environments() {
    let db = TestDb::named("rollback_guards");
    db.rehab(&["setup"]).ok();
    let versions = db.applied_versions();
    // No terminal and no --yes: refused, nothing undone.
    db.rehab(&["rollback"]).run().exit(Exit::Refused).stderr_has("without confirmation").stderr_has("--yes");
    assert_eq!(db.applied_versions(), versions);
    // A dry run changes nothing, so it needs no confirmation.
    db.rehab(&["rollback", "--dry-run"]).ok();
    // A protected environment is refused even with --yes, unless --allow-protected.
    std::fs::write(
        db.dir.join("rehab.toml"),
        format!("default_env = \"prod\"\n[environments.prod]\nurl = \"{}\"\nprotected = true\n", db.url()),
    )
    .unwrap();
    let rehab = |args: &[&str]| crate::support::Rehab::new(&db.dir).args(args);
    rehab(&["rollback", "--yes"]).run().exit(Exit::Refused).stderr_has("`protected = true`");
    assert_eq!(db.applied_versions(), versions);
    rehab(&["rollback", "--yes", "--allow-protected"]).ok();
    assert_eq!(db.applied_versions(), versions[..versions.len() - 1]);
}
