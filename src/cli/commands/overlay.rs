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
    let new = overlay::add(path, &text, args.target.config.as_deref(), &request)?;
    let mut reporter = Reporter::new(args.write, false);
    reporter.file(report, path, Some(&text), &new)?;
    Ok(reporter.finish(report))
}

fn remove(args: OverlayRemoveArgs, report: &mut Report) -> Result<Status> {
    let path = &args.target.flake;
    let _lock = crate::fsio::lock_dir_of(path)?;
    let text = read_flake(path)?;
    let new = overlay::remove(path, &text, args.target.config.as_deref(), &args.package)?;
    if new == text {
        report.say(&format!(
            "{} has no overlay for `{}`: nothing to remove",
            path.display(),
            args.package
        ));
    }
    let mut reporter = Reporter::new(args.write, false);
    reporter.file(report, path, Some(&text), &new)?;
    Ok(reporter.finish(report))
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
        report.out_line(&format!(
            "{config}{}\t{source}{patches}\t(line {})",
            r.package, r.line
        ));
    }
    Ok(Status::Success)
}
