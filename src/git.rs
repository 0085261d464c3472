//! Git awareness: a flake evaluated from a git work tree sees only files git tracks.
//!
//! After nixgen creates files inside a work tree it runs `git add --intent-to-add` on them, so
//! the next `nix build` sees them without a commit (`--no-git` skips that). When it cannot (no
//! work tree, a directory the repository ignores, as nixos-flake's own `configurations/` is,
//! `--no-git`, or git failing) it prints the exact commands to run instead. It warns when a
//! flake it wrote or checked is untracked. Git failures never fail a command: the files are
//! written either way, and the message says what to do by hand.

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

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The top of the git work tree that holds `path`, if any.
pub fn work_tree(path: &Path) -> Option<PathBuf> {
    // Most runs are outside any repository: look for `.git` first, so that they start no
    // process (a `git` process costs more than editing a 10,000-line flake takes otherwise).
    if std::env::var_os("GIT_DIR").is_none() && !has_git_ancestor(&dir_of(path)) {
        return None;
    }
    let out = git(&dir_of(path), &["rev-parse", "--show-toplevel"])?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// True when `dir` or an ancestor below the `GIT_CEILING_DIRECTORIES` holds `.git` (the
/// directory git itself would find a repository from).
fn has_git_ancestor(dir: &Path) -> bool {
    let Ok(dir) = std::path::absolute(dir) else {
        return true;
    };
    let ceilings: Vec<PathBuf> = std::env::var_os("GIT_CEILING_DIRECTORIES")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    for ancestor in dir.ancestors() {
        if ancestor.join(".git").exists() {
            return true;
        }
        if ceilings.iter().any(|c| c == ancestor) {
            return false;
        }
    }
    false
}

/// True when git tracks `path` (or has it staged, intent-to-add included).
pub fn is_tracked(path: &Path) -> bool {
    git(
        &dir_of(path),
        &["ls-files", "--error-unmatch", "--", &name_of(path)],
    )
    .is_some_and(|o| o.status.success())
}

/// True when the work tree's ignore rules cover `path`.
pub fn is_ignored(path: &Path) -> bool {
    git(&dir_of(path), &["check-ignore", "-q", "--", &name_of(path)])
        .is_some_and(|o| o.status.success())
}

/// Why files still need a git command from the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The directory is in no git work tree.
    Outside,
    /// The work tree at this top ignores the files (nixos-flake ignores `configurations/`).
    Ignored(PathBuf),
    /// `--no-git` was given.
    NoGit,
    /// `git add --intent-to-add` failed with this message.
    AddFailed(String),
    /// An existing file nixgen wrote or checked is not tracked.
    Untracked,
}

/// Files in one directory that Nix will not see until the user runs [`Pending::command`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub dir: PathBuf,
    pub files: Vec<String>,
    pub reason: Reason,
}

impl Pending {
    /// True when the directory needs a repository of its own first.
    pub fn needs_init(&self) -> bool {
        matches!(self.reason, Reason::Outside | Reason::Ignored(_))
    }

    /// The exact commands, to run from the current directory (`inside`: from `dir` itself).
    pub fn command(&self, inside: bool) -> String {
        let files = self
            .files
            .iter()
            .map(|f| shell_quote(f))
            .collect::<Vec<_>>()
            .join(" ");
        let c = if inside || self.dir == Path::new(".") {
            String::new()
        } else {
            format!("-C {} ", shell_quote(&self.dir.display().to_string()))
        };
        if self.needs_init() {
            format!("git {c}init && git {c}add {files}")
        } else {
            format!("git {c}add {files}")
        }
    }

    /// One explanation and the command, for stderr.
    pub fn message(&self) -> String {
        let dir = self.dir.display();
        let files = self.files.join(", ");
        let why = match &self.reason {
            Reason::Outside => format!(
                "note: {dir} is not in a git repository; flakes only see files git tracks, so before \
                 building run:"
            ),
            Reason::Ignored(top) => format!(
                "note: {files} in {dir} are ignored by the git repository at {} (nixos-flake \
                 ignores configurations/ on purpose), so Nix would not see them; give the \
                 configuration its own repository:",
                top.display()
            ),
            Reason::NoGit => format!(
                "note: {files} not added to git (--no-git); Nix does not see them until you run:"
            ),
            Reason::AddFailed(e) => format!(
                "warning: `git add --intent-to-add` failed ({e}); Nix does not see {files} until \
                 you run:"
            ),
            Reason::Untracked => format!(
                "warning: {files} in {dir} is not tracked by git, so Nix does not see it: run"
            ),
        };
        format!("{why}\n  {}", self.command(false))
    }
}

/// Adds new files with intent-to-add (unless `add` is false) and checks that the flakes among
/// `existing` are tracked. Returns what the user still has to run, grouped by directory.
pub fn after_write(created: &[PathBuf], existing: &[PathBuf], add: bool) -> Vec<Pending> {
    let mut pending: Vec<Pending> = Vec::new();
    let mut push = |dir: PathBuf, file: String, reason: Reason| match pending
        .iter_mut()
        .find(|p| p.dir == dir && p.reason == reason)
    {
        Some(p) => p.files.push(file),
        None => pending.push(Pending {
            dir,
            files: vec![file],
            reason,
        }),
    };
    for path in created {
        let (dir, name) = (dir_of(path), name_of(path));
        let Some(top) = work_tree(path) else {
            push(dir, name, Reason::Outside);
            continue;
        };
        if is_ignored(path) {
            push(dir, name, Reason::Ignored(top));
            continue;
        }
        if !add {
            push(dir, name, Reason::NoGit);
            continue;
        }
        match git(&dir, &["add", "--intent-to-add", "--", &name]) {
            Some(o) if o.status.success() => {
                eprintln!("git: {} added with --intent-to-add", path.display());
            }
            Some(o) => push(
                dir,
                name,
                Reason::AddFailed(String::from_utf8_lossy(&o.stderr).trim().to_owned()),
            ),
            None => push(dir, name, Reason::AddFailed("git did not run".into())),
        }
    }
    for path in existing {
        if created.contains(path) || path.extension().is_none_or(|e| e != "nix") {
            continue;
        }
        let (dir, name) = (dir_of(path), name_of(path));
        match work_tree(path) {
            None => {}
            Some(top) if is_ignored(path) => push(dir, name, Reason::Ignored(top)),
            Some(_) if !is_tracked(path) => push(dir, name, Reason::Untracked),
            Some(_) => {}
        }
    }
    pending
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_exact_and_quoted() {
        let p = Pending {
            dir: PathBuf::from("configurations/my vm"),
            files: vec!["host.yaml".into(), "flake.nix".into()],
            reason: Reason::Outside,
        };
        assert_eq!(
            p.command(false),
            "git -C 'configurations/my vm' init && git -C 'configurations/my vm' add host.yaml flake.nix"
        );
        assert_eq!(p.command(true), "git init && git add host.yaml flake.nix");
        let p = Pending {
            dir: PathBuf::from("."),
            files: vec!["flake.nix".into()],
            reason: Reason::Untracked,
        };
        assert_eq!(p.command(false), "git add flake.nix");
    }
}
