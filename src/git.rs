//! Git awareness: a flake evaluated from a git work tree sees only files git tracks.
//!
//! After nixgen creates files inside a work tree it runs `git add --intent-to-add` on them, so
//! the next `nix build` sees them without a commit; outside one it prints the exact commands to
//! run. It warns when a flake it wrote is untracked. Git failures never fail a command: the
//! files are written either way, and the message says what to do by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The top of the git work tree that holds `path`, if any.
pub fn work_tree(path: &Path) -> Option<PathBuf> {
    let out = git(&dir_of(path), &["rev-parse", "--show-toplevel"])?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// True when git tracks `path` (or has it staged, intent-to-add included).
pub fn is_tracked(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default();
    Command::new("git")
        .arg("-C")
        .arg(dir_of(path))
        .args(["ls-files", "--error-unmatch", "--"])
        .arg(name)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Adds new files with intent-to-add, or prints what to run; warns on untracked flakes.
pub fn after_write(created: &[PathBuf], written: &[PathBuf]) {
    let mut outside: Vec<&PathBuf> = Vec::new();
    for path in created {
        if work_tree(path).is_none() {
            outside.push(path);
            continue;
        }
        let name = path.file_name().unwrap_or_default();
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir_of(path))
            .args(["add", "--intent-to-add", "--"])
            .arg(name)
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            eprintln!("git: {} added with --intent-to-add", path.display());
        } else {
            eprintln!(
                "warning: could not `git add --intent-to-add {}`; run it yourself: \
                 flakes only see files git tracks",
                path.display()
            );
        }
    }
    for path in written {
        if created.contains(path) || path.extension().is_none_or(|e| e != "nix") {
            continue;
        }
        if work_tree(path).is_some() && !is_tracked(path) {
            eprintln!(
                "warning: {} is not tracked by git, so Nix does not see it: run `git add {}`",
                path.display(),
                path.display()
            );
        }
    }
    if !outside.is_empty() {
        let dir = dir_of(outside[0]);
        let names: Vec<String> = outside
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap_or(p).display().to_string())
            .collect();
        let cd = if dir == std::path::Path::new(".") {
            String::new()
        } else {
            format!("cd {} && ", shell_quote(&dir.display().to_string()))
        };
        eprintln!(
            "note: flakes only see files git tracks; to build, run:\n  {cd}git init && git add {}",
            names
                .iter()
                .map(|n| shell_quote(n))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ':' | '@' | '=')
        })
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
