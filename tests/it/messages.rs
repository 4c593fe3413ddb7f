//! Error messages a person acts on: the server's own words (message, DETAIL, HINT), no filler lines.

use crate::support::TestDb;

#[test]
fn a_server_error_shows_its_detail_and_hint_without_a_db_error_filler_line() {
    let db = TestDb::new("msg_server_error");
    std::fs::write(db.dir.join("rehab.toml"), "[database]\nextensions = [\"rehab_no_such_extension\"]\n").unwrap();
    let run = db.rehab(&["setup"]).run().code(1);
    assert!(run.stderr.contains("could not create extension `rehab_no_such_extension`"), "{}", run.stderr);
    assert!(run.stderr.contains("caused by: ERROR: extension \"rehab_no_such_extension\" is not available"));
    assert!(run.stderr.contains("    DETAIL: ") && run.stderr.contains("    HINT: "), "{}", run.stderr);
    assert!(!run.stderr.contains("caused by: db error"), "{}", run.stderr);
}
