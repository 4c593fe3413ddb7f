//! `rehab seed`: determinism, projection consistency, refusal and --replace, atomicity under a kill,
//! the minimal profile's logins, row counts, and a schema left exactly as it was.

use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordVerifier};

use crate::support::{Exit, TestDb};

/// The development password documented in README.md.
const DEV_PASSWORD: &str = "rehab-dev-password";
const TINY: &[&str] = &["seed", "--profile", "demo", "--scale", "0.01"];

fn migrated(name: &str) -> TestDb {
    let db = TestDb::new(name);
    db.rehab(&["migrate"]).ok();
    db
}

fn seeded(name: &str, extra: &[&str]) -> TestDb {
    let db = migrated(name);
    db.rehab(&[TINY, extra].concat()).ok();
    db
}

/// Every seeded table but the events (digested without their transaction id), from the loader's registry.
fn tables() -> impl Iterator<Item = &'static str> {
    rehab::SEEDED_TABLES.iter().copied().filter(|t| *t != "event_store.events")
}

/// One md5 per table over every row (events without `transaction_id`, the only non-deterministic column).
fn digests(db: &TestDb) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tables()
        .map(|t| {
            let d: Option<String> =
                db.scalar(&format!("SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM {t} x"));
            (t.to_string(), d.unwrap_or_default())
        })
        .collect();
    let events: String = db.scalar(
        "SELECT md5(string_agg((global_position, event_id, stream_id, stream_type, stream_version, event_type,
                event_schema_version, data, metadata, correlation_id, causation_id, occurred_at, recorded_at)::text,
                ',' ORDER BY global_position)) FROM event_store.events",
    );
    out.push(("event_store.events".into(), events));
    out
}

#[test]
fn same_seed_gives_identical_data_and_another_seed_differs() {
    let a = seeded("seed_det_a", &["--seed", "7"]);
    let b = seeded("seed_det_b", &["--seed", "7"]);
    let c = seeded("seed_det_c", &["--seed", "8"]);
    let (da, db_, dc) = (digests(&a), digests(&b), digests(&c));
    assert_eq!(da, db_, "same profile, seed and scale must give identical rows");
    let differing = da.iter().zip(&dc).filter(|(x, y)| x.1 != y.1).count();
    assert!(differing > 15, "another seed should change almost every table, changed {differing}");
    assert!(a.scalar::<i64>("SELECT count(*) FROM event_store.events") > 5_000);
}

