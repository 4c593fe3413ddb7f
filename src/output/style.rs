//! Colour, where it helps a person scan: doctor statuses, the summary line of migrate and rollback, and
//! `error:`. Decided once per stream at start-up (`--color`, then `NO_COLOR`, then `CLICOLOR_FORCE`, then
//! whether the stream is a terminal that is not `TERM=dumb`), and never for JSON, which is for machines.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;

/// `--color`.
// The variants' doc comments are `--help` text, printed as written: backticks would show.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour when the output is a terminal (and NO_COLOR is unset, or CLICOLOR_FORCE asks for it)
    #[default]
    Auto,
    /// Always colour human-readable output, even into a pipe
    Always,
    /// Never colour
    Never,
}

/// Whether stdout's tables and summaries are coloured; set once by [`decide`], read by the renderers.
static STDOUT: AtomicBool = AtomicBool::new(false);

/// Decides colour for stdout (none under `--format json`) and records it; returns stderr's decision.
pub fn decide(choice: ColorChoice, json: bool) -> bool {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let term = std::env::var_os("TERM");
    let stdout = !json
        && wanted(choice, env("NO_COLOR").is_some(), forced(env("CLICOLOR_FORCE")), || {
            std::io::stdout().is_terminal() && term.as_deref() != Some("dumb".as_ref())
        });
    STDOUT.store(stdout, Ordering::Relaxed);
    // comfy-table styles cells through crossterm, which on its own drops colour under NO_COLOR even when
    // `--color always` asked for it: rehab's decision is the one that counts.
    crossterm::style::force_color_output(stdout);
    wanted(choice, env("NO_COLOR").is_some(), forced(env("CLICOLOR_FORCE")), || {
        std::io::stderr().is_terminal() && term.as_deref() != Some("dumb".as_ref())
    })
}

fn forced(value: Option<std::ffi::OsString>) -> bool {
    value.is_some_and(|v| v != "0")
}

/// The flag wins; then `NO_COLOR` (no-color.org); then `CLICOLOR_FORCE`; then the terminal.
fn wanted(choice: ColorChoice, no_color: bool, force: bool, terminal: impl FnOnce() -> bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if no_color => false,
        ColorChoice::Auto => force || terminal(),
    }
}

/// Colour for clap's help and usage errors, decided before the flags are parsed: `--color` from the raw
/// arguments, then the same rules as rehab's own output. clap's own "auto" would colour under `CI=true` even
/// on `TERM=dumb` or into a pipe, so rehab's auto is only ever clap's auto where a stream is a terminal.
pub fn for_clap(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut choice = ColorChoice::Auto;
    let mut words = args.iter().map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        let value = match word.strip_prefix("--color") {
            Some("") => words.next().map(std::borrow::Cow::into_owned),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        if let Some(v) = value.and_then(|v| ColorChoice::from_str(&v, true).ok()) {
            choice = v;
        }
    }
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let terminal = || {
        (std::io::stdout().is_terminal() || std::io::stderr().is_terminal())
            && std::env::var_os("TERM").as_deref() != Some("dumb".as_ref())
    };
    match (choice, wanted(choice, env("NO_COLOR").is_some(), forced(env("CLICOLOR_FORCE")), terminal)) {
        (_, false) => clap::ColorChoice::Never,
        (ColorChoice::Auto, true) if !forced(env("CLICOLOR_FORCE")) => clap::ColorChoice::Auto,
        (_, true) => clap::ColorChoice::Always,
    }
}

/// True when stdout output is coloured (tables are then styled whatever comfy-table thinks of the stream).
pub fn stdout_coloured() -> bool {
    STDOUT.load(Ordering::Relaxed)
}

/// The colours rehab uses, as SGR parameters.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Quiet,
}

impl Tone {
    fn sgr(self) -> &'static str {
        match self {
            Self::Good => "32",
            Self::Warn => "33",
            Self::Bad => "1;31",
            Self::Quiet => "2",
        }
    }
}

/// `text` in `tone` when `on`, else unchanged.
pub fn paint(text: &str, tone: Tone, on: bool) -> String {
    if on { format!("\x1b[{}m{text}\x1b[0m", tone.sgr()) } else { text.to_string() }
}

/// `text` in `tone` when stdout is coloured.
pub fn stdout(text: &str, tone: Tone) -> String {
    paint(text, tone, stdout_coloured())
}

/// A table cell in `tone`: styled by comfy-table after it lays the table out, so escape codes never count
/// towards a column's width (the table itself is styled only when stdout is coloured).
pub fn cell(text: &str, tone: Tone) -> comfy_table::Cell {
    use comfy_table::{Attribute, Cell, Color};
    let cell = Cell::new(text);
    match tone {
        Tone::Good => cell.fg(Color::Green),
        Tone::Warn => cell.fg(Color::Yellow),
        Tone::Bad => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Tone::Quiet => cell.add_attribute(Attribute::Dim),
    }
}

#[cfg(test)]
mod tests {
    use super::{ColorChoice, Tone, paint, wanted};

    #[test]
    fn the_flag_wins_then_no_color_then_clicolor_force_then_the_terminal() {
        assert!(wanted(ColorChoice::Always, true, false, || false));
        assert!(!wanted(ColorChoice::Never, false, true, || true));
        assert!(!wanted(ColorChoice::Auto, true, true, || true));
        assert!(wanted(ColorChoice::Auto, false, true, || false));
        assert!(wanted(ColorChoice::Auto, false, false, || true));
        assert!(!wanted(ColorChoice::Auto, false, false, || false));
    }

    #[test]
    fn paint_wraps_only_when_on() {
        assert_eq!(paint("FAIL", Tone::Bad, true), "\x1b[1;31mFAIL\x1b[0m");
        assert_eq!(paint("FAIL", Tone::Bad, false), "FAIL");
    }
}
