//! One function per command; [`dispatch`] picks it.

mod check;
mod explain;
mod generate;
mod init;
mod overlay;
mod validate;

use std::io::IsTerminal;

use clap::CommandFactory;

use super::args::{Cli, ColorChoice, Command};
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
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::model::json_schema())
                    .expect("schema serializes")
            );
            Ok(Status::Success)
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "nixgen", &mut std::io::stdout());
            Ok(Status::Success)
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            let mut out = Vec::new();
            man.render(&mut out)
                .map_err(|e| Diagnostic::error(format!("cannot render the man page: {e}")))?;
            // One page: the main synopsis and options, then each command's own.
            for sub in Cli::command().get_subcommands() {
                let name: &'static str =
                    Box::leak(format!("nixgen {}", sub.get_name()).into_boxed_str());
                let mut sub = sub.clone().name(name);
                sub.build();
                let man = clap_mangen::Man::new(sub);
                out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
                man.render_synopsis_section(&mut out).ok();
                man.render_description_section(&mut out).ok();
                man.render_options_section(&mut out).ok();
            }
            use std::io::Write;
            std::io::stdout()
                .write_all(&out)
                .map_err(|e| Diagnostic::error(format!("cannot write: {e}")))?;
            Ok(Status::Success)
        }
    }
}
