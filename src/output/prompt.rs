//! Confirmation prompts for destructive commands: asked on stderr, answered on stdin, and only when
//! stdin is a terminal (a script or CI job must say `--yes` instead of being asked).

use std::io::{self, BufRead, IsTerminal, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    Confirmed,
    /// The person typed something else (or nothing).
    Declined,
    /// No terminal to ask on.
    NotInteractive,
}

/// Prints `question` and asks for `y` or `yes`; anything else declines.
pub fn yes_no(question: &str) -> io::Result<Confirmation> {
    if !io::stdin().is_terminal() {
        return Ok(Confirmation::NotInteractive);
    }
    let mut stderr = io::stderr().lock();
    write!(stderr, "{question} [y/N] ")?;
    stderr.flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Confirmation::Confirmed
    } else {
        Confirmation::Declined
    })
}

/// Prints `question` and asks the person to type `expected` exactly.
pub fn type_to_confirm(question: &str, expected: &str) -> io::Result<Confirmation> {
    if !io::stdin().is_terminal() {
        return Ok(Confirmation::NotInteractive);
    }
    let mut stderr = io::stderr().lock();
    writeln!(stderr, "{question}")?;
    write!(stderr, "Type the database name `{expected}` to confirm: ")?;
    stderr.flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(if answer.trim_end_matches(['\r', '\n']) == expected { Confirmation::Confirmed } else { Confirmation::Declined })
}
