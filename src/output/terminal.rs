//! The terminal conventions rehab follows, decided in one place: where progress may be drawn, how wide a
//! table may be.
//!
//! Progress bars move the cursor, so they are drawn only on a stderr that is a terminal and not `TERM=dumb`
//! (Emacs shells, some CI log viewers). Colour is decided separately, in `style.rs`, and follows the same
//! `TERM=dumb` rule (clap's help and usage errors leave colour out there, and under `NO_COLOR`, on their own).
//!
//! Tables wrap at `COLUMNS` when it is set to a positive number, terminal or not: setting it is how a person
//! asks for a width (`COLUMNS=200 rehab show | less`), and POSIX has a set `COLUMNS` override the terminal's.
//! Else they wrap at the terminal's width, else at [`FALLBACK_WIDTH`]: a pipe has no width, and a terminal
//! reporting 0 columns (a serial console, some container runtimes) has not asked for one character per
//! column. Help texts follow `COLUMNS` the same way; without it clap sizes them (terminal, else 100).

use std::ffi::OsStr;
use std::io::{self, IsTerminal};

/// Columns a table wraps at when neither `COLUMNS` nor the terminal gives a width: what logs show whole.
pub const FALLBACK_WIDTH: u16 = 120;

/// True when stderr is a terminal that understands cursor movement.
pub fn stderr_redraws() -> bool {
    io::stderr().is_terminal() && !is_dumb(std::env::var_os("TERM").as_deref())
}

/// The width tables wrap at, from this process's `COLUMNS` and `terminal`, the width stdout's terminal
/// reports (`None` when stdout is not a terminal).
pub fn table_width(terminal: Option<u16>) -> u16 {
    width_from(std::env::var_os("COLUMNS").as_deref(), terminal)
}

/// `COLUMNS`, when it is a positive number: help texts wrap there too, over the terminal's width.
pub fn columns() -> Option<u16> {
    columns_from(std::env::var_os("COLUMNS").as_deref())
}

fn is_dumb(term: Option<&OsStr>) -> bool {
    term == Some(OsStr::new("dumb"))
}

fn columns_from(columns: Option<&OsStr>) -> Option<u16> {
    columns.and_then(OsStr::to_str).and_then(|c| c.trim().parse::<u16>().ok()).filter(|&w| w > 0)
}

fn width_from(columns: Option<&OsStr>, terminal: Option<u16>) -> u16 {
    columns_from(columns).or(terminal.filter(|&w| w > 0)).unwrap_or(FALLBACK_WIDTH)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::{FALLBACK_WIDTH, is_dumb, width_from};

    #[test]
    fn columns_wins_when_it_is_a_positive_number() {
        let cols = |s: &'static str| Some(OsStr::new(s));
        assert_eq!(width_from(cols("60"), None), 60);
        assert_eq!(width_from(cols("60"), Some(200)), 60);
        assert_eq!(width_from(cols(" 80\n"), Some(200)), 80);
        for ignored in ["0", "", "-5", "wide", "99999999"] {
            assert_eq!(width_from(cols(ignored), Some(90)), 90, "COLUMNS={ignored:?}");
            assert_eq!(width_from(cols(ignored), None), FALLBACK_WIDTH, "COLUMNS={ignored:?}");
        }
    }

    #[test]
    fn a_terminal_reporting_no_width_gets_the_fallback() {
        assert_eq!(width_from(None, Some(0)), FALLBACK_WIDTH);
        assert_eq!(width_from(None, None), FALLBACK_WIDTH);
        assert_eq!(width_from(None, Some(87)), 87);
    }

    #[test]
    fn only_term_dumb_is_dumb() {
        assert!(is_dumb(Some(OsStr::new("dumb"))));
        assert!(!is_dumb(Some(OsStr::new("xterm-256color"))));
        assert!(!is_dumb(None));
    }
}
