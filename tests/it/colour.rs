//! Colour: `--color`, `NO_COLOR` and `CLICOLOR_FORCE` decide it, never JSON, never a pipe by default.

use crate::support::{Exit, TestDb};

const ESC: char = '\x1b';

#[test]
fn colour_follows_the_flag_then_no_color_then_clicolor_force_and_never_reaches_json() {
    let db = TestDb::new("colour");
    db.rehab(&["migrate"]).ok();
    let doctor = ["doctor", "--only", "connection"];
    // A pipe: no colour by default.
    assert!(!db.rehab(&doctor).ok().stdout.contains(ESC));
    // --color always colours the statuses and keeps the columns aligned (escapes do not count as width).
    let run = db.rehab(&[&["--color", "always"][..], &doctor].concat()).ok();
    assert!(run.stdout.contains("\x1b[38;5;10m"), "{}", run.stdout);
    let widths: Vec<usize> =
        run.stdout.lines().filter(|l| l.contains("connection")).map(|l| strip(l).chars().count()).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{widths:?}\n{}", run.stdout);
    // CLICOLOR_FORCE asks for colour on a pipe; NO_COLOR wins over it; --color never wins over both.
    // (The harness sets NO_COLOR=1 for every run; an empty NO_COLOR counts as unset, as no-color.org says.)
    assert!(db.rehab(&doctor).env("CLICOLOR_FORCE", "1").env("NO_COLOR", "").ok().stdout.contains(ESC));
    assert!(!db.rehab(&doctor).env("CLICOLOR_FORCE", "0").env("NO_COLOR", "").ok().stdout.contains(ESC));
    assert!(!db.rehab(&doctor).env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1").ok().stdout.contains(ESC));
    assert!(
        !db.rehab(&[&["--color", "never"][..], &doctor].concat()).env("CLICOLOR_FORCE", "1").ok().stdout.contains(ESC)
    );
    // JSON is for machines, whatever the flag says.
    let run = db.rehab(&[&["--color", "always", "--format", "json"][..], &doctor].concat()).ok();
    assert!(!run.stdout.contains(ESC));
    run.json();
    // The summary of migrate and the error line are coloured too.
    db.rehab(&["rollback", "--yes"]).ok();
    assert!(db.rehab(&["--color", "always", "migrate"]).ok().stdout.contains("\x1b[32mApplied\x1b[0m"));
    let run = crate::support::Rehab::new(&db.dir)
        .args(&["--color", "always", "--database-url", "", "current"])
        .run()
        .exit(Exit::Usage);
    assert!(run.stderr.starts_with("\x1b[1;31merror:\x1b[0m"), "{:?}", run.stderr);
}

/// `line` without SGR escape sequences.
fn strip(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == ESC {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
