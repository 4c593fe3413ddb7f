//! `rehab reset` killed with SIGKILL at any moment: it runs in one transaction, so the database is left
//! either exactly as it was or exactly as a fresh `setup` leaves it, never in between.

use std::time::{Duration, Instant};

use crate::support::TestDb;

const ALL_VERSIONS: [i32; 6] = [1, 2, 3, 4, 5, 6];

/// Tables the minimal seed fills, and its ledger (which lives in `public`, so a reset drops it).
const SEEDED: &[&str] = &[
    "event_store.events",
    "auth.users",
    "auth.user_sessions",
    "audit.audit_log",
    "adherence.session_logs",
    "quality.rep_analyses",
    "work_queue.items",
    "public.rehab_seed_runs",
];

/// Row count of each seeded table; `None` for a table that does not exist.
fn counts(db: &TestDb) -> Vec<(&'static str, Option<i64>)> {
    SEEDED
        .iter()
        .map(|t| {
            let exists: bool = db.scalar(&format!("SELECT to_regclass('{t}') IS NOT NULL"));
            (*t, exists.then(|| db.scalar(&format!("SELECT count(*) FROM {t}"))))
        })
        .collect()
}

/// A database as a test expects it: schema, seeded rows and history.
#[derive(Debug, PartialEq)]
struct State {
    dump: String,
    counts: Vec<(&'static str, Option<i64>)>,
    versions: Vec<i32>,
}

fn state(db: &TestDb) -> State {
    State { dump: db.schema_dump(), counts: counts(db), versions: db.applied_versions() }
}

/// The first line where two schema dumps differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    match la.iter().zip(&lb).position(|(x, y)| x != y) {
        Some(i) => format!("line {}: {:?} vs {:?}", i + 1, la[i], lb[i]),
        None => format!("one dump is a prefix of the other ({} vs {} lines)", la.len(), lb.len()),
    }
}

/// A killed client's backend lives on until the server notices; until then it may hold the reset's locks
/// (and the migration lock), so wait for it to end before looking at the database.
fn wait_for_killed_session(db: &TestDb) {
    let mut admin = db.admin();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'rehab reset'",
                &[&db.name],
            )
            .unwrap()
            .get(0);
        if left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the killed reset's session is still on the server after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True while the reset's transaction is open and has written (dropped something): a kill now must roll
/// it all back. `admin` is a maintenance connection kept open, so the check adds little delay before a kill.
fn reset_transaction_has_written(admin: &mut postgres::Client, db: &TestDb) -> bool {
    admin
        .query_one(
            "SELECT count(*) > 0 FROM pg_stat_activity
              WHERE datname = $1 AND application_name = 'rehab reset' AND backend_xid IS NOT NULL",
            &[&db.name],
        )
        .unwrap()
        .get(0)
}

/// Deterministic pseudo-random numbers (an LCG seeded from the process id, printed for a rerun by hand).
struct Lcg(u64);

impl Lcg {
    /// A float in [0, 1).
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
#[expect(clippy::print_stderr, reason = "the delays and outcomes go to the captured test output, to rerun a failure")]
fn reset_killed_at_any_moment_leaves_the_database_as_before_or_freshly_reset() {
    let fresh_db = TestDb::named("interrupted_fresh");
    fresh_db.rehab(&["setup"]).ok();
    let fresh = state(&fresh_db);
    drop(fresh_db);
    assert_eq!(fresh.versions, ALL_VERSIONS);
    assert!(fresh.counts.iter().all(|(t, n)| *n == if *t == "public.rehab_seed_runs" { None } else { Some(0) }));

    let db = TestDb::named("interrupted_reset");
    db.rehab(&["setup"]).ok();
    db.rehab(&["seed", "--profile", "minimal"]).ok();
    // One uninterrupted reset measures how long a reset takes here (process start to exit).
    let started = Instant::now();
    db.rehab(&["reset", "--yes"]).ok();
    let typical = started.elapsed();
    assert!(state(&db) == fresh, "an uninterrupted reset does not leave the fresh state");
    db.rehab(&["seed", "--profile", "minimal"]).ok();
    let before = state(&db);
    assert!(before.counts.iter().all(|(_, n)| n.is_some_and(|n| n > 0)), "the seed left a table empty: {before:?}");

    // Rounds 0-9 kill at a random moment within the round's tenth of [0, 1.25 x typical]: spread over the
    // whole reset, from before it connects to after it has committed (the last ones may let it finish).
    // Rounds 10-11 kill as soon as the reset's transaction has written, the moment a half-done reset would
    // show, so that case is exercised whatever the timing of this machine. After a round that reset the
    // database, it is seeded again: every round starts from the same seeded state.
    let window = typical.mul_f64(1.25);
    let seed = u64::from(std::process::id());
    let mut rng = Lcg(seed);
    eprintln!("typical reset {typical:?}; kill window {window:?}; LCG seed {seed}");
    let mut watcher = db.admin();
    let (mut untouched, mut reset, mut killed_mid_transaction) = (0, 0, 0);
    for round in 0..12 {
        let mut child = db.rehab(&["reset", "--yes"]).spawn();
        let spawned = Instant::now();
        if round < 10 {
            std::thread::sleep(window.mul_f64((f64::from(round) + rng.next_unit()) / 10.0));
        } else {
            let deadline = spawned + Duration::from_secs(10);
            while !reset_transaction_has_written(&mut watcher, &db)
                && child.try_wait().unwrap().is_none()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        let mid_transaction = reset_transaction_has_written(&mut watcher, &db);
        child.kill().expect("SIGKILL the reset");
        let delay = spawned.elapsed();
        killed_mid_transaction += usize::from(mid_transaction);
        let status = child.wait().unwrap();
        wait_for_killed_session(&db);
        let no_advisory_locks: bool = db.scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
        );
        assert!(no_advisory_locks, "round {round}: the migration lock outlived the killed reset");

        let now = state(&db);
        if now == before {
            untouched += 1;
            eprintln!(
                "round {round}: killed after {delay:?} ({status}, mid-transaction: {mid_transaction}): untouched"
            );
        } else if now == fresh {
            reset += 1;
            eprintln!(
                "round {round}: killed after {delay:?} ({status}, mid-transaction: {mid_transaction}): fully reset"
            );
            // Start the next round from a seeded database again.
            db.rehab(&["seed", "--profile", "minimal"]).ok();
            assert!(state(&db) == before, "round {round}: re-seeding does not give the seeded state back");
        } else {
            panic!(
                "round {round}: killed after {delay:?} ({status}, mid-transaction: {mid_transaction}), the database \
                 is neither as before nor fresh\n\
                 counts {:?}, versions {:?}\n\
                 dump vs before: {}\ndump vs fresh: {}",
                now.counts,
                now.versions,
                first_difference(&now.dump, &before.dump),
                first_difference(&now.dump, &fresh.dump)
            );
        }
    }
    eprintln!("{untouched} round(s) untouched, {reset} fully reset, {killed_mid_transaction} killed mid-transaction");
    assert!(killed_mid_transaction > 0, "no kill landed inside the reset's transaction: the test proved nothing");

    db.rehab(&["reset", "--yes"]).ok();
    assert!(state(&db) == fresh, "a plain reset after the interrupted ones does not leave the fresh state");
}
