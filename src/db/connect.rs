//! Opens connections: TLS per `sslmode`, timeouts, `application_name`, and errors that name the target
//! (redacted) and say what to do next.

use std::error::Error as _;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use postgres::error::SqlState;
use postgres::{Client, Config};

use super::conninfo::{ConnInfo, SslMode};
use super::error::DbError;
use super::tls;

/// The connect timeout when neither the URL, `PGCONNECT_TIMEOUT` nor the config sets one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `info` as `application_name = rehab <command>`.
pub fn connect(info: &ConnInfo, command: &str, default_timeout: Duration) -> Result<Client> {
    let timeout = info.connect_timeout.unwrap_or(default_timeout);
    open(info, command, timeout)?.map_err(|e| e.into_error(info).into())
}

/// Why one attempt failed: the server's (or the network's) answer, or no answer at all in time.
enum Failure {
    Answer(postgres::Error),
    NoAnswer(Duration),
}

impl Failure {
    /// Server down, starting up, out of connection slots or silent: worth another try. An answer from a
    /// running server (bad password, no such database) is final.
    fn is_transient(&self) -> bool {
        match self {
            Self::NoAnswer(_) => true,
            Self::Answer(err) => match err.code() {
                Some(code) => *code == SqlState::CANNOT_CONNECT_NOW || *code == SqlState::TOO_MANY_CONNECTIONS,
                None => err.as_db_error().is_none(),
            },
        }
    }

    fn into_error(self, info: &ConnInfo) -> DbError {
        match self {
            Self::Answer(e) => connect_error(info, &e),
            Self::NoAnswer(limit) => no_answer_error(info, limit),
        }
    }
}

/// One attempt, bounded by `timeout` as a whole (TCP, TLS, startup and authentication: the driver's own
/// timeout covers the TCP connect only, so a server that accepts and stays silent would hang it forever).
/// A zero timeout waits forever, as in libpq. The outer error is a local setup problem (TLS files).
fn open(info: &ConnInfo, command: &str, timeout: Duration) -> Result<Result<Client, Failure>> {
    let mut config = Config::new();
    if info.is_socket() {
        config.host_path(&info.host);
    } else {
        config.host(&info.host);
    }
    config
        .port(info.port)
        .user(&info.user)
        .dbname(&info.dbname)
        .application_name(&format!("rehab {command}"))
        .ssl_mode(match info.sslmode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
    if !timeout.is_zero() {
        config.connect_timeout(timeout);
    }
    if let Some(password) = &info.password {
        config.password(password);
    }
    if let Some(options) = &info.options {
        config.options(options);
    }
    let connector = tls::connector(info)?;
    if timeout.is_zero() {
        return Ok(config.connect(connector).map_err(Failure::Answer));
    }
    // The attempt runs on its own thread so the wait can be bounded; a thread still stuck on a silent
    // server when the time is up is left behind (it holds only its socket) and ends with the process.
    let (sender, receiver) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("rehab-connect".into())
        .spawn(move || {
            let _ = sender.send(config.connect(connector));
        })
        .context("could not start the connection thread")?;
    Ok(match receiver.recv_timeout(timeout) {
        Ok(result) => result.map_err(Failure::Answer),
        Err(_) => Err(Failure::NoAnswer(timeout)),
    })
}

/// Like [`connect`], but keeps trying for `wait` in total while the server is not accepting connections
/// yet (CI often starts PostgreSQL in parallel with the job). Each attempt is bounded by the connect
/// timeout and by what is left of `wait`, so the whole call ends within about `wait`.
pub fn connect_waiting(info: &ConnInfo, command: &str, default_timeout: Duration, wait: Duration) -> Result<Client> {
    let timeout = info.connect_timeout.unwrap_or(default_timeout);
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let bound = if wait.is_zero() || timeout.is_zero() {
            timeout
        } else {
            timeout.min(left.max(Duration::from_millis(100)))
        };
        match open(info, command, bound)? {
            Ok(client) => return Ok(client),
            Err(e) if Instant::now() < deadline && e.is_transient() => {
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(250)));
            }
            // Silent through the whole wait: say so with the time actually waited, not the last slice.
            Err(Failure::NoAnswer(_)) if !wait.is_zero() => {
                return Err(no_answer_error(info, wait).into());
            }
            Err(e) => return Err(e.into_error(info).into()),
        }
    }
}

