//! `rehab doctor`: a healthy database is clean; each fault injected for real shows up in its check with the
//! documented status and exit code; the command explains itself without a server or a database.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Exit, Rehab, Run, TestDb};

/// `rehab doctor --format json ARGS`, with `config` (a `[doctor]` section body) written to rehab.toml.
fn doctor(db: &TestDb, config: &str, args: &[&str]) -> Rehab {
    std::fs::write(db.dir.join("rehab.toml"), format!("[doctor]\n{config}\n")).unwrap();
    db.rehab(&["doctor", "--format", "json"]).args(args)
}

/// The row of `group/name`, with the whole report in the panic message when it is absent.
fn row<'a>(json: &'a Value, id: &str) -> &'a Value {
    let (group, name) = id.split_once('/').unwrap();
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["group"] == group && c["name"] == name)
        .unwrap_or_else(|| panic!("no {id} in {json:#}"))
}

fn status(json: &Value, id: &str) -> String {
    row(json, id)["status"].as_str().unwrap().to_string()
}

fn detail(json: &Value, id: &str) -> String {
    row(json, id)["detail"].as_str().unwrap().to_string()
}

/// The `objects` of `group/name` (every row carries the array, empty or not).
fn objects(json: &Value, id: &str) -> Vec<String> {
    let all = row(json, id)["objects"].as_array().unwrap_or_else(|| panic!("{id} has no objects array: {json:#}"));
    all.iter().map(|o| o.as_str().unwrap().to_string()).collect()
}

/// The Detail cell of `check` in doctor's table, its wrapped lines joined again. The table has no line
/// between rows, so a line whose Check cell is empty continues the row above.
fn table_detail(table: &str, check: &str) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    for line in table.lines().filter(|l| l.starts_with('│')) {
        let cells: Vec<&str> = line.split(['│', '┆']).map(str::trim).collect();
        let (name, text) = (cells[2], cells[4]);
        match rows.last_mut() {
            Some(last) if name.is_empty() => {
                last.1.push(' ');
                last.1.push_str(text);
            }
            _ => rows.push((name.to_string(), text.to_string())),
        }
    }
    rows.into_iter().find(|(name, _)| name == check).unwrap_or_else(|| panic!("no {check} in\n{table}")).1
}

/// Statuses other than ok/skip, as `group/name=status`.
fn problems(json: &Value) -> Vec<String> {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "ok" && c["status"] != "skip")
        .map(|c| format!("{}/{}={}: {}", c["group"], c["name"], c["status"], c["detail"]))
        .collect()
}

fn set_up(test: &str) -> TestDb {
    let db = TestDb::named(test);
    db.rehab(&["setup", "--quiet"]).ok();
    db
}

#[test]
fn a_freshly_set_up_database_is_healthy() {
    let db = set_up("doctor_healthy");
    let run = doctor(&db, "", &["--strict"]).ok();
    let json = run.json();
    assert!(problems(&json).is_empty(), "{:#?}", problems(&json));
    let checks = json["checks"].as_array().unwrap();
    for c in checks {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["detail", "group", "hint", "ms", "name", "objects", "status"], "{c}");
        assert_eq!(c["objects"], serde_json::json!([]), "nothing is at fault: {c}");
    }
    for group in rehab::DOCTOR_GROUPS {
        assert!(checks.iter().any(|c| c["group"] == *group), "group {group} missing");
    }
    assert_eq!(status(&json, "replication/replicas"), "skip");
    assert_eq!(status(&json, "projections/lag"), "ok");
    let s = &json["summary"];
    assert_eq!(s["ok"].as_u64().unwrap() + s["skip"].as_u64().unwrap(), checks.len() as u64, "{s}");
    // The table for people ends with the summary line.
    let table = db.rehab(&["doctor"]).ok().stdout;
    assert!(table.contains("unindexed_foreign_keys") && table.contains(" 0 fail, "), "{table}");
}

