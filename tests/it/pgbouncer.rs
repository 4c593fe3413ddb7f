//! Through a real PgBouncer: transaction pooling is refused before anything changes and leaves no lock,
//! session pooling works as a direct connection, and `[database] direct_url_env` routes schema changes
//! around the pooler.

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::support::{Exit, PgBouncer, PoolMode, Rehab, Run, TestDb};

/// Two migrations, the second a data migration: applied twice, it would leave two rows.
fn two(db: &TestDb) -> PathBuf {
    db.fixture_dir(
        "two",
        &[
            ("V1__create_things.sql", "CREATE TABLE things (id int PRIMARY KEY);\n"),
            ("V2__seed_thing.sql", "INSERT INTO things SELECT coalesce(max(id), 0) + 1 FROM things;\n"),
        ],
    )
}

/// `rehab ARGS` against `url`.
fn rehab(db: &TestDb, url: &str, args: &[&str]) -> Rehab {
    Rehab::new(&db.dir).arg("--database-url").arg(url).args(args)
}

/// Advisory locks held in the test database by any session, pooled server backends included.
fn advisory_locks(db: &TestDb) -> i64 {
    let mut admin = db.admin();
    admin
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                AND database = (SELECT oid FROM pg_database WHERE datname = $1)",
            &[&db.name],
        )
        .unwrap()
        .get(0)
}

