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

#[test]
fn out_of_range_numbers_are_usage_errors_that_say_the_range() {
    let db = TestDb::new("msg_ranges");
    for (args, says) in [
        (&["migrate", "--target", "-5"][..], "-5 is not in 1.."),
        (&["migrate", "--target", "99"], "unknown target version 99"),
        (&["rollback", "--steps", "-1"], "-1 is not in 1.."),
        (&["rollback", "--to", "-1"], "-1 is not in 1.."),
        (&["rollback", "--to", "9", "--yes"], "cannot roll back to V9: that version is unknown"),
        (&["seed", "--seed", "-1"], "must be a whole number from 0 to 9223372036854775807"),
        (&["seed", "--seed=-1"], "must be a whole number from 0"),
        (&["seed", "--scale", "-1"], "must be from 0.0001 to 1000"),
        (&["seed", "--scale", "1e-300"], "must be from 0.0001 to 1000"),
        (&["seed", "--scale", "NaN"], "must be from 0.0001 to 1000"),
    ] {
        let run = db.rehab(args).run();
        assert_eq!(run.status, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("unexpected argument"), "{args:?}: {}", run.stderr);
    }
    // More steps than applied is a usage error too, and says how many there are.
    db.rehab(&["migrate"]).ok();
    db.rehab(&["rollback", "--steps", "7", "--yes"]).run().code(2).stderr_has("only 6 applied");
    assert_eq!(db.applied_versions(), vec![1, 2, 3, 4, 5, 6]);
}

/// A role of the test's own, dropped by the caller, with LOGIN and nothing else.
fn plain_role(db: &TestDb, name: &str) -> String {
    db.admin().batch_execute(&format!("DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN")).unwrap();
    let s = db.server;
    format!("postgresql://{name}@{}:{}/{}?sslmode=disable", s.host, s.port, db.name)
}

#[test]
fn the_hint_follows_the_cause_read_only_privilege_and_a_lost_connection() {
    // Read-only (what a standby says): connect to the primary, not "fix the file".
    let db = TestDb::new("msg_read_only");
    db.admin()
        .batch_execute(&format!("ALTER DATABASE \"{}\" SET default_transaction_read_only = on", db.name))
        .unwrap();
    let run = db.rehab(&["migrate"]).run().code(1);
    assert!(run.stderr.contains("read-only transaction"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: the server is read-only") && run.stderr.contains("connect to the primary"));
    assert!(!run.stderr.contains("fix it and run"), "{}", run.stderr);

    // A missing privilege (PostgreSQL 15: no CREATE on public for other roles): which one, and who can.
    let db = TestDb::new("msg_privilege");
    let role = format!("rehab_t_noprivs_{}", std::process::id());
    let url = plain_role(&db, &role);
    let run = crate::support::Rehab::new(&db.dir).arg("--database-url").arg(&url).arg("migrate").run().code(1);
    assert!(run.stderr.contains("permission denied"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: the user lacks the privilege named above"), "{}", run.stderr);
    drop(db);
    let _ = crate::support::server()
        .connect("postgres")
        .map(|mut c| c.batch_execute(&format!("DROP ROLE IF EXISTS {role}")));

    // The connection lost mid-run (the session is terminated by a migration): what committed stays, run again.
    let db = TestDb::new("msg_lost");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__ok.sql", "CREATE TABLE kept (id int);"),
            ("V2__cut.sql", "SELECT pg_terminate_backend(pg_backend_pid());"),
        ],
    );
    let run = db.rehab(&["--migrations", dir.to_str().unwrap(), "migrate"]).run().code(1);
    assert!(run.stderr.contains("hint: the connection was lost mid-run"), "{}", run.stderr);
    assert!(run.stderr.contains("run the command again"), "{}", run.stderr);
    assert_eq!(db.applied_versions(), vec![1]);
}
