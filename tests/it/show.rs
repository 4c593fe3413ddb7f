//! `rehab show` and `rehab current`, in both formats, and `show --check` exit codes.

use crate::support::{Exit, TestDb};

fn two(db: &TestDb) -> std::path::PathBuf {
    db.fixture_dir(
        "two",
        &[
            ("V1__first.sql", "CREATE TABLE first (id int);"),
            ("V1__first.down.sql", "DROP TABLE first;"),
            ("V2__second.sql", "CREATE TABLE second (id int);"),
        ],
    )
}

#[test]
fn show_is_read_only_and_lists_pending_migrations() {
    let db = TestDb::new("show_pending");
    let dir = two(&db);
    let run = db.rehab(&["show", "--format", "json", "--migrations"]).arg(&dir).ok();
    let json = run.json();
    let rows = json["migrations"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["state"], "pending");
    assert_eq!(rows[0]["reversible"], true);
    assert_eq!(rows[1]["reversible"], false);
    assert!(rows[0]["applied_on"].is_null());
    assert!(
        !db.scalar::<bool>("SELECT to_regclass('refinery_schema_history') IS NOT NULL"),
        "show created the history table"
    );
}

#[test]
fn show_reports_every_state_in_both_formats() {
    let db = TestDb::new("show_states");
    let dir = db.fixture_dir(
        "states",
        &[
            ("V1__a.sql", "CREATE TABLE a (id int);"),
            ("V2__b.sql", "CREATE TABLE b (id int);"),
            ("V4__d.sql", "CREATE TABLE d (id int);"),
            ("V5__e.sql", "CREATE TABLE e (id int);"),
        ],
    );
    db.rehab(&["migrate", "--target", "4", "--migrations"]).arg(&dir).ok();
    // Edit V1, remove V2, add V3 below the applied V4: divergent, missing, out of order, pending.
    std::fs::write(dir.join("V1__a.sql"), "CREATE TABLE a (id bigint);").unwrap();
    std::fs::remove_file(dir.join("V2__b.sql")).unwrap();
    std::fs::write(dir.join("V3__c.sql"), "CREATE TABLE c (id int);").unwrap();
    let json = db.rehab(&["show", "--format", "json", "--migrations"]).arg(&dir).ok().json();
    let states: Vec<(i64, &str)> = json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["version"].as_i64().unwrap(), m["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, vec![(1, "divergent"), (2, "missing"), (3, "out_of_order"), (4, "applied"), (5, "pending")]);
    let table = db.rehab(&["show", "--migrations"]).arg(&dir).ok().stdout;
    for label in ["divergent", "missing file", "out of order", "applied", "pending"] {
        assert!(table.contains(label), "{label} not in:\n{table}");
    }
    db.rehab(&["show", "--check", "--migrations"])
        .arg(&dir)
        .run()
        .exit(Exit::CheckFailed)
        .stderr_has("1 pending, 3 divergent");
}

#[test]
fn show_check_exits_3_while_anything_is_pending_and_0_after() {
    let db = TestDb::new("show_check");
    let dir = two(&db);
    db.rehab(&["show", "--check", "--migrations"]).arg(&dir).run().exit(Exit::CheckFailed).stderr_has("2 pending");
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    db.rehab(&["show", "--check", "--migrations"]).arg(&dir).ok();
}

#[test]
fn current_in_both_formats() {
    let db = TestDb::new("current");
    let dir = two(&db);
    db.rehab(&["current"]).ok().stdout_has("none");
    let json = db.rehab(&["current", "--format", "json"]).ok().json();
    assert!(json["version"].is_null() && json["name"].is_null() && json["applied_on"].is_null(), "{json}");
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    let run = db.rehab(&["current"]).ok();
    assert_eq!(run.stdout, "2 second\n");
    let json = db.rehab(&["current", "--format", "json"]).ok().json();
    assert_eq!(json["version"], 2);
    assert_eq!(json["name"], "second");
    assert!(json["applied_on"].as_str().unwrap().starts_with("20"), "{json}");
}

#[test]
fn show_reports_the_newest_seed_run() {
    let db = TestDb::named("show_seed");
    db.rehab(&["setup"]).ok();
    assert!(db.rehab(&["show", "--format", "json"]).ok().json()["seed"].is_null());
    db.rehab(&["seed", "--profile", "minimal", "--seed", "7"]).ok();
    let json = db.rehab(&["show", "--format", "json"]).ok().json();
    assert_eq!(json["seed"]["profile"], "minimal");
    assert_eq!(json["seed"]["seed"], 7);
    db.rehab(&["show"]).ok().stdout_has("Seed data: profile minimal, seed 7");
}
