//! Where to connect: takes the parts of a connection string, fills what it leaves out from the libpq
//! variables and `~/.pgpass`, checks each value, and makes the one redacted form that every message uses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::connstring::ConnParts;
use crate::error::CliError;

/// libpq's `sslmode`, all five that matter (`allow` is folded into `prefer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "disable" => Self::Disable,
            "allow" | "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => {
                return Err(CliError::usage(format!(
                    "unknown sslmode `{other}`: use disable, prefer, require, verify-ca or verify-full"
                ))
                .into());
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// A fully resolved connection target. `password` is never printed: use [`ConnInfo::redacted`].
#[derive(Clone)]
pub struct ConnInfo {
    /// A host name, an IP address, or a Unix-socket directory (starts with `/`).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    pub connect_timeout: Option<Duration>,
    pub options: Option<String>,
    /// A password file that was skipped because group or others can read it, so a refused login can say
    /// why the password it holds was not used.
    pub pgpass_ignored: Option<PathBuf>,
}

impl std::fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Characters escaped in the user and database parts of a printed URL.
const URL_PART: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b':')
    .add(b'?')
    .add(b'@')
    .add(b'\'')
    .add(b'<')
    .add(b'>');

/// The libpq environment variables rehab honours, looked up through a function so tests can inject them.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl ConnInfo {
    /// Resolves `url` (or nothing) into a target: the string's parts first, then `PG*` variables, then
    /// defaults, then `~/.pgpass` for a missing password. Every value is checked here, before any connection.
    pub fn resolve(url: Option<&str>, env: EnvLookup<'_>) -> Result<Self> {
        let parts = match url {
            Some(u) => ConnParts::parse(u)?,
            None => ConnParts::default(),
        };
        let var = |k: &str| env(k).filter(|v| !v.is_empty());
        // Each value with where it came from: a string's value is never repeated (it may sit next to a
        // password), a variable's is, with the variable's name.
        let pick = |part: Option<String>, keyword: &'static str, name: &'static str| match part {
            Some(v) => Some((v, Source::String(keyword))),
            None => var(name).map(|v| (v, Source::Var(name))),
        };
        let host = parts.host.or_else(|| var("PGHOST")).unwrap_or_else(|| "localhost".into());
        let port = match pick(parts.port, "port", "PGPORT") {
            Some((p, from)) => parse_port(&p, &from)?,
            None => 5432,
        };
        // Like libpq: the operating-system account (not $USER, which a `sudo -u` or a CI runner may leave stale).
        let user = parts
            .user
            .or_else(|| var("PGUSER"))
            .or_else(|| whoami::username().ok())
            .unwrap_or_else(|| "postgres".into());
        let dbname = parts.dbname.or_else(|| var("PGDATABASE")).unwrap_or_else(|| "rehab_development".into());
        check_dbname(&dbname)?;
        let sslmode = match pick(parts.sslmode, "sslmode", "PGSSLMODE") {
            Some((m, from)) => SslMode::parse(&m).map_err(|_| {
                CliError::usage(format!(
                    "{} is not an sslmode: use disable, allow, prefer, require, verify-ca or verify-full",
                    from.describe(&m)
                ))
            })?,
            None => SslMode::Prefer,
        };
        let sslrootcert = parts.sslrootcert.or_else(|| var("PGSSLROOTCERT")).map(PathBuf::from);
        let connect_timeout = match pick(parts.connect_timeout, "connect_timeout", "PGCONNECT_TIMEOUT") {
            Some((t, from)) => Some(Duration::from_secs(t.trim().parse::<u64>().map_err(|_| {
                CliError::usage(format!("{} is not a connect timeout: expected whole seconds", from.describe(&t)))
            })?)),
            None => None,
        };
        let mut info = Self {
            host,
            port,
            user,
            password: parts.password.or_else(|| var("PGPASSWORD")),
            dbname,
            sslmode,
            sslrootcert,
            connect_timeout,
            options: parts.options,
            pgpass_ignored: None,
        };
        if info.password.is_none() {
            match pgpass_password(&info, env) {
                PgPass::Found(password) => info.password = Some(password),
                PgPass::Ignored(path) => info.pgpass_ignored = Some(path),
                PgPass::None => {}
            }
        }
        Ok(info)
    }

    /// True for a Unix-socket directory.
    pub fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// True when the traffic never leaves this machine (socket or loopback), where TLS matters less.
    pub fn is_local(&self) -> bool {
        self.is_socket()
            || self.host == "localhost"
            || self.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// The same target with another database name (the maintenance database, a partition), refused like
    /// any other name when PostgreSQL would truncate it.
    pub fn with_dbname(&self, dbname: &str) -> Result<Self> {
        check_dbname(dbname)?;
        Ok(Self { dbname: dbname.to_string(), ..self.clone() })
    }

    /// The one printable form of the target: a URL with the password replaced by `***`.
    pub fn redacted(&self) -> String {
        let user = utf8_percent_encode(&self.user, URL_PART).to_string();
        let db = utf8_percent_encode(&self.dbname, URL_PART);
        let mut query = vec![];
        // A socket directory cannot stand in the authority, so it and the user move to the query.
        let authority = if self.is_socket() {
            query.push(format!("host={}", utf8_percent_encode(&self.host, URL_PART)));
            if self.port != 5432 {
                query.push(format!("port={}", self.port));
            }
            query.push(format!("user={user}"));
            if self.password.is_some() {
                query.push("password=***".into());
            }
            String::new()
        } else {
            let pass = if self.password.is_some() { ":***" } else { "" };
            let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
            format!("{user}{pass}@{host}:{}", self.port)
        };
        if self.sslmode != SslMode::Prefer {
            query.push(format!("sslmode={}", self.sslmode.as_str()));
        }
        let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
        format!("postgresql://{authority}/{db}{query}")
    }
}

