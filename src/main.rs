//! The `nixgen` binary: parse arguments, run, print diagnostics, exit 0, 1 or 2.

use std::process::ExitCode;

use clap::Parser;
use nixgen::cli::{self, Cli, Status};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = cli::stderr_color(cli.color);
    match cli::run(cli) {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Failed) => ExitCode::from(1),
        Err(failure) => {
            for d in &failure.diagnostics {
                eprint!("{}", d.render(color));
            }
            ExitCode::from(1)
        }
    }
}
