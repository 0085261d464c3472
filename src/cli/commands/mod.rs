//! One function per command; [`dispatch`] picks it. Colour for stderr is decided here once:
//! `--color always|never` wins, and `auto` colours only a terminal without `NO_COLOR`.

mod check;
pub mod completions;
mod doctor;
mod explain;
mod generate;
mod import;
mod init;
mod overlay;
mod validate;

use std::io::IsTerminal;

use super::args::{Cli, ColorChoice, Command};
use super::{Report, Status};
use crate::diag::{self, Diagnostic, Result};

/// Whether diagnostics on stderr are coloured.
pub fn stderr_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => diag::use_color(std::io::stderr().is_terminal()),
    }
}

/// Runs the command `cli` names.
pub fn dispatch(cli: Cli, report: &mut Report) -> Result<Status> {
    match cli.command {
        Command::Init(args) => init::run(args, report),
        Command::Generate(args) => generate::generate(args, report),
        Command::Scaffold(args) => generate::scaffold(args, report),
        Command::Validate(args) => validate::run(args, report),
        Command::Import(args) => import::run(args, report),
        Command::Overlay(cmd) => overlay::run(cmd, report),
        Command::Check(args) => check::run(args, report),
        Command::Doctor(args) => doctor::run(args, report),
        Command::Explain(args) => explain::run(args, report),
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&crate::model::json_schema())
                .map_err(|e| Diagnostic::error(format!("internal error: the schema does not serialize: {e}"))
                    .with_help("please report this; schemas/host.schema.json in the source has the same schema"))?;
            report.out_line(&schema);
            Ok(Status::Success)
        }
        Command::Completions { shell } => completions::completions(shell, report),
        Command::Man => completions::man(report),
    }
}
