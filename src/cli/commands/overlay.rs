//! `nixgen overlay add|remove|list`.

use crate::cli::args::{OverlayAddArgs, OverlayCommand, OverlayListArgs, OverlayRemoveArgs};
use crate::cli::output::Reporter;
use crate::cli::{Report, Status};
use crate::diag::{Diagnostic, Result};
use crate::edit::flake::EntrySource;
use crate::edit::overlay;
use crate::generate::SourceExpr;
use crate::model::paths;
use crate::nix::escape::is_identifier;

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

fn add(args: OverlayAddArgs, report: &mut Report) -> Result<Status> {
    let pkg = &args.package;
    if !is_identifier(pkg) {
        return Err(
            Diagnostic::error(format!("`{pkg}` is not a package attribute name"))
                .with_help("use the package's attribute name in nixpkgs, such as `fio`")
                .into(),
        );
    }
    let need = |flag: &str, value: &Option<String>| -> Result<String> {
        value.clone().ok_or_else(|| {
            Diagnostic::error(format!("{flag} is needed with this source"))
                .with_help("give the commit with --rev (and --hash, or leave it out to get it from the first build)")
                .into()
        })
    };
    let hash = args.hash.clone().unwrap_or_default();
    let (source, url) = if let Some(src) = &args.src {
        let name = args.input.clone().unwrap_or_else(|| format!("{pkg}-src"));
        if !is_identifier(&name) || ["self", "nixpkgs", "nixos-flake"].contains(&name.as_str()) {
            return Err(
                Diagnostic::error(format!("`{name}` cannot be the input's name"))
                    .with_help("choose a valid Nix identifier such as `<package>-src` with --input")
                    .into(),
            );
        }
        let base = std::env::current_dir().unwrap_or_default();
        let abs =
            paths::resolve_local(src, &base, paths::home_dir().as_deref()).ok_or_else(|| {
                Diagnostic::error("`~` or `$HOME` is used but HOME is not set")
                    .with_help("write an absolute path")
            })?;
        if !abs.exists() {
            report.say(&format!(
                "warning: {} does not exist; Nix will fail until the checkout is there",
                abs.display()
            ));
        }
        (
            SourceExpr::Input(name),
            Some(format!("path:{}", abs.display())),
        )
    } else if let Some(repo) = &args.github {
        let (owner, name) = repo
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| {
                Diagnostic::error(format!("`{repo}` is not OWNER/REPO"))
                    .with_help("write it like `damonitor/damo`")
            })?;
        let rev = need("--rev", &args.rev)?;
        (
            SourceExpr::Fetch {
                fetcher: "fetchFromGitHub",
                fields: vec![
                    ("owner", owner.into()),
                    ("repo", name.into()),
                    ("rev", rev),
                    ("hash", hash),
                ],
            },
            None,
        )
    } else {
        let url = args.git.clone().expect("clap requires a source");
        let rev = need("--rev", &args.rev)?;
        (
            SourceExpr::Fetch {
                fetcher: "fetchgit",
                fields: vec![("url", url), ("rev", rev), ("hash", hash)],
            },
            None,
        )
    };
    if args.input.is_some() && args.src.is_none() {
        return Err(Diagnostic::error("--input only applies to --src")
            .with_help("--github and --git sources are fetched in the overlay")
            .into());
    }
    let request = overlay::request_for(pkg, source, url, args.clear_patches);
    let path = &args.target.flake;
    let text = read_flake(path)?;
    let new = overlay::add(path, &text, args.target.config.as_deref(), &request)?;
    let mut reporter = Reporter::new(args.write, false);
    reporter.file(report, path, Some(&text), &new)?;
    Ok(reporter.finish(report))
}

fn remove(args: OverlayRemoveArgs, report: &mut Report) -> Result<Status> {
    let path = &args.target.flake;
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
