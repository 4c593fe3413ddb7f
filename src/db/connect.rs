//! Opens connections: TLS per `sslmode`, timeouts, `application_name`, and errors that name the target
//! (redacted) and say what to do next.

use std::error::Error as _;
use std::time::{Duration, Instant};

use anyhow::Result;
use postgres::error::SqlState;
use postgres::{Client, Config};

use super::conninfo::{ConnInfo, SslMode};
use super::tls;
use crate::error::CliError;

/// The connect timeout when neither the URL, `PGCONNECT_TIMEOUT` nor the config sets one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `info` as `application_name = rehab <command>`.
pub fn connect(info: &ConnInfo, command: &str, default_timeout: Duration) -> Result<Client> {
    open(info, command, default_timeout)?.map_err(|e| connect_error(info, &e).into())
}

/// One attempt; the outer error is a local setup problem (TLS files), the inner one the server's answer.
fn open(info: &ConnInfo, command: &str, default_timeout: Duration) -> Result<Result<Client, postgres::Error>> {
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
        .connect_timeout(info.connect_timeout.unwrap_or(default_timeout))
        .ssl_mode(match info.sslmode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
    if let Some(password) = &info.password {
        config.password(password);
    }
    if let Some(options) = &info.options {
        config.options(options);
    }
    let connector = tls::connector(info)?;
    Ok(config.connect(connector))
}

/// Like [`connect`], but keeps trying for `wait` while the server is not accepting connections yet
/// (CI often starts PostgreSQL in parallel with the job).
pub fn connect_waiting(info: &ConnInfo, command: &str, default_timeout: Duration, wait: Duration) -> Result<Client> {
    let deadline = Instant::now() + wait;
    loop {
        match open(info, command, default_timeout)? {
            Ok(client) => return Ok(client),
            Err(e) if Instant::now() < deadline && is_transient(&e) => {
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => return Err(connect_error(info, &e).into()),
        }
    }
}

/// Server down, starting up or out of connection slots: worth another try. An answer from a running
/// server (bad password, no such database) is final.
fn is_transient(err: &postgres::Error) -> bool {
    match err.code() {
        Some(code) => *code == SqlState::CANNOT_CONNECT_NOW || *code == SqlState::TOO_MANY_CONNECTIONS,
        None => err.as_db_error().is_none(),
    }
}

/// True for the SQLSTATEs of a server that answered but refused the login (bad password, unknown role).
pub fn login_refused(sqlstate: &str) -> bool {
    sqlstate == SqlState::INVALID_PASSWORD.code() || sqlstate == SqlState::INVALID_AUTHORIZATION_SPECIFICATION.code()
}

/// One readable message for a failed connection, with the redacted target and the next step.
pub fn connect_error(info: &ConnInfo, err: &postgres::Error) -> CliError {
    let target = info.redacted();
    let cause = describe(err);
    let hint = match err.code() {
        Some(c) if login_refused(c.code()) => {
            format!("check the user and password for `{}` (in the URL, PGPASSWORD or ~/.pgpass)", info.user)
        }
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
        _ => format!(
            "is PostgreSQL running and accepting connections at {}? (try `pg_isready -h {} -p {}`)",
            if info.is_socket() { info.host.clone() } else { format!("{}:{}", info.host, info.port) },
            info.host,
            info.port
        ),
    };
    CliError::failure(format!("could not connect to {target}: {cause}"))
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
