//! `--help` of every command and the usage/config errors, as snapshots: the CLI surface is a contract.

use crate::support::{Exit, Rehab, TestDb};

fn help(args: &[&str]) -> String {
    let dir = std::env::temp_dir();
    Rehab::new(&dir).args(args).arg("--help").ok().stdout
}

#[test]
fn help_of_every_command() {
    insta::assert_snapshot!("help", help(&[]));
    for cmd in rehab::COMMANDS {
        insta::assert_snapshot!(format!("help_{cmd}"), help(&[cmd]));
    }
    for action in ["start", "stop", "status", "url", "destroy"] {
        insta::assert_snapshot!(format!("help_dev_{action}"), help(&["dev", action]));
    }
}

#[test]
fn version_flag_prints_the_version() {
    let run = Rehab::new(&std::env::temp_dir()).arg("--version").ok();
    assert_eq!(run.stdout.trim(), format!("rehab {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    let run = Rehab::new(&std::env::temp_dir()).args(&["migrate", "--bogus"]).run().exit(Exit::Usage);
    assert!(run.stderr.contains("--bogus"), "{}", run.stderr);
}

#[test]
fn config_errors_name_the_key_and_line_and_exit_2() {
    let db = TestDb::named("cfg_err");
    let cfg = db.dir.join("rehab.toml");
    std::fs::write(
        &cfg,
        "default_env = \"dev\"\n\n[environments.dev]\nurl = \"postgresql://localhost/x\"\nprotectd = true\n",
    )
    .unwrap();
    let run = Rehab::new(&db.dir).args(&["current"]).run().exit(Exit::Usage);
    insta::assert_snapshot!("config_unknown_key", run.stderr.replace(&*cfg.to_string_lossy(), "<dir>/rehab.toml"));

    std::fs::write(&cfg, "default_env = \"staging\"\n[environments.dev]\n").unwrap();
    let run = Rehab::new(&db.dir).args(&["current"]).run().exit(Exit::Usage);
    assert!(run.stderr.contains("unknown environment `staging`") && run.stderr.contains("line 1"), "{}", run.stderr);

    let run = Rehab::new(&db.dir).args(&["current", "--env", "prod"]).run().exit(Exit::Usage);
    assert!(run.stderr.contains("unknown environment `prod`") && run.stderr.contains("defined: dev"), "{}", run.stderr);
}

#[test]
fn flags_beat_environment_variables_which_beat_the_config_file() {
    let db = TestDb::new("precedence");
    std::fs::write(
        db.dir.join("rehab.toml"),
        "default_env = \"dev\"\n[environments.dev]\nurl = \"postgresql://postgres@127.0.0.1:1/from_config\"\n",
    )
    .unwrap();
    // Config alone: points at a closed port.
    let run = Rehab::new(&db.dir).args(&["current"]).run().exit(Exit::Failure);
    assert!(run.stderr.contains("from_config"), "{}", run.stderr);
    // DATABASE_URL beats the config.
    let run = Rehab::new(&db.dir).args(&["current"]).env("DATABASE_URL", db.url()).ok();
    assert!(run.stdout.contains("none"), "{}", run.stdout);
    // The flag beats DATABASE_URL.
    let run = Rehab::new(&db.dir)
        .args(&["current", "--database-url", "postgresql://postgres@127.0.0.1:1/from_flag"])
        .env("DATABASE_URL", db.url())
        .run()
        .exit(Exit::Failure);
    assert!(run.stderr.contains("from_flag"), "{}", run.stderr);
}
