//! `rehab migrate`: targets, dry runs, the lock, failures, divergence, no-transaction scripts.

use crate::support::{Exit, TestDb};

/// Three small migrations; V2 is a data migration, so running it twice would show as two rows.
fn three(db: &TestDb) -> std::path::PathBuf {
    db.fixture_dir(
        "three",
        &[
            ("V1__create_things.sql", "CREATE TABLE things (id int PRIMARY KEY, note text);\n"),
            (
                "V2__seed_thing.sql",
                "INSERT INTO things (id, note) SELECT coalesce(max(id), 0) + 1, 'seeded' FROM things;\n",
            ),
            ("V3__add_index.sql", "CREATE INDEX things_note_idx ON things (note);\n"),
        ],
    )
}

#[test]
fn migrate_applies_everything_and_records_each_version_once() {
    let db = TestDb::new("migrate_all");
    let dir = three(&db);
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert!(run.stdout.contains("Applied 3 migration(s)"), "{}", run.stdout);
    assert_eq!(db.applied_versions(), vec![1, 2, 3]);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM things"), 1);
    // Again: nothing to do, nothing changes.
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok().stdout_has("Nothing to migrate");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM things"), 1);
}

#[test]
fn migrate_stops_at_the_target_and_refuses_unknown_targets() {
    let db = TestDb::new("migrate_target");
    let dir = three(&db);
    let json = db.rehab(&["migrate", "--target", "2", "--format", "json", "--migrations"]).arg(&dir).ok().json();
    assert_eq!(json["current_version"], 2);
    assert!(json["applied"][1]["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{json}");
    assert_eq!(db.applied_versions(), vec![1, 2]);
    let json = db.rehab(&["migrate", "--dry-run", "--format", "json", "--migrations"]).arg(&dir).ok().json();
    assert_eq!((json["current_version"].as_i64(), json["applied"][0]["version"].as_i64()), (Some(2), Some(3)));
    db.rehab(&["migrate", "--target", "9", "--migrations"])
        .arg(&dir)
        .run()
        .exit(Exit::Usage)
        .stderr_has("unknown target version 9");
    assert_eq!(db.applied_versions(), vec![1, 2]);
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert_eq!(db.applied_versions(), vec![1, 2, 3]);
}

#[test]
fn dry_run_lists_and_changes_nothing() {
    let db = TestDb::new("migrate_dry");
    let dir = three(&db);
    let run = db.rehab(&["migrate", "--dry-run", "--format", "json", "--migrations"]).arg(&dir).ok();
    let json = run.json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["applied"].as_array().unwrap().len(), 3);
    assert!(json["applied"][0]["duration_ms"].is_null(), "a dry run has no durations: {json}");
    assert!(json["current_version"].is_null(), "nothing is applied yet: {json}");
    // Not even the history table was created.
    assert!(db.applied_versions().is_empty());
    assert!(!db.scalar::<bool>("SELECT to_regclass('refinery_schema_history') IS NOT NULL"));
}

#[test]
fn eight_concurrent_runs_apply_each_migration_exactly_once() {
    let db = TestDb::new("migrate_concurrent");
    let dir = three(&db);
    let children: Vec<_> = (0..8).map(|_| db.rehab(&["migrate", "--migrations"]).arg(&dir).spawn()).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a concurrent run failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(db.applied_versions(), vec![1, 2, 3]);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM things"), 1, "the data migration ran more than once");
}

#[test]
fn a_held_lock_times_out_naming_the_holder() {
    let db = TestDb::new("migrate_lock");
    let dir = three(&db);
    std::fs::write(db.dir.join("rehab.toml"), "[migrations]\nlock_timeout_secs = 1\n").unwrap();
    let mut holder = db.client();
    holder.batch_execute("SET application_name = 'held-by-test'").unwrap();
    holder.execute("SELECT pg_advisory_lock($1)", &[&rehab::MIGRATION_LOCK_KEY]).unwrap();
    let pid: i32 = holder.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).run().exit(Exit::Failure);
    assert!(run.stderr.contains("migration lock") && run.stderr.contains(&format!("pid {pid}")), "{}", run.stderr);
    assert!(run.stderr.contains("held-by-test"), "{}", run.stderr);
    assert!(db.applied_versions().is_empty());
    drop(holder);
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
}