#[test]
fn pending_divergent_and_missing_migrations_fail() {
    let db = TestDb::new("doctor_migrations");
    let none = doctor(&db, "", &["--only", "migrations"]).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&none, "migrations/history_table"), "fail");
    let dir = db.fixture_dir("m", &[("V1__a.sql", "CREATE TABLE a (id int PRIMARY KEY);")]);
    db.rehab(&["migrate", "--quiet", "--migrations"]).arg(&dir).ok();
    let clean = doctor(&db, "", &["--only", "migrations", "--migrations"]).arg(&dir).ok().json();
    assert!(problems(&clean).is_empty(), "{:#?}", problems(&clean));

    std::fs::write(dir.join("V2__b.sql"), "CREATE TABLE b (id int PRIMARY KEY);").unwrap();
    let json =
        doctor(&db, "", &["--only", "migrations", "--migrations"]).arg(&dir).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "migrations/pending"), "fail");
    assert!(detail(&json, "migrations/pending").contains("V2 b"), "{json:#}");
    assert_eq!(status(&json, "migrations/divergent"), "ok");

    std::fs::remove_file(dir.join("V2__b.sql")).unwrap();
    std::fs::write(dir.join("V1__a.sql"), "CREATE TABLE a (id bigint PRIMARY KEY);").unwrap();
    let json =
        doctor(&db, "", &["--only", "migrations", "--migrations"]).arg(&dir).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "migrations/divergent"), "fail");
    assert_eq!(status(&json, "migrations/pending"), "ok");

    std::fs::remove_file(dir.join("V1__a.sql")).unwrap();
    let json =
        doctor(&db, "", &["--only", "migrations", "--migrations"]).arg(&dir).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "migrations/missing"), "fail");
    assert!(detail(&json, "migrations/missing").contains("V1 a"), "{json:#}");
}

#[test]
fn a_held_migration_lock_warns_and_names_the_holder() {
    let db = set_up("doctor_lock");
    let mut holder = db.client();
    holder.execute("SELECT pg_advisory_lock($1)", &[&rehab::MIGRATION_LOCK_KEY]).unwrap();
    let pid: i32 = holder.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let json = doctor(&db, "", &["--only", "migrations"]).ok().json();
    assert_eq!(status(&json, "migrations/lock"), "warn");
    assert!(detail(&json, "migrations/lock").contains(&format!("pid {pid}")), "{json:#}");
    doctor(&db, "", &["--only", "migrations", "--strict"]).run().exit(Exit::CheckFailed).stderr_has("migrations/lock");
}

#[test]
fn a_stray_unused_enum_warns() {
    let db = TestDb::new("doctor_enum");
    db.client()
        .batch_execute(
            "CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE used (id int PRIMARY KEY, m mood);
             CREATE TYPE leftover AS ENUM ('a', 'b');",
        )
        .unwrap();
    let json = doctor(&db, "", &["--only", "schema"]).ok().json();
    assert_eq!(status(&json, "schema/unused_types"), "warn");
    let found = detail(&json, "schema/unused_types");
    assert!(found.contains("\"public\".\"leftover\"") && !found.contains("mood"), "{found}");
    doctor(&db, "", &["--only", "schema", "--strict"]).run().exit(Exit::CheckFailed);
}

#[test]
fn an_invalid_index_fails() {
    let db = TestDb::new("doctor_invalid_index");
    let mut c = db.client();
    c.batch_execute("CREATE TABLE dup (id int PRIMARY KEY, v int); INSERT INTO dup VALUES (1, 7), (2, 7);").unwrap();
    c.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY dup_v_key ON dup (v)").unwrap_err();
    let json = doctor(&db, "", &["--only", "schema"]).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "schema/invalid_indexes"), "fail");
    assert!(detail(&json, "schema/invalid_indexes").contains("dup_v_key"), "{json:#}");
    assert!(row(&json, "schema/invalid_indexes")["hint"].as_str().unwrap().contains("DROP INDEX CONCURRENTLY"));
}

