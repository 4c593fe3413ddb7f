//! `rehab --fleet NAME`: one command on many databases of the test server, with bounded parallelism, a
//! canary, an error policy, a summary table, a JSON contract and the worst member's exit code.

use serde_json::Value;

use crate::support::{Exit, Rehab, TestDb};

const ALL_VERSIONS: [i32; 6] = [1, 2, 3, 4, 5, 6];
/// Nothing listens on port 1 of the loopback: an unreachable member, with a password that must never show.
const UNREACHABLE: &str = "postgresql://postgres:hunter2@127.0.0.1:1/nowhere?sslmode=disable";

/// `n` empty databases named after the test (each dropped with its `TestDb`, also when the test fails) and a
/// scratch folder for rehab.toml.
struct Fleet {
    dbs: Vec<TestDb>,
    home: TestDb,
}

impl Fleet {
    fn new(test: &str, n: usize) -> Self {
        Self { dbs: (0..n).map(|_| TestDb::new(test)).collect(), home: TestDb::named(test) }
    }

    /// Makes database `i` fail its first migration: the schema V1 creates is there already.
    fn break_member(&self, i: usize) {
        self.dbs[i].client().batch_execute("CREATE SCHEMA event_store").unwrap();
    }

    /// Writes `tenants.txt` (the URLs of `order`, then `extra` lines) and a rehab.toml whose `[fleets.t]`
    /// reads it, with `settings` lines added.
    fn urls_file(&self, order: &[usize], extra: &[&str], settings: &str) {
        let mut lines = vec!["# the tenants, one per line".to_string(), String::new()];
        lines.extend(order.iter().map(|&i| self.dbs[i].url()));
        lines.extend(extra.iter().map(ToString::to_string));
        std::fs::write(self.home.dir.join("tenants.txt"), lines.join("\n") + "\n").unwrap();
        let config = format!("[fleets.t]\nurls_file = \"tenants.txt\"\n{settings}\n");
        std::fs::write(self.home.dir.join("rehab.toml"), config).unwrap();
    }

    fn all(&self) -> Vec<usize> {
        (0..self.dbs.len()).collect()
    }

    fn rehab(&self, args: &[&str]) -> Rehab {
        Rehab::new(&self.home.dir).args(args)
    }

    /// `rehab --fleet t ARGS --format json`, its exit checked, its JSON returned.
    #[track_caller]
    fn json(&self, args: &[&str], exit: Exit) -> Value {
        let run = self.rehab(&["--fleet", "t", "--format", "json"]).args(args).run().exit(exit);
        assert!(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"), "a password leaked:\n{run:?}");
        run.json()
    }
}

fn statuses(json: &Value) -> Vec<String> {
    json["members"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap().to_string()).collect()
}

fn member<'a>(json: &'a Value, needle: &str) -> &'a Value {
    json["members"].as_array().unwrap().iter().find(|m| m["member"].as_str().unwrap().contains(needle)).unwrap()
}

#[test]
fn migrate_on_twenty_databases_reports_each_and_exits_with_the_worst() {
    let fleet = Fleet::new("fleet_twenty", 20);
    fleet.break_member(7);
    fleet.urls_file(&fleet.all(), &[UNREACHABLE], "parallel = 4\non_error = \"continue\"");
    let json = fleet.json(&["migrate"], Exit::Failure);

    for (i, db) in fleet.dbs.iter().enumerate() {
        let m = member(&json, &db.name);
        if i == 7 {
            assert_eq!(m["status"], "failed", "{m:#}");
            assert!(m["error"].as_str().unwrap().contains("already exists"), "{m:#}");
            assert_eq!((&m["before"], &m["after"], &m["result"]), (&Value::Null, &Value::Null, &Value::Null));
            // Consistent: nothing applied, and the failed V1 left nothing of its own.
            assert!(db.applied_versions().is_empty(), "the failing member has history rows");
            assert!(!db.scalar::<bool>("SELECT to_regclass('event_store.events') IS NOT NULL"));
        } else {
            assert_eq!(m["status"], "ok", "{m:#}");
            assert_eq!((&m["before"], &m["after"]), (&Value::Null, &Value::from(6)), "{m:#}");
            assert_eq!(m["result"]["applied"].as_array().unwrap().len(), 6, "{m:#}");
            assert_eq!(db.applied_versions(), ALL_VERSIONS, "{}", db.name);
        }
    }
    let unreachable = member(&json, "127.0.0.1:1/nowhere");
    assert_eq!(unreachable["status"], "unreachable");
    assert!(unreachable["member"].as_str().unwrap().contains(":***@"), "{unreachable:#}");
    assert!(unreachable["error"].as_str().unwrap().contains("could not connect"), "{unreachable:#}");

    // The JSON contract.
    assert_eq!(json["fleet"], "t");
    for m in json["members"].as_array().unwrap() {
        for key in ["member", "status", "before", "after", "ms", "error", "hint", "exit_code", "result"] {
            assert!(m.get(key).is_some(), "member lacks {key}: {m:#}");
        }
    }
    let s = &json["summary"];
    assert_eq!((&s["ok"], &s["failed"], &s["unreachable"]), (&Value::from(19), &Value::from(1), &Value::from(1)));
    assert_eq!((&s["refused"], &s["skipped"], &s["total"]), (&Value::from(0), &Value::from(0), &Value::from(21)));
    assert!(s["seconds"].as_f64().unwrap() > 0.0);

    // A second run changes nothing; the table says where each member stands.
    let run = fleet.rehab(&["--fleet", "t", "migrate"]).run().exit(Exit::Failure);
    assert!(run.stdout.contains("19 ok, 1 failed, 0 refused, 1 unreachable, 0 skipped"), "{}", run.stdout);
    assert!(run.stderr.contains("error: fleet `t`"), "{}", run.stderr);
}

