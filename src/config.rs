//! `rehab.toml`: its schema (unknown keys are errors that name the key and the line), discovery in the
//! current directory or its parents, and the environment sections.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Deserialize;
use toml::Spanned;

use crate::error::CliError;

mod doctor;
mod fleet;

pub use doctor::DoctorSection;
pub use fleet::{DEFAULT_FLEET_PARALLEL, FleetSection, OnError};

pub const FILE_NAME: &str = "rehab.toml";

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Environment used when neither `--env` nor `REHAB_ENV` names one.
    pub default_env: Option<Spanned<String>>,
    #[serde(default)]
    pub database: DatabaseSection,
    #[serde(default)]
    pub migrations: MigrationsSection,
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
    #[serde(default)]
    pub doctor: DoctorSection,
    #[serde(default)]
    pub dev: DevSection,
    /// Named sets of databases `rehab --fleet NAME` runs a command on (see `fleet/`).
    #[serde(default)]
    pub fleets: BTreeMap<String, Spanned<FleetSection>>,
}

/// `rehab dev`: the private development cluster. Relative paths are relative to the config file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSection {
    /// The cluster's data directory (default `$XDG_DATA_HOME/rehab/pgN`; `REHAB_DEV_DIR` wins over it).
    pub data_dir: Option<PathBuf>,
    /// The folder holding `initdb`, `pg_ctl` and `postgres`, instead of searching `PATH` and the usual places.
    pub bin_dir: Option<PathBuf>,
    /// When rehab runs as root: the unprivileged account that owns and runs the cluster (default `postgres`).
    pub os_user: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// Database used to create the target database (default `postgres`).
    pub maintenance_db: Option<String>,
    /// Seconds to wait for a connection when the URL does not say (default 10).
    pub connect_timeout_secs: Option<u64>,
    /// Extensions `setup` creates before migrating.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Name of an environment variable holding the server's own URL, for deployments whose application
    /// URL goes through a transaction-pooling proxy: the commands that change the schema use it.
    pub direct_url_env: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationsSection {
    /// Folder of migrations loaded at run time instead of the embedded ones (relative to the config file).
    pub dir: Option<PathBuf>,
    /// Seconds to wait for the migration lock (default 60).
    pub lock_timeout_secs: Option<u64>,
}

/// `rehab doctor` thresholds; every key defaults to the value in [`DoctorSection::default`].
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The database URL of this environment.
    pub url: Option<String>,
    /// Name of an environment variable holding the URL (keeps passwords out of the file).
    pub url_env: Option<String>,
    /// Destructive commands refuse a protected environment.
    #[serde(default)]
    pub protected: bool,
    /// Seed profile `setup --seed` uses (default `minimal`).
    pub seed_profile: Option<String>,
}

/// The URL may hold a password: debug output says only whether there is one.
impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("url", &self.url.as_ref().map(|_| "<hidden>"))
            .field("url_env", &self.url_env)
            .field("protected", &self.protected)
            .field("seed_profile", &self.seed_profile)
            .finish()
    }
}

/// A config file and where it was found.
#[derive(Default, Clone)]
pub struct LoadedConfig {
    pub path: Option<PathBuf>,
    pub file: ConfigFile,
    /// The raw text, to turn spans into line numbers.
    text: String,
}

/// Leaves out the raw text: it may hold a password.
impl std::fmt::Debug for LoadedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedConfig").field("path", &self.path).field("file", &self.file).finish_non_exhaustive()
    }
}