/// The target as `host:port`, or the socket directory.
fn endpoint(info: &ConnInfo) -> String {
    if info.is_socket() {
        format!("socket {}/.s.PGSQL.{}", info.host, info.port)
    } else if info.host.contains(':') {
        format!("[{}]:{}", info.host, info.port)
    } else {
        format!("{}:{}", info.host, info.port)
    }
}

fn no_answer_error(info: &ConnInfo, limit: Duration) -> DbError {
    DbError::new(format!(
        "could not connect to {}: no answer from {} within {} s",
        info.redacted(),
        endpoint(info),
        // Whole seconds print as such (`2 s`), fractions with one decimal.
        if limit.subsec_millis() == 0 { limit.as_secs().to_string() } else { format!("{:.1}", limit.as_secs_f64()) }
    ))
    .with_hint(format!(
        "something accepted the connection but never answered: the server may be overloaded, paused or not \
         PostgreSQL; check it with `pg_isready -h {} -p {}`, or raise connect_timeout (URL, PGCONNECT_TIMEOUT or \
         [database] connect_timeout_secs)",
        info.host, info.port
    ))
}

/// True for the SQLSTATEs of a server that answered but refused the login (bad password, unknown role).
pub fn login_refused(sqlstate: &str) -> bool {
    sqlstate == SqlState::INVALID_PASSWORD.code() || sqlstate == SqlState::INVALID_AUTHORIZATION_SPECIFICATION.code()
}

/// One readable message for a failed connection, with the redacted target and the next step.
pub fn connect_error(info: &ConnInfo, err: &postgres::Error) -> DbError {
    let target = info.redacted();
    let cause = describe(err);
    let password_refused = err.code().is_some_and(|c| login_refused(c.code())) || cause.contains("password missing");
    let hint = match err.code() {
        _ if password_refused && info.password.is_none() && info.pgpass_ignored.is_some() => {
            let path = info.pgpass_ignored.as_deref().map(std::path::Path::display);
            let path = path.map(|p| p.to_string()).unwrap_or_default();
            format!(
                "the password file {path} was ignored because group or others can read it (libpq ignores it too): \
                 run `chmod 0600 {path}`"
            )
        }
        Some(c) if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION && cause.contains("does not exist") => format!(
            "there is no role `{}` on this server: connect as an existing user (user= in the URL, PGUSER), or create \
             it (CREATE ROLE \"{}\" LOGIN)",
            info.user, info.user
        ),
        Some(c) if login_refused(c.code()) => format!(
            "check the password for `{}` (in the URL, PGPASSWORD or ~/.pgpass) and that pg_hba.conf lets this user \
             in from here",
            info.user
        ),
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => {
            format!("database `{}` does not exist: run `rehab setup` to create it", info.dbname)
        }
        Some(c) if *c == SqlState::CANNOT_CONNECT_NOW => {
            "the server is starting up or shutting down: retry, or use `rehab setup --wait 30`".to_string()
        }
        // PgBouncer refuses the startup parameters it does not track, unlike PostgreSQL (`options`,
        // which rehab sends only when the URL sets it).
        _ if cause.contains("unsupported startup parameter") => format!(
            "{}:{} looks like a connection pooler (PgBouncer) that refuses this startup parameter: drop `options` \
             from the URL, add the parameter to the pooler's ignore_startup_parameters, or point rehab at the \
             PostgreSQL server itself",
            info.host, info.port
        ),
        _ if cause.contains("TLS") || cause.contains("certificate") || cause.contains("ssl") => {
            "check sslmode and sslrootcert, or whether the server has TLS enabled".to_string()
        }
        // A setting in `options=` the server refuses (unknown name, bad value, not settable at connect).
        Some(c)
            if info.options.is_some()
                && [
                    SqlState::UNDEFINED_OBJECT,
                    SqlState::INVALID_PARAMETER_VALUE,
                    SqlState::CANT_CHANGE_RUNTIME_PARAM,
                ]
                .contains(c) =>
        {
            "the server refused a setting in `options` (the connection string's -c name=value list): fix or drop it"
                .to_string()
        }
        // Any other refusal came from a running server: its message above says why; "is it running?" would mislead.
        Some(_) => "the server is running and refused the connection for the reason above".to_string(),
        _ => format!(
            "is PostgreSQL running and accepting connections at {}? (try `pg_isready -h {} -p {}`)",
            endpoint(info),
            info.host,
            info.port
        ),
    };
    DbError::new(format!("could not connect to {target}: {cause}"))
        .with_hint(hint)
        .with_sqlstate(err.code().map(SqlState::code))
}

/// The server's message for database errors, the whole source chain for the rest.
pub fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
