//! `nixgen check`: evaluate configurations with Nix, several at once, and report the verdicts.
//!
//! The targets are flake directories, directories of configurations (`configurations/`, each
//! subdirectory with a `flake.nix`), or a fleet file (its configurations under `--root`). Each
//! flake is evaluated as `nix build` sees it: in a git work tree through `git+file:` (tracked
//! files only, intent-to-add included), elsewhere, or with `--path`, through `path:`. Flakes
//! are evaluated `--jobs` at a time, with a progress bar on a terminal. When all are done the
//! report is written: Nix's own text for each failure, nixgen's diagnostics at the keys of the
//! `host.yaml` beside the flake (see [`crate::check`]), and a summary table on stdout (or JSON
//! with `--json`). Exit 1 when any configuration fails.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::check::{self, Described, Evaluator, NixRun};
use crate::cli::args::CheckArgs;
use crate::cli::{Report, Status};
use crate::diag::{Diagnostic, Failure, Result};
use crate::git::FlakeTree;

/// Runs `nixgen check`.
pub fn run(args: CheckArgs, out: &mut Report) -> Result<Status> {
    let nix =
        check::find_nix(std::env::var_os("PATH").as_deref()).ok_or_else(check::nix_missing)?;
    let overrides = override_pairs(&args.override_input);
    let targets = expand_targets(&args.targets, &args.root)?;
    let jobs = args.jobs.unwrap_or_else(default_jobs).max(1);
    let show_progress = !args.json && std::io::stderr().is_terminal() && targets.len() > 1;
    let progress = if show_progress {
        let bar = indicatif::ProgressBar::new(targets.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} checking [{pos}/{len}] {wide_msg} {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    let settings = Settings {
        nix,
        overrides,
        config: args.config.clone(),
        path_mode: args.path,
    };
    let results = run_all(&targets, jobs, |target| {
        if let Some(bar) = &progress {
            bar.set_message(target.shown.display().to_string());
        }
        let result = check_target(target, &settings);
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        result
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    render(&results, args.json, out)
}

/// What every target is checked with.
struct Settings {
    nix: PathBuf,
    overrides: Vec<(String, String)>,
    config: Option<String>,
    path_mode: bool,
}

/// One flake to evaluate: its directory as the user named it, and resolved.
#[derive(Debug, Clone)]
struct Target {
    shown: PathBuf,
    dir: PathBuf,
}

/// The outcome for one flake.
struct TargetResult {
    target: Target,
    /// The flake could not be evaluated at all (no flake.nix, an untracked flake.nix, a URL
    /// Nix cannot parse, no such configuration).
    setup: Option<Failure>,
    /// Nix failed on the flake itself (listing its configurations).
    flake_failure: Option<NixRun>,
    /// Each configuration's drvPath, or Nix's failure.
    configs: Vec<(String, std::result::Result<String, NixRun>)>,
    /// Successful runs (their warnings are shown once).
    runs: Vec<NixRun>,
    /// The `path:` inputs whose lock was refreshed.
    refresh: Vec<String>,
    /// What git does not track under the flake's directory (git mode).
    tree: Option<FlakeTree>,
}

/// Evaluates `targets`, `jobs` at a time; results in the targets' order.
fn run_all(
    targets: &[Target],
    jobs: usize,
    work: impl Fn(&Target) -> TargetResult + Sync,
) -> Vec<TargetResult> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<TargetResult>>> =
        Mutex::new((0..targets.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(targets.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(target) = targets.get(i) else {
                    break;
                };
                let result = work(target);
                if let Ok(mut slots) = results.lock() {
                    slots[i] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// Configurations evaluated at once by default: one a core, as far as the memory allows (an
/// evaluation of real nixpkgs takes up to 2 GiB).
fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory_jobs = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(cores, |kib| (kib / (2 * 1024 * 1024)).max(1) as usize);
    cores.min(memory_jobs).max(1)
}

/// The flakes the arguments name: directories with a flake.nix, the flakes in the
/// subdirectories of a directory without one, and a fleet file's configurations under `root`.
fn expand_targets(args: &[PathBuf], root: &Path) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    for arg in args {
        if arg.is_file() && arg.file_name() != Some(std::ffi::OsStr::new("flake.nix")) {
            let doc = crate::model::load::read(arg)?;
            if !doc.is_fleet() {
                return Err(Diagnostic::in_file(
                    arg,
                    "this is a host description, not a flake or a fleet",
                )
                .with_help("give the directory of its flake (`nixgen check .`), or a fleet file")
                .into());
            }
            for host in crate::model::load::hosts(&doc)? {
                let shown = root.join(&host.host.host.name);
                targets.push(Target {
                    dir: check::flake_dir(&shown)?,
                    shown,
                });
            }
            continue;
        }
        let looks_like_flake = arg.join("flake.nix").is_file() || arg.is_file();
        if !looks_like_flake && arg.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(arg)
                .map_err(|e| {
                    Diagnostic::in_file(arg, format!("cannot read the directory: {e}")).with_help(
                        "give a flake's directory, a directory of configurations or a fleet file",
                    )
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("flake.nix").is_file())
                .collect();
            found.sort();
            if !found.is_empty() {
                for shown in found {
                    targets.push(Target {
                        dir: check::flake_dir(&shown)?,
                        shown,
                    });
                }
                continue;
            }
        }
        targets.push(Target {
            dir: check::flake_dir(arg)?,
            shown: shown_dir(arg),
        });
    }
    Ok(targets)
}

/// Evaluates one flake: its configurations' names, then each configuration's toplevel.
fn check_target(target: &Target, settings: &Settings) -> TargetResult {
    let mut result = TargetResult {
        target: target.clone(),
        setup: None,
        flake_failure: None,
        configs: Vec::new(),
        runs: Vec::new(),
        refresh: Vec::new(),
        tree: None,
    };
    let tree = if settings.path_mode {
        None
    } else {
        crate::git::flake_tree(&target.dir)
    };
    let url = match &tree {
        Some(tree) => {
            let flake = tree.dir.join("flake.nix");
            if tree.untracked.contains(&flake) {
                result.setup = Some(
                    Diagnostic::in_file(
                        &target.shown.join("flake.nix"),
                        "flake.nix is not tracked by git, so `nix build` does not see it",
                    )
                    .with_help(format!(
                        "run `{}` (or check the directory as it is with --path)",
                        tree.add_command(&[flake])
                    ))
                    .into(),
                );
                return result;
            }
            check::git_flake_url(tree)
        }
        None => check::flake_url(&target.dir),
    };
    result.tree = tree;
    let url = match url {
        Ok(u) => u,
        Err(f) => {
            result.setup = Some(f);
            return result;
        }
    };
    let evaluator = Evaluator {
        nix: settings.nix.clone(),
        flake_url: url,
        refresh: lock_refresh(&target.dir, &settings.overrides),
        overrides: settings.overrides.clone(),
    };
    result.refresh = evaluator.refresh.clone();
    let names = match evaluator.configurations() {
        Err(f) => {
            result.setup = Some(f);
            return result;
        }
        Ok(Err(run)) => {
            result.flake_failure = Some(run);
            return result;
        }
        Ok(Ok((names, run))) => {
            result.runs.push(run);
            names
        }
    };
    let names = match select(names, settings.config.as_deref(), &target.dir) {
        Ok(n) => n,
        Err(f) => {
            result.setup = Some(f);
            return result;
        }
    };
    for name in names {
        match evaluator.toplevel(&name) {
            Err(f) => {
                result.setup = Some(f);
                return result;
            }
            Ok(Ok((drv, run))) => {
                result.runs.push(run);
                result.configs.push((name, Ok(drv)));
            }
            Ok(Err(run)) => result.configs.push((name, Err(run))),
        }
    }
    result
}

/// Writes every verdict: Nix's text and nixgen's diagnostics per failure on stderr, then the
/// summary (a table, or JSON) on stdout.
fn render(results: &[TargetResult], json: bool, out: &mut Report) -> Result<Status> {
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let mut table: Vec<(String, String, String)> = Vec::new();
    let (mut failed, mut total) = (0usize, 0usize);
    let mut seen_warnings: HashSet<String> = HashSet::new();
    for r in results {
        let shown = display(&r.target.shown);
        let described = read_description(&r.target.shown, out);
        let diagnostics_of = |what: &str, config: Option<&str>, run: &NixRun, out: &mut Report| {
            if run.stderr.trim().is_empty() {
                out.say(&format!("error: Nix failed on {what} and printed nothing"));
            } else {
                out.say_raw(&run.stderr);
            }
            let findings = check::findings(&run.stderr);
            let mut mapped = match &described {
                Some(d) => d.map(config, &findings),
                None => Vec::new(),
            };
            mapped.extend(check::generic_advice(&findings));
            mapped.extend(untracked_files_needed(r, &run.stderr));
            out.diagnostics(&mapped);
            mapped
        };
        if let Some(setup) = &r.setup {
            total += 1;
            failed += 1;
            out.diagnostics(&setup.diagnostics);
            table.push(("FAILED".into(), "-".into(), shown.clone()));
            rows.push(serde_json::json!({
                "dir": shown, "configuration": null, "ok": false, "drvPath": null,
                "diagnostics": setup.diagnostics.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
                "nixError": null,
            }));
            continue;
        }
        for run in &r.runs {
            for line in run.stderr.lines() {
                if seen_warnings.insert(line.to_owned()) {
                    out.say(line);
                }
            }
        }
        if let Some(run) = &r.flake_failure {
            total += 1;
            failed += 1;
            let mapped = diagnostics_of("the flake", None, run, out);
            out.say(&format!(
                "nixgen check: the flake in {shown} does not evaluate"
            ));
            table.push(("FAILED".into(), "(the flake)".into(), shown.clone()));
            rows.push(serde_json::json!({
                "dir": shown, "configuration": null, "ok": false, "drvPath": null,
                "diagnostics": mapped.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
                "nixError": run.stderr,
            }));
        }
        for (name, verdict) in &r.configs {
            total += 1;
            match verdict {
                Ok(drv) => {
                    table.push(("ok".into(), name.clone(), drv.clone()));
                    rows.push(serde_json::json!({
                        "dir": shown, "configuration": name, "ok": true, "drvPath": drv,
                        "diagnostics": [], "nixError": null,
                    }));
                }
                Err(run) => {
                    failed += 1;
                    let what = format!("nixosConfigurations.{name}");
                    let mapped = diagnostics_of(&what, Some(name), run, out);
                    table.push(("FAILED".into(), name.clone(), shown.clone()));
                    rows.push(serde_json::json!({
                        "dir": shown, "configuration": name, "ok": false, "drvPath": null,
                        "diagnostics": mapped.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
                        "nixError": run.stderr,
                    }));
                }
            }
        }
        stale_lock_note(r, out);
        untracked_notes(r, out);
    }
    if json {
        out.out_line(
            &serde_json::to_string_pretty(&serde_json::json!({
                "ok": failed == 0, "evaluated": total, "failed": failed, "configurations": rows,
            }))
            .expect("verdicts serialize"),
        );
    } else {
        // One line a configuration: `ok` with its drvPath, `FAILED` with its directory when
        // several flakes were checked.
        let several = results.len() > 1;
        let width = table.iter().map(|(_, n, _)| n.len()).max().unwrap_or(0);
        for (status, name, detail) in &table {
            let name = if name == "-" || name.starts_with('(') {
                name.clone()
            } else {
                format!("nixosConfigurations.{name}")
            };
            let line = if status == "ok" || several {
                format!(
                    "{status:<7} {name:<w$}  {detail}",
                    w = width + "nixosConfigurations.".len()
                )
            } else {
                format!("{status:<7} {name}")
            };
            out.out_line(&line);
        }
    }
    Ok(summary(out, failed, total))
}

/// The flake's directory for messages: `.` for the current one.
fn display(shown: &Path) -> String {
    if shown.as_os_str().is_empty() {
        ".".into()
    } else {
        shown.display().to_string()
    }
}

/// When Nix failed on a file the flake's source lacks and git does not track it, the
/// `git add` that makes `nix build` see it.
fn untracked_files_needed(r: &TargetResult, stderr: &str) -> Vec<Diagnostic> {
    let Some(tree) = &r.tree else {
        return Vec::new();
    };
    tree.untracked
        .iter()
        .filter(|file| {
            let Ok(rel) = file.strip_prefix(&tree.dir) else {
                return false;
            };
            let rel = rel.display().to_string();
            stderr.contains(&format!("-source/{rel}'"))
                || stderr.contains(&format!("-source/{}/{rel}'", tree.dir.display()))
                || stderr.contains(&format!("/{rel}' does not exist"))
                || stderr.contains(&format!("/{rel}': No such file"))
        })
        .map(|file| {
            Diagnostic::error(format!(
                "{} is not tracked by git, so `nix build` does not see it",
                file.display()
            ))
            .with_help(format!(
                "run `{}` (no commit needed)",
                tree.add_command(std::slice::from_ref(file))
            ))
        })
        .collect()
}

/// Untracked Nix files under a flake that evaluated: `nix build` would not see them either.
fn untracked_notes(r: &TargetResult, out: &mut Report) {
    let Some(tree) = &r.tree else {
        return;
    };
    let nix_files: Vec<PathBuf> = tree
        .untracked
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "nix"))
        .cloned()
        .collect();
    if nix_files.is_empty() {
        return;
    }
    let names: Vec<String> = nix_files.iter().map(|f| f.display().to_string()).collect();
    out.say(&format!(
        "note: {} not tracked by git: Nix (and this check) does not see {}; if the configuration needs {}, run `{}`",
        names.join(", "),
        if names.len() == 1 { "it" } else { "them" },
        if names.len() == 1 { "it" } else { "them" },
        tree.add_command(&nix_files)
    ));
}

/// Says which `path:` inputs the lock pinned at an older copy (the check read the
/// directories as they are now).
fn stale_lock_note(r: &TargetResult, out: &mut Report) {
    let mut stale: Vec<&String> = Vec::new();
    for run in r
        .runs
        .iter()
        .chain(r.flake_failure.iter())
        .chain(r.configs.iter().filter_map(|(_, v)| v.as_ref().err()))
    {
        for input in &run.updated_inputs {
            if r.refresh.contains(input) && !stale.contains(&input) {
                stale.push(input);
            }
        }
    }
    if stale.is_empty() {
        return;
    }
    let names: Vec<String> = stale.iter().map(|s| format!("`{s}`")).collect();
    let flags: Vec<String> = stale
        .iter()
        .map(|s| format!("--update-input {s}"))
        .collect();
    out.say(&format!(
        "note: {}: flake.lock pins an older copy of {}; nixgen check evaluated the directory as it is now (`nix flake lock {}` updates the lock)",
        display(&r.target.shown),
        names.join(", "),
        flags.join(" ")
    ));
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