#[test]
fn projections_are_exactly_what_the_events_imply() {
    let db = seeded("seed_consistency", &[]);
    let adherence_mismatches: i64 = db.scalar(
        "WITH e AS (SELECT (data->>'patient_id')::uuid AS patient_id, event_type, data FROM event_store.events),
              agg AS (SELECT patient_id,
                         count(*) FILTER (WHERE event_type = 'ExerciseSessionDue') AS prescribed,
                         count(*) FILTER (WHERE event_type = 'ExerciseSessionEnded' AND data->>'status' = 'completed'
                                          AND data->>'scheduled_for' IS NOT NULL) AS completed,
                         count(*) FILTER (WHERE event_type = 'ExerciseSessionEnded' AND data->>'status' = 'partial'
                                          AND data->>'scheduled_for' IS NOT NULL) AS partial,
                         count(*) FILTER (WHERE event_type = 'ExerciseSessionMissed') AS missed
                       FROM e WHERE patient_id IS NOT NULL GROUP BY patient_id)
         SELECT count(*) FROM adherence.patient_summaries s FULL JOIN agg a USING (patient_id)
          WHERE (s.sessions_prescribed, s.sessions_completed, s.sessions_partial, s.sessions_missed)
                IS DISTINCT FROM (a.prescribed::int, a.completed::int, a.partial::int, a.missed::int)
             OR s.adherence_pct IS DISTINCT FROM
                CASE WHEN a.prescribed > 0 THEN round(100.0 * (a.completed + 0.5 * a.partial) / a.prescribed, 2) END",
    );
    assert_eq!(adherence_mismatches, 0, "adherence.patient_summaries disagrees with the events");
    let quality_mismatches: i64 = db.scalar(
        "WITH r AS (SELECT (data->>'patient_id')::uuid AS p, data->>'session_id' AS s,
                           (data->>'form_score')::numeric AS f, (data->>'is_valid')::boolean AS v
                      FROM event_store.events WHERE event_type = 'RepetitionScored'),
              agg AS (SELECT p, count(*) AS reps, count(*) FILTER (WHERE v) AS valid, count(DISTINCT s) AS sessions,
                             round(avg(f), 2) AS form FROM r GROUP BY p)
         SELECT count(*) FROM quality.patient_summaries q LEFT JOIN agg a ON a.p = q.patient_id
          WHERE (q.reps_analyzed, q.reps_valid, q.sessions_analyzed, q.avg_form_score)
                IS DISTINCT FROM (coalesce(a.reps, 0)::int, coalesce(a.valid, 0)::int, coalesce(a.sessions, 0)::int, a.form)",
    );
    assert_eq!(quality_mismatches, 0, "quality.patient_summaries disagrees with the events");
    let same_counts: bool = db.scalar(
        "SELECT (SELECT count(*) FROM quality.rep_analyses)
                  = (SELECT count(*) FROM event_store.events WHERE event_type = 'RepetitionScored')
            AND (SELECT count(*) FROM adherence.session_logs)
                  = (SELECT count(*) FROM event_store.events WHERE event_type = 'ExerciseSessionEnded')
            AND (SELECT count(*) FROM adherence.missed_sessions)
                  = (SELECT count(*) FROM event_store.events WHERE event_type = 'ExerciseSessionMissed')
            AND (SELECT count(*) FROM quality.alerts)
                  = (SELECT count(*) FROM event_store.events WHERE event_type = 'QualityAlertRaised')
            AND (SELECT count(*) FROM work_queue.items)
                  = (SELECT count(*) FROM event_store.events WHERE event_type = 'WorkItemCreated')",
    );
    assert!(same_counts, "row counts of the projections do not match their events");
    let lagging: i64 = db.scalar("SELECT count(*) FROM projections.projection_lag WHERE lag_events <> 0");
    assert_eq!(lagging, 0, "projection_versions must sit at the event store head");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM projections.projection_versions"), 3);
    // The identity continues after the loaded positions.
    let next: i64 = db.scalar(
        "INSERT INTO event_store.events (stream_id, stream_type, stream_version, event_type, occurred_at)
         VALUES (gen_random_uuid(), 'probe', 1, 'Probe', now()) RETURNING global_position",
    );
    let head: i64 = db.scalar("SELECT max(global_position) FROM event_store.events WHERE event_type <> 'Probe'");
    assert_eq!(next, head + 1);
}

#[test]
fn a_second_seed_is_refused_and_replace_starts_over() {
    let db = seeded("seed_replace", &["--seed", "3"]);
    let before = digests(&db);
    db.rehab(TINY).run().exit(Exit::Refused).stderr_has("already holds seed data").stderr_has("--replace");
    assert_eq!(digests(&db), before, "a refused seed must change nothing");
    let json = db.rehab(&[TINY, &["--seed", "3", "--replace", "--format", "json"]].concat()).ok().json();
    assert_eq!(json["replaced"], true);
    assert_eq!(digests(&db), before, "replacing with the same seed gives the same data");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM public.rehab_seed_runs"), 2);
}

#[test]
fn data_seed_did_not_write_is_never_replaced() {
    let db = migrated("seed_foreign");
    db.client()
        .batch_execute("INSERT INTO work_queue.templates (code, name, kind) VALUES ('mine', 'Mine', 'custom')")
        .unwrap();
    db.rehab(&[TINY, &["--replace"]].concat())
        .run()
        .exit(Exit::Refused)
        .stderr_has("did not write")
        .stderr_has("work_queue.templates");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM work_queue.templates"), 1);
}