#[test]
fn on_error_stop_starts_nobody_after_a_failure() {
    let fleet = Fleet::new("fleet_stop", 5);
    fleet.break_member(1);
    fleet.urls_file(&fleet.all(), &[], "parallel = 1");
    let json = fleet.json(&["migrate"], Exit::Failure);
    assert_eq!(statuses(&json), ["ok", "failed", "skipped", "skipped", "skipped"]);
    assert_eq!(fleet.dbs[0].applied_versions(), ALL_VERSIONS);
    for db in &fleet.dbs[2..] {
        assert!(db.applied_versions().is_empty(), "a skipped member was migrated: {}", db.name);
    }
    assert_eq!(json["summary"]["skipped"], 3);
}

#[test]
fn a_failing_canary_keeps_every_other_member_from_starting() {
    let fleet = Fleet::new("fleet_canary", 6);
    fleet.break_member(0);
    fleet.urls_file(&fleet.all(), &[], "parallel = 4\ncanary = 2\non_error = \"continue\"");
    let json = fleet.json(&["migrate"], Exit::Failure);
    let s = statuses(&json);
    assert_eq!(s[0], "failed");
    assert_eq!(s[2..], ["skipped", "skipped", "skipped", "skipped"], "{json:#}");
    for db in &fleet.dbs[2..] {
        assert!(db.applied_versions().is_empty(), "a member after the canaries was migrated: {}", db.name);
        assert!(!db.scalar::<bool>("SELECT to_regclass('refinery_schema_history') IS NOT NULL"));
    }
}

#[test]
fn show_current_and_doctor_summarise_every_member() {
    let fleet = Fleet::new("fleet_read", 3);
    fleet.urls_file(&[0, 1], &[], "");
    fleet.rehab(&["--fleet", "t", "setup"]).ok();
    fleet.urls_file(&fleet.all(), &[], "");

    let show = fleet.rehab(&["--fleet", "t", "show"]).ok();
    assert!(show.stdout.contains("Fleet t: 3 ok, 0 failed, 0 refused, 0 unreachable, 0 skipped"), "{}", show.stdout);
    let current = fleet.json(&["current"], Exit::Success);
    assert_eq!(member(&current, &fleet.dbs[0].name)["result"]["version"], 6);
    assert_eq!(member(&current, &fleet.dbs[2].name)["after"], Value::Null);

    // The pending member fails doctor's migrations check (exit 3), which does not stop the others.
    let doctor = fleet.json(&["doctor", "--only", "migrations"], Exit::CheckFailed);
    assert_eq!(statuses(&doctor), ["ok", "ok", "failed"], "{doctor:#}");
    assert_eq!(member(&doctor, &fleet.dbs[2].name)["exit_code"], 3);
    assert!(member(&doctor, &fleet.dbs[0].name)["result"]["checks"].is_array(), "{doctor:#}");
    let table = fleet.rehab(&["--fleet", "t", "doctor", "--only", "migrations"]).run().exit(Exit::CheckFailed);
    assert!(table.stdout.contains("2 ok, 1 failed"), "{}", table.stdout);
}

#[test]
fn check_drift_compares_each_member_and_proves_nothing() {
    let fleet = Fleet::new("fleet_drift", 2);
    fleet.urls_file(&fleet.all(), &[], "");
    fleet.rehab(&["--fleet", "t", "setup"]).ok();
    fleet.dbs[1].client().batch_execute("CREATE TABLE public.made_by_hand (id int)").unwrap();
    let json = fleet.json(&["check", "--drift"], Exit::CheckFailed);
    assert_eq!(statuses(&json), ["ok", "failed"], "{json:#}");
    let drifted = &member(&json, &fleet.dbs[1].name)["result"];
    assert_eq!(drifted["drift"][0]["object"], "public.made_by_hand", "{drifted:#}");
    assert_eq!(drifted["drift"][0]["change"], "added", "{drifted:#}");
    for m in json["members"].as_array().unwrap() {
        assert!(m["result"]["proof"].is_null(), "a fleet member proved the migrations again: {m:#}");
    }
    assert_eq!(member(&json, &fleet.dbs[0].name)["result"]["drift"], serde_json::json!([]));
}

