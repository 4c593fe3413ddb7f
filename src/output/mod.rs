//! The only place that prints: reports as tables or JSON on stdout, status and progress on stderr.

pub mod fleet;
pub mod progress;
pub mod prompt;
mod reports;
pub mod style;
pub mod table;
pub mod terminal;

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::{Format, GlobalArgs};

/// A command's result: serialisable for `--format json`, and able to draw itself for people.
pub trait Report: Serialize {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()>;

    /// `--format sarif` and `--format github`, which only `rehab check`'s report has (the dispatcher refuses
    /// them for every other command before it runs).
    fn write_annotations(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        let _ = out;
        Err(io::Error::other(format!("--format {format} is only for `rehab check`")))
    }
}

/// How this run prints; built once from the global flags and the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    pub quiet: bool,
    pub verbose: bool,
    /// Captured once: stderr is a terminal that can redraw a line (see [`terminal::stderr_redraws`]).
    stderr_redraws: bool,
}

impl Output {
    pub fn new(flags: &GlobalArgs) -> Self {
        Self {
            format: flags.format,
            quiet: flags.quiet,
            verbose: flags.verbose,
            stderr_redraws: terminal::stderr_redraws(),
        }
    }

    /// The output of one fleet member: the same format, and nothing on stderr (no status lines, details or
    /// bars); the fleet's own bar and summary speak for it.
    #[must_use]
    pub fn member(&self) -> Self {
        Self { format: self.format, quiet: true, verbose: false, stderr_redraws: false }
    }

    /// Writes the report on stdout in the chosen format. A closed pipe (`rehab show | head`) is not an error.
    pub fn emit<R: Report>(&self, report: &R) -> anyhow::Result<()> {
        write_stdout(|out| write_report(self.format, report, out))
    }

    /// Writes `bytes` on stdout as they are, whatever `--format` says: a completion script or a man page is
    /// its own format.
    #[allow(clippy::unused_self, reason = "every stdout write goes through Output, which is to own its writers")]
    pub fn raw(&self, bytes: &[u8]) -> anyhow::Result<()> {
        write_stdout(|out| out.write_all(bytes))
    }

    /// A status line on stderr ("created database ..."), unless `--quiet`.
    pub fn status(&self, message: &str) {
        if !self.quiet {
            let _ = writeln!(io::stderr(), "{message}");
        }
    }

    /// A detail line on stderr, only with `--verbose`.
    pub fn detail(&self, message: &str) {
        if self.verbose {
            let _ = writeln!(io::stderr(), "{message}");
        }
    }

    /// True when progress bars make sense: a terminal on stderr that can redraw a line, and no `--quiet`.
    pub fn shows_progress(&self) -> bool {
        !self.quiet && self.stderr_redraws
    }
}

/// Runs `write` on a locked stdout and flushes. A closed pipe (`rehab show | head`) is not an error.
fn write_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    // Buffered: stdout's own buffer writes each line out, one system call per table row on a long report.
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

pub fn write_report<R: Report>(format: Format, report: &R, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => report.write_human(out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Sarif | Format::Github => report.write_annotations(format, out),
    }
}

/// Prints an error and its causes on stderr, `error: ...` then `  caused by: ...` then `hint: ...`.
pub fn print_error(err: &anyhow::Error, hint: Option<&str>, coloured: bool) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{} {err}", style::paint("error:", style::Tone::Bad, coloured));
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        // The driver's wrapper says only "db error"; its source (the server's message, DETAIL and HINT)
        // follows as the next cause, so the wrapper is a filler line.
        if text == "db error" && cause.source().is_some() {
            continue;
        }
        let _ = writeln!(stderr, "  caused by: {}", text.replace('\n', "\n    "));
    }
    if let Some(hint) = hint {
        let _ = writeln!(stderr, "hint: {hint}");
    }
}