#[test]
fn a_killed_seed_leaves_nothing_behind() {
    let db = migrated("seed_killed");
    let mut child = db.rehab(&["seed", "--profile", "demo", "--scale", "0.2"]).spawn();
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut c = db.client();
    loop {
        let copying: bool = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                                 AND application_name LIKE 'rehab%' AND query LIKE 'COPY%')",
                &[],
            )
            .unwrap()
            .get(0);
        if copying {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the seed ended before it could be interrupted");
        assert!(Instant::now() < deadline, "the seed never started copying");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The server notices the closed connection and rolls back.
    let deadline = Instant::now() + Duration::from_secs(30);
    while c
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'rehab%'",
            &[],
        )
        .unwrap()
        .get::<_, i64>(0)
        > 0
    {
        assert!(Instant::now() < deadline, "the killed seed's session did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
    for t in rehab::SEEDED_TABLES {
        assert_eq!(db.scalar::<i64>(&format!("SELECT count(*) FROM {t}")), 0, "{t} kept rows of a killed seed");
    }
    assert!(db.scalar::<bool>("SELECT to_regclass('public.rehab_seed_runs') IS NULL"), "the ledger must not survive");
    // And a new seed works afterwards.
    db.rehab(TINY).ok();
}

#[test]
fn minimal_profile_has_the_documented_logins_with_the_dev_password() {
    let db = migrated("seed_minimal");
    let json = db.rehab(&["seed", "--profile", "minimal", "--format", "json"]).ok().json();
    let rows =
        db.client().query("SELECT email, role::text, password_hash FROM auth.users ORDER BY email", &[]).unwrap();
    let logins: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let expected = [
        ("admin@rehab.test", "clinic_admin"),
        ("patient1@rehab.test", "patient"),
        ("patient2@rehab.test", "patient"),
        ("patient3@rehab.test", "patient"),
        ("therapist1@rehab.test", "therapist"),
        ("therapist2@rehab.test", "therapist"),
    ];
    assert_eq!(logins, expected.map(|(e, r)| (e.to_string(), r.to_string())));
    for r in &rows {
        let hash: String = r.get(2);
        Argon2::default()
            .verify_password(DEV_PASSWORD.as_bytes(), &PasswordHash::new(&hash).unwrap())
            .unwrap_or_else(|e| panic!("hash of {} does not verify: {e}", r.get::<_, String>(0)));
    }
    // Rows per table: the report, the ledger and the tables agree, and the profile's people are there.
    let ledger: serde_json::Value = db.scalar("SELECT rows_per_table FROM public.rehab_seed_runs");
    for t in json["tables"].as_array().unwrap() {
        let name = t["table"].as_str().unwrap();
        let actual: i64 = db.scalar(&format!("SELECT count(*) FROM {name}"));
        assert_eq!(t["rows"].as_i64().unwrap(), actual, "{name}");
        assert_eq!(ledger[name].as_i64().unwrap(), actual, "{name} in the ledger");
    }
    for (table, rows) in [
        ("auth.therapist_profiles", 2),
        ("auth.patient_profiles", 3),
        ("adherence.patient_summaries", 3),
        ("quality.patient_summaries", 3),
        ("work_queue.therapist_capacity", 2),
        ("work_queue.templates", 4),
    ] {
        assert_eq!(db.scalar::<i64>(&format!("SELECT count(*) FROM {table}")), rows, "{table}");
    }
    assert_eq!(json["profile"], "minimal");
}

#[test]
fn seeding_leaves_the_schema_exactly_as_it_was() {
    let db = migrated("seed_schema");
    let before = db.schema_dump();
    db.rehab(&["seed", "--profile", "minimal"]).ok();
    db.client().batch_execute("DROP TABLE public.rehab_seed_runs").unwrap();
    assert!(db.schema_dump() == before, "seed changed the schema (indexes, keys, checks or triggers)");
    let disabled: i64 = db.scalar("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'");
    assert_eq!(disabled, 0);
}

#[test]
fn seed_refuses_an_unmigrated_database_and_a_protected_environment() {
    let db = TestDb::new("seed_guards");
    db.rehab(&["seed", "--profile", "minimal"]).run().exit(Exit::Failure).stderr_has("rehab migrate");
    db.rehab(&["migrate"]).ok();
    let config = db.dir.join("rehab.toml");
    std::fs::write(&config, format!("[environments.prod]\nurl = \"{}\"\nprotected = true\n", db.url())).unwrap();
    let cfg = config.to_str().unwrap();
    crate::support::Rehab::new(&db.dir)
        .args(&["--config", cfg, "--env", "prod", "seed", "--profile", "minimal"])
        .run()
        .exit(Exit::Refused)
        .stderr_has("protected");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM auth.users"), 0);
    crate::support::Rehab::new(&db.dir)
        .args(&["--config", cfg, "--env", "prod", "seed", "--profile", "minimal", "--allow-protected"])
        .ok();
    db.rehab(&["seed", "--profile", "nope"]).run().exit(Exit::Usage).stderr_has("unknown seed profile");
}

#[test]
fn setup_seed_creates_migrates_and_seeds_the_configured_profile() {
    let db = TestDb::named("seed_setup");
    let json = db.rehab(&["setup", "--seed", "--format", "json"]).ok().json();
    assert_eq!(json["seed"]["profile"], "minimal");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM auth.users"), 6);
    // Seeding is not idempotent by accident: a second `setup --seed` refuses (exit 4) and changes nothing.
    db.rehab(&["setup", "--seed"]).run().exit(Exit::Refused).stderr_has("already holds seed data");
}
