//! The `nixgen` binary: parse arguments, run, write the report, exit 0, 1 or 2.
//!
//! `nixgen __complete-config` (the completion scripts' way to ask for configuration names) is
//! answered before clap sees the command line, so it appears in no help text. Everything else
//! goes through [`cli::run`], which fills a [`Report`]; the report is written once, at the end.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use nixgen::cli::{self, Cli, Report, Status};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.get(1).map(String::as_str) == Some(cli::COMPLETE_CONFIG) {
        // Completion must never print errors into the user's prompt: names or nothing.
        let mut report = Report::new(false);
        let _ = cli::complete_config(&args[2..], &mut report);
        let _ = report.write();
        return ExitCode::SUCCESS;
    }
    let cli = Cli::parse();
    let mut report = Report::new(cli::stderr_color(cli.color));
    let code = match cli::run(cli, &mut report) {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Failed) => ExitCode::from(1),
        Err(failure) => {
            report.diagnostics(&failure.diagnostics);
            ExitCode::from(1)
        }
    };
    match report.write() {
        Ok(()) => code,
        // Nowhere left to say it: the exit status is all that can tell.
        Err(_) => ExitCode::from(1),
    }
}
