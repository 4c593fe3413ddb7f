//! Resolves every setting once, before any command runs: flag > environment variable > rehab.toml >
//! built-in default. Commands read the result and never look at flags or variables themselves.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::cli::GlobalArgs;
use crate::config::{DevSection, DoctorSection, Environment, LoadedConfig};
use crate::db::connect::DEFAULT_CONNECT_TIMEOUT;
use crate::db::conninfo::{ConnInfo, EnvLookup};
use crate::error::CliError;
use crate::fleet::Fleet;
use crate::migrations::MigrationCatalog;
use crate::migrations::unbuilt::{self, Unbuilt};
use crate::output::Output;

pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_mins(1);

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to connect, partition suffix included.
    pub conn: ConnInfo,
    /// True when something names the server (a URL from a flag, `DATABASE_URL` or the environment, or
    /// `PGHOST`/`PGPORT`); otherwise the default target may fall back to the dev cluster.
    pub server_named: bool,
    /// The server's own URL from `[database] direct_url_env`, partition suffix included, for the commands
    /// that change the schema (see `direct_conn` below for when it applies).
    pub direct_conn: Option<ConnInfo>,
    /// The active `[environments.NAME]`, if any.
    pub env_name: Option<String>,
    pub protected: bool,
    /// Run-time migrations folder; `None` means the embedded migrations.
    pub migrations_dir: Option<PathBuf>,
    pub lock_timeout: Duration,
    pub connect_timeout: Duration,
    pub maintenance_db: String,
    pub extensions: Vec<String>,
    /// Profile for `setup --seed`: the environment's `seed_profile`, else `minimal`.
    pub seed_profile: String,
    pub yes: bool,
    /// `--fleet NAME` (or `REHAB_FLEET`): run the command on each member of `[fleets.NAME]` instead, every
    /// member resolved.
    pub fleet: Option<Fleet>,
    pub output: Output,
    /// The rehab.toml this run read, for messages that name it.
    pub config_path: Option<PathBuf>,
    /// `[database] direct_url_env`: the variable's name, for the hint when a pooler is in the way.
    pub direct_url_env: Option<String>,
    /// `[doctor]`'s limits.
    pub doctor_limits: DoctorSection,
    /// `[dev]`, its folders made absolute against rehab.toml's folder.
    pub dev: DevSection,
}

