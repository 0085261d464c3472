//! `nixgen overlay add|remove|list`.

use crate::cli::args::{OverlayAddArgs, OverlayCommand, OverlayListArgs, OverlayRemoveArgs};
use crate::cli::output::Reporter;
use crate::cli::{Report, Status};
use crate::diag::{Diagnostic, Failure, Result};
use crate::edit::flake::EntrySource;
use crate::edit::overlay;
use crate::generate::OverlayEntry;
use crate::model::validate::{check_overlay, ResolvedOverlay, Rules};
use crate::model::{paths, GitHubSource, GitSource, Overlay, OverlaySource};
use std::path::{Path, PathBuf};

/// Runs `overlay add`, `remove` or `list`.
pub fn run(cmd: OverlayCommand, report: &mut Report) -> Result<Status> {
    match cmd {
        OverlayCommand::Add(args) => add(args, report),
        OverlayCommand::Remove(args) => remove(args, report),
        OverlayCommand::List(args) => list(args, report),
    }
}

fn read_flake(path: &std::path::Path) -> Result<String> {
    crate::cli::output::read_existing(path)?.ok_or_else(|| {
        Diagnostic::in_file(path, "the file does not exist")
            .with_help("point --flake at an existing flake.nix, or create one with `nixgen init`")
            .into()
    })
}

/// The flag that set a field of the overlay (for violations found by the shared rules).
fn flag_of(path: &[String]) -> &'static str {
    match path
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [_, _, "src", ..] => "--src",
        [_, _, "input", ..] => "--input",
        [_, _, "github", "rev" | "hash"] | [_, _, "git", "rev" | "hash"]
            if path.last().is_some_and(|l| l == "rev") =>
        {
            "--rev"
        }
        [_, _, _, "hash"] => "--hash",
        [_, _, "github", ..] => "--github",
        [_, _, "git", ..] => "--git",
        _ => "PKG",
    }
}

/// `overlay add`'s flags as the overlay a host description would have, checked by the same
/// rules as the YAML (`model::validate::check_overlay`).
fn overlay_from_flags(args: &OverlayAddArgs, report: &mut Report) -> Result<ResolvedOverlay> {
    let mut problems: Vec<Diagnostic> = Vec::new();
    let flags = [
        ("PKG", Some(&args.package)),
        ("--src", args.src.as_ref()),
        ("--github", args.github.as_ref()),
        ("--git", args.git.as_ref()),
        ("--rev", args.rev.as_ref()),
        ("--hash", args.hash.as_ref()),
        ("--input", args.input.as_ref()),
    ];
    for (flag, value) in flags {
        if value.is_some_and(|v| v.contains('\0')) {
            problems.push(
                Diagnostic::error(format!("{flag}: the value contains a NUL byte"))
                    .with_help("Nix strings cannot hold NUL; remove it"),
            );
        }
    }
    if args.src.is_some() && (args.rev.is_some() || args.hash.is_some()) {
        problems.push(
            Diagnostic::error("--rev and --hash do not apply to --src").with_help(
                "a local checkout is used as it is; pin a commit with --github or --git",
            ),
        );
    }
    if args.src.is_none() && args.rev.is_none() {
        problems.push(
            Diagnostic::error("--rev is needed with --github and --git")
                .with_help("give the commit with --rev (and --hash, or leave it out to get it from the first build)"),
        );
    }
    let rev = args.rev.clone().unwrap_or_default();
    let hash = args.hash.clone().unwrap_or_default();
    let github = match &args.github {
        Some(repo) => match repo
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
        {
            Some((owner, name)) => Some(GitHubSource {
                owner: owner.into(),
                repo: name.into(),
                rev: rev.clone(),
                hash: hash.clone(),
            }),
            None => {
                problems.push(
                    Diagnostic::error(format!("--github: `{repo}` is not OWNER/REPO"))
                        .with_help("write it like `damonitor/damo`"),
                );
                None
            }
        },
        None => None,
    };
    if !problems.is_empty() {
        return Err(Failure::new(problems));
    }
    let overlay = Overlay {
        src: args.src.clone(),
        input: args.input.clone(),
        github,
        git: args.git.clone().map(|url| GitSource {
            url,
            rev: rev.clone(),
            hash: hash.clone(),
        }),
        clear_patches: args.clear_patches,
    };
    let mut rules = Rules::default();
    let base = std::env::current_dir().unwrap_or_default();
    let resolved = check_overlay(
        &mut rules,
        &args.package,
        &overlay,
        &base,
        paths::home_dir().as_deref(),
    );
    let mut errors = Vec::new();
    for v in &rules.violations {
        let d = Diagnostic::error(format!("{}: {}", flag_of(&v.path), v.message))
            .with_help(v.help.clone());
        if v.warning {
            report.diagnostics(&[d.warning()]);
        } else {
            errors.push(d);
        }
    }
    match resolved {
        Some(r) if errors.is_empty() => Ok(r),
        _ => Err(Failure::new(errors)),
    }
}