#[test]
fn a_foreign_key_without_an_index_warns() {
    let db = TestDb::new("doctor_fk");
    db.client()
        .batch_execute(
            "CREATE TABLE parent (id int PRIMARY KEY);
             CREATE TABLE indexed (id int PRIMARY KEY, parent_id int REFERENCES parent);
             CREATE INDEX ON indexed (parent_id);
             CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES parent);",
        )
        .unwrap();
    let json = doctor(&db, "", &["--only", "schema"]).ok().json();
    assert_eq!(status(&json, "schema/unindexed_foreign_keys"), "warn");
    let found = detail(&json, "schema/unindexed_foreign_keys");
    assert!(found.contains("child_parent_fk") && found.starts_with("1 without"), "{found}");
}

#[test]
fn a_sequence_near_its_limit_fails() {
    let db = TestDb::new("doctor_sequence");
    let mut c = db.client();
    c.batch_execute(
        "CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
         CREATE TABLE ser (id serial PRIMARY KEY);
         CREATE TABLE big (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    )
    .unwrap();
    c.batch_execute("SELECT setval(pg_get_serial_sequence('ser', 'id'), 1900000000)").unwrap();
    let json = doctor(&db, "", &["--only", "schema"]).ok().json();
    assert_eq!(status(&json, "schema/sequences"), "warn", "{json:#}");
    c.batch_execute(
        "SELECT setval(pg_get_serial_sequence('ident', 'id'), 2100000000);
         SELECT setval(pg_get_serial_sequence('big', 'id'), 2100000000);",
    )
    .unwrap();
    let json = doctor(&db, "", &["--only", "schema"]).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "schema/sequences"), "fail");
    let found = detail(&json, "schema/sequences");
    assert!(found.contains("ident_id_seq") && found.contains("ser_id_seq") && !found.contains("big_id_seq"), "{found}");
}

#[test]
fn a_session_idle_in_transaction_warns() {
    let db = TestDb::new("doctor_idle");
    let mut idle = db.client();
    idle.batch_execute("BEGIN; SELECT 1;").unwrap();
    let pid: i32 = idle.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let json = doctor(&db, "idle_in_transaction_secs = 0", &["--only", "activity"]).ok().json();
    assert_eq!(status(&json, "activity/idle_in_transaction"), "warn");
    assert!(detail(&json, "activity/idle_in_transaction").contains(&format!("pid {pid}")), "{json:#}");
    // With the default threshold (60 s) the same session is fine.
    let json = doctor(&db, "", &["--only", "activity"]).ok().json();
    assert_eq!(status(&json, "activity/idle_in_transaction"), "ok");
}