/// Relations and non-system schemas in the test database: zero means nothing was created.
fn user_objects(db: &TestDb) -> i64 {
    db.scalar(
        "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%')
              + (SELECT count(*) FROM pg_namespace
                  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%')",
    )
}

/// Waits for every child, killing all of them and failing if one is still running after `limit`.
fn wait_all(children: Vec<Child>, limit: Duration) -> Vec<Run> {
    let deadline = Instant::now() + limit;
    let mut children: Vec<Option<Child>> = children.into_iter().map(Some).collect();
    while children.iter_mut().flatten().any(|c| c.try_wait().unwrap().is_none()) {
        if Instant::now() > deadline {
            for c in children.iter_mut().flatten() {
                let _ = c.kill();
            }
            panic!("a concurrent rehab run was still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    children.iter_mut().map(|c| Run::from(c.take().unwrap().wait_with_output().unwrap())).collect()
}

fn assert_refused(run: Run, command: &str) {
    run.exit(Exit::Failure)
        .stderr_has(&format!("refusing to run `rehab {command}` through a transaction-pooling proxy"))
        .stderr_has("does not keep its server session across transactions")
        .stderr_has("nothing was changed")
        .stderr_has("point rehab at the PostgreSQL server itself")
        .stderr_has("[database] direct_url_env");
}

#[test]
fn transaction_pooling_is_refused_before_anything_changes() {
    let db = TestDb::new("pgb_tx_refused");
    let bouncer = PgBouncer::start(PoolMode::Transaction);
    let run = rehab(&db, &bouncer.url(&db.name), &["migrate"]).run();
    assert!(!run.stderr.contains("prepared statement"), "{}", run.stderr);
    assert_refused(run, "migrate");
    assert!(db.applied_versions().is_empty());
    assert_eq!(user_objects(&db), 0, "the refused run created something");
    assert_eq!(advisory_locks(&db), 0, "the refused run left an advisory lock behind");
}

#[test]
fn concurrent_migrates_through_transaction_pooling_all_refuse_without_hanging() {
    let db = TestDb::new("pgb_tx_concurrent");
    let dir = two(&db);
    let bouncer = PgBouncer::start(PoolMode::Transaction);
    let url = bouncer.url(&db.name);
    let children = (0..8).map(|_| rehab(&db, &url, &["migrate", "--migrations"]).arg(&dir).spawn()).collect();
    for run in wait_all(children, Duration::from_mins(1)) {
        assert_refused(run, "migrate");
    }
    assert!(db.applied_versions().is_empty());
    assert_eq!(user_objects(&db), 0);
    assert_eq!(advisory_locks(&db), 0, "a refused run left an advisory lock on a pooled backend");
    // Nothing was left for the next run to wait on: a direct run takes the lock at once.
    let dir_arg = dir.to_str().unwrap();
    db.rehab(&["migrate", "--migrations", dir_arg]).ok();
    assert_eq!(db.applied_versions(), vec![1, 2]);
}

#[test]
fn rollback_reset_and_seed_through_transaction_pooling_are_refused_too() {
    let db = TestDb::new("pgb_tx_others");
    db.rehab(&["migrate"]).ok();
    let applied = db.applied_versions();
    let bouncer = PgBouncer::start(PoolMode::Transaction);
    let url = bouncer.url(&db.name);
    assert_refused(rehab(&db, &url, &["rollback", "--yes"]).run(), "rollback");
    assert_refused(rehab(&db, &url, &["reset", "--yes"]).run(), "reset");
    assert_refused(rehab(&db, &url, &["seed"]).run(), "seed");
    // check's proof runs scripts (some outside a transaction) in a scratch database: the same session it needs.
    assert_refused(rehab(&db, &url, &["check", "--all"]).run(), "check");
    assert_eq!(db.applied_versions(), applied, "a refused run changed the history");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM event_store.events"), 0, "the refused seed loaded rows");
    assert_eq!(advisory_locks(&db), 0);
}

#[test]
fn session_pooling_migrates_like_a_direct_connection() {
    let db = TestDb::new("pgb_session");
    let bouncer = PgBouncer::start(PoolMode::Session);
    rehab(&db, &bouncer.url(&db.name), &["migrate"]).ok().stdout_has(&format!(":{}/", bouncer.port));
    let direct = TestDb::new("pgb_session_direct");
    direct.rehab(&["migrate"]).ok();
    assert_eq!(db.applied_versions(), direct.applied_versions());
    assert!(!db.applied_versions().is_empty());
    assert_eq!(advisory_locks(&db), 0);
}

#[test]
fn concurrent_migrates_through_session_pooling_apply_each_migration_once() {
    let db = TestDb::new("pgb_session_concurrent");
    let dir = two(&db);
    let bouncer = PgBouncer::start(PoolMode::Session);
    let url = bouncer.url(&db.name);
    let children = (0..4).map(|_| rehab(&db, &url, &["migrate", "--migrations"]).arg(&dir).spawn()).collect();
    for run in wait_all(children, Duration::from_mins(1)) {
        run.exit(Exit::Success);
    }
    assert_eq!(db.applied_versions(), vec![1, 2]);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM things"), 1, "the data migration ran more than once");
    assert_eq!(advisory_locks(&db), 0);
}

#[test]
fn direct_url_env_routes_schema_changes_around_the_pooler() {
    let db = TestDb::new("pgb_direct_url_env");
    let bouncer = PgBouncer::start(PoolMode::Transaction);
    std::fs::write(db.dir.join("rehab.toml"), "[database]\ndirect_url_env = \"REHAB_T_DIRECT_URL\"\n").unwrap();
    let pooled = bouncer.url(&db.name);

    // The variable unset: the pooled URL is used, refused, and the hint names the variable.
    Rehab::new(&db.dir)
        .env("DATABASE_URL", &pooled)
        .arg("migrate")
        .run()
        .exit(Exit::Failure)
        .stderr_has("transaction-pooling proxy")
        .stderr_has("set $REHAB_T_DIRECT_URL to the PostgreSQL server's own URL");
    assert!(db.applied_versions().is_empty());

    // --database-url names the target of every command, so it wins over the variable.
    Rehab::new(&db.dir)
        .env("REHAB_T_DIRECT_URL", db.url())
        .arg("--database-url")
        .arg(&pooled)
        .arg("migrate")
        .run()
        .exit(Exit::Failure)
        .stderr_has("transaction-pooling proxy");
    assert!(db.applied_versions().is_empty());

    // The application URL through the pooler, the direct one in the variable: migrate goes direct.
    let run = Rehab::new(&db.dir).env("DATABASE_URL", &pooled).env("REHAB_T_DIRECT_URL", db.url()).arg("migrate").ok();
    assert!(
        run.stdout.contains(&format!(":{}/", db.server.port)),
        "the report names the direct target:\n{}",
        run.stdout
    );
    assert!(!db.applied_versions().is_empty());
    assert_eq!(advisory_locks(&db), 0);
}

#[test]
fn a_startup_parameter_the_pooler_refuses_gets_a_hint_about_the_pooler() {
    let db = TestDb::new("pgb_startup_param");
    let bouncer = PgBouncer::start(PoolMode::Session);
    let url = format!("{}&options=-c%20statement_timeout%3D0", bouncer.url(&db.name));
    rehab(&db, &url, &["migrate"])
        .run()
        .exit(Exit::Failure)
        .stderr_has("unsupported startup parameter")
        .stderr_has("connection pooler (PgBouncer)")
        .stderr_has("ignore_startup_parameters");
}
