//! Entry point: parse flags, run, map the error to a documented exit code.

use rehab::error::{exit_code_of, hint_of};
use rehab::{app, cli, output};

fn main() -> std::process::ExitCode {
    let cli = cli::parse();
    let coloured = output::style::decide(cli.global.color, cli.global.format == cli::Format::Json);
    match app::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            output::print_error(&err, hint_of(&err).as_deref(), coloured);
            std::process::ExitCode::from(exit_code_of(&err) as u8)
        }
    }
}