#[test]
fn a_session_blocked_on_a_lock_warns_and_names_the_blocker() {
    let db = TestDb::new("doctor_blocked");
    let mut blocker = db.client();
    blocker.batch_execute("CREATE TABLE t (id int PRIMARY KEY)").unwrap();
    blocker.batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE;").unwrap();
    let blocker_pid: i32 = blocker.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let mut waiter = db.client();
    let waiting = std::thread::spawn(move || waiter.batch_execute("SELECT * FROM t").map_err(|e| e.to_string()));
    wait_for(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    let json = doctor(&db, "blocked_secs = 0", &["--only", "activity"]).ok().json();
    assert_eq!(status(&json, "activity/blocked_sessions"), "warn");
    let found = detail(&json, "activity/blocked_sessions");
    assert!(found.contains(&format!("blocked by pid {blocker_pid}")) && found.contains("SELECT * FROM t"), "{found}");
    blocker.batch_execute("ROLLBACK").unwrap();
    waiting.join().unwrap().unwrap();
}

/// Polls `count_sql` until it returns at least 1 (at most 5 s).
fn wait_for(db: &TestDb, count_sql: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while db.scalar::<i64>(count_sql) < 1 {
        assert!(Instant::now() < deadline, "timed out waiting for: {count_sql}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn projection_lag_stalls_and_failed_rebuilds_are_reported() {
    let db = set_up("doctor_projections");
    let mut c = db.client();
    let insert = |c: &mut postgres::Client, n: i32| {
        c.execute(
            "INSERT INTO event_store.events (stream_id, stream_type, stream_version, event_type, occurred_at)
             SELECT gen_random_uuid(), 'patient', 1, 'PatientRegistered', now() FROM generate_series(1, $1)",
            &[&n],
        )
        .unwrap();
    };
    c.batch_execute(
        "INSERT INTO projections.projection_versions (projection_name, updated_at) VALUES ('adherence', now() - interval '1 hour'), ('quality', now())",
    )
    .unwrap();
    insert(&mut c, 10);
    let config = "projection_lag_warn = 5\nprojection_lag_fail = 15\nprojection_stall_secs = 600";
    let json = doctor(&db, config, &["--only", "projections"]).ok().json();
    assert_eq!(status(&json, "projections/lag"), "warn", "{json:#}");
    assert!(detail(&json, "projections/lag").contains("adherence 10 events behind"), "{json:#}");
    assert_eq!(objects(&json, "projections/lag"), ["adherence 10 events behind", "quality 10 events behind"]);
    assert_eq!(status(&json, "projections/stalled"), "warn");
    let stalled = detail(&json, "projections/stalled");
    assert!(stalled.contains("adherence") && !stalled.contains("quality"), "{stalled}");
    assert_eq!(objects(&json, "projections/stalled").len(), 1, "{json:#}");
    assert_eq!(status(&json, "projections/rebuilds"), "ok");

    insert(&mut c, 10);
    let json = doctor(&db, config, &["--only", "projections"]).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "projections/lag"), "fail");

    c.batch_execute(
        "UPDATE projections.projection_versions SET last_position = (SELECT max(global_position) FROM event_store.events),
                updated_at = now()",
    )
    .unwrap();
    let json = doctor(&db, config, &["--only", "projections"]).ok().json();
    assert!(problems(&json).is_empty(), "{:#?}", problems(&json));
    c.batch_execute(
        "UPDATE projections.projection_versions SET rebuild_state = 'failed', last_error = 'boom: bad payload',
                last_error_at = now() WHERE projection_name = 'quality'",
    )
    .unwrap();
    let json = doctor(&db, config, &["--only", "projections"]).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "projections/rebuilds"), "fail");
    assert!(
        detail(&json, "projections/rebuilds").contains("quality failed at")
            && detail(&json, "projections/rebuilds").contains("boom")
    );
}

#[test]
fn projections_skip_without_the_event_store() {
    let db = TestDb::new("doctor_no_schema");
    let ids = ["projections/lag", "projections/rebuilds", "projections/stalled"];
    let skipped_with = |detail_text: &str| {
        let json = doctor(&db, "", &["--only", "projections"]).ok().json();
        for id in ids {
            assert_eq!((status(&json, id), detail(&json, id)), ("skip".into(), detail_text.into()), "{json:#}");
        }
    };
    // An empty database, then one holding someone else's tables (even a `projections` schema): not rehab's.
    skipped_with("no event store in this database");
    db.client()
        .batch_execute(
            "CREATE TABLE invoices (id int PRIMARY KEY);
             CREATE SCHEMA projections; CREATE TABLE projections.projection_versions (id int PRIMARY KEY);",
        )
        .unwrap();
    skipped_with("no event store in this database");
    // rehab's event store with the checkpoint table still to come (V1 applied, V2 pending).
    db.client().batch_execute("DROP SCHEMA projections CASCADE").unwrap();
    db.rehab(&["migrate", "--quiet", "--target", "1"]).ok();
    skipped_with(
        "the event store has no projections.projection_versions yet: a migration is pending (see migrations/pending)",
    );
}

