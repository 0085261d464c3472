//! The command line: argument definitions and one function per command.
//!
//! This module is the only place that knows about terminals, exit codes and output streams.
//! Each command reads its inputs, calls the library (model, generate, edit, check, fsio), and
//! says what happened in a [`Report`] that `main` writes once; `output::Reporter` owns the
//! `--dry-run` / `--diff` / `--check` semantics that every writing command shares.

mod args;
mod commands;
mod output;
mod report;

pub use args::Cli;
pub use commands::completions::{complete_config, COMPLETE_CONFIG};
pub use commands::stderr_color;
pub use report::Report;

use crate::diag::Failure;

/// How a command ended, when it did not fail with diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done, or nothing to do.
    Success,
    /// A check failed or a file is out of date (`--check`): exit 1, no diagnostics to print.
    Failed,
}

/// Runs a parsed command line; what it has to say goes into `report`.
pub fn run(cli: Cli, report: &mut Report) -> Result<Status, Failure> {
    commands::dispatch(cli, report)
}
