//! Finds a PostgreSQL server for the tests: `REHAB_TEST_DATABASE_URL`, else the local server on
//! 127.0.0.1:5432, else a cluster of the tests' own started with `rehab dev` from the installed server programs.

use std::path::{Path, PathBuf};
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
    Ok(TempCluster::shared()?.server())
}

/// A PostgreSQL cluster of the tests' own, run by `rehab dev` (the one way rehab starts a cluster) with its data
/// in a folder of the tests' choosing (`REHAB_DEV_DIR`), listening on 127.0.0.1 with password authentication.
pub struct TempCluster {
    pub dir: PathBuf,
    pub port: u16,
    /// The superuser: `postgres` when the tests run as root (the cluster runs as that account), else the OS user.
    pub user: String,
    /// The superuser's password for TCP: the one `rehab dev` generated, or the one the test asked for.
    pub password: String,
    stop_on_drop: bool,
}

/// Longer than creating and starting the shared cluster ever takes (initdb and a first start: seconds).
const STALE_LOCK: Duration = Duration::from_secs(90);

impl TempCluster {
    /// The cluster shared by every test process of this build, started by whichever process comes first
    /// and left running for the next run (nextest runs each test in its own process).
    fn shared() -> Result<Self, String> {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rehab-test-cluster");
        let lock = dir.with_extension("lock");
        let deadline = Instant::now() + Duration::from_mins(2);
        loop {
            if dir.join("rehab-port").is_file() {
                let port = std::fs::read_to_string(dir.join("rehab-port")).map_err(|e| e.to_string())?;
                let port: u16 = port.trim().parse().map_err(|_| "corrupt port file".to_string())?;
                // `rehab dev start` is a no-op on a running cluster and recovers a killed one.
                return Self::start_in(&dir, port);
            }
            // A lock older than any start takes was left by a test process that died holding it.
            if std::fs::metadata(&lock)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() > STALE_LOCK)
            {
                let _ = std::fs::remove_file(&lock);
            }
            if std::fs::File::create_new(&lock).is_ok() {
                let _ = std::fs::remove_dir_all(&dir);
                // fsync off: the tests' data is thrown away, and a commit need not wait for the disk.
                let mut settings = vec![("fsync", "off".to_string()), ("max_prepared_transactions", "10".into())];
                // TLS as on a packaged server, so the sslmode tests have something to verify against.
                settings.extend(self_signed_tls(&dir)?);
                let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let result = Self::init(&dir, None, &settings).and_then(|c| {
                    c.trust_tcp()?;
                    std::fs::write(dir.join("rehab-port"), c.port.to_string()).map_err(|e| e.to_string())?;
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

    /// A fresh cluster whose superuser has `password` (else the generated one), stopped and removed on drop.
    pub fn start_private(password: Option<&str>) -> Result<Self, String> {
        Self::start_private_with(password, &[])
    }

    /// Like [`TempCluster::start_private`], with extra server settings (`wal_writer_delay`, ...).
    pub fn start_private_with(password: Option<&str>, settings: &[(&str, &str)]) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("rehab-cluster-{}-{}", std::process::id(), free_port()));
        let mut cluster = Self::init(&dir, password, settings)?;
        cluster.stop_on_drop = true;
        Ok(cluster)
    }

    /// A connection target for `db` on this cluster, as the superuser.
    pub fn server(&self) -> Server {
        Server {
            host: "127.0.0.1".into(),
            port: self.port,
            user: self.user.clone(),
            password: Some(self.password.clone()),
        }
    }

    /// Trusts TCP connections from 127.0.0.1 as the machine's packaged test server does: the suite connects as
    /// roles it creates without passwords. (`rehab dev` itself never trusts TCP.)
    fn trust_tcp(&self) -> Result<(), String> {
        let hba = self.dir.join("data").join("pg_hba.conf");
        let text = std::fs::read_to_string(&hba).map_err(|e| format!("{}: {e}", hba.display()))?;
        let trusted: Vec<String> = text
            .lines()
            .map(|l| if l.starts_with("host") { l.replace("scram-sha-256", "trust") } else { l.to_string() })
            .collect();
        std::fs::write(&hba, trusted.join("\n") + "\n").map_err(|e| format!("{}: {e}", hba.display()))?;
        let mut client = self.server().connect("postgres").map_err(|e| e.to_string())?;
        client.batch_execute("SELECT pg_reload_conf()").map_err(|e| e.to_string())
    }

    fn init(dir: &Path, password: Option<&str>, settings: &[(&str, &str)]) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        // Not stopped on drop until complete: a half-made cluster is the caller's to throw away.
        let mut cluster = Self::start_on_a_free_port(dir)?;
        let mut client = cluster.server().connect("postgres").map_err(|e| e.to_string())?;
        for (name, value) in settings {
            client.batch_execute(&format!("ALTER SYSTEM SET {name} = '{value}'")).map_err(|e| e.to_string())?;
        }
        if let Some(password) = password {
            client
                .batch_execute(&format!("ALTER ROLE \"{}\" PASSWORD '{}'", cluster.user, password.replace('\'', "''")))
                .map_err(|e| e.to_string())?;
            cluster.password = password.to_string();
        }
        drop(client);
        if !settings.is_empty() {
            // Settings such as wal_level take effect only at a restart.
            dev(dir, &["stop"])?;
            let password = cluster.password.clone();
            cluster = Self::start_in(dir, cluster.port)?;
            cluster.password = password;
        }
        Ok(cluster)
    }

    /// `rehab dev start --port PORT` on the cluster in `dir/data`, then its TCP URL from `rehab dev url`.
    /// Starts the cluster in `dir` on a port the system just handed out. Another test process may take that
    /// port between its release and the server's bind: the start is then tried again on another one.
    fn start_on_a_free_port(dir: &Path) -> Result<Self, String> {
        let mut attempt = 0;
        loop {
            match Self::start_in(dir, free_port()) {
                Err(e) if attempt < 4 && e.contains("already in use") => attempt += 1,
                other => return other,
            }
        }
    }

    fn start_in(dir: &Path, port: u16) -> Result<Self, String> {
        dev(dir, &["start", "--port", &port.to_string()])?;
        let url = dev(dir, &["url", "--format", "json"])?;
        let url: serde_json::Value = serde_json::from_str(&url).map_err(|e| format!("rehab dev url: {e}"))?;
        let config: postgres::Config = url["url"].as_str().unwrap_or_default().parse().map_err(|e| format!("{e}"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            port: config.get_ports().first().copied().unwrap_or(port),
            user: config.get_user().unwrap_or("postgres").to_string(),
            password: config.get_password().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default(),
            stop_on_drop: false,
        })
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        if self.stop_on_drop {
            let _ = dev(&self.dir, &["destroy", "--yes"]);
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Runs `rehab dev ARGS` for the cluster whose data lives in `dir/data`; its stdout, or why it failed (with the
/// install hint `rehab dev` gives when no server programs are found).
fn dev(dir: &Path, args: &[&str]) -> Result<String, String> {
    let run = super::Rehab::new(dir).env("REHAB_DEV_DIR", dir.join("data")).arg("dev").args(args).run();
    if run.status == Some(0) {
        Ok(run.stdout)
    } else {
        Err(format!(
            "`rehab dev {}` failed; set REHAB_TEST_DATABASE_URL or start PostgreSQL on 127.0.0.1:5432 instead:\n{}",
            args.join(" "),
            run.stderr
        ))
    }
}

/// A certificate issued to `localhost` and its key in `dir/tls`, as server settings; none without `openssl`.
/// The key goes to the account the cluster runs as (`postgres` under root), which the server insists on.
fn self_signed_tls(dir: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let tls = dir.join("tls");
    std::fs::create_dir_all(&tls).map_err(|e| e.to_string())?;
    let (cert, key) = (tls.join("server.crt"), tls.join("server.key"));
    let made = std::process::Command::new("openssl")
        // Like Debian's snakeoil certificate: an end-entity certificate (not a CA, which TLS clients refuse as a
        // server's) for the name localhost.
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-addext", "subjectAltName=DNS:localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        return Ok(vec![]);
    }
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).map_err(|e| e.to_string())?;
    let root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        std::process::Command::new("chown").arg("postgres").arg(&key).status().map_err(|e| e.to_string())?;
    }
    Ok(vec![
        ("ssl", "on".into()),
        ("ssl_cert_file", cert.display().to_string()),
        ("ssl_key_file", key.display().to_string()),
    ])
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(54329, |a| a.port())
}
