//! Entry point: parse flags, run, map the error to a documented exit code.

use rehab::{Format, decide_colour, exit_code_of, hint_of, print_error};

// Lint allocates a small string or vector for nearly every token it reads; mimalloc serves those several times
// cheaper than glibc's malloc (measured on `bench/check.sh`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = rehab::parse();
    let coloured = decide_colour(cli.global.color, cli.global.format != Format::Table);
    match rehab::run(&cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // Ctrl-C's cleanup (a scratch database dropped WITH (FORCE)) can end this thread's work with an error
        // before the handler exits: the run was interrupted, whatever that error says.
        Err(err) if rehab::interrupted() => {
            print_error(&err.context("interrupted by Ctrl-C or SIGTERM"), None, coloured);
            std::process::ExitCode::from(u8::try_from(rehab::EXIT_INTERRUPTED).unwrap_or(1))
        }
        Err(err) => {
            print_error(&err, hint_of(&err).as_deref(), coloured);
            std::process::ExitCode::from(exit_code_of(&err) as u8)
        }
    }
}
