//! `nixgen init`: a new host description and its flake from a template.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::print_warnings;
use crate::cli::args::InitArgs;
use crate::cli::output::Reporter;
use crate::cli::Status;
use crate::diag::{Diagnostic, Result};
use crate::generate::{self, plan_for};
use crate::model::{load, paths, Profile, DEFAULT_NIXOS_FLAKE};
use crate::templates::{self, HostAnswers, Template};

/// The configuration name a directory suggests: its own name when usable, else `vm`.
fn default_name(dir: &Path) -> String {
    let base = std::path::absolute(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let usable = base
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if usable {
        base
    } else {
        "vm".to_owned()
    }
}

pub fn run(args: InitArgs, color: bool) -> Result<Status> {
    let yaml_path = args.dir.join("host.yaml");
    let flake_path = args.dir.join("flake.nix");
    if !args.force && !args.write.dry_run && !args.write.check {
        let existing: Vec<&PathBuf> = [&yaml_path, &flake_path]
            .into_iter()
            .filter(|p| p.exists())
            .collect();
        if let Some(first) = existing.first() {
            let names: Vec<String> = existing.iter().map(|p| p.display().to_string()).collect();
            return Err(Diagnostic::in_file(
                first,
                format!("{} already exist(s); nothing was written", names.join(" and ")),
            )
            .with_help("use `nixgen generate` to update an existing configuration, or --force to start over")
            .into());
        }
    }

    let interactive =
        args.interactive && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if args.interactive && !interactive {
        eprintln!("note: --interactive needs a terminal; using defaults for what is missing");
    }
    let answers = if interactive {
        ask(&args)?
    } else {
        let template = args.template.unwrap_or(Template::Imageless);
        let mut a = HostAnswers::defaults(
            template,
            &args.name.clone().unwrap_or_else(|| default_name(&args.dir)),
        );
        if let Some(url) = &args.nixos_flake {
            a.nixos_flake = url.clone();
        }
        a
    };

    let yaml_text = templates::host_yaml(&answers);
    // The new flake comes from the same path as `generate`: parse what we are about to write.
    let doc = load::parse(&yaml_path, yaml_text.clone().into_bytes())?;
    let hosts = load::hosts(&doc)?;
    let host = &hosts[0];
    print_warnings(&host.warnings, color);
    let home = paths::home_dir()
        .map(|h| h.display().to_string())
        .unwrap_or_else(|| "/home/user".into());
    let flake_text = generate::emit(&plan_for(&host.host), &templates::flake_examples(&home))
        .map_err(|e| {
            Diagnostic::error(format!("internal error: the template does not parse: {e}"))
        })?;

    let mut reporter = Reporter::new(args.write, !args.no_git);
    // Compare with what is there (with --force, --dry-run or --check the files may exist), so
    // an identical rerun is up to date rather than "created" or "out of date (missing)".
    let old_yaml = crate::cli::output::read_existing(&yaml_path)?;
    let old_flake = crate::cli::output::read_existing(&flake_path)?;
    reporter.file(&yaml_path, old_yaml.as_deref(), &yaml_text)?;
    reporter.file(&flake_path, old_flake.as_deref(), &flake_text)?;
    let read_only = reporter.is_read_only();
    let status = reporter.finish();
    if !read_only {
        print_next_steps(&args.dir, &host.host.host.name);
    }
    Ok(status)
}

fn print_next_steps(dir: &Path, name: &str) {
    let cd = if dir == Path::new(".") {
        String::new()
    } else {
        format!("  cd {}\n", dir.display())
    };
    let git = if crate::git::work_tree(&dir.join("flake.nix")).is_some() {
        ""
    } else {
        "  git init && git add host.yaml flake.nix   # flakes only see git-tracked files\n"
    };
    eprintln!(
        "\nnext steps:\n{cd}  $EDITOR host.yaml                         # describe the host (`nixgen explain` helps)\n  \
         nixgen generate                           # bring flake.nix in line with host.yaml\n{git}  \
         nix build .#nixosConfigurations.{name}.config.system.build.toplevel"
    );
}

/// Asks, on a terminal, for what the command line left out. Enter accepts every default.
fn ask(args: &InitArgs) -> Result<HostAnswers> {
    use dialoguer::{Input, MultiSelect, Select};
    let prompt_error = |e: dialoguer::Error| Diagnostic::error(format!("prompt failed: {e}"));

    let template = match args.template {
        Some(t) => t,
        None => {
            let items = [Template::Imageless, Template::Libvirt, Template::Controller];
            let labels = [
                "imageless  - a test VM booted by QEMU + virtiofsd",
                "libvirt    - a qcow2 disk image for libvirt",
                "controller - a host that drives guests (libvirt + controller profile)",
            ];
            let i = Select::new()
                .with_prompt("Template")
                .items(labels)
                .default(0)
                .interact()
                .map_err(prompt_error)?;
            items[i]
        }
    };
    let name = match &args.name {
        Some(n) => n.clone(),
        None => Input::<String>::new()
            .with_prompt("Configuration name")
            .default(default_name(&args.dir))
            .validate_with(|s: &String| -> std::result::Result<(), String> {
                let ok = s
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if ok {
                    Ok(())
                } else {
                    Err("letters, digits, `_` and `-`, starting with a letter".into())
                }
            })
            .interact_text()
            .map_err(prompt_error)?,
    };
    let nixos_flake = match &args.nixos_flake {
        Some(url) => url.clone(),
        None => Input::<String>::new()
            .with_prompt("nixos-flake (URL or local checkout)")
            .default(DEFAULT_NIXOS_FLAKE.to_owned())
            .validate_with(|s: &String| -> std::result::Result<(), String> {
                check_flake_location(s)
            })
            .interact_text()
            .map_err(prompt_error)?,
    };
    let all = [
        Profile::Devel,
        Profile::BuildTools,
        Profile::Monitoring,
        Profile::Controller,
    ];
    let defaults: Vec<bool> = all
        .iter()
        .map(|p| template.profiles().contains(p))
        .collect();
    let chosen = MultiSelect::new()
        .with_prompt("Profiles (space toggles, enter accepts)")
        .items(all.iter().map(|p| p.as_str()))
        .defaults(&defaults)
        .interact()
        .map_err(prompt_error)?;
    let profiles = chosen.into_iter().map(|i| all[i]).collect();
    let user: String = Input::new()
        .with_prompt("User account (empty: none)")
        .default(template.user_name().unwrap_or("").to_owned())
        .allow_empty(true)
        .interact_text()
        .map_err(prompt_error)?;
    let mut answers = HostAnswers::defaults(template, &name);
    answers.nixos_flake = nixos_flake;
    answers.profiles = profiles;
    answers.user_name = (!user.trim().is_empty()).then(|| user.trim().to_owned());
    Ok(answers)
}

/// A local nixos-flake location must hold a flake.nix.
fn check_flake_location(raw: &str) -> std::result::Result<(), String> {
    let path_part = raw.strip_prefix("path:").unwrap_or(raw);
    let local = raw.starts_with("path:") || paths::looks_local(raw);
    if !local {
        return if raw.contains(':') {
            Ok(())
        } else {
            Err("write a flake URL (github:owner/repo) or a local path".into())
        };
    }
    let base = std::env::current_dir().unwrap_or_default();
    match paths::resolve_local(path_part, &base, paths::home_dir().as_deref()) {
        Some(p) if p.join("flake.nix").is_file() => Ok(()),
        Some(p) => Err(format!("{} has no flake.nix", p.display())),
        None => Err("HOME is not set; write an absolute path".into()),
    }
}
