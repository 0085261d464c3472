//! `nixgen completions SHELL`, `nixgen man`, and the hidden `nixgen __complete-config`.
//!
//! The completion scripts are clap_complete's, extended so that `--config` completes the
//! configuration names of the flake the command line points at: the script calls
//! `nixgen __complete-config -- <words before the cursor>` (handled before clap parses the
//! command line, so it shows up in no help, man page or completion), which finds the flake (`--flake
//! FILE`, `check DIR`, else `./flake.nix`), reads its `nixosConfigurations` through the same
//! parser the editing commands use, and prints one name per line (nothing when there is no
//! readable flake). The man page is one roff page: the main synopsis, then each command's.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::args::Cli;
use crate::cli::Report;
use crate::cli::Status;
use crate::diag::{Diagnostic, Result};

const BASH_HOOK: &str = r#"
# Complete configuration names after --config (nixgen reads them from the flake).
_nixgen_config_names() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" end=$COMP_CWORD
    if [[ "$prev" == "=" && "${COMP_WORDS[COMP_CWORD-2]}" == "--config" ]]; then
        prev="--config"
        end=$((COMP_CWORD - 1))
    elif [[ "$cur" == "=" && "$prev" == "--config" ]]; then
        cur=""
    fi
    if [[ "$prev" == "--config" ]]; then
        local names
        names="$("${COMP_WORDS[0]}" __complete-config -- "${COMP_WORDS[@]:0:end}" 2>/dev/null)"
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$names" -- "$cur"))
        return 0
    fi
    _nixgen "$@"
}
"#;

const ZSH_HOOK: &str = r#"
# Complete configuration names after --config (nixgen reads them from the flake).
_nixgen_config_names() {
    local -a names
    names=(${(f)"$(${words[1]:-nixgen} __complete-config -- ${words[1,CURRENT-1]} 2>/dev/null)"})
    compadd -a names
}
"#;

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, report: &mut Report) -> Result<Status> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "nixgen", &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    report.out(&with_config_names(shell, &script));
    Ok(Status::Success)
}

/// Hooks configuration-name completion into clap's script for `shell`.
fn with_config_names(shell: clap_complete::Shell, script: &str) -> String {
    use clap_complete::Shell;
    match shell {
        Shell::Bash => {
            // clap registers `_nixgen`; the hook runs first and falls back to it.
            let mut out = String::from(BASH_HOOK);
            for line in script.lines() {
                if line.trim_start().starts_with("complete ") && line.contains("-F _nixgen ") {
                    out.push_str(&line.replace("-F _nixgen ", "-F _nixgen_config_names "));
                } else {
                    out.push_str(line);
                }
                out.push('\n');
            }
            out
        }
        Shell::Zsh => {
            let mut out = String::new();
            for (i, line) in script.lines().enumerate() {
                if line.starts_with("'--config=") {
                    out.push_str(&line.replace(":NAME:_default'", ":NAME:_nixgen_config_names'"));
                } else {
                    out.push_str(line);
                }
                out.push('\n');
                if i == 0 {
                    out.push_str(ZSH_HOOK);
                }
            }
            out
        }
        Shell::Fish => {
            let mut out = String::new();
            for line in script.lines() {
                out.push_str(line);
                if line.starts_with("complete -c nixgen ") && line.contains(" -l config ") {
                    out.push_str(
                        " -f -a '(nixgen __complete-config -- (commandline -opc) 2>/dev/null)'",
                    );
                }
                out.push('\n');
            }
            out
        }
        _ => script.to_owned(),
    }
}

/// The argument that makes `nixgen` print configuration names for a completion script.
pub const COMPLETE_CONFIG: &str = "__complete-config";

/// `nixgen __complete-config [--] WORDS...`: configuration names, one per line.
pub fn complete_config(words: &[String], report: &mut Report) -> Result<Status> {
    let words = match words.first() {
        Some(w) if w == "--" => &words[1..],
        _ => words,
    };
    let path = flake_for(words);
    let names = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| crate::edit::flake::Flake::parse(&path, &text).ok())
        .and_then(|flake| flake.configurations().ok())
        .map(|configs| configs.into_iter().map(|c| c.name).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut out = String::new();
    for n in names {
        out.push_str(&n);
        out.push('\n');
    }
    report.out(&out);
    Ok(Status::Success)
}

/// Which flake a partial command line is about: `--flake FILE`, `check DIR` (its flake.nix),
/// else `./flake.nix`.
fn flake_for(words: &[String]) -> PathBuf {
    // Options that take values, so that their values are not read as positionals.
    let takes = |w: &str| -> usize {
        match w {
            "--override-input" => 2,
            "--config" | "--flake" | "--color" | "--src" | "--github" | "--git" | "--rev"
            | "--hash" | "--input" | "--root" | "--output" | "-o" | "--template" | "-t"
            | "--name" | "--nixos-flake" | "--file" => 1,
            _ => 0,
        }
    };
    let mut flake = None;
    let mut check_dir = None;
    let mut in_check = false;
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        if let Some(v) = w.strip_prefix("--flake=") {
            flake = Some(PathBuf::from(v));
        } else if w == "--flake" {
            if let Some(v) = words.get(i + 1) {
                flake = Some(PathBuf::from(v));
            }
        } else if w == "check" && !in_check {
            in_check = true;
        } else if in_check && check_dir.is_none() && !w.starts_with('-') {
            check_dir = Some(PathBuf::from(w));
        }
        i += 1 + takes(w);
    }
    flake
        .or_else(|| check_dir.map(|d| d.join("flake.nix")))
        .unwrap_or_else(|| Path::new("flake.nix").to_path_buf())
}

/// Prints the man page: the main page, then each (visible) command's synopsis and options.
pub fn man(report: &mut Report) -> Result<Status> {
    let render_error = |e: std::io::Error| {
        Diagnostic::error(format!("cannot render the man page: {e}")).with_help(
            "please report this; `nixgen --help` and `nixgen COMMAND --help` have the same text",
        )
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(render_error)?;
    for sub in Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
    {
        // clap names commands with `&'static str` (without its `string` feature): one short
        // string per command, for a process that ends right after.
        let title: &'static str = Box::leak(format!("nixgen {}", sub.get_name()).into_boxed_str());
        let mut sub = sub.clone().name(title);
        sub.build();
        let man = clap_mangen::Man::new(sub);
        out.extend_from_slice(format!(".SH \"{}\"\n", title.to_uppercase()).as_bytes());
        man.render_synopsis_section(&mut out)
            .map_err(render_error)?;
        man.render_description_section(&mut out)
            .map_err(render_error)?;
        man.render_options_section(&mut out).map_err(render_error)?;
    }
    report.out(&String::from_utf8_lossy(&out));
    Ok(Status::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_flake_comes_from_the_command_line() {
        assert_eq!(
            flake_for(&words("nixgen overlay list --flake a/b.nix")),
            PathBuf::from("a/b.nix")
        );
        assert_eq!(
            flake_for(&words("nixgen overlay add fio --flake=x.nix --src ~/fio")),
            PathBuf::from("x.nix")
        );
        assert_eq!(
            flake_for(&words(
                "nixgen --color never check --override-input a b confs/vm"
            )),
            PathBuf::from("confs/vm/flake.nix")
        );
        assert_eq!(
            flake_for(&words("nixgen overlay remove fio")),
            PathBuf::from("flake.nix")
        );
        assert_eq!(flake_for(&[]), PathBuf::from("flake.nix"));
    }
}