#[test]
fn a_protected_member_refuses_alone() {
    let fleet = Fleet::new("fleet_protected", 3);
    for db in &fleet.dbs {
        db.rehab(&["setup"]).ok();
        db.client().batch_execute("CREATE TABLE public.keep_me (id int)").unwrap();
    }
    let mut config = String::from("[fleets.t]\nenvironments = [\"a\", \"b\", \"c\"]\non_error = \"continue\"\n");
    for (name, db) in ["a", "b", "c"].iter().zip(&fleet.dbs) {
        let protected = if *name == "b" { "protected = true\n" } else { "" };
        config.push_str(&format!("[environments.{name}]\nurl = \"{}\"\n{protected}", db.url()));
    }
    std::fs::write(fleet.home.dir.join("rehab.toml"), config).unwrap();

    let json = fleet.json(&["reset", "--yes", "--allow-fleet"], Exit::Refused);
    assert_eq!(statuses(&json), ["ok", "refused", "ok"], "{json:#}");
    assert_eq!(json["members"][1]["member"], "b");
    assert!(json["members"][1]["error"].as_str().unwrap().contains("protected"), "{json:#}");
    let kept = |db: &TestDb| db.scalar::<bool>("SELECT to_regclass('public.keep_me') IS NOT NULL");
    assert!(!kept(&fleet.dbs[0]) && kept(&fleet.dbs[1]) && !kept(&fleet.dbs[2]));
    assert_eq!(fleet.dbs[0].applied_versions(), ALL_VERSIONS);
}

#[test]
fn a_bad_line_in_the_urls_file_is_named_and_nothing_runs() {
    let fleet = Fleet::new("fleet_badline", 2);
    fleet.urls_file(&[0], &["not a url s3cret", &fleet.dbs[1].url()], "");
    let run = fleet.rehab(&["--fleet", "t", "migrate"]).run().exit(Exit::Usage).stderr_has("tenants.txt line 4");
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    assert!(fleet.dbs.iter().all(|db| db.applied_versions().is_empty()), "a member ran");
}

#[test]
fn commands_without_a_database_and_unconfirmed_destruction_are_refused() {
    let fleet = Fleet::new("fleet_refuse", 1);
    fleet.urls_file(&[0], &[], "");
    fleet.rehab(&["--fleet", "t", "new", "x"]).run().exit(Exit::Usage);
    fleet.rehab(&["--fleet", "t", "completions", "bash"]).run().exit(Exit::Usage);
    fleet.rehab(&["--fleet", "t", "check"]).run().exit(Exit::Usage).stderr_has("--drift");
    // Annotations are per file, a fleet's report per member: refused before any member runs.
    fleet
        .rehab(&["--fleet", "t", "--format", "github", "check", "--drift"])
        .run()
        .exit(Exit::Usage)
        .stderr_has("use --format table or json, not github");
    fleet.rehab(&["--fleet", "nope", "show"]).run().exit(Exit::Usage).stderr_has("unknown fleet `nope`");
    fleet.rehab(&["--fleet", "t", "reset", "--yes"]).run().exit(Exit::Refused).stderr_has("--allow-fleet");
    fleet.rehab(&["--fleet", "t", "rollback", "--allow-fleet"]).run().exit(Exit::Refused);
    Rehab::new(&fleet.home.dir).env("REHAB_FLEET", "t").args(&["seed"]).run().exit(Exit::Refused);

    std::fs::write(fleet.home.dir.join("rehab.toml"), "[fleets.t]\nurls_env = \"X\"\nurls_file = \"f\"\n").unwrap();
    fleet.rehab(&["--fleet", "t", "show"]).run().exit(Exit::Usage).stderr_has("line 1").stderr_has("keep one");
}

#[test]
fn ctrl_c_starts_no_new_member_and_still_prints_the_summary() {
    let fleet = Fleet::new("fleet_interrupt", 6);
    fleet.urls_file(&fleet.all(), &[], "parallel = 1");
    let child = fleet.rehab(&["--fleet", "t", "--format", "json", "migrate"]).spawn();
    // Once the first member is migrating (its history table exists), interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while !fleet.dbs[0].scalar::<bool>("SELECT to_regclass('refinery_schema_history') IS NOT NULL") {
        assert!(std::time::Instant::now() < deadline, "the first member never started migrating");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let run = crate::support::Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.status, Some(130), "{run:?}");
    let json = run.json();
    assert_eq!(json["summary"]["interrupted"], true);
    let s = statuses(&json);
    let first_skipped = s.iter().position(|x| x == "skipped").expect("no member was skipped");
    assert!(s[first_skipped..].iter().all(|x| x == "skipped"), "{s:?}");
    for db in &fleet.dbs[first_skipped..] {
        assert!(db.applied_versions().is_empty(), "a member started after Ctrl-C: {}", db.name);
    }
    // The member in flight finished or stopped between two migrations: its history matches what it reports.
    let first = &json["members"][0];
    let applied = fleet.dbs[0].applied_versions();
    assert_eq!(first["after"].as_i64(), applied.last().map(|v| i64::from(*v)), "{first:#}");
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
}