impl LoadedConfig {
    /// Loads `explicit` (which must exist), or the first `rehab.toml` in `cwd` and its parents, or nothing.
    pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Self> {
        let path = match explicit {
            Some(p) => {
                if p.is_dir() {
                    return Err(CliError::usage(format!("config file {} is a folder, not a file", p.display()))
                        .with_hint(format!(
                            "point --config / REHAB_CONFIG at the file, e.g. {}",
                            p.join(FILE_NAME).display()
                        ))
                        .into());
                }
                if !p.is_file() {
                    return Err(CliError::usage(format!("config file {} does not exist", p.display()))
                        .with_hint("check --config / REHAB_CONFIG, or copy config.example.toml to rehab.toml")
                        .into());
                }
                Some(p.to_path_buf())
            }
            None => cwd.ancestors().map(|d| d.join(FILE_NAME)).find(|p| p.is_file()),
        };
        let Some(path) = path else { return Ok(Self::default()) };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CliError::usage(format!("cannot read config file {}: {e}", path.display())))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            // toml's own Display quotes the offending line, which may hold a password in a URL: say where
            // and what instead.
            let place = e.span().map(|span| {
                let before = &text[..span.start.min(text.len())];
                let column = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
                format!(" line {}, column {column}", before.matches('\n').count() + 1)
            });
            CliError::usage(format!(
                "invalid config file {}{}: {}",
                path.display(),
                place.unwrap_or_default(),
                e.message().trim_end()
            ))
            .with_hint("config.example.toml documents every key")
        })?;
        file.doctor.validate().map_err(|problem| {
            CliError::usage(format!("invalid config file {}: [doctor] {problem}", path.display()))
                .with_hint("config.example.toml documents every [doctor] key and its default")
        })?;
        for (name, fleet) in &file.fleets {
            fleet.get_ref().validate(&file.environments).map_err(|problem| {
                let line = text[..fleet.span().start.min(text.len())].matches('\n').count() + 1;
                CliError::usage(format!(
                    "invalid config file {} line {line}: [fleets.{name}] {problem}",
                    path.display()
                ))
                .with_hint("config.example.toml documents [fleets.NAME]")
            })?;
        }
        Ok(Self { path: Some(path), file, text })
    }

    /// The 1-based line of a byte offset in the file.
    pub fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    /// The folder relative paths in the file are resolved against.
    /// `[dev]` with its folders made absolute against this file's folder (else `cwd`).
    #[must_use]
    pub fn dev_section(&self, cwd: &Path) -> DevSection {
        let base = self.base_dir().unwrap_or(cwd);
        let dev = &self.file.dev;
        DevSection {
            data_dir: dev.data_dir.as_ref().map(|d| base.join(d)),
            bin_dir: dev.bin_dir.as_ref().map(|d| base.join(d)),
            os_user: dev.os_user.clone(),
        }
    }

    pub fn base_dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// The environment section called `name`, or an error listing the defined ones.
    pub fn environment(&self, name: &str, named_at: Option<usize>) -> Result<&Environment> {
        self.file.environments.get(name).ok_or_else(|| {
            let defined: Vec<&str> = self.file.environments.keys().map(String::as_str).collect();
            let place = match (&self.path, named_at) {
                (Some(p), Some(line)) => format!(" (default_env, {} line {line})", p.display()),
                (Some(p), None) => format!(" in {}", p.display()),
                (None, _) => " (no rehab.toml was found)".to_string(),
            };
            CliError::usage(format!(
                "unknown environment `{name}`{place}; defined: {}",
                if defined.is_empty() { "none".to_string() } else { defined.join(", ") }
            ))
            .with_hint("add an [environments.NAME] section to rehab.toml or pick a defined one with --env")
            .into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LoadedConfig> {
        let dir = std::env::temp_dir().join(format!("rehab-config-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        let loaded = LoadedConfig::load(Some(&path), &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        loaded
    }

    #[test]
    fn the_example_config_is_valid() {
        let text = include_str!("../config.example.toml");
        let file: ConfigFile = toml::from_str(text).unwrap();
        assert!(file.environments.contains_key("development"));
        // The example documents the defaults: parsing it must give exactly them.
        assert_eq!(format!("{:?}", file.doctor), format!("{:?}", DoctorSection::default()));
    }

    #[test]
    fn doctor_keys_are_checked_and_default() {
        let loaded = parse("[doctor]\nlong_query_secs = 7\n").unwrap();
        assert_eq!(loaded.file.doctor.long_query_secs, 7);
        assert_eq!(loaded.file.doctor.projection_lag_warn, 1_000);
        let err = format!("{:#}", parse("[doctor]\nlong_query = 7\n").unwrap_err());
        assert!(err.contains("long_query") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn dev_keys_are_checked() {
        let loaded = parse("[dev]\ndata_dir = \"pg\"\nos_user = \"pgdev\"\n").unwrap();
        assert_eq!(loaded.file.dev.data_dir, Some(PathBuf::from("pg")));
        assert_eq!(loaded.file.dev.os_user.as_deref(), Some("pgdev"));
        let err = format!("{:#}", parse("[dev]\nbindir = \"/usr/bin\"\n").unwrap_err());
        assert!(err.contains("bindir") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_line() {
        let err = format!("{:#}", parse("default_env = \"dev\"\n\n[migrations]\nlock_timeout = 5\n").unwrap_err());
        assert!(err.contains("lock_timeout") && err.contains("line 4"), "{err}");
    }

    #[test]
    fn errors_never_quote_the_file() {
        let err = format!("{:#}", parse("[environments.prod]\nurl = postgres://app:s3cret@db/x\n").unwrap_err());
        assert!(err.contains("line 2") && !err.contains("s3cret"), "{err}");
        let loaded = parse("[environments.prod]\nurl = \"postgres://app:s3cret@db/x\"\n").unwrap();
        let debug = format!("{loaded:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[test]
    fn wrong_types_name_the_line() {
        let err = format!("{:#}", parse("[environments.dev]\nprotected = \"yes\"\n").unwrap_err());
        assert!(err.contains("line 2"), "{err}");
    }
}