/// Where a value came from, for a message that names it without leaking the connection string.
enum Source {
    /// A keyword of the connection string (its value is never repeated).
    String(&'static str),
    /// An environment variable (named, with its value).
    Var(&'static str),
}

impl Source {
    fn describe(&self, value: &str) -> String {
        match self {
            Self::String(keyword) => format!("the {keyword} in the connection string"),
            Self::Var(var) => format!("{var}=`{value}`"),
        }
    }
}

fn parse_port(text: &str, from: &Source) -> Result<u16> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err(CliError::usage(format!("{} is port 0: use a port from 1 to 65535", from.describe(text))).into()),
        Ok(p) if p <= 65535 => Ok(u16::try_from(p).unwrap_or(u16::MAX)),
        _ => {
            Err(CliError::usage(format!("{} is not a port: use a number from 1 to 65535", from.describe(text))).into())
        }
    }
}

/// PostgreSQL keeps only the first 63 bytes of an identifier (NAMEDATALEN - 1), so a longer database name
/// would silently reach another database: `rehab_app_..._12345` cut back to the base name. Refused instead.
pub const MAX_NAME_BYTES: usize = 63;

pub fn check_dbname(name: &str) -> Result<()> {
    if name.len() > MAX_NAME_BYTES {
        return Err(CliError::usage(format!(
            "database name `{name}` is {} bytes; PostgreSQL keeps only the first {MAX_NAME_BYTES} and would silently use another database; nothing was done",
            name.len()
        ))
        .with_hint("choose a shorter database name (or a shorter base name for --partition)")
        .into());
    }
    Ok(())
}

/// What the password file gave.
enum PgPass {
    Found(String),
    /// It exists but group or others can read it: ignored, as libpq does.
    Ignored(PathBuf),
    None,
}

/// The password from the password file (`PGPASSFILE` or `~/.pgpass`), as libpq would pick it.
fn pgpass_password(info: &ConnInfo, env: EnvLookup<'_>) -> PgPass {
    let Some(path) =
        env("PGPASSFILE").map(PathBuf::from).or_else(|| env("HOME").map(|h| Path::new(&h).join(".pgpass")))
    else {
        return PgPass::None;
    };
    if !path.is_file() {
        return PgPass::None;
    }
    if !permissions_private(&path) {
        return PgPass::Ignored(path);
    }
    matching_password(&path, info).map_or(PgPass::None, PgPass::Found)
}

