//! `rehab dev`: a real private cluster per test (its own data directory through `REHAB_DEV_DIR`), started,
//! stopped, killed and destroyed with the installed server programs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::support::{Exit, Rehab};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A scratch folder whose `data` subfolder is the cluster's data directory; the cluster is destroyed on drop.
struct DevDir {
    dir: PathBuf,
}

impl DevDir {
    fn new(test: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("rehab-dev-{}-{test}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // Mode 0755 (not a 0700 tempdir): as root, the server's own account must reach the data directory.
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn rehab(&self, args: &[&str]) -> Rehab {
        Rehab::new(&self.dir).env("REHAB_DEV_DIR", self.data_dir()).arg("dev").args(args)
    }

    fn status(&self) -> serde_json::Value {
        self.rehab(&["status", "--format", "json"]).ok().json()
    }

    fn postmaster_pid(&self) -> u32 {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).unwrap();
        text.lines().next().unwrap().trim().parse().unwrap()
    }
}

impl Drop for DevDir {
    fn drop(&mut self) {
        let _ = self.rehab(&["destroy", "--yes"]).run();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn without_any_server_setup_and_show_use_the_dev_cluster() {
    // In a network namespace of its own nothing listens on localhost (see `Rehab::without_network`).
    let dev = DevDir::new("fallback");
    let rehab = |args: &[&str]| Rehab::without_network(&dev.dir).env("REHAB_DEV_DIR", dev.data_dir()).args(args);
    let run = rehab(&["setup"]).ok();
    assert!(run.stderr.contains("no PostgreSQL on localhost:5432; using rehab's local cluster at"), "{}", run.stderr);
    assert!(run.stdout.contains("rehab_development"), "{}", run.stdout);
    // Pure JSON on stdout, the note on stderr; the data is there on the second run.
    let run = rehab(&["show", "--format", "json"]).ok();
    let json = run.json();
    let states: Vec<&str> =
        json["migrations"].as_array().unwrap().iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert_eq!(states, vec!["applied"; 6], "{json}");
    assert!(run.stderr.contains("using rehab's local cluster"), "{}", run.stderr);
    assert!(database_names(&dev.status()).contains(&"rehab_development".to_string()));
    // A named server is never replaced by the dev cluster: the error is the named server's.
    rehab(&["--database-url", "postgresql://u@localhost:5432/x", "current"])
        .run()
        .exit(Exit::Failure)
        .stderr_has("could not connect to postgresql://u@localhost:5432/x");
}

fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn database_names(status: &serde_json::Value) -> Vec<String> {
    status["databases"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn start_status_stop_start_again_and_destroy() {
    let dev = DevDir::new("life");
    let before = dev.status();
    assert_eq!((before["running"].as_bool(), before["version"].is_null()), (Some(false), true), "{before}");

    let started = dev.rehab(&["start", "--format", "json"]).ok().json();
    assert_eq!((started["started"].as_bool(), started["created"].as_bool()), (Some(true), Some(true)), "{started}");

    let status = dev.status();
    assert_eq!(status["running"], true, "{status}");
    assert!(status["port"].is_null(), "no TCP without --port: {status}");
    assert!(status["version"].as_str().unwrap().starts_with(char::is_numeric), "{status}");
    assert_eq!(Path::new(status["data_dir"].as_str().unwrap()), dev.data_dir());
    let socket_dir = PathBuf::from(status["socket_dir"].as_str().unwrap());
    let mode = std::fs::metadata(&socket_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "socket dir {}", socket_dir.display());
    assert!(database_names(&status).contains(&"postgres".to_string()), "{status}");
    for db in status["databases"].as_array().unwrap() {
        assert!(db["bytes"].as_i64().unwrap() > 0, "{db}");
    }

    // The URL `dev url` prints is one the other commands take.
    let url = dev.rehab(&["url"]).ok().stdout.trim().to_string();
    assert!(url.starts_with("postgresql:///rehab_development?host=/"), "{url}");
    Rehab::new(&dev.dir).arg("--database-url").arg(&url).arg("setup").ok();
    Rehab::new(&dev.dir).arg("--database-url").arg(&url).arg("current").ok().stdout_has("6 ");

    let again = dev.rehab(&["start", "--format", "json"]).ok().json();
    assert_eq!(again["started"], false, "start on a running cluster is a no-op: {again}");

    let stopped = dev.rehab(&["stop", "--format", "json"]).ok().json();
    assert_eq!(stopped["stopped"], true, "{stopped}");
    assert!(!dev.data_dir().join("postmaster.pid").exists(), "stop waits for the shutdown");
    assert_eq!(dev.status()["running"], false);
    dev.rehab(&["url"]).run().exit(Exit::Failure).stderr_has("rehab dev start");
    dev.rehab(&["stop"]).ok().stdout_has("not running");

    let restarted = dev.rehab(&["start", "--format", "json"]).ok().json();
    assert_eq!((restarted["started"].as_bool(), restarted["created"].as_bool()), (Some(true), Some(false)));
    assert!(database_names(&dev.status()).contains(&"rehab_development".to_string()), "the data is kept");

    dev.rehab(&["destroy"]).run().exit(Exit::Refused).stderr_has("--yes");
    assert!(dev.data_dir().exists(), "refused without confirmation");
    let destroyed = dev.rehab(&["destroy", "--yes", "--format", "json"]).ok().json();
    assert_eq!(destroyed["removed"], true, "{destroyed}");
    assert!(!dev.data_dir().exists() && !socket_dir.exists());
}

#[test]
fn an_unprivileged_user_runs_its_own_cluster_as_itself() {
    // As root, rehab runs the cluster as `postgres`; any other user runs it as themselves, with no account
    // switch. Root plays such a user (`nobody`); a non-root run of the suite is that user already.
    let dev = DevDir::new("unprivileged");
    let user = if is_root() { "nobody" } else { "" };
    let uid_of = |name: &str| -> u32 {
        let out = std::process::Command::new("id").arg("-u").args((!name.is_empty()).then_some(name)).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    let uid = uid_of(user);
    if is_root() {
        let status = std::process::Command::new("chown").arg(user).arg(&dev.dir).status().unwrap();
        assert!(status.success(), "chown {} to {user}", dev.dir.display());
    }
    let rehab = |args: &[&str]| {
        let base = if is_root() { Rehab::as_user(&dev.dir, user) } else { Rehab::new(&dev.dir) };
        base.env("REHAB_DEV_DIR", dev.data_dir()).args(args)
    };
    let started = rehab(&["dev", "start", "--format", "json"]).ok().json();
    assert_eq!(started["created"], true, "{started}");
    let owner = |path: &Path| std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(path).unwrap());
    assert_eq!(owner(&dev.data_dir()), uid, "the data directory belongs to the user");
    let status = std::fs::read_to_string(format!("/proc/{}/status", dev.postmaster_pid())).unwrap();
    let real_uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap().split_whitespace().nth(1).unwrap();
    assert_eq!(real_uid, uid.to_string(), "the postmaster runs as the user");
    let socket_dir = PathBuf::from(started["status"]["socket_dir"].as_str().unwrap());
    assert_eq!(owner(&socket_dir), uid);
    assert!(socket_dir.to_string_lossy().contains(&format!("rehab-{uid}-")), "{}", socket_dir.display());
    // The user's commands reach it through the socket URL, as that user.
    let url = rehab(&["dev", "url"]).ok().stdout.trim().to_string();
    rehab(&["--database-url", &url, "setup"]).ok();
    rehab(&["--database-url", &url, "current"]).ok().stdout_has("6 ");
    rehab(&["dev", "destroy", "--yes"]).ok();
    assert!(!dev.data_dir().exists());
}

#[test]
fn a_killed_postmaster_is_recovered_by_start() {
    let dev = DevDir::new("killed");
    dev.rehab(&["start"]).ok();
    let pid = dev.postmaster_pid();
    let kill = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(kill.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(dev.status()["running"], false, "a dead pid in postmaster.pid is not a running server");

    let started = dev.rehab(&["start", "--format", "json"]).ok().json();
    assert_eq!((started["started"].as_bool(), started["recovered"].as_bool()), (Some(true), Some(true)));
    assert_ne!(dev.postmaster_pid(), pid);
    assert_eq!(dev.status()["running"], true);
}

#[test]
fn another_os_user_cannot_use_the_socket() {
    // Switching to `nobody` takes root; run as an ordinary user this test has nothing to switch with.
    if !is_root() {
        return;
    }
    let dev = DevDir::new("perm");
    dev.rehab(&["start"]).ok();
    let socket_dir = dev.status()["socket_dir"].as_str().unwrap().to_string();
    let psql = ["/usr/lib/postgresql/15/bin/psql", "psql"]
        .into_iter()
        .find(|p| std::process::Command::new(p).arg("--version").output().is_ok())
        .expect("psql is installed");
    let run = |user: &str| {
        std::process::Command::new("runuser")
            .args(["-u", user, "--", psql, "-h", &socket_dir, "-U", "postgres", "-d", "postgres", "-Atc", "SELECT 1"])
            .current_dir("/")
            .output()
            .unwrap()
    };
    let nobody = run("nobody");
    assert!(!nobody.status.success(), "nobody connected: {}", String::from_utf8_lossy(&nobody.stdout));
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("Permission denied"), "{nobody:?}");
    // The cluster's own account gets in.
    assert!(run("postgres").status.success());
}

#[test]
fn tcp_only_on_request_with_a_generated_password() {
    let dev = DevDir::new("tcp");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    dev.rehab(&["start", "--port", &port.to_string()]).ok();
    assert_eq!(dev.status()["port"], port);
    let url = dev.rehab(&["url"]).ok().stdout.trim().to_string();
    assert!(url.starts_with("postgresql://") && url.contains(&format!("@127.0.0.1:{port}/")), "{url}");
    let password = std::fs::read_to_string(dev.data_dir().join("rehab-password")).unwrap();
    let mode = std::fs::metadata(dev.data_dir().join("rehab-password")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(url.contains(password.trim()));
    Rehab::new(&dev.dir).arg("--database-url").arg(&url).arg("setup").ok();

    let wrong = url.replace(password.trim(), "wrong");
    Rehab::new(&dev.dir).arg("--database-url").arg(&wrong).arg("current").run().exit(Exit::Failure);
    // The socket URL still works alongside.
    let socket = dev.rehab(&["url", "--socket"]).ok().stdout.trim().to_string();
    Rehab::new(&dev.dir).arg("--database-url").arg(&socket).arg("current").ok().stdout_has("6 ");
}

#[test]
fn no_server_programs_gives_the_install_commands() {
    let dev = DevDir::new("nobin");
    std::fs::create_dir_all(dev.dir.join("empty")).unwrap();
    std::fs::write(dev.dir.join("rehab.toml"), "[dev]\nbin_dir = \"empty\"\n").unwrap();
    let run = dev.rehab(&["start"]).env("PATH", dev.dir.join("empty")).run().exit(Exit::Failure);
    for needle in ["bin_dir", "apt-get install postgresql", "dnf install postgresql-server", "brew install"] {
        assert!(run.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", run.stderr);
    }
    assert!(!dev.data_dir().exists());
}
