//! `rehab.toml`: its schema (unknown keys are errors that name the key and the line), discovery in the
//! current directory or its parents, and the environment sections.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Deserialize;
use toml::Spanned;

use crate::error::CliError;

pub const FILE_NAME: &str = "rehab.toml";

#[derive(Debug, Default, Deserialize)]
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
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// Database used to create the target database (default `postgres`).
    pub maintenance_db: Option<String>,
    /// Seconds to wait for a connection when the URL does not say (default 10).
    pub connect_timeout_secs: Option<u64>,
    /// Extensions `setup` creates before migrating.
    #[serde(default)]
    pub extensions: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationsSection {
    /// Folder of migrations loaded at run time instead of the embedded ones (relative to the config file).
    pub dir: Option<PathBuf>,
    /// Seconds to wait for the migration lock (default 60).
    pub lock_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The database URL of this environment.
    pub url: Option<String>,
    /// Name of an environment variable holding the URL (keeps passwords out of the file).
    pub url_env: Option<String>,
    /// Destructive commands refuse a protected environment.
    #[serde(default)]
    pub protected: bool,
}

/// A config file and where it was found.
#[derive(Debug, Default)]
pub struct LoadedConfig {
    pub path: Option<PathBuf>,
    pub file: ConfigFile,
    /// The raw text, to turn spans into line numbers.
    text: String,
}

impl LoadedConfig {
    /// Loads `explicit` (which must exist), or the first `rehab.toml` in `cwd` and its parents, or nothing.
    pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Self> {
        let path = match explicit {
            Some(p) => {
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
            CliError::usage(format!("invalid config file {}:\n{e}", path.display()))
                .with_hint("config.example.toml documents every key")
        })?;
        Ok(Self { path: Some(path), file, text })
    }

    /// The 1-based line of a byte offset in the file.
    pub fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    /// The folder relative paths in the file are resolved against.
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
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_line() {
        let err = format!("{:#}", parse("default_env = \"dev\"\n\n[migrations]\nlock_timeout = 5\n").unwrap_err());
        assert!(err.contains("lock_timeout") && err.contains("line 4"), "{err}");
    }

    #[test]
    fn wrong_types_name_the_line() {
        let err = format!("{:#}", parse("[environments.dev]\nprotected = \"yes\"\n").unwrap_err());
        assert!(err.contains("line 2"), "{err}");
    }
}
