//! `nixgen init`: a new host description and its flake from a template.
//!
//! Values come from the command line, then (with `--interactive`, and only when both stdin
//! and stderr are terminals) from dialoguer prompts for what is still missing, then from the
//! template's defaults, so that pressing Enter at every prompt gives a configuration that
//! `nixgen validate` and `nixgen generate` accept. A local nixos-flake location is stored as
//! an absolute `path:` URL (Nix expands neither `~` nor relative paths), checked to hold a
//! flake.nix. The next steps printed at the end include the exact git commands still needed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::cli::args::InitArgs;
use crate::cli::output::Reporter;
use crate::cli::Report;
use crate::cli::Status;
use crate::diag::{Diagnostic, Result};
use crate::generate::{self, plan_for};
use crate::model::validate::{is_config_name, is_user_name};
use crate::model::{load, paths, Profile, DEFAULT_NIXOS_FLAKE};
use crate::templates::{self, HostAnswers, Template};

/// The configuration name a directory suggests: its own name when usable, else `vm`.
fn default_name(dir: &Path) -> String {
    let base = std::path::absolute(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if is_config_name(&base) {
        base
    } else {
        "vm".to_owned()
    }
}

pub fn run(args: InitArgs, report: &mut Report) -> Result<Status> {
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
        report.say("note: --interactive needs a terminal; using defaults for what is missing");
    }
    let answers = if interactive {
        ask(&args, report)?
    } else {
        let template = args.template.unwrap_or(Template::Imageless);
        let mut a = HostAnswers::defaults(
            template,
            &args.name.clone().unwrap_or_else(|| default_name(&args.dir)),
        );
        if let Some(raw) = &args.nixos_flake {
            a.nixos_flake = flake_location_from_flag(raw, report)?;
        }
        a
    };

    let yaml_text = templates::host_yaml(&answers);
    // The new flake comes from the same path as `generate`: parse what we are about to write.
    let doc = load::parse(&yaml_path, yaml_text.clone().into_bytes())?;
    let hosts = load::hosts(&doc)?;
    let host = &hosts[0];
    report.diagnostics(&host.warnings);
    let home = paths::home_dir()
        .map(|h| h.display().to_string())
        .unwrap_or_else(|| "/home/user".into());
    let flake_text = generate::emit(&plan_for(&host.host), &templates::flake_examples(&home))
        .map_err(|e| {
            Diagnostic::error(format!("internal error: the template does not parse: {e}"))
                .with_help("please report this with the command line; nothing was written")
        })?;

    let mut reporter = Reporter::new(args.write, !args.no_git);
    // Compare with what is there (with --force, --dry-run or --check the files may exist), so
    // an identical rerun is up to date rather than "created" or "out of date (missing)".
    let _lock = crate::fsio::lock_dir_of(&yaml_path)?;
    let old_yaml = crate::cli::output::read_existing(&yaml_path)?;
    let old_flake = crate::cli::output::read_existing(&flake_path)?;
    reporter.file(report, &yaml_path, old_yaml.as_deref(), &yaml_text)?;
    reporter.file(report, &flake_path, old_flake.as_deref(), &flake_text)?;
    let read_only = reporter.is_read_only();
    let (status, pending) = reporter.finish_git(report);
    if !read_only {
        let output = plan_for(&host.host).configurations[0].output.name();
        report.say_raw(&next_steps(&args.dir, output, &pending));
    }
    Ok(status)
}

/// The commands that take a new configuration to its first build.
fn next_steps(dir: &Path, output: &str, pending: &[crate::git::Pending]) -> String {
    let mut steps: Vec<(String, String)> = Vec::new();
    if dir != Path::new(".") {
        steps.push((format!("cd {}", dir.display()), String::new()));
    }
    steps.push((
        "$EDITOR host.yaml".into(),
        "describe the host (`nixgen explain KEY` shows what a key becomes)".into(),
    ));
    steps.push((
        "nixgen generate".into(),
        "bring flake.nix in line with host.yaml".into(),
    ));
    for p in pending {
        // Each pending entry is about the directory just entered.
        let why = match &p.reason {
            crate::git::Reason::Ignored(top) => format!(
                "a repository of its own: the one at {} ignores this directory",
                top.display()
            ),
            _ => "flakes only see files git tracks".into(),
        };
        steps.push((p.command(true), why));
    }
    let (build, note) = build_step(output);
    steps.push((format!("{build} .#{output}"), String::new()));
    if let Some(note) = note {
        steps.push((note, String::new()));
    }
    let width = steps
        .iter()
        .filter(|(_, why)| !why.is_empty())
        .map(|(cmd, _)| cmd.len())
        .max()
        .unwrap_or(0);
    let mut text = String::from("\nnext steps:\n");
    for (cmd, why) in &steps {
        if why.is_empty() {
            text.push_str(&format!("  {cmd}\n"));
        } else {
            text.push_str(&format!("  {cmd:<width$}   # {why}\n"));
        }
    }
    text
}