#[test]
fn a_failing_migration_names_file_line_and_message_and_leaves_nothing_behind() {
    let db = TestDb::new("migrate_fail");
    let dir = db.fixture_dir(
        "failing",
        &[
            ("V1__one.sql", "CREATE TABLE one (id int);\n"),
            ("V2__two.sql", "CREATE TABLE two (id int);\n"),
            ("V3__broken.sql", "CREATE TABLE three (id int);\n\nINSERT INTO nowhere VALUES (1);\n"),
            ("V4__four.sql", "CREATE TABLE four (id int);\n"),
        ],
    );
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).run().exit(Exit::Failure);
    assert!(run.stderr.contains("V3__broken.sql line 3"), "{}", run.stderr);
    assert!(run.stderr.contains("relation \"nowhere\" does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("V1 one, V2 two"), "{}", run.stderr);
    assert_eq!(db.applied_versions(), vec![1, 2]);
    assert!(!db.scalar::<bool>("SELECT to_regclass('three') IS NOT NULL"), "V3's first statement was kept");
    assert!(!db.scalar::<bool>("SELECT to_regclass('four') IS NOT NULL"));
}

#[test]
fn an_edited_applied_migration_is_refused_naming_version_and_difference() {
    let db = TestDb::new("migrate_divergent");
    let dir = three(&db);
    db.rehab(&["migrate", "--target", "2", "--migrations"]).arg(&dir).ok();
    std::fs::write(
        dir.join("V1__create_things.sql"),
        "CREATE TABLE things (id int PRIMARY KEY, note text); -- edited\n",
    )
    .unwrap();
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).run().exit(Exit::Failure);
    assert!(run.stderr.contains("V1 create_things: divergent"), "{}", run.stderr);
    assert!(run.stderr.contains("edited after it was applied"), "{}", run.stderr);
    assert_eq!(db.applied_versions(), vec![1, 2], "V3 must not run while V1 diverges");
}

#[test]
fn a_missing_applied_file_is_refused() {
    let db = TestDb::new("migrate_missing");
    let dir = three(&db);
    db.rehab(&["migrate", "--target", "2", "--migrations"]).arg(&dir).ok();
    std::fs::remove_file(dir.join("V2__seed_thing.sql")).unwrap();
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).run().exit(Exit::Failure);
    assert!(run.stderr.contains("V2 seed_thing: missing"), "{}", run.stderr);
    assert_eq!(db.applied_versions(), vec![1, 2]);
}

#[test]
fn no_transaction_migrations_run_concurrently_and_are_recorded_once() {
    let db = TestDb::new("migrate_notx");
    let dir = db.fixture_dir(
        "notx",
        &[
            ("V1__table.sql", "CREATE TABLE big (id int, email text);\nINSERT INTO big SELECT g, 'u' || g FROM generate_series(1, 1000) g;\n"),
            (
                "V2__concurrent_index.sql",
                "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS big_email_idx ON big (email);\n\
                 CREATE INDEX CONCURRENTLY IF NOT EXISTS big_id_idx ON big (id);\n",
            ),
        ],
    );
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert!(run.stdout.contains("no-transaction"), "{}", run.stdout);
    assert_eq!(db.applied_versions(), vec![1, 2]);
    let valid: i64 = db.scalar(
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE c.relname IN ('big_email_idx', 'big_id_idx') AND i.indisvalid",
    );
    assert_eq!(valid, 2);
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok().stdout_has("Nothing to migrate");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM refinery_schema_history WHERE version = 2"), 1);
}

#[test]
fn a_failing_no_transaction_statement_names_its_line() {
    let db = TestDb::new("migrate_notx_fail");
    let dir = db.fixture_dir(
        "notx_fail",
        &[
            ("V1__table.sql", "CREATE TABLE t (x int);\n"),
            ("V2__idx.sql", "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY t_x ON t (x);\n\nCREATE INDEX CONCURRENTLY t_y ON t (y);\n"),
        ],
    );
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).run().exit(Exit::Failure);
    assert!(run.stderr.contains("V2__idx.sql line 4"), "{}", run.stderr);
    assert!(run.stderr.contains("column \"y\" does not exist"), "{}", run.stderr);
    assert_eq!(db.applied_versions(), vec![1]);
}