#[test]
fn a_slow_check_times_out_as_error_in_a_named_session_and_the_others_still_run() {
    let db = set_up("doctor_timeout");
    let mut locker = db.client();
    locker.batch_execute("BEGIN; LOCK TABLE event_store.events IN ACCESS EXCLUSIVE MODE;").unwrap();
    std::fs::write(db.dir.join("rehab.toml"), "[doctor]\ncheck_timeout_ms = 1000\n").unwrap();
    let started = Instant::now();
    let child = db.rehab(&["doctor", "--format", "json", "--only", "projections"]).spawn();
    // While it waits, the session is visible under its name.
    wait_for(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rehab doctor' AND wait_event_type = 'Lock'",
    );
    let run = Run::from(child.wait_with_output().unwrap()).exit(Exit::Success);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let json = run.json();
    assert_eq!(status(&json, "projections/lag"), "error");
    assert_eq!(detail(&json, "projections/lag"), "timed out after 1000 ms");
    assert_eq!(status(&json, "projections/stalled"), "error");
    // rebuilds reads only projection_versions: the timeouts before it did not abort it.
    assert_eq!(status(&json, "projections/rebuilds"), "ok", "{json:#}");
    locker.batch_execute("ROLLBACK").unwrap();
}

#[test]
fn an_unreachable_server_fails_the_connection_and_skips_the_rest() {
    let db = TestDb::named("doctor_unreachable");
    let url = "postgresql://alice:hunter2@127.0.0.1:1/app";
    let run =
        Rehab::new(&db.dir).args(&["doctor", "--format", "json", "--database-url", url]).run().exit(Exit::CheckFailed);
    assert!(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"), "{}{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(status(&json, "connection/reachable"), "fail");
    assert!(detail(&json, "connection/reachable").contains("alice:***@127.0.0.1:1/app"), "{json:#}");
    assert!(row(&json, "connection/reachable")["hint"].as_str().unwrap().contains("pg_isready"), "{json:#}");
    let s = &json["summary"];
    assert_eq!((s["fail"].as_u64(), s["ok"].as_u64(), s["error"].as_u64()), (Some(1), Some(0), Some(0)), "{json:#}");
    // The table form says the same, and --only without the connection group still shows why.
    let run =
        Rehab::new(&db.dir).args(&["doctor", "--only", "schema", "--database-url", url]).run().exit(Exit::CheckFailed);
    assert!(run.stdout.contains("reachable") && run.stdout.contains("SKIP") && !run.stdout.contains("hunter2"));
}

#[test]
fn a_missing_database_fails_with_a_hint_to_run_setup() {
    let db = TestDb::named("doctor_missing_db");
    let json = doctor(&db, "", &[]).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "connection/reachable"), "fail");
    assert!(row(&json, "connection/reachable")["hint"].as_str().unwrap().contains("rehab setup"), "{json:#}");
    assert_eq!(status(&json, "migrations/pending"), "skip");
    assert!(!db.exists());
}

#[test]
fn an_unknown_group_is_a_usage_error_listing_the_valid_ones() {
    let db = TestDb::named("doctor_bad_group");
    db.rehab(&["doctor", "--only", "schema,bogus"])
        .run()
        .exit(Exit::Usage)
        .stderr_has("`bogus`")
        .stderr_has("connection, migrations, schema");
}

#[test]
fn unvalidated_constraints_tables_without_a_key_and_missing_extensions_are_reported() {
    let db = TestDb::new("doctor_schema_more");
    db.client()
        .batch_execute(
            "CREATE TABLE loose (x int); INSERT INTO loose VALUES (-1);
             ALTER TABLE loose ADD CONSTRAINT loose_x_positive CHECK (x > 0) NOT VALID;",
        )
        .unwrap();
    std::fs::write(db.dir.join("rehab.toml"), "[database]\nextensions = [\"citext\"]\n").unwrap();
    let json = db.rehab(&["doctor", "--format", "json", "--only", "schema"]).run().exit(Exit::CheckFailed).json();
    assert_eq!(status(&json, "schema/tables_without_primary_key"), "warn");
    assert!(detail(&json, "schema/tables_without_primary_key").contains("\"public\".\"loose\""), "{json:#}");
    assert_eq!(status(&json, "schema/unvalidated_constraints"), "warn");
    assert!(
        row(&json, "schema/unvalidated_constraints")["hint"]
            .as_str()
            .unwrap()
            .contains("VALIDATE CONSTRAINT \"loose_x_positive\"")
    );
    assert_eq!(status(&json, "schema/extensions"), "fail");
    assert!(detail(&json, "schema/extensions").contains("citext"), "{json:#}");
}

