//! `rehab completions SHELL` and `rehab man`: the bash script really completes in bash, every script and
//! page names the commands, and neither reads the configuration or needs a server.

use std::path::Path;

use rehab::COMMANDS;

use crate::support::{Exit, Rehab};

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a scratch folder")
}

/// What bash offers for the command line `words` (the last word is the one being completed), with the
/// script `rehab completions bash` printed loaded as a user's shell would load it.
fn bash_completes(script: &Path, words: &[&str]) -> Vec<String> {
    // bash calls the function with the command name, the word being completed and the word before it.
    let probe = r#"source "$1" || exit 9
        complete -p rehab >/dev/null || exit 8
        shift
        COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
        _rehab rehab "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\n' "${COMPREPLY[@]}""#;
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-c", probe, "bash"])
        .arg(script)
        .args(words)
        .output()
        .expect("bash is installed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "bash: {:?}\n{stderr}", out.status);
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn the_bash_script_loads_in_bash_and_completes_commands_flags_and_values() {
    let dir = scratch();
    let script = dir.path().join("rehab.bash");
    std::fs::write(&script, Rehab::new(dir.path()).args(&["completions", "bash"]).ok().stdout).unwrap();

    assert_eq!(bash_completes(&script, &["rehab", "mig"]), ["migrate"]);
    let all = bash_completes(&script, &["rehab", ""]);
    for cmd in COMMANDS {
        assert!(all.iter().any(|w| w == cmd), "`rehab <TAB>` lacks {cmd}: {all:?}");
    }
    assert_eq!(bash_completes(&script, &["rehab", "migrate", "--dr"]), ["--dry-run"]);
    assert_eq!(bash_completes(&script, &["rehab", "show", "--format", "j"]), ["json"]);
    assert_eq!(bash_completes(&script, &["rehab", "completions", "fi"]), ["fish"]);
    assert_eq!(bash_completes(&script, &["rehab", "man", "roll"]), ["rollback"]);
}

#[test]
fn every_shell_gets_a_script_naming_every_command() {
    let dir = scratch();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = Rehab::new(dir.path()).args(&["completions", shell]).ok().stdout;
        for cmd in COMMANDS {
            assert!(script.contains(cmd), "the {shell} script does not name `{cmd}`");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error_listing_the_shells() {
    let dir = scratch();
    Rehab::new(dir.path())
        .args(&["completions", "tcsh"])
        .run()
        .exit(Exit::Usage)
        .stderr_has("invalid value 'tcsh'")
        .stderr_has("bash, elvish, fish, powershell, zsh");
    Rehab::new(dir.path()).args(&["completions"]).run().exit(Exit::Usage).stderr_has("<SHELL>");
}

#[test]
fn man_prints_roff_for_rehab_and_for_each_command() {
    let dir = scratch();
    let page = Rehab::new(dir.path()).args(&["man"]).ok().stdout;
    assert!(page.starts_with(".TH") || page.starts_with(".ie"), "not roff:\n{page}");
    assert!(page.contains("\n.TH rehab 1 "), "{page}");
    for cmd in COMMANDS {
        assert!(page.contains(&format!("rehab\\-{cmd}(1)")), "rehab(1) does not list {cmd}");
    }
    assert!(page.contains(".SH NOTES") && page.contains("Exit codes"), "{page}");

    let page = Rehab::new(dir.path()).args(&["man", "migrate"]).ok().stdout;
    assert!(page.contains("\n.TH rehab-migrate 1 "), "{page}");
    assert!(page.contains("rehab\\-migrate \\- Apply pending migrations"), "{page}");
    assert!(page.contains("\\fB\\-\\-dry\\-run\\fR") && page.contains("\\fB\\-\\-database\\-url\\fR"), "{page}");

    Rehab::new(dir.path()).args(&["man", "bogus"]).run().exit(Exit::Usage).stderr_has("invalid value 'bogus'");
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = scratch();
    let into = dir.path().join("man/man1");
    let json = Rehab::new(dir.path()).args(&["man", "--format", "json", "--dir"]).arg(&into).ok().json();
    let mut names: Vec<String> =
        std::fs::read_dir(&into).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected: Vec<String> = COMMANDS.iter().map(|c| format!("rehab-{c}.1")).collect();
    expected.push("rehab.1".to_string());
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(json["pages"].as_array().unwrap().len(), expected.len());
    assert_eq!(json["pages"][0], into.join("rehab.1").to_string_lossy().as_ref());
    let page = std::fs::read_to_string(into.join("rehab-seed.1")).unwrap();
    assert!(page.contains("\n.TH rehab-seed 1 "), "{page}");

    // Written again, the pages are replaced; a single page and a folder do not mix.
    Rehab::new(dir.path())
        .args(&["man", "--dir"])
        .arg(&into)
        .ok()
        .stdout_has(&format!("Wrote {} man pages into", COMMANDS.len() + 1));
    Rehab::new(dir.path())
        .args(&["man", "seed", "--dir"])
        .arg(&into)
        .run()
        .exit(Exit::Usage)
        .stderr_has("cannot be used with");
}

#[test]
fn neither_reads_the_configuration_nor_needs_a_server() {
    let cases: [(&str, Option<&str>, Option<&str>, Exit); 3] = [
        ("a malformed DATABASE_URL", Some("postgresql://[::1:5432/x"), None, Exit::Usage),
        ("no server at DATABASE_URL", Some("postgresql://postgres@127.0.0.1:1/x"), None, Exit::Failure),
        ("a broken rehab.toml", None, Some("default_env = \"nowhere\"\nnot_a_key = 1\n"), Exit::Usage),
    ];
    for (case, url, config, current_exits) in cases {
        let dir = scratch();
        if let Some(toml) = config {
            std::fs::write(dir.path().join("rehab.toml"), toml).unwrap();
        }
        let rehab = |args: &[&str]| {
            let r = Rehab::new(dir.path()).args(args);
            match url {
                Some(u) => r.env("DATABASE_URL", u),
                None => r,
            }
        };
        // The same setup stops a command that needs the settings.
        rehab(&["current"]).run().exit(current_exits);

        let script = rehab(&["completions", "bash"]).ok();
        assert!(script.stdout.contains("_rehab()") && script.stderr.is_empty(), "with {case}: {script:?}");
        let page = rehab(&["man", "migrate"]).ok();
        assert!(page.stdout.contains(".TH rehab-migrate") && page.stderr.is_empty(), "with {case}: {page:?}");
        rehab(&["man", "--dir", "pages"]).ok();
        assert!(dir.path().join("pages/rehab.1").is_file(), "with {case}");
    }
}
