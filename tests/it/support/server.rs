//! Finds a PostgreSQL server for the tests: `REHAB_TEST_DATABASE_URL`, else the local server on
//! 127.0.0.1:5432, else a temporary cluster started with the installed `initdb`/`pg_ctl`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Base connection parameters of the server the tests use (no database name).
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
}

impl Server {
    /// A URL for `db` on this server, with the database name percent-encoded.
    pub fn url(&self, db: &str) -> String {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let auth = match &self.password {
            Some(p) => format!("{}:{}", enc(&self.user), enc(p)),
            None => enc(&self.user),
        };
        format!("postgresql://{auth}@{}:{}/{}?sslmode=disable", self.host, self.port, enc(db))
    }

    pub fn connect(&self, db: &str) -> Result<postgres::Client, postgres::Error> {
        let mut config = postgres::Config::new();
        config.host(&self.host).port(self.port).user(&self.user).dbname(db).connect_timeout(Duration::from_secs(5));
        if let Some(p) = &self.password {
            config.password(p);
        }
        config.connect(postgres::NoTls)
    }
}

/// The shared server, found once per test process.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| find().unwrap_or_else(|why| panic!("no PostgreSQL server for the tests: {why}")))
}

fn find() -> Result<Server, String> {
    if let Ok(url) = std::env::var("REHAB_TEST_DATABASE_URL") {
        let config: postgres::Config =
            url.parse().map_err(|e| format!("REHAB_TEST_DATABASE_URL is not a valid URL: {e}"))?;
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".into(),
        };
        let server = Server {
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            user: config.get_user().unwrap_or("postgres").to_string(),
            password: config.get_password().map(|p| String::from_utf8_lossy(p).into_owned()),
        };
        server.connect("postgres").map_err(|e| format!("cannot connect to REHAB_TEST_DATABASE_URL: {e}"))?;
        return Ok(server);
    }
    let local = Server { host: "127.0.0.1".into(), port: 5432, user: "postgres".into(), password: None };
    if local.connect("postgres").is_ok() {
        return Ok(local);
    }
    let cluster = TempCluster::shared()?;
    Ok(Server { host: "127.0.0.1".into(), port: cluster.port, user: "postgres".into(), password: None })
}

/// A PostgreSQL cluster of the tests' own, in a temporary folder.
pub struct TempCluster {
    pub dir: PathBuf,
    pub port: u16,
    stop_on_drop: bool,
    /// Extra `-c name=value` server settings for a private cluster.
    settings: Vec<(String, String)>,
}

impl TempCluster {
    /// The cluster shared by every test process of this build, started by whichever process comes first
    /// and left running for the next run (nextest runs each test in its own process).
    fn shared() -> Result<Self, String> {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rehab-test-cluster");
        let port_file = dir.join("rehab-port");
        let lock = dir.with_extension("lock");
        let deadline = Instant::now() + Duration::from_mins(2);
        loop {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                let port: u16 = port.trim().parse().map_err(|_| "corrupt port file".to_string())?;
                let cluster = Self { dir: dir.clone(), port, stop_on_drop: false, settings: vec![] };
                if cluster.ping() || cluster.start().is_ok() {
                    return Ok(cluster);
                }
            }
            if std::fs::File::create_new(&lock).is_ok() {
                let _ = std::fs::remove_dir_all(&dir);
                let result = Self::init(&dir, "trust", None, &[]).and_then(|mut c| {
                    c.stop_on_drop = false;
                    std::fs::write(&port_file, c.port.to_string()).map_err(|e| e.to_string())?;
                    Ok(c)
                });
                let _ = std::fs::remove_file(&lock);
                return result;
            }
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for another test to start the cluster ({})", lock.display()));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A fresh cluster with the given auth method (and superuser password), stopped and removed on drop.
    pub fn start_private(auth: &str, password: Option<&str>) -> Result<Self, String> {
        Self::start_private_with(auth, password, &[])
    }

    /// Like [`TempCluster::start_private`], with extra server settings (`wal_writer_delay`, ...).
    pub fn start_private_with(auth: &str, password: Option<&str>, settings: &[(&str, &str)]) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("rehab-cluster-{}-{}", std::process::id(), free_port()));
        Self::init(&dir, auth, password, settings)
    }

    /// A connection target for `db` on this cluster, as the superuser.
    pub fn server(&self) -> Server {
        Server { host: "127.0.0.1".into(), port: self.port, user: "postgres".into(), password: None }
    }

    fn init(dir: &Path, auth: &str, password: Option<&str>, settings: &[(&str, &str)]) -> Result<Self, String> {
        let initdb = pg_bin("initdb")?;
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let pwfile = dir.join("pwfile");
        std::fs::write(&pwfile, password.unwrap_or("postgres")).map_err(|e| e.to_string())?;
        let data = dir.join("data");
        chown_for_postgres(dir)?;
        run_as_postgres(
            Command::new(&initdb)
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
                .arg(format!("--auth={auth}"))
                .arg(format!("--pwfile={}", pwfile.display())),
        )?;
        let settings = settings.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        let cluster = Self { dir: dir.to_path_buf(), port: free_port(), stop_on_drop: true, settings };
        cluster.start()?;
        Ok(cluster)
    }

    fn start(&self) -> Result<(), String> {
        let pg_ctl = pg_bin("pg_ctl")?;
        let mut opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_prepared_transactions=10",
            self.port,
            self.dir.display()
        );
        for (name, value) in &self.settings {
            opts.push_str(&format!(" -c {name}={value}"));
        }
        run_as_postgres(
            Command::new(pg_ctl)
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-w", "-t", "60", "-l"])
                .arg(self.dir.join("log"))
                .args(["-o", &opts, "start"]),
        )
    }

    fn ping(&self) -> bool {
        Server { host: "127.0.0.1".into(), port: self.port, user: "postgres".into(), password: None }
            .connect("postgres")
            .is_ok()
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        if self.stop_on_drop {
            if let Ok(pg_ctl) = pg_bin("pg_ctl") {
                let _ = run_as_postgres(Command::new(pg_ctl).arg("-D").arg(self.dir.join("data")).args([
                    "-m",
                    "immediate",
                    "stop",
                ]));
            }
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `initdb` and `pg_ctl` from PATH or the Debian layout.
fn pg_bin(name: &str) -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path().join("bin").join(name)).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    debian.sort();
    debian.pop().or(on_path).ok_or_else(|| {
        format!("`{name}` was not found. Set REHAB_TEST_DATABASE_URL, start PostgreSQL on 127.0.0.1:5432, or install the server (apt-get install postgresql)")
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// initdb refuses to run as root; as root, the cluster belongs to the `postgres` user.
fn chown_for_postgres(dir: &Path) -> Result<(), String> {
    if is_root() {
        let status = Command::new("chown").args(["-R", "postgres"]).arg(dir).status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(
                "as root the test cluster needs a `postgres` OS user (apt-get install postgresql creates it)".into()
            );
        }
    }
    Ok(())
}

fn run_as_postgres(cmd: &mut Command) -> Result<(), String> {
    let output = if is_root() {
        let mut wrapped = Command::new("runuser");
        wrapped.args(["-u", "postgres", "--"]).arg(cmd.get_program()).args(cmd.get_args());
        wrapped.output()
    } else {
        cmd.output()
    }
    .map_err(|e| format!("cannot run {}: {e}", cmd.get_program().display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{} failed: {}", cmd.get_program().display(), String::from_utf8_lossy(&output.stderr)))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(54329, |a| a.port())
}
