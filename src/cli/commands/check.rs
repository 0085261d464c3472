//! `nixgen check`: evaluate each configuration's toplevel with Nix and report the verdict.
//!
//! The verdict of each configuration goes to stdout (`ok` with its drvPath, or `FAILED`);
//! Nix's own error text goes to stderr as Nix printed it, followed by nixgen's diagnostics at
//! the keys of the `host.yaml` beside the flake (see [`crate::check`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::check::{self, Described, Evaluator, NixRun};
use crate::cli::args::CheckArgs;
use crate::cli::{Report, Status};
use crate::diag::{Diagnostic, Result};

/// Evaluates the configurations of the flake in `args.dir`.
pub fn run(args: CheckArgs, out: &mut Report) -> Result<Status> {
    let nix =
        check::find_nix(std::env::var_os("PATH").as_deref()).ok_or_else(check::nix_missing)?;
    let dir = check::flake_dir(&args.dir)?;
    let overrides = override_pairs(&args.override_input);
    let evaluator = Evaluator {
        nix,
        flake_url: check::flake_url(&dir)?,
        refresh: lock_refresh(&dir, &overrides),
        overrides,
    };
    let described = read_description(&shown_dir(&args.dir), out);
    let mut report = Verdicts {
        out,
        described,
        seen_warnings: HashSet::new(),
        updated: Vec::new(),
    };
    let names = match evaluator.configurations()? {
        Ok((names, run)) => {
            report.note_run(&run);
            names
        }
        Err(run) => {
            report.out.out_line(&format!(
                "FAILED  {} (the flake itself)",
                evaluator.flake_url
            ));
            report.failure("the flake", None, &run);
            report.finish_notes(&evaluator);
            report.out.say("nixgen check: the flake does not evaluate");
            return Ok(Status::Failed);
        }
    };
    let names = select(names, args.config.as_deref(), &dir)?;
    let mut failed = 0;
    for name in &names {
        match evaluator.toplevel(name)? {
            Ok((drv, run)) => {
                report.note_run(&run);
                report
                    .out
                    .out_line(&format!("ok      nixosConfigurations.{name}  {drv}"));
            }
            Err(run) => {
                failed += 1;
                report
                    .out
                    .out_line(&format!("FAILED  nixosConfigurations.{name}"));
                report.failure(&format!("nixosConfigurations.{name}"), Some(name), &run);
            }
        }
    }
    report.finish_notes(&evaluator);
    Ok(summary(report.out, failed, names.len()))
}

/// The closing line, and the status: exit 1 when any configuration failed.
fn summary(out: &mut Report, failed: usize, total: usize) -> Status {
    let plural = |n: usize| {
        if n == 1 {
            "configuration"
        } else {
            "configurations"
        }
    };
    if failed == 0 {
        out.say(&format!(
            "nixgen check: {total} {} evaluate{} with Nix",
            plural(total),
            if total == 1 { "s" } else { "" }
        ));
        Status::Success
    } else {
        out.say(&format!(
            "nixgen check: {failed} of {total} {} failed to evaluate",
            plural(total)
        ));
        Status::Failed
    }
}

/// `--override-input` words as (input, url) pairs (clap guarantees they come in twos).
fn override_pairs(words: &[String]) -> Vec<(String, String)> {
    words
        .chunks(2)
        .filter_map(|c| match c {
            [input, url] => Some((input.clone(), url.clone())),
            _ => None,
        })
        .collect()
}

/// The `path:` inputs of `flake.lock` to re-read from disk, except those the user overrides
/// (an override replaces the lock entry anyway).
fn lock_refresh(dir: &Path, overrides: &[(String, String)]) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("flake.lock")) else {
        return Vec::new();
    };
    check::path_inputs_in_lock(&text)
        .into_iter()
        .filter(|input| !overrides.iter().any(|(o, _)| o == input))
        .collect()
}

