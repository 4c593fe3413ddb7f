//! Seed profiles and reference data: TOML files in the top-level `seeds/` folder, embedded in the binary
//! so `rehab seed` works from any directory.

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::error::CliError;

/// The bundled profiles, by name.
pub const PROFILES: &[(&str, &str)] = &[
    ("minimal", include_str!("../../seeds/minimal.toml")),
    ("demo", include_str!("../../seeds/demo.toml")),
    ("load", include_str!("../../seeds/load.toml")),
];
pub const DEFAULT_PROFILE: &str = "minimal";

const EXERCISES: &str = include_str!("../../seeds/exercises.toml");
const TEMPLATES: &str = include_str!("../../seeds/work_queue_templates.toml");
const NAMES: &str = include_str!("../../seeds/names.toml");

/// The shape of a generated clinic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(skip)]
    pub name: String,
    #[expect(
        dead_code,
        reason = "part of the profile format (deny_unknown_fields): a note for people reading the file"
    )]
    pub description: String,
    pub email_domain: String,
    pub admins: u32,
    pub compliance_officers: u32,
    pub therapists: u32,
    pub patients: u32,
    pub weeks: u32,
    pub sessions_per_week: [u32; 2],
    pub exercises_per_program: [u32; 2],
    pub reps_per_exercise: [u32; 2],
    pub extra_session_rate: f64,
    pub break_glass_per_1000_patients: u32,
    /// PHC string of the development password; every seeded login uses it.
    pub password_hash: String,
}

impl Profile {
    /// The bundled profile `name`, with therapist and patient counts multiplied by `scale` (at least 1).
    pub fn load(name: &str, scale: f64) -> Result<Self> {
        let text = PROFILES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).ok_or_else(|| {
            let names: Vec<&str> = PROFILES.iter().map(|(n, _)| *n).collect();
            CliError::usage(format!("unknown seed profile `{name}`; bundled: {}", names.join(", ")))
        })?;
        if !(scale.is_finite() && scale > 0.0 && scale <= 1000.0) {
            return Err(CliError::usage(format!("--scale {scale} is out of range; use a number in (0, 1000]")).into());
        }
        let mut p: Profile = toml::from_str(text).with_context(|| format!("bundled profile `{name}` is invalid"))?;
        p.name = name.to_string();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "scale is checked to be in (0, 1000] and the counts are small"
        )]
        let scaled = |n: u32| ((f64::from(n) * scale).round() as u32).max(1);
        p.therapists = scaled(p.therapists);
        p.patients = scaled(p.patients);
        Ok(p)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub code: String,
    #[expect(
        dead_code,
        reason = "part of the exercise list's format (deny_unknown_fields); the catalog rows use `code`"
    )]
    pub name: String,
    pub target_rom_degrees: u32,
    pub rep_ms: u32,
    pub faults: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub code: String,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub default_priority: String,
    pub due_within_hours: u32,
    pub estimated_minutes: u32,
    pub checklist: Vec<String>,
    pub trigger_rules: toml::Table,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub given: Vec<String>,
    pub family: Vec<String>,
}

/// Reference data shared by every profile.
#[derive(Debug, Clone)]
pub struct Reference {
    pub exercises: Vec<Exercise>,
    pub templates: Vec<Template>,
    pub names: Names,
}

impl Reference {
    pub fn load() -> Result<Self> {
        #[derive(Deserialize)]
        struct ExerciseFile {
            exercise: Vec<Exercise>,
        }
        #[derive(Deserialize)]
        struct TemplateFile {
            template: Vec<Template>,
        }
        let exercises = toml::from_str::<ExerciseFile>(EXERCISES).context("seeds/exercises.toml is invalid")?.exercise;
        let templates =
            toml::from_str::<TemplateFile>(TEMPLATES).context("seeds/work_queue_templates.toml is invalid")?.template;
        let names = toml::from_str::<Names>(NAMES).context("seeds/names.toml is invalid")?;
        Ok(Self { exercises, templates, names })
    }

    pub fn template(&self, code: &str) -> usize {
        self.templates.iter().position(|t| t.code == code).expect("template defined in seeds/work_queue_templates.toml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{Argon2, PasswordHash, PasswordVerifier};

    /// The password documented in README.md.
    const DEV_PASSWORD: &str = "rehab-dev-password";

    #[test]
    fn every_profile_parses_and_its_hash_verifies_the_documented_password() {
        for (name, _) in PROFILES {
            let p = Profile::load(name, 1.0).unwrap();
            let hash = PasswordHash::new(&p.password_hash).unwrap();
            Argon2::default().verify_password(DEV_PASSWORD.as_bytes(), &hash).unwrap();
        }
    }

    #[test]
    fn reference_data_parses_and_scale_multiplies_people() {
        let r = Reference::load().unwrap();
        assert!(r.exercises.len() >= 4 && r.templates.len() >= 4);
        assert_eq!(Profile::load("demo", 0.01).unwrap().patients, 10);
        assert!(Profile::load("nope", 1.0).is_err());
        assert!(Profile::load("demo", 0.0).is_err());
    }
}