fn add(args: OverlayAddArgs, report: &mut Report) -> Result<Status> {
    let resolved = overlay_from_flags(&args, report)?;
    let entry = OverlayEntry::new(&resolved);
    let input_source = match &resolved.source {
        OverlaySource::Input { source, .. } => Some(source.clone()),
        _ => None,
    };
    let request = overlay::request_for(
        &args.package,
        entry.source,
        input_source,
        args.clear_patches,
    );
    let path = &args.target.flake;
    // Held from reading the flake to writing it: a concurrent nixgen waits its turn.
    let _lock = crate::fsio::lock_dir_of(path)?;
    let text = read_flake(path)?;
    let edited = overlay::add(path, &text, args.target.config.as_deref(), &request)?;
    report.diagnostics(&edited.notes);
    let yaml_value = yaml_overlay(&args, &resolved);
    let host = host_yaml_edit(path, args.target.config.as_deref(), report, |yaml| {
        crate::yaml::edit::set_entry(yaml, "overlays", &args.package, &yaml_value)
    })?;
    write_edited(args.write, report, path, &text, &edited, host)
}

/// Writes the flake, the module files that changed with it, and host.yaml.
fn write_edited(
    flags: crate::cli::args::WriteFlags,
    report: &mut Report,
    path: &Path,
    text: &str,
    edited: &crate::edit::Edited,
    host: Option<(PathBuf, String, String)>,
) -> Result<Status> {
    let mut reporter = Reporter::new(flags, false);
    reporter.file(report, path, Some(text), &edited.text)?;
    for m in &edited.module_files {
        reporter.file(report, &m.path, Some(&m.old), &m.new)?;
    }
    if let Some((host_path, old, new)) = host {
        reporter.file(report, &host_path, Some(&old), &new)?;
    }
    Ok(reporter.finish(report))
}

/// The overlay as host.yaml writes it, inline: `{ src: ~/src/fio, clearPatches: true }`.
fn yaml_overlay(args: &OverlayAddArgs, resolved: &ResolvedOverlay) -> String {
    use crate::yaml::emit::scalar;
    let mut fields: Vec<String> = Vec::new();
    match &resolved.source {
        OverlaySource::Input { source, .. } => {
            let src = args.src.as_deref().unwrap_or_default();
            // `~` and flake references stay as typed; other paths are written absolute (the
            // user's relative path was relative to where they ran the command).
            let written = if src.starts_with('~')
                || src.starts_with("$HOME")
                || crate::model::validate::is_flake_ref(src)
            {
                src.to_owned()
            } else {
                source.display().to_owned()
            };
            fields.push(format!("src: {}", scalar(&written)));
            if let Some(input) = &args.input {
                fields.push(format!("input: {}", scalar(input)));
            }
        }
        OverlaySource::GitHub {
            owner,
            repo,
            rev,
            hash,
        } => fields.push(format!(
            "github: {{ owner: {}, repo: {}, rev: {}, hash: {} }}",
            scalar(owner),
            scalar(repo),
            scalar(rev),
            scalar(hash)
        )),
        OverlaySource::Git { url, rev, hash } => fields.push(format!(
            "git: {{ url: {}, rev: {}, hash: {} }}",
            scalar(url),
            scalar(rev),
            scalar(hash)
        )),
    }
    if args.clear_patches {
        fields.push("clearPatches: true".into());
    }
    format!("{{ {} }}", fields.join(", "))
}

