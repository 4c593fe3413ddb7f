//! Terminal conventions, through the real binary on pipes and on pseudo-terminals: tables wrap at `COLUMNS`
//! when it is set, terminal or not; a terminal reporting 0 columns gets 120; `TERM=dumb` gets no progress
//! bar and no escape codes.

use crate::support::{Exit, TestDb};

/// The lines of the table in `output` (a terminal's carriage returns dropped).
fn table(output: &str) -> Vec<&str> {
    output.lines().map(|l| l.trim_end_matches('\r')).filter(|l| l.starts_with(['╭', '│', '╞', '╰'])).collect()
}

fn widest(output: &str) -> usize {
    table(output).iter().map(|l| l.chars().count()).max().expect("a table")
}

/// A database with the bundled migrations applied: `rehab show` then draws an 85-column table.
fn migrated(test: &str) -> TestDb {
    let db = TestDb::new(test);
    db.rehab(&["migrate", "--quiet"]).ok();
    db
}

#[test]
fn tables_wrap_at_columns_whether_or_not_stdout_is_a_terminal() {
    let db = migrated("columns");
    let piped = db.rehab(&["show"]).ok().stdout;
    assert!((61..=120).contains(&widest(&piped)), "{piped}");

    let narrow = db.rehab(&["show"]).env("COLUMNS", "60").ok().stdout;
    assert!(widest(&narrow) <= 60, "{narrow}");
    assert!(table(&narrow).len() > table(&piped).len(), "cells wrap instead:\n{narrow}");
    let on_wide_terminal = db.rehab(&["show"]).env("COLUMNS", "60").on_terminal(200).exit(Exit::Success).stdout;
    assert!(widest(&on_wide_terminal) <= 60, "{on_wide_terminal}");

    // Without COLUMNS, the terminal's own width; a COLUMNS that is not a positive number is ignored.
    let on_terminal = db.rehab(&["show"]).on_terminal(70).exit(Exit::Success).stdout;
    assert!((61..=70).contains(&widest(&on_terminal)), "{on_terminal}");
    for ignored in ["0", "-1", "wide"] {
        let run = db.rehab(&["show"]).env("COLUMNS", ignored).ok();
        assert_eq!(table(&run.stdout), table(&piped), "COLUMNS={ignored}");
    }
}

#[test]
fn a_terminal_reporting_zero_columns_gets_the_120_columns_a_pipe_gets() {
    let db = migrated("zero_cols");
    let piped = db.rehab(&["show"]).ok().stdout;
    let on_terminal = db.rehab(&["show"]).on_terminal(0).exit(Exit::Success).stdout;
    assert_eq!(table(&on_terminal), table(&piped), "{on_terminal}");
}

#[test]
fn term_dumb_gets_no_progress_bar_and_no_escape_codes() {
    let db = TestDb::new("term_dumb");
    let run = db.rehab(&["migrate"]).env("TERM", "dumb").on_terminal(100).exit(Exit::Success);
    assert!(!run.stdout.contains('\x1b'), "escape codes on a dumb terminal:\n{:?}", run.stdout);
    assert!(run.stdout.contains("auth_compliance"), "{}", run.stdout);

    // The same run on an xterm draws (and clears) a bar, so the check above is not vacuous.
    let db = TestDb::new("term_xterm");
    let run = db.rehab(&["migrate"]).env("TERM", "xterm").on_terminal(100).exit(Exit::Success);
    assert!(run.stdout.contains("\x1b[2K"), "no progress bar on an xterm:\n{:?}", run.stdout);
}

#[test]
fn term_dumb_gets_help_and_usage_errors_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    // NO_COLOR (which the harness sets) is emptied so that TERM alone decides.
    let on = |term: &str, args: &[&str]| {
        crate::support::Rehab::new(dir.path()).args(args).env("NO_COLOR", "").env("TERM", term).on_terminal(100)
    };
    for args in [&["migrate", "--help"][..], &["migrate", "--bogus"]] {
        let run = on("dumb", args);
        assert!(!run.stdout.contains('\x1b'), "escape codes for {args:?} on a dumb terminal:\n{:?}", run.stdout);
        let run = on("xterm", args);
        assert!(run.stdout.contains('\x1b'), "no colour for {args:?} on an xterm, so the check is vacuous");
    }
}

#[test]
fn help_wraps_at_columns_too_over_the_terminal_width() {
    let dir = tempfile::tempdir().unwrap();
    let widest_line = |out: &str| out.lines().map(|l| l.trim_end_matches('\r').chars().count()).max().unwrap();
    let help = crate::support::Rehab::new(dir.path()).args(&["doctor", "--help"]);
    assert!(widest_line(&help.env("COLUMNS", "70").on_terminal(200).exit(Exit::Success).stdout) <= 70);
    let help = crate::support::Rehab::new(dir.path()).args(&["doctor", "--help"]);
    assert!((71..=200).contains(&widest_line(&help.on_terminal(200).exit(Exit::Success).stdout)));
}
