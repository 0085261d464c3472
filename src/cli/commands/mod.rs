//! One function per command; [`dispatch`] picks it. Colour for stderr is decided here once:
//! `--color always|never` wins, and `auto` colours only a terminal without `NO_COLOR`.

mod check;
pub mod completions;
mod explain;
mod generate;
mod init;
mod overlay;
mod validate;

use std::io::IsTerminal;

use super::args::{Cli, ColorChoice, Command};
use super::output::print_stdout;
use super::Status;
use crate::diag::{self, Diagnostic, Result};

/// Whether diagnostics on stderr are coloured.
pub fn stderr_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => diag::use_color(std::io::stderr().is_terminal()),
    }
}

/// Prints warnings (they never fail a command).
pub fn print_warnings(warnings: &[Diagnostic], color: bool) {
    for w in warnings {
        eprint!("{}", w.render(color));
    }
}

pub fn dispatch(cli: Cli) -> Result<Status> {
    let color = stderr_color(cli.color);
    match cli.command {
        Command::Init(args) => init::run(args, color),
        Command::Generate(args) => generate::generate(args, color),
        Command::Scaffold(args) => generate::scaffold(args, color),
        Command::Validate(args) => validate::run(args, color),
        Command::Overlay(cmd) => overlay::run(cmd),
        Command::Check(args) => check::run(args, color),
        Command::Explain(args) => explain::run(args),
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&crate::model::json_schema())
                .map_err(|e| Diagnostic::error(format!("internal error: the schema does not serialize: {e}"))
                    .with_help("please report this; schemas/host.schema.json in the source has the same schema"))?;
            print_stdout(&format!("{schema}\n"))?;
            Ok(Status::Success)
        }
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
    }
}