/// The edit of the host.yaml beside `flake` that keeps it in agreement with an overlay
/// command: `(path, old, new)`, or `None` when there is no host.yaml for this configuration
/// (or nothing changes). A host.yaml the line editor cannot change, or that would not
/// validate after the change, is left alone with a warning saying what to add by hand.
fn host_yaml_edit(
    flake: &std::path::Path,
    config: Option<&str>,
    report: &mut Report,
    edit: impl FnOnce(&str) -> Option<String>,
) -> Result<Option<(std::path::PathBuf, String, String)>> {
    let host_path = crate::fsio::dir_of(flake).join("host.yaml");
    let Some(old) = crate::cli::output::read_existing(&host_path)? else {
        return Ok(None);
    };
    // Only a host description of this configuration (a fleet is edited through scaffold).
    let Ok(doc) = crate::model::load::parse(&host_path, old.clone().into_bytes()) else {
        return Ok(None);
    };
    if doc.is_fleet() {
        return Ok(None);
    }
    let name = doc.root.get("name").and_then(crate::yaml::Node::as_str);
    if config.is_some_and(|c| Some(c) != name) {
        return Ok(None);
    }
    let warn = |report: &mut Report, why: &str| {
        report.diagnostics(&[Diagnostic::in_file(&host_path, format!("host.yaml was not updated: {why}"))
            .with_help("change `overlays` in host.yaml to match flake.nix yourself, or the next `nixgen generate --prune` undoes this edit")
            .warning()]);
    };
    let Some(new) = edit(&old) else {
        warn(
            report,
            "its `overlays` is written in a style nixgen does not edit",
        );
        return Ok(None);
    };
    if new == old {
        return Ok(None);
    }
    let valid = crate::model::load::parse(&host_path, new.clone().into_bytes())
        .and_then(|doc| crate::model::load::hosts(&doc).map(|_| ()));
    if let Err(failure) = valid {
        report.diagnostics(&failure.diagnostics);
        warn(report, "the change would not validate");
        return Ok(None);
    }
    Ok(Some((host_path, old, new)))
}

fn remove(args: OverlayRemoveArgs, report: &mut Report) -> Result<Status> {
    let path = &args.target.flake;
    let _lock = crate::fsio::lock_dir_of(path)?;
    let text = read_flake(path)?;
    let edited = overlay::remove(path, &text, args.target.config.as_deref(), &args.package)?;
    if edited.text == text && edited.module_files.is_empty() {
        report.say(&format!(
            "{} has no overlay for `{}`: nothing to remove",
            path.display(),
            args.package
        ));
    }
    let host = host_yaml_edit(path, args.target.config.as_deref(), report, |yaml| {
        crate::yaml::edit::remove_entry(yaml, "overlays", &args.package)
    })?;
    write_edited(args.write, report, path, &text, &edited, host)
}

fn list(args: OverlayListArgs, report: &mut Report) -> Result<Status> {
    let path = &args.target.flake;
    let text = read_flake(path)?;
    let rows = overlay::list(path, &text, args.target.config.as_deref())?;
    if args.json {
        report.out_line(&serde_json::to_string_pretty(&rows).expect("rows serialize"));
        return Ok(Status::Success);
    }
    if rows.is_empty() {
        report.say(&format!("{}: no overlays", path.display()));
        return Ok(Status::Success);
    }
    let several = rows.iter().any(|r| r.config != rows[0].config);
    for r in &rows {
        let source = match &r.source {
            EntrySource::Input { input, url } => match url {
                Some(u) => format!("input {input} ({u})"),
                None => format!("input {input}"),
            },
            EntrySource::Github { owner, repo, rev } => format!("github {owner}/{repo} @ {rev}"),
            EntrySource::Git { url, rev } => format!("git {url} @ {rev}"),
            EntrySource::Other { expr } => format!(
                "src = {}",
                expr.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
            EntrySource::None => "no src override".to_owned(),
        };
        let config = if several {
            format!("{}: ", r.config)
        } else {
            String::new()
        };
        let patches = if r.clear_patches {
            ", patches cleared"
        } else {
            ""
        };
        let place = match &r.file {
            Some(file) => format!("{file}:{}", r.line),
            None => format!("{}:{}", path.display(), r.line),
        };
        report.out_line(&format!(
            "{config}{}\t{source}{patches}\t({place})",
            r.package
        ));
    }
    Ok(Status::Success)
}
