//! The `nixgen` binary: parse arguments, run, print diagnostics, exit 0, 1 or 2.
//!
//! Two things happen before clap sees the command line: `nixgen __complete-config` (the
//! completion scripts' way to ask for configuration names) is answered directly, so it appears
//! in no help text; and a closed standard output (`nixgen man | head -1`) ends the process
//! quietly with status 0 wherever it is noticed, instead of a panic message.

use std::process::ExitCode;

use clap::Parser;
use nixgen::cli::{self, Cli, Status};

mod heap;

/// Leaves quietly when a write to a closed pipe panicked (`println!` does), and reports every
/// other panic as the bug it is.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") || message.contains("os error 32") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    heap::prefer_huge_pages();
    quiet_on_broken_pipe();
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.get(1).map(String::as_str) == Some(cli::COMPLETE_CONFIG) {
        // Completion must never print errors into the user's prompt: names or nothing.
        let _ = cli::complete_config(&args[2..]);
        return ExitCode::SUCCESS;
    }
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
