//! `rehab setup`: creates the database, is idempotent, handles odd names and partitions.

use crate::support::{Exit, TestDb};

#[test]
fn setup_creates_a_missing_database_and_applies_the_bundled_schema() {
    let db = TestDb::named("setup_new");
    assert!(!db.exists());
    let run = db.rehab(&["setup"]).ok();
    assert!(run.stdout.contains("created"), "{}", run.stdout);
    assert!(db.exists());
    let bundled = rehab::MigrationCatalog::embedded().unwrap();
    let expected: Vec<i32> = bundled.migrations.iter().map(|m| m.version).collect();
    assert_eq!(db.applied_versions(), expected);
    assert!(db.scalar::<bool>("SELECT to_regnamespace('event_store') IS NOT NULL"));
}

#[test]
fn setup_twice_changes_nothing_and_exits_0() {
    let db = TestDb::named("setup_twice");
    db.rehab(&["setup"]).ok();
    let before = db.schema_dump();
    let history =
        || db.scalar::<String>("SELECT string_agg(applied_on, ',' ORDER BY version) FROM refinery_schema_history");
    let history_before = history();
    let run = db.rehab(&["setup", "--format", "json"]).ok();
    let json = run.json();
    assert_eq!(json["created"], false);
    assert_eq!(json["migrate"]["applied"].as_array().unwrap().len(), 0);
    assert!(db.schema_dump() == before, "the second setup changed the schema");
    assert_eq!(history(), history_before);
}

#[test]
fn setup_handles_a_database_name_with_a_quote_and_a_space() {
    let db = TestDb::with_exact_name("rehab it's \"odd\"");
    db.rehab(&["setup"]).ok();
    assert!(db.exists());
    assert!(!db.applied_versions().is_empty());
}

#[test]
fn partition_appends_a_suffix_to_the_database_name() {
    let base = TestDb::named("setup_part");
    let shard = TestDb::with_exact_name(&format!("{}_3", base.name));
    base.rehab(&["setup", "--partition", "3"]).ok();
    assert!(shard.exists());
    assert!(!base.exists());
    // The environment variable does the same for every command.
    let run = base.rehab(&["current", "--format", "json"]).env("REHAB_TEST_PARTITION", "3").ok();
    assert!(run.json()["version"].is_number(), "{}", run.stdout);
}

#[test]
fn setup_creates_configured_extensions() {
    let db = TestDb::named("setup_ext");
    std::fs::write(db.dir.join("rehab.toml"), "[database]\nextensions = [\"pg_trgm\"]\n").unwrap();
    db.rehab(&["setup"]).ok();
    assert!(db.scalar::<bool>("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')"));
}

#[test]
fn setup_wait_gives_up_on_a_closed_port_with_a_clear_error() {
    let db = TestDb::named("setup_wait");
    let started = std::time::Instant::now();
    let run = crate::support::Rehab::new(&db.dir)
        .args(&["setup", "--wait", "1", "--database-url", "postgresql://postgres:hunter2@127.0.0.1:1/x"])
        .run()
        .exit(Exit::Failure);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "did not wait");
    assert!(run.stderr.contains("could not connect") && !run.stderr.contains("hunter2"), "{}", run.stderr);
}
