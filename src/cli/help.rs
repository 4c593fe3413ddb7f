//! `rehab COMMAND --help`: the command's own options in full, then the global options once, one line each.
//!
//! clap repeats every global option's long help in every command's help, about 35 lines that bury the few
//! options the command has. `rehab --help` keeps that full text; a command's help ends with a compact
//! summary under "Global options:" instead. Only the help text changes: the options are accepted, completed
//! and documented in the man pages as before.

use std::fmt::Write as _;

use clap::builder::StyledStr;
use clap::{Arg, Command};

/// `cmd` with each subcommand's global options hidden from its help and summarised after its own options,
/// at `width` columns if `cmd` has one set.
pub(super) fn compact_global_options(cmd: Command, width: Option<usize>) -> Command {
    let globals: Vec<Arg> = cmd.get_arguments().filter(|a| a.is_global_set()).cloned().collect();
    let summary = summary(&cmd, &globals, width);
    cmd.mut_subcommands(|sub| {
        // clap propagates a global option only into subcommands that lack one with its id, so this copy
        // (still global, so its value reaches `Cli`) is the one the subcommand parses and lists.
        let sub = globals.iter().fold(sub, |sub, arg| sub.arg(arg.clone().hide_short_help(true).hide_long_help(true)));
        // A command's own subcommands (`rehab dev start`) inherit the hidden copies, and get the summary too.
        let sub = sub.mut_subcommands(|nested| with_summary(nested, &summary));
        with_summary(sub, &summary)
    })
}

/// `cmd` with the global options' summary after its help, before any text of its own there.
fn with_summary(cmd: Command, summary: &StyledStr) -> Command {
    let mut after = summary.clone();
    if let Some(own) = cmd.get_after_help() {
        let _ = write!(after, "\n\n{}", own.ansi());
    }
    cmd.after_help(after)
}

/// "Global options:" and one line per option, laid out by clap's short help so it aligns and wraps like
/// the options above it.
fn summary(root: &Command, globals: &[Arg], width: Option<usize>) -> StyledStr {
    let mut list = Command::new("global-options")
        .styles(root.get_styles().clone())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .help_template("{options}");
    if let Some(width) = width {
        list = list.term_width(width);
    }
    for arg in globals {
        list = list.arg(arg.clone().help_heading(None));
    }
    let header = root.get_styles().get_header();
    let mut summary = StyledStr::new();
    let list = list.render_help().ansi().to_string();
    let _ = write!(summary, "{header}Global options:{header:#}\n{}", list.trim_end());
    summary
}
