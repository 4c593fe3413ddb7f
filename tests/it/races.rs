//! Concurrent runs: `setup` racing to create the same database, first-time `seed` racing itself, and
//! seed, reset and migrate all waiting on the one migration lock.

use std::process::Child;
use std::time::{Duration, Instant};

use crate::support::{Exit, Run, TestDb};

/// The migration lock's advisory key: "rehab" in ASCII (491327611234), as in src/db/lock.rs.
const MIGRATION_LOCK_KEY: i64 = 0x72_65_68_61_62;
const ALL_VERSIONS: [i32; 6] = [1, 2, 3, 4, 5, 6];

/// Waits for every child and collects what each printed.
fn wait_all(children: Vec<Child>) -> Vec<Run> {
    children.into_iter().map(|c| Run::from(c.wait_with_output().expect("wait for rehab"))).collect()
}

fn describe(runs: &[Run]) -> String {
    runs.iter()
        .enumerate()
        .map(|(i, r)| format!("--- run {i}: exit {:?}\n{}", r.status, r.stderr.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A test-side session holding the migration lock of `db`, named so that rehab's message can name it.
fn hold_migration_lock(db: &TestDb) -> postgres::Client {
    let mut holder = db.client();
    holder.batch_execute("SET application_name = 'races lock holder'").unwrap();
    holder.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY]).unwrap();
    holder
}

fn table_exists(db: &TestDb, name: &str) -> bool {
    db.scalar(&format!("SELECT to_regclass('{name}') IS NOT NULL"))
}

#[test]
fn concurrent_setups_of_a_missing_database_all_succeed_and_exactly_one_creates_it() {
    for round in 0..3 {
        // A fresh name each round: the previous round's database is dropped with its TestDb.
        let db = TestDb::named("race_setup");
        assert!(!db.exists());
        let children = (0..16).map(|_| db.rehab(&["setup", "--format", "json"]).spawn()).collect();
        let runs = wait_all(children);
        assert!(
            runs.iter().all(|r| r.status == Some(0)),
            "round {round}: not every setup exited 0\n{}",
            describe(&runs)
        );

        let created = runs.iter().filter(|r| r.json()["created"] == true).count();
        assert_eq!(created, 1, "round {round}: {created} runs say they created the database\n{}", describe(&runs));
        // Migrate runs under the lock, so each migration is applied by exactly one of the 16 runs.
        let applied: Vec<i64> = runs
            .iter()
            .flat_map(|r| r.json()["migrate"]["applied"].as_array().unwrap().clone())
            .map(|step| step["version"].as_i64().unwrap())
            .collect();
        let mut sorted = applied.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 2, 3, 4, 5, 6], "round {round}: migrations applied across the runs: {applied:?}");
        assert_eq!(db.applied_versions(), ALL_VERSIONS, "round {round}");
    }
}

#[test]
fn concurrent_first_seeds_let_exactly_one_through_and_refuse_the_others() {
    for round in 0..3 {
        let db = TestDb::named("race_seed");
        db.rehab(&["setup"]).ok();
        let children =
            (0..4).map(|_| db.rehab(&["seed", "--profile", "minimal", "--format", "json"]).spawn()).collect();
        let runs = wait_all(children);
        let mut codes: Vec<Option<i32>> = runs.iter().map(|r| r.status).collect();
        codes.sort_unstable();
        assert_eq!(codes, [Some(0), Some(4), Some(4), Some(4)], "round {round}\n{}", describe(&runs));
        for refused in runs.iter().filter(|r| r.status == Some(4)) {
            assert!(
                refused.stderr.contains("already holds seed data") && refused.stderr.contains("nothing was changed"),
                "round {round}: refusal without the documented message:\n{}",
                refused.stderr
            );
        }

        // One committed seed: one ledger row, and the events exactly as many as the winner reports (a second
        // seed interleaved with it would have doubled them or failed on a duplicate key).
        let winner = runs.iter().find(|r| r.status == Some(0)).unwrap().json();
        let reported = winner["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "event_store.events")
            .and_then(|t| t["rows"].as_i64())
            .expect("the seed report lists event_store.events");
        assert_eq!(db.scalar::<i64>("SELECT count(*) FROM public.rehab_seed_runs"), 1, "round {round}");
        assert!(reported > 0);
        assert_eq!(db.scalar::<i64>("SELECT count(*) FROM event_store.events"), reported, "round {round}");
    }
}

#[test]
fn seed_reset_and_migrate_give_up_on_a_held_migration_lock_and_change_nothing() {
    let db = TestDb::named("race_lock_timeout");
    db.rehab(&["setup"]).ok();
    db.client().batch_execute("CREATE TABLE public.keep_me (id int)").unwrap();
    // Without rehab.toml each command would wait 60 s for the lock.
    std::fs::write(db.dir.join("rehab.toml"), "[migrations]\nlock_timeout_secs = 1\n").unwrap();
    let before = db.schema_dump();
    let holder = hold_migration_lock(&db);

    for args in [&["seed", "--profile", "minimal"][..], &["reset", "--yes"], &["migrate"]] {
        let started = Instant::now();
        let run = db
            .rehab(args)
            .run()
            .exit(Exit::Failure)
            .stderr_has("timed out after 1s waiting for the migration lock")
            .stderr_has("races lock holder");
        assert!(started.elapsed() >= Duration::from_secs(1), "{args:?} did not wait for the lock:\n{}", run.stderr);
    }

    assert!(!table_exists(&db, "public.rehab_seed_runs"), "the seed left its ledger behind");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM event_store.events"), 0, "the seed wrote events");
    assert!(table_exists(&db, "public.keep_me"), "the reset dropped objects without the lock");
    assert!(db.schema_dump() == before, "the schema changed while another session held the lock");

    // The lock was the only obstacle: released, the same seed goes through.
    drop(holder);
    db.rehab(&["seed", "--profile", "minimal"]).ok();
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM public.rehab_seed_runs"), 1);
}

#[test]
fn seed_waits_for_the_migration_lock_and_proceeds_once_it_is_released() {
    let db = TestDb::named("race_lock_wait");
    db.rehab(&["setup"]).ok();
    let mut holder = hold_migration_lock(&db);
    let mut child = db.rehab(&["seed", "--profile", "minimal"]).spawn();

    // Wait until the seed is blocked on the advisory lock itself (not merely slow to start).
    let deadline = Instant::now() + Duration::from_secs(10);
    let waiting_on_lock = |c: &mut postgres::Client| -> bool {
        c.query_one(
            "SELECT count(*) > 0 FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'rehab seed'
                AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
            &[],
        )
        .unwrap()
        .get(0)
    };
    while !waiting_on_lock(&mut holder) {
        assert!(child.try_wait().unwrap().is_none(), "the seed ended instead of waiting for the lock");
        assert!(Instant::now() < deadline, "the seed never waited on the migration lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!table_exists(&db, "public.rehab_seed_runs"), "the seed wrote before it had the lock");

    holder.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY]).unwrap();
    let run = Run::from(child.wait_with_output().unwrap()).exit(Exit::Success);
    assert!(run.stdout.contains("Seeded"), "{}", run.stdout);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM public.rehab_seed_runs"), 1);
    assert!(db.scalar::<i64>("SELECT count(*) FROM event_store.events") > 0);
}