#[test]
fn a_long_running_query_warns() {
    let db = TestDb::new("doctor_long_query");
    let mut sleeper = db.client();
    let sleeping = std::thread::spawn(move || sleeper.batch_execute("SELECT pg_sleep(3)").map_err(|e| e.to_string()));
    wait_for(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
    );
    let json = doctor(&db, "long_query_secs = 0", &["--only", "activity"]).ok().json();
    assert_eq!(status(&json, "activity/long_queries"), "warn");
    assert!(detail(&json, "activity/long_queries").contains("pg_sleep(3)"), "{json:#}");
    let json = doctor(&db, "", &["--only", "activity"]).ok().json();
    assert_eq!(status(&json, "activity/long_queries"), "ok");
    db.scalar::<bool>("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(3)' AND datname = current_database()");
    let _ = sleeping.join().unwrap();
}

#[test]
fn dead_tuples_in_a_large_table_warn() {
    let db = TestDb::new("doctor_dead_tuples");
    db.client()
        .batch_execute(
            "CREATE TABLE churn (id int PRIMARY KEY) WITH (autovacuum_enabled = false);
             INSERT INTO churn SELECT generate_series(1, 2000);
             DELETE FROM churn WHERE id > 500;",
        )
        .unwrap();
    // Statistics reach the shared view when the writing session goes idle (at most about a second later).
    wait_for(&db, "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'churn' AND n_dead_tup >= 1500");
    let json = doctor(&db, "dead_tuple_min = 100", &["--only", "maintenance"]).ok().json();
    assert_eq!(status(&json, "maintenance/vacuum"), "warn", "{json:#}");
    assert!(detail(&json, "maintenance/vacuum").contains("public.churn (1500 dead, 75%)"), "{json:#}");
    assert_eq!(objects(&json, "maintenance/vacuum"), ["public.churn (1500 dead, 75%)"]);
    // size only reports (always OK): nothing at fault.
    assert!(objects(&json, "maintenance/size").is_empty());
    assert!(detail(&json, "maintenance/size").contains("public.churn"), "{json:#}");
}

#[test]
fn thresholds_come_from_the_config() {
    let db = TestDb::new("doctor_thresholds");
    let config = "latency_warn_ms = 0.0\nconnections_warn_pct = 0.0\nwraparound_warn_pct = 0.0\n\
                  cache_hit_warn_pct = 100.0\ncache_hit_min_blocks = 999999999";
    let json = doctor(&db, config, &["--only", "connection,activity,maintenance"]).ok().json();
    for id in ["connection/latency", "activity/connections", "maintenance/wraparound"] {
        assert_eq!(status(&json, id), "warn", "{id}: {json:#}");
    }
    // A fresh database's hit ratio may well be 100 % (a 100 % threshold then never warns, and one above 100 is
    // refused), so the cache check shows its configured minimum instead.
    let cache = json["checks"].as_array().unwrap().iter().find(|c| c["name"] == "cache_hit").unwrap();
    assert!(cache["detail"].as_str().unwrap().contains("judged from 999999999"), "{cache}");
    assert!(json["checks"].as_array().unwrap().iter().all(|c| c["group"] != "schema"));
    // An unknown key is a configuration error naming it.
    std::fs::write(db.dir.join("rehab.toml"), "[doctor]\nlag_warn = 1\n").unwrap();
    db.rehab(&["doctor"]).run().exit(Exit::Usage).stderr_has("lag_warn");
}

