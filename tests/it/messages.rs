//! Error messages a person acts on: the server's own words (message, DETAIL, HINT), no filler lines.

use crate::support::{Exit, TestDb};

#[test]
fn a_server_error_shows_its_detail_and_hint_without_a_db_error_filler_line() {
    let db = TestDb::new("msg_server_error");
    std::fs::write(db.dir.join("rehab.toml"), "[database]\nextensions = [\"rehab_no_such_extension\"]\n").unwrap();
    let run = db.rehab(&["setup"]).run().exit(Exit::Failure);
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
    db.rehab(&["rollback", "--steps", "7", "--yes"]).run().exit(Exit::Usage).stderr_has("only 6 applied");
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
    let run = db.rehab(&["migrate"]).run().exit(Exit::Failure);
    assert!(run.stderr.contains("read-only transaction"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: the server is read-only") && run.stderr.contains("connect to the primary"));
    assert!(!run.stderr.contains("fix it and run"), "{}", run.stderr);

    // A missing privilege (PostgreSQL 15: no CREATE on public for other roles): which one, and who can.
    let db = TestDb::new("msg_privilege");
    let role = format!("rehab_t_noprivs_{}", std::process::id());
    let url = plain_role(&db, &role);
    let run =
        crate::support::Rehab::new(&db.dir).arg("--database-url").arg(&url).arg("migrate").run().exit(Exit::Failure);
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
    let run = db.rehab(&["--migrations", dir.to_str().unwrap(), "migrate"]).run().exit(Exit::Failure);
    assert!(run.stderr.contains("hint: the connection was lost mid-run"), "{}", run.stderr);
    assert!(run.stderr.contains("run the command again"), "{}", run.stderr);
    assert_eq!(db.applied_versions(), vec![1]);
}

#[test]
fn libpq_variables_with_bad_values_are_named() {
    let db = TestDb::named("msg_pg_vars");
    for (var, value, says) in [
        ("PGPORT", "abc", "PGPORT=`abc` is not a port"),
        ("PGPORT", "0", "PGPORT=`0` is port 0"),
        ("PGSSLMODE", "bogus", "PGSSLMODE=`bogus` is not an sslmode"),
        ("PGCONNECT_TIMEOUT", "abc", "PGCONNECT_TIMEOUT=`abc` is not a connect timeout"),
    ] {
        crate::support::Rehab::new(&db.dir).env(var, value).arg("current").run().exit(Exit::Usage).stderr_has(says);
    }
}

#[test]
fn config_mistakes_are_named_before_anything_runs() {
    let db = TestDb::named("msg_config");
    // --config pointing at a folder.
    db.rehab(&["--config", db.dir.to_str().unwrap(), "current"])
        .run()
        .exit(Exit::Usage)
        .stderr_has("is a folder, not a file");
    // Doctor thresholds that contradict each other, or are negative, name the key.
    for (toml, says) in [
        (
            "[doctor]\nsequence_warn_pct = 99\nsequence_fail_pct = 90\n",
            "sequence_warn_pct = 99 is above sequence_fail_pct = 90",
        ),
        ("[doctor]\nprojection_lag_warn = 500\nprojection_lag_fail = 10\n", "projection_lag_warn = 500 is above"),
        ("[doctor]\nlatency_warn_ms = -5\n", "latency_warn_ms = -5 is negative"),
        ("[doctor]\ncache_hit_warn_pct = 150\n", "cache_hit_warn_pct = 150 is not a percentage"),
    ] {
        std::fs::write(db.dir.join("rehab.toml"), toml).unwrap();
        db.rehab(&["doctor"]).run().exit(Exit::Usage).stderr_has(says).stderr_has("[doctor]");
    }
    // setup --seed with an unknown seed_profile fails before it creates or migrates anything.
    let url = db.url();
    std::fs::write(
        db.dir.join("rehab.toml"),
        format!("default_env = \"dev\"\n[environments.dev]\nurl = \"{url}\"\nseed_profile = \"nope\"\n"),
    )
    .unwrap();
    crate::support::Rehab::new(&db.dir)
        .args(&["setup", "--seed"])
        .run()
        .exit(Exit::Usage)
        .stderr_has("unknown seed profile `nope`");
    assert!(!db.exists(), "setup created the database before refusing the profile");
}

#[test]
fn setup_says_created_once_and_reset_counts_agree() {
    let db = TestDb::named("msg_once");
    let run = db.rehab(&["setup"]).ok();
    assert!(run.stdout.contains(": created."), "{}", run.stdout);
    assert!(!run.stderr.contains("created database"), "said twice:\n{}", run.stderr);
    // Five leftover enums: every one is listed, none hidden behind "and N more".
    let mut c = db.client();
    for i in 1..=5 {
        c.batch_execute(&format!("CREATE TYPE public.leftover_{i} AS ENUM ('a')")).unwrap();
    }
    let run = db.rehab(&["reset", "--dry-run"]).ok();
    for i in 1..=5 {
        assert!(run.stdout.contains(&format!("leftover_{i}")), "leftover_{i} hidden:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains(" more"), "{}", run.stdout);
    let run = db.rehab(&["reset", "--yes"]).ok();
    let dropped = |text: &str, word: &str| -> Option<String> {
        let at = text.find(word)? + word.len();
        Some(text[at..].split_whitespace().next()?.to_string())
    };
    let on_stdout = dropped(&run.stdout, "Dropped ").expect("stdout names the count");
    let on_stderr = dropped(&run.stderr, "reset committed: ").expect("stderr names the count");
    assert_eq!(on_stdout, on_stderr, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
}

#[test]
fn a_runtime_error_in_an_up_script_names_the_line_of_its_statement() {
    let db = TestDb::new("msg_runtime_line");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__ok.sql", "CREATE TABLE t (id int);"),
            (
                "V2__bad.sql",
                "INSERT INTO t VALUES (1);\n\n-- the next one fails at run time, with no position\nSELECT 1/0;\n",
            ),
        ],
    );
    let run = db.rehab(&["--migrations", dir.to_str().unwrap(), "migrate"]).run().exit(Exit::Failure);
    assert!(run.stderr.contains("V2__bad.sql line 4: ERROR: division by zero"), "{}", run.stderr);
    assert!(run.stderr.contains("applied before it in this run, and kept: V1 ok"), "{}", run.stderr);
    // Nothing of V2 stayed: its statements ran in one transaction with its history row.
    assert_eq!(db.applied_versions(), vec![1]);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM t"), 0);
}

#[test]
fn one_seed_default_everywhere_and_the_refusal_hints_a_command_that_exists() {
    let db = TestDb::new("msg_seed_default");
    db.rehab(&["migrate"]).ok();
    let json = db.rehab(&["--format", "json", "seed"]).ok().json();
    assert_eq!(json["profile"], "minimal", "{json}");
    // setup --seed on seeded data: the hint names `rehab seed --replace` (setup has no --replace).
    let run = db.rehab(&["setup", "--seed"]).run().exit(Exit::Refused);
    assert!(run.stderr.contains("run `rehab seed --replace`"), "{}", run.stderr);
    // The environment's seed_profile is the default of `rehab seed` too.
    let url = db.url();
    std::fs::write(
        db.dir.join("rehab.toml"),
        format!("default_env = \"dev\"\n[environments.dev]\nurl = \"{url}\"\nseed_profile = \"demo\"\n"),
    )
    .unwrap();
    let json = crate::support::Rehab::new(&db.dir)
        .args(&["--format", "json", "seed", "--replace", "--scale", "0.01"])
        .ok()
        .json();
    assert_eq!(json["profile"], "demo", "{json}");
}

#[test]
fn connection_refusals_get_the_hint_of_their_cause() {
    let db = TestDb::new("msg_connect_causes");
    let s = db.server;
    let url = |user: &str, extra: &str| {
        format!("postgresql://{user}@{}:{}/{}?sslmode=disable{extra}", s.host, s.port, db.name)
    };
    let rehab = |url: String| crate::support::Rehab::new(&db.dir).arg("--database-url").arg(url).arg("current").run();
    // No such role: say so, not "is PostgreSQL running?".
    let run = rehab(url("rehab_no_such_role", "")).exit(Exit::Failure);
    assert!(run.stderr.contains("there is no role `rehab_no_such_role`"), "{}", run.stderr);
    assert!(!run.stderr.contains("is PostgreSQL running"), "{}", run.stderr);
    // A role out of connection slots (CONNECTION LIMIT 0 gives the server's "too many connections").
    let role = format!("rehab_t_limit_{}", std::process::id());
    db.admin()
        .batch_execute(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN CONNECTION LIMIT 0"))
        .unwrap();
    let run = rehab(url(&role, "")).exit(Exit::Failure);
    let _ = db.admin().batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
    assert!(run.stderr.contains("too many connections"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: the server has no free connection slot"), "{}", run.stderr);
    // A bad options= setting.
    let run = rehab(url(&s.user, "&options=-c%20rehab_bogus_setting%3D1")).exit(Exit::Failure);
    assert!(run.stderr.contains("hint: the server refused a setting in `options`"), "{}", run.stderr);
    // Nothing listening: the server hint stays.
    let run = crate::support::Rehab::new(&db.dir)
        .args(&["--database-url", "postgresql://u@127.0.0.1:1/x", "current"])
        .run()
        .exit(Exit::Failure);
    assert!(run.stderr.contains("is PostgreSQL running"), "{}", run.stderr);
}
