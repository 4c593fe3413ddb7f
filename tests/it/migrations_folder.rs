//! Invalid migration folders are refused before the database is touched, naming the file.

use crate::support::{Exit, TestDb};

fn refused(files: &[(&str, &str)], expect: &str) {
    let db = TestDb::new("folder");
    let dir = db.fixture_dir("bad", files);
    let run = db.rehab(&["migrate", "--migrations"]).arg(&dir).run().exit(Exit::Usage);
    assert!(run.stderr.contains(expect), "expected {expect:?} in:\n{}", run.stderr);
    assert!(
        !db.scalar::<bool>("SELECT to_regclass('refinery_schema_history') IS NOT NULL"),
        "the database was touched"
    );
}

const OK: (&str, &str) = ("V1__ok.sql", "CREATE TABLE ok (id int);");

#[test]
fn names_refinery_would_silently_skip_are_refused() {
    for bad in ["V2__add-users.sql", "v3__x.sql", "V4_x.sql", "V7__x.SQL", "V5__x.y.sql"] {
        refused(&[OK, (bad, "SELECT 1;")], bad);
    }
}

#[test]
fn duplicate_versions_are_refused() {
    refused(&[OK, ("V1__again.sql", "SELECT 1;")], "V1__ok.sql");
}

#[test]
fn a_down_script_without_its_up_script_is_refused() {
    refused(&[OK, ("V2__gone.down.sql", "SELECT 1;")], "V2__gone.down.sql: down script with no up script");
}

#[test]
fn versions_refinery_rejects_are_refused() {
    refused(&[OK, ("V1.5__half.sql", "SELECT 1;")], "V1.5__half.sql");
    refused(&[OK, ("V3000000000__huge.sql", "SELECT 1;")], "V3000000000__huge.sql");
}

#[test]
fn sql_files_in_sub_folders_are_refused() {
    let db = TestDb::new("folder_sub");
    let dir = db.fixture_dir("nested", &[OK]);
    std::fs::create_dir_all(dir.join("down")).unwrap();
    std::fs::write(dir.join("down/V1__ok.sql"), "DROP TABLE ok;").unwrap();
    db.rehab(&["migrate", "--migrations"]).arg(&dir).run().exit(Exit::Usage).stderr_has("down/");
}

#[test]
fn a_missing_folder_is_a_usage_error() {
    let db = TestDb::new("folder_missing");
    db.rehab(&["migrate", "--migrations", "/nonexistent/rehab-migrations"])
        .run()
        .exit(Exit::Usage)
        .stderr_has("/nonexistent/rehab-migrations");
}

#[test]
fn an_invalid_folder_is_reported_before_connecting_and_before_reset_drops_anything() {
    let db = TestDb::new("folder_first");
    let dir = db.fixture_dir("bad", &[OK, ("V2__add-users.sql", "SELECT 1;")]);
    // The server is never asked: a closed port still gives the folder error and exit 2.
    crate::support::Rehab::new(&db.dir)
        .args(&["migrate", "--database-url", "postgresql://postgres@127.0.0.1:1/x", "--migrations"])
        .arg(&dir)
        .run()
        .exit(Exit::Usage)
        .stderr_has("V2__add-users.sql");
    db.client().batch_execute("CREATE TABLE keep_me (id int)").unwrap();
    db.rehab(&["reset", "--yes", "--migrations"]).arg(&dir).run().exit(Exit::Usage).stderr_has("V2__add-users.sql");
    assert!(
        db.scalar::<bool>("SELECT to_regclass('keep_me') IS NOT NULL"),
        "reset dropped objects despite the invalid folder"
    );
}