impl Settings {
    /// The settings of a run. `offline`: the command reaches no database (`new`, `check --lint-only`), so a
    /// target it would not use (an unreadable `DATABASE_URL`, an exported `REHAB_FLEET` naming no fleet, a bad
    /// `direct_url_env`) does not stop it; the target is then the defaults.
    pub fn resolve(args: &GlobalArgs, env: EnvLookup<'_>, cwd: &Path, offline: bool) -> Result<Self> {
        let var = |k: &str| env(k).filter(|v| !v.is_empty());
        let config_path = args.config.clone().or_else(|| var("REHAB_CONFIG").map(PathBuf::from));
        let config = LoadedConfig::load(config_path.as_deref(), cwd)?;

        // An explicit target on the command line wins over an exported REHAB_FLEET (but not over --fleet).
        let explicit_target = args.database_url.is_some() || args.env_name.is_some();
        let fleet = args.fleet.clone().or_else(|| var("REHAB_FLEET").filter(|_| !explicit_target && !offline));
        let (env_name, named_at) = match (&args.env_name, var("REHAB_ENV"), &config.file.default_env) {
            // A fleet names its members' environments itself: the default one is not looked up.
            _ if fleet.is_some() => (None, None),
            (Some(n), _, _) => (Some(n.clone()), None),
            (None, Some(n), _) => (Some(n), None),
            (None, None, Some(d)) => (Some(d.get_ref().clone()), Some(config.line_of(d.span().start))),
            (None, None, None) => (None, None),
        };
        let environment = match &env_name {
            Some(name) => Some(config.environment(name, named_at)?),
            None => None,
        };
        let env_url = match (&env_name, environment) {
            (Some(name), Some(e)) => environment_url(name, e, env)?,
            _ => None,
        };
        // A DATABASE_URL that is set but empty is a mistake (a secret that did not reach the job), not a
        // request for the defaults: refused like an empty --database-url.
        let database_url = env("DATABASE_URL").filter(|_| args.database_url.is_none());
        let url = args.database_url.clone().or(database_url).or(env_url);
        let mut conn = match ConnInfo::resolve(url.as_deref(), env) {
            Err(_) if offline => ConnInfo::resolve(None, &|_| None)?,
            other => other?,
        };
        let partition = match (args.partition, var("REHAB_TEST_PARTITION")) {
            (Some(n), _) => Some(n.to_string()),
            (None, Some(v)) => {
                v.parse::<u32>()
                    .map_err(|_| CliError::usage(format!("REHAB_TEST_PARTITION=`{v}` is not a whole number")))?;
                Some(v)
            }
            (None, None) => None,
        };
        if let Some(n) = &partition {
            conn = conn.with_dbname(&format!("{}_{n}", conn.dbname))?;
        }
        let direct_conn = match direct_conn(&config, args, env, partition.as_deref()) {
            Err(_) if offline => None,
            other => other?,
        };

        let base = config.base_dir().map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
        let migrations_dir =
            args.migrations.clone().or_else(|| config.file.migrations.dir.as_ref().map(|d| base.join(d)));
        let db = &config.file.database;
        let maintenance_db = db.maintenance_db.clone().unwrap_or_else(|| "postgres".into());
        // Checked now, like the target's name: `setup` would reach it only after deciding to create.
        crate::db::conninfo::check_dbname(&maintenance_db)?;
        Ok(Self {
            conn,
            server_named: url.is_some() || var("PGHOST").is_some() || var("PGPORT").is_some(),
            direct_conn,
            protected: environment.is_some_and(|e| e.protected),
            env_name,
            migrations_dir,
            lock_timeout: config.file.migrations.lock_timeout_secs.map_or(DEFAULT_LOCK_TIMEOUT, Duration::from_secs),
            connect_timeout: db.connect_timeout_secs.map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs),
            maintenance_db,
            extensions: db.extensions.clone(),
            seed_profile: environment
                .and_then(|e| e.seed_profile.clone())
                .unwrap_or_else(|| crate::seed::profile::DEFAULT_PROFILE.into()),
            yes: args.yes,
            fleet: fleet.map(|name| crate::fleet::resolve(&config, &name, env)).transpose()?,
            output: Output::new(args),
            direct_url_env: db.direct_url_env.clone(),
            doctor_limits: config.file.doctor.clone(),
            dev: config.dev_section(cwd),
            config_path: config.path.clone(),
        })
    }

    /// The settings one fleet member runs with: its target and environment, no `direct_url_env` (which names
    /// one server, not each member's), and an output that prints nothing (the fleet reports for it).
    #[must_use]
    pub fn for_member(&self, member: &crate::fleet::Member) -> Self {
        let mut s = self.clone();
        s.conn = member.conn.clone();
        s.server_named = true;
        s.direct_conn = None;
        s.env_name.clone_from(&member.env_name);
        s.protected = member.protected;
        if let Some(p) = &member.seed_profile {
            s.seed_profile.clone_from(p);
        }
        s.output = self.output.member();
        s
    }

    /// Status lines for migrations written into a folder but missing from the embedded set this run uses.
    pub fn unbuilt_notes(&self, active: &MigrationCatalog) -> Vec<String> {
        let cwd = std::env::current_dir().unwrap_or_default();
        unbuilt::find(active, self.migrations_dir.as_deref(), &cwd).iter().map(Unbuilt::note).collect()
    }

    /// The migrations this run works with: the folder if one is configured, else the embedded set.
    pub fn catalog(&self) -> Result<MigrationCatalog> {
        match &self.migrations_dir {
            Some(dir) => MigrationCatalog::from_dir(dir),
            None => MigrationCatalog::embedded(),
        }
    }
}

/// The URL of environment `name`: its `url`, or the variable its `url_env` names (which must be set), or
/// none (the `PG*` variables and defaults then decide).
pub fn environment_url(name: &str, e: &Environment, env: EnvLookup<'_>) -> Result<Option<String>> {
    match (&e.url, &e.url_env) {
        (Some(_), Some(_)) => {
            Err(CliError::usage(format!("environment `{name}` sets both url and url_env; keep one")).into())
        }
        (Some(u), None) => Ok(Some(u.clone())),
        (None, Some(v)) => Ok(Some(env(v).filter(|x| !x.is_empty()).ok_or_else(|| {
            CliError::usage(format!("environment `{name}` reads its URL from ${v}, which is not set"))
        })?)),
        (None, None) => Ok(None),
    }
}

/// `[database] direct_url_env`: when the variable it names is set, the server's own URL, which `setup`,
/// `migrate`, `rollback`, `reset` and `seed` use instead of the application URL (which may go through a
/// transaction-pooling proxy). The same `PG*` fallbacks and partition suffix apply. `--database-url` names
/// the target of every command, so it wins; an unset variable leaves the application URL, which the session
/// check then accepts or refuses.
fn direct_conn(
    config: &LoadedConfig,
    args: &GlobalArgs,
    env: EnvLookup<'_>,
    partition: Option<&str>,
) -> Result<Option<ConnInfo>> {
    let Some(name) = &config.file.database.direct_url_env else { return Ok(None) };
    let Some(url) = env(name).filter(|v| !v.is_empty()) else { return Ok(None) };
    if args.database_url.is_some() {
        return Ok(None);
    }
    let mut conn = ConnInfo::resolve(Some(&url), env)
        .map_err(|e| e.context(format!("in ${name}, named by [database] direct_url_env")))?;
    if let Some(n) = partition {
        conn = conn.with_dbname(&format!("{}_{n}", conn.dbname))?;
    }
    Ok(Some(conn))
}
