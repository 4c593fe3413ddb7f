//! `[fleets.NAME]` in rehab.toml: which databases a fleet holds and how `rehab --fleet NAME` runs them.
//! Checked when the file loads, like every other section, so a broken fleet is found before anything runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::Environment;

/// `[fleets.NAME]`: the members (exactly one of `environments`, `urls_file`, `urls_env`) and how to run them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSection {
    /// Names of `[environments.*]` sections.
    pub environments: Option<Vec<String>>,
    /// A file (relative to the config file) with one URL or key=value connection string per line.
    pub urls_file: Option<PathBuf>,
    /// An environment variable holding newline-separated URLs.
    pub urls_env: Option<String>,
    /// How many members run at once (default 4).
    pub parallel: Option<i64>,
    /// How many members run first; if any of them fails, no other starts (default 0).
    pub canary: Option<i64>,
    /// After a member fails: `stop` starting others (default) or `continue`.
    #[serde(default)]
    pub on_error: OnError,
}

/// What a fleet does after a member fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    #[default]
    Stop,
    Continue,
}

/// The default of `[fleets.*] parallel`.
pub const DEFAULT_FLEET_PARALLEL: i64 = 4;

impl FleetSection {
    /// Exactly one member source, `parallel` at least 1, `canary` not negative, known environments.
    pub(super) fn validate(&self, environments: &BTreeMap<String, Environment>) -> Result<(), String> {
        let sources = [self.environments.is_some(), self.urls_file.is_some(), self.urls_env.is_some()];
        match sources.iter().filter(|s| **s).count() {
            0 => return Err("names no members: set one of environments, urls_file or urls_env".into()),
            1 => {}
            _ => return Err("sets more than one of environments, urls_file and urls_env: keep one".into()),
        }
        if let Some(p) = self.parallel.filter(|p| *p < 1) {
            return Err(format!("parallel = {p}: at least 1 member must run at a time"));
        }
        if let Some(c) = self.canary.filter(|c| *c < 0) {
            return Err(format!("canary = {c} is negative: use 0 (no canary) or more"));
        }
        for name in self.environments.iter().flatten() {
            if !environments.contains_key(name) {
                let defined: Vec<&str> = environments.keys().map(String::as_str).collect();
                return Err(format!(
                    "names the environment `{name}`, which has no [environments.{name}] section (defined: {})",
                    if defined.is_empty() { "none".to_string() } else { defined.join(", ") }
                ));
            }
        }
        if self.environments.as_ref().is_some_and(Vec::is_empty) {
            return Err("environments = [] names no members".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::LoadedConfig;

    fn load(text: &str) -> anyhow::Result<LoadedConfig> {
        let dir = std::env::temp_dir().join(format!("rehab-fleet-config-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(super::super::FILE_NAME);
        std::fs::write(&path, text).unwrap();
        let loaded = LoadedConfig::load(Some(&path), &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        loaded
    }

    #[track_caller]
    fn refused(text: &str, needles: &[&str]) {
        let err = format!("{:#}", load(text).map(|_| ()).unwrap_err());
        for needle in needles {
            assert!(err.contains(needle), "{needle:?} missing from: {err}");
        }
    }

    #[test]
    fn a_fleet_needs_exactly_one_member_source_and_sane_counts() {
        let ok = load("[environments.a]\n[fleets.t]\nenvironments = [\"a\"]\ncanary = 1\non_error = \"continue\"\n");
        assert_eq!(ok.unwrap().file.fleets["t"].get_ref().on_error, super::OnError::Continue);
        refused("\n[fleets.t]\nparallel = 2\n", &["line 2", "[fleets.t]", "names no members"]);
        refused("[fleets.t]\nurls_env = \"X\"\nurls_file = \"f\"\n", &["line 1", "keep one"]);
        refused("[fleets.t]\nurls_env = \"X\"\nparallel = 0\n", &["parallel = 0"]);
        refused("[fleets.t]\nurls_env = \"X\"\ncanary = -1\n", &["canary = -1"]);
        refused("[fleets.t]\nenvironments = [\"prod\"]\n", &["`prod`", "defined: none"]);
        refused("[fleets.t]\nurls_env = \"X\"\non_error = \"ignore\"\n", &["line 3", "ignore"]);
        refused("[fleets.t]\nurls_env = \"X\"\nparalel = 2\n", &["paralel", "line 3"]);
    }
}