/// The directory as the user wrote it (the parent when they named `flake.nix`), so that
/// diagnostics show the host.yaml path relative to where they are.
fn shown_dir(dir: &Path) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::new()
    } else if dir.file_name() == Some(std::ffi::OsStr::new("flake.nix")) && dir.is_file() {
        match dir.parent() {
            Some(p) => p.to_path_buf(),
            None => PathBuf::new(),
        }
    } else {
        dir.to_path_buf()
    }
}

/// The host description beside the flake; an unreadable one only costs the mapping, so its
/// problems are warnings here (`nixgen validate` reports them as errors).
fn read_description(dir: &Path, out: &mut Report) -> Option<Described> {
    match check::describe(dir) {
        Ok(d) => d,
        Err(failure) => {
            let warnings: Vec<Diagnostic> = failure
                .diagnostics
                .into_iter()
                .map(|d| {
                    d.with_help(
                        "host.yaml cannot be read, so Nix's errors are not mapped to its keys",
                    )
                    .warning()
                })
                .collect();
            out.diagnostics(&warnings);
            None
        }
    }
}

/// The configurations to evaluate: all, or the one `--config` names.
fn select(names: Vec<String>, wanted: Option<&str>, dir: &Path) -> Result<Vec<String>> {
    let flake = dir.join("flake.nix");
    if names.is_empty() {
        return Err(
            Diagnostic::in_file(&flake, "the flake has no nixosConfigurations")
                .with_help("`nixgen generate` writes one from host.yaml")
                .into(),
        );
    }
    let Some(wanted) = wanted else {
        return Ok(names);
    };
    if names.iter().any(|n| n == wanted) {
        return Ok(vec![wanted.to_owned()]);
    }
    Err(
        Diagnostic::in_file(&flake, format!("the flake has no configuration `{wanted}`"))
            .with_help(format!("it has: {}", names.join(", ")))
            .into(),
    )
}

/// What is said along the way: Nix's warnings once each, failures with their mapping,
/// and which stale `path:` inputs were re-read.
struct Verdicts<'r> {
    out: &'r mut Report,
    described: Option<Described>,
    seen_warnings: HashSet<String>,
    updated: Vec<String>,
}

impl Verdicts<'_> {
    /// A successful run: show Nix's warnings (once, not once per configuration).
    fn note_run(&mut self, run: &NixRun) {
        for line in run.stderr.lines() {
            if self.seen_warnings.insert(line.to_owned()) {
                self.out.say(line);
            }
        }
        self.remember_updates(run);
    }

    fn remember_updates(&mut self, run: &NixRun) {
        for input in &run.updated_inputs {
            if !self.updated.contains(input) {
                self.updated.push(input.clone());
            }
        }
    }

    /// Nix's text first, exactly as Nix printed it, then nixgen's diagnostics.
    fn failure(&mut self, what: &str, config: Option<&str>, run: &NixRun) {
        self.remember_updates(run);
        if run.stderr.trim().is_empty() {
            self.out
                .say(&format!("error: Nix failed on {what} and printed nothing"));
        } else {
            self.out.say_raw(&run.stderr);
        }
        let findings = check::findings(&run.stderr);
        let mut mapped = match &self.described {
            Some(d) => d.map(config, &findings),
            None => Vec::new(),
        };
        mapped.extend(check::generic_advice(&findings));
        self.out.diagnostics(&mapped);
    }

    /// Says which `path:` inputs the lock pinned at an older copy (the check read the
    /// directories as they are now).
    fn finish_notes(&mut self, evaluator: &Evaluator) {
        let stale: Vec<&String> = self
            .updated
            .iter()
            .filter(|u| evaluator.refresh.contains(u))
            .collect();
        if stale.is_empty() {
            return;
        }
        let names: Vec<String> = stale.iter().map(|s| format!("`{s}`")).collect();
        let flags: Vec<String> = stale
            .iter()
            .map(|s| format!("--update-input {s}"))
            .collect();
        self.out.say(&format!(
            "note: flake.lock pins an older copy of {}; nixgen check evaluated the directory as it is now (`nix flake lock {}` updates the lock)",
            names.join(", "),
            flags.join(" ")
        ));
    }
}