/// The `nix build` words that work with the Nix on this machine, and a note on how to make
/// the plain command work: Debian's Nix has flakes disabled, and no Nix at all needs saying.
pub fn build_step(output: &str) -> (String, Option<String>) {
    if crate::check::find_nix(std::env::var_os("PATH").as_deref()).is_none() {
        return (
            "nix --extra-experimental-features 'nix-command flakes' build".into(),
            Some(
                "# Nix is not installed: apt-get install -y nix-bin (Debian), then `nixgen doctor`"
                    .into(),
            ),
        );
    }
    // Read from nix.conf, not asked of Nix: starting Nix twice would cost more than the rest
    // of `generate` (`nixgen doctor` asks Nix itself).
    if crate::check::flakes_enabled_in_config() {
        return ("nix build".into(), None);
    }
    (
        "nix --extra-experimental-features 'nix-command flakes' build".into(),
        Some(format!(
            "# flakes are not enabled in nix.conf; to type plain `nix build .#{output}`, add `{}` to ~/.config/nix/nix.conf",
            crate::check::FLAKES_CONF_LINE
        )),
    )
}

/// Asks, on a terminal, for what the command line left out. Enter accepts every default.
fn ask(args: &InitArgs, report: &mut Report) -> Result<HostAnswers> {
    use dialoguer::{Input, MultiSelect, Select};
    let prompt_error = |e: dialoguer::Error| {
        let dialoguer::Error::IO(io) = &e;
        if io.kind() == std::io::ErrorKind::Interrupted {
            Diagnostic::error("cancelled; nothing was written")
                .with_help("run `nixgen init --interactive` again, or give the values as options (`nixgen init --help`)")
        } else {
            Diagnostic::error(format!("the prompt failed: {e}; nothing was written"))
                .with_help("give the values as options instead (`nixgen init --help`); without --interactive, defaults fill in the rest")
        }
    };

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
                if is_config_name(s) {
                    Ok(())
                } else {
                    Err("letters, digits, `_` and `-`, starting with a letter".into())
                }
            })
            .interact_text()
            .map_err(prompt_error)?,
    };
    let nixos_flake = match &args.nixos_flake {
        Some(raw) => flake_location_from_flag(raw, report)?,
        None => {
            let raw = Input::<String>::new()
                .with_prompt("nixos-flake (URL or local checkout)")
                .default(DEFAULT_NIXOS_FLAKE.to_owned())
                .validate_with(|s: &String| -> std::result::Result<(), String> {
                    let url = flake_location(s)?;
                    match missing_flake_nix(&url) {
                        Some(problem) => Err(problem),
                        None => Ok(()),
                    }
                })
                .interact_text()
                .map_err(prompt_error)?;
            flake_location(&raw).map_err(|e| {
                Diagnostic::error(e).with_help("run `nixgen init` again with --nixos-flake URL")
            })?
        }
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
        .validate_with(|s: &String| -> std::result::Result<(), String> {
            let s = s.trim();
            if s.is_empty() || is_user_name(s) {
                Ok(())
            } else {
                Err("lower-case letters, digits, `_` and `-`, starting with a letter or `_`, at most 32 characters".into())
            }
        })
        .interact_text()
        .map_err(prompt_error)?;
    let mut answers = HostAnswers::defaults(template, &name);
    answers.nixos_flake = nixos_flake;
    answers.profiles = profiles;
    answers.user_name = (!user.trim().is_empty()).then(|| user.trim().to_owned());
    Ok(answers)
}

/// The `nixosFlake` URL for what the user wrote: a flake URL as is, a local checkout (`~/src/
/// nixos-flake`, `../nixos-flake`, `path:~/x`, or an existing directory's name) as an
/// absolute `path:` URL resolved against the current directory, because `path:` expands
/// neither `~` nor `$HOME`, and a relative path would later be read against host.yaml's
/// directory instead.
fn flake_location(raw: &str) -> std::result::Result<String, String> {
    let raw = raw.trim();
    let path_part = match raw.strip_prefix("path:") {
        Some(rest) => rest,
        None if paths::looks_local(raw) => raw,
        None if !raw.contains(':') && Path::new(raw).is_dir() => raw,
        None if raw.contains(':') => return Ok(raw.to_owned()),
        None => {
            return Err(format!(
                "`{raw}` is not a flake URL or a directory (try github:owner/repo or ~/src/nixos-flake)"
            ))
        }
    };
    let cut = path_part.find(['?', '#']).unwrap_or(path_part.len());
    let (path, rest) = path_part.split_at(cut);
    let base =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    match paths::resolve_local(path, &base, paths::home_dir().as_deref()) {
        Some(abs) => Ok(format!("path:{}{rest}", abs.display())),
        None => Err("`~` or `$HOME` is used but HOME is not set: write an absolute path".into()),
    }
}

/// For a local `path:` URL, what is wrong when it holds no flake.nix.
fn missing_flake_nix(url: &str) -> Option<String> {
    let path = url.strip_prefix("path:")?;
    let path = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    let dir = Path::new(path);
    if dir.join("flake.nix").is_file() {
        None
    } else if dir.is_dir() {
        Some(format!(
            "{path} has no flake.nix: point at the nixos-flake checkout's top directory"
        ))
    } else {
        Some(format!(
            "{path} does not exist: clone nixos-flake there first, or give another path"
        ))
    }
}

/// `--nixos-flake` from the command line: made into a URL like a prompt answer, with a
/// warning (not an error: the checkout may come later) when a local path has no flake.nix.
fn flake_location_from_flag(raw: &str, report: &mut Report) -> Result<String> {
    let url = flake_location(raw).map_err(|e| {
        Diagnostic::error(format!("--nixos-flake: {e}"))
            .with_help("nixos-flake's URL is github:linux-kdevops/nixos-flake; a local checkout is written as its path")
    })?;
    if let Some(problem) = missing_flake_nix(&url) {
        report.say(&format!(
            "warning: --nixos-flake: {problem}; Nix will fail until it is there"
        ));
    }
    Ok(url)
}