#[test]
fn every_object_at_fault_is_in_the_json_and_the_table_says_how_to_see_them_all() {
    let db = TestDb::new("doctor_objects");
    // Seven tables without a primary key, each with an unindexed foreign key and a NOT VALID constraint,
    // and four unused enums: four checks with more objects than their detail and hint show.
    let mut sql = String::from("CREATE TABLE parent (id int PRIMARY KEY);");
    for i in 1..=7 {
        sql.push_str(&format!(
            "CREATE TABLE loose_{i} (x int, parent_id int REFERENCES parent);
             ALTER TABLE loose_{i} ADD CONSTRAINT loose_{i}_x_positive CHECK (x > 0) NOT VALID;"
        ));
    }
    for i in 1..=4 {
        sql.push_str(&format!("CREATE TYPE leftover_{i} AS ENUM ('a');"));
    }
    db.client().batch_execute(&sql).unwrap();

    let json = doctor(&db, "", &["--only", "schema"]).ok().json();
    let names: Vec<String> = (1..=7).map(|i| format!("\"public\".\"loose_{i}\"")).collect();
    assert_eq!(objects(&json, "schema/tables_without_primary_key"), names);
    let more = "and 2 more (rehab doctor --format json lists all)";
    assert!(detail(&json, "schema/tables_without_primary_key").ends_with(more), "{json:#}");
    assert_eq!(objects(&json, "schema/unindexed_foreign_keys").len(), 7, "{json:#}");
    assert_eq!(objects(&json, "schema/unvalidated_constraints").len(), 7, "{json:#}");
    assert_eq!(objects(&json, "schema/unused_types").len(), 4, "{json:#}");
    // A check with nothing at fault still carries the (empty) array.
    assert!(objects(&json, "schema/invalid_indexes").is_empty());

    // Hints join SQL statements that end with `;`: never into `;;`, and a shortened list says so.
    let hints: Vec<&str> = json["checks"].as_array().unwrap().iter().filter_map(|c| c["hint"].as_str()).collect();
    assert!(hints.len() >= 4, "{json:#}");
    for hint in &hints {
        assert!(!hint.contains(";;"), "{hint}");
    }
    let fixes = row(&json, "schema/unvalidated_constraints")["hint"].as_str().unwrap();
    assert!(
        fixes.starts_with("ALTER TABLE \"public\".\"loose_1\" VALIDATE CONSTRAINT \"loose_1_x_positive\"; ALTER TABLE")
            && fixes.ends_with("; and the same for the other 4 (rehab doctor --format json lists all)"),
        "{fixes}"
    );

    // The table shows the first five and says where the other two are.
    let table = db.rehab(&["doctor", "--only", "schema"]).ok().stdout;
    let shown = table_detail(&table, "tables_without_primary_key");
    assert!(shown.contains("\"public\".\"loose_5\"") && !shown.contains("loose_6"), "{shown}");
    assert!(shown.ends_with(more), "{shown}\n{table}");
}

#[test]
fn a_scratch_database_a_killed_check_left_behind_is_a_warning_naming_it() {
    let db = TestDb::new("doctor_scratch");
    // A pid above any pid_max (2^22): no process of that number runs, and no session is in the database.
    let name = format!("rehab_check_4194999_{:08x}", std::process::id());
    db.admin().batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let json = doctor(&db, "", &["--only", "maintenance"]).run().json();
    db.admin().batch_execute(&format!("DROP DATABASE {name}")).unwrap();
    assert_eq!(status(&json, "maintenance/scratch_databases"), "warn", "{json:#}");
    assert_eq!(objects(&json, "maintenance/scratch_databases"), std::slice::from_ref(&name));
    let hint = row(&json, "maintenance/scratch_databases")["hint"].as_str().unwrap().to_string();
    assert!(hint.contains(&format!("DROP DATABASE \"{name}\";")), "{hint}");
    let json = doctor(&db, "", &["--only", "maintenance"]).ok().json();
    assert!(!objects(&json, "maintenance/scratch_databases").contains(&name), "{json:#}");
}
