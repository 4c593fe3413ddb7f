//! Entry point: parse flags, run, map the error to a documented exit code.

use rehab::{Format, decide_colour, exit_code_of, hint_of, print_error};

fn main() -> std::process::ExitCode {
    let cli = rehab::parse();
    let coloured = decide_colour(cli.global.color, cli.global.format != Format::Table);
    match rehab::run(&cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            print_error(&err, hint_of(&err).as_deref(), coloured);
            std::process::ExitCode::from(exit_code_of(&err) as u8)
        }
    }
}