fn matching_password(path: &Path, info: &ConnInfo) -> Option<String> {
    let file = postgres_secrets::PgPass::open(path).ok()?;
    // libpq matches a socket connection against the host name `localhost`.
    let host = if info.is_socket() { "localhost" } else { info.host.as_str() };
    let query = postgres_secrets::pgpass::CredentialQuery::default()
        .hostname(host)
        .ok()?
        .port(info.port)
        .ok()?
        .database(&info.dbname)
        .ok()?
        .username(&info.user)
        .ok()?;
    file.find(&query).ok().flatten().map(|c| c.password)
}

/// libpq ignores a password file that group or others can read; so does rehab.
#[cfg(unix)]
#[allow(clippy::verbose_bit_mask, reason = "the octal mask reads as the permission bits it tests")]
fn permissions_private(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
}

#[cfg(not(unix))]
fn permissions_private(_: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(url: Option<&str>, vars: &[(&str, &str)]) -> ConnInfo {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        ConnInfo::resolve(url, &|k| map.get(k).cloned()).unwrap()
    }

    #[test]
    fn defaults_apply_when_nothing_is_configured() {
        let c = resolve(None, &[("USER", "not-the-os-user")]);
        let me = whoami::username().unwrap();
        assert_eq!(c.redacted(), format!("postgresql://{me}@localhost:5432/rehab_development"));
    }

    #[test]
    fn libpq_variables_fill_what_the_url_leaves_out() {
        let c = resolve(
            Some("postgresql:///app"),
            &[("PGHOST", "db.internal"), ("PGPORT", "6543"), ("PGUSER", "bob"), ("PGPASSWORD", "s3cret")],
        );
        assert_eq!(c.host, "db.internal");
        assert_eq!(c.port, 6543);
        assert_eq!(c.dbname, "app");
        assert_eq!(c.password.as_deref(), Some("s3cret"));
        assert_eq!(c.redacted(), "postgresql://bob:***@db.internal:6543/app");
    }

    #[test]
    fn url_parts_win_over_variables_and_are_decoded() {
        let c = resolve(
            Some("postgres://u%40x:p%3Ass@[::1]:7000/my%20db?sslmode=require"),
            &[("PGHOST", "other"), ("PGDATABASE", "other")],
        );
        assert_eq!((c.host.as_str(), c.port, c.user.as_str()), ("::1", 7000, "u@x"));
        assert_eq!(c.password.as_deref(), Some("p:ss"));
        assert_eq!(c.dbname, "my db");
        assert_eq!(c.sslmode, SslMode::Require);
        assert_eq!(c.redacted(), "postgresql://u%40x:***@[::1]:7000/my%20db?sslmode=require");
    }

    #[test]
    fn socket_hosts_print_as_a_query_parameter() {
        let c = resolve(Some("postgresql:///db?host=/run/postgresql&user=me"), &[]);
        assert!(c.is_socket() && c.is_local());
        assert_eq!(c.redacted(), "postgresql:///db?host=%2Frun%2Fpostgresql&user=me");
        // The redacted form parses back to the same target.
        assert_eq!(resolve(Some(&c.redacted()), &[]).redacted(), c.redacted());
    }

    #[test]
    fn errors_never_repeat_the_password() {
        let map = HashMap::<String, String>::new();
        for bad in
            ["mysql://u:hunter2@h/db", "postgresql://u:hunter2@h/db?bogus=1", "postgresql://u:hunter2@h:99999/db"]
        {
            let err = ConnInfo::resolve(Some(bad), &|k| map.get(k).cloned()).unwrap_err();
            assert!(!format!("{err:#}").contains("hunter2"), "{err:#}");
        }
    }

    #[test]
    fn pgpass_supplies_a_missing_password() {
        let dir = std::env::temp_dir().join(format!("rehab-pgpass-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pgpass");
        std::fs::write(&file, "otherhost:*:*:*:nope\ndb.example:5432:*:carol:from\\:file\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let c = resolve(Some("postgresql://carol@db.example/app"), &[("PGPASSFILE", file.to_str().unwrap())]);
        assert_eq!(c.password.as_deref(), Some("from:file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
