//! Git awareness: a flake evaluated from a git work tree sees only files git tracks.
//!
//! After nixgen creates files inside a work tree it runs `git add --intent-to-add` on them, so
//! the next `nix build` sees them without a commit (`--no-git` skips that). When it cannot (no
//! work tree, a directory the repository ignores, as nixos-flake's own `configurations/` is,
//! `--no-git`, or git failing) it works out the exact commands to run instead. It also notices
//! when a `.nix` file it wrote or checked is untracked. Nothing here prints: [`after_write`]
//! returns the lines and the [`Pending`] commands, and the command line reports them. Git
//! failures never fail a command: the files are written either way, and the message says what
//! to do by hand.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fsio::dir_of;

/// `git -C dir ARGS`, its output, or `None` when git cannot be started.
fn git<A: AsRef<std::ffi::OsStr>>(
    dir: &Path,
    args: impl IntoIterator<Item = A>,
) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The top of the git work tree that holds `dir`, if any.
fn work_tree(dir: &Path) -> Option<PathBuf> {
    let out = git(dir, ["rev-parse", "--show-toplevel"])?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The nearest of `dir` and its ancestors (below the `GIT_CEILING_DIRECTORIES`) that holds
/// `.git`: where git itself would find the repository from. `None` when there is none.
fn git_marker(dir: &Path) -> Option<PathBuf> {
    let Ok(dir) = std::path::absolute(dir) else {
        // Cannot tell: let git decide.
        return Some(dir.to_path_buf());
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
            return Some(ancestor.to_path_buf());
        }
        if ceilings.iter().any(|c| c == ancestor) {
            return None;
        }
    }
    None
}

/// Work trees, looked up once per directory and asked of git once per repository: a fleet's
/// thousand directories in one repository start one `git` process, not a thousand.
#[derive(Default)]
struct WorkTrees {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
    by_marker: HashMap<PathBuf, Option<PathBuf>>,
}

impl WorkTrees {
    fn top(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(top) = self.by_dir.get(dir) {
            return top.clone();
        }
        let top = if std::env::var_os("GIT_DIR").is_some() {
            // The repository is not where the files are: only git knows.
            work_tree(dir)
        } else {
            // Most runs are outside any repository: look for `.git` first, so that they start
            // no process (a `git` process costs more than editing a 10,000-line flake).
            match git_marker(dir) {
                None => None,
                Some(marker) => self
                    .by_marker
                    .entry(marker)
                    .or_insert_with(|| work_tree(dir))
                    .clone(),
            }
        };
        self.by_dir.insert(dir.to_path_buf(), top.clone());
        top
    }
}

/// Paths git is given at once: far below any command-line length limit.
const GIT_BATCH: usize = 200;

/// `path` relative to the work tree at `top` (which git reports with symlinks resolved).
fn in_tree(top: &Path, path: &Path) -> Option<PathBuf> {
    let dir = dir_of(path).canonicalize().ok()?;
    Some(dir.strip_prefix(top).ok()?.join(path.file_name()?))
}

/// `git -C top ARGS -- PATHS`, for one batch of paths, with paths printed back as they are
/// (`core.quotePath=false`: no octal escapes for non-ASCII bytes).
fn git_on(top: &Path, args: &[&str], paths: &[PathBuf]) -> Option<std::process::Output> {
    let args = ["-c", "core.quotePath=false"]
        .iter()
        .chain(args)
        .chain(&["--"]);
    git(
        top,
        args.map(std::ffi::OsStr::new)
            .chain(paths.iter().map(|p| p.as_os_str())),
    )
}

/// The paths git prints, one a line, for `git ARGS -- PATHS` over all of `paths` in batches.
/// A path git would still quote (a newline, a double quote) is not matched: the caller then
/// treats it as not listed, and a later `git add` reports it in git's own words.
fn git_listed(top: &Path, args: &[&str], paths: &[PathBuf]) -> HashSet<PathBuf> {
    let mut found = HashSet::new();
    for chunk in paths.chunks(GIT_BATCH) {
        if let Some(out) = git_on(top, args, chunk) {
            found.extend(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from),
            );
        }
    }
    found
}

/// Which of `paths` (relative to `top`) the work tree's ignore rules cover (tracked files never
/// are). `check-ignore` exits 1 when none is, and 128 when it fails: nothing is then known to
/// be ignored.
fn ignored(top: &Path, paths: &[PathBuf]) -> HashSet<PathBuf> {
    git_listed(top, &["check-ignore"], paths)
}

/// Which of `paths` (relative to `top`) git tracks or has staged, intent-to-add included.
fn tracked(top: &Path, paths: &[PathBuf]) -> HashSet<PathBuf> {
    git_listed(top, &["ls-files", "--full-name"], paths)
}

/// `git add --intent-to-add` of `paths` (relative to `top`); the error message when it fails.
fn add_intent(top: &Path, paths: &[PathBuf]) -> std::result::Result<(), String> {
    for chunk in paths.chunks(GIT_BATCH) {
        match git_on(top, &["add", "--intent-to-add"], chunk) {
            Some(o) if o.status.success() => {}
            Some(o) => return Err(String::from_utf8_lossy(&o.stderr).trim().to_owned()),
            None => return Err("git did not run".into()),
        }
    }
    Ok(())
}

/// Why files still need a git command from the user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The directory is in no git work tree.
    Outside,
    /// The work tree at this top ignores the files (nixos-flake ignores `configurations/`).
    Ignored(PathBuf),
    /// `--no-git` was given; the files are in the work tree at this top.
    NoGit(PathBuf),
    /// `git add --intent-to-add` failed with this message.
    AddFailed(String),
    /// An existing file nixgen wrote or checked is not tracked.
    Untracked,
}

/// Files in one directory that Nix will not see until the user runs [`Pending::command`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The directory the files are in, as the user's paths name it (`.` for the current
    /// directory). For a folded fleet, the parent of the configurations' directories.
    pub dir: PathBuf,
    /// The file names inside `dir` (not paths); `["."]` when a fleet's directories were folded
    /// into this entry and the command covers all of `dir`.
    pub files: Vec<String>,
    /// Why git does not know about the files, which decides the command and the wording.
    pub reason: Reason,
}

impl Pending {
    /// True when the directory needs a repository of its own first (it is outside any work
    /// tree, or the work tree ignores it): the command then starts with `git init`.
    pub fn needs_init(&self) -> bool {
        matches!(self.reason, Reason::Outside | Reason::Ignored(_))
    }

    /// The exact shell command line, quoted for a POSIX shell: to run from the current
    /// directory (with `git -C dir`), or from `dir` itself when `inside` is true.
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

    /// A `note:` or `warning:` line explaining why Nix will not see the files, then the command
    /// (indented, on its own line); meant for stderr.
    pub fn message(&self) -> String {
        let dir = self.dir.display();
        let folded = self.files == ["."];
        let files = if folded {
            format!("the files in {dir}")
        } else {
            self.files.join(", ")
        };
        let why = match &self.reason {
            Reason::Outside if folded => format!(
                "note: {dir} is not in a git repository; flakes only see files git tracks, so before \
                 building run (one repository for all the configurations in it):"
            ),
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
            Reason::NoGit(_) => format!(
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

/// Files of one work tree, as paths relative to its top, each with the path the user gave.
#[derive(Default)]
struct TreeFiles {
    created: Vec<(PathBuf, PathBuf)>,
    existing: Vec<(PathBuf, PathBuf)>,
}

/// The entry of `groups` for the work tree at `top`, added when missing.
fn files_of(groups: &mut Vec<(PathBuf, TreeFiles)>, top: PathBuf) -> &mut TreeFiles {
    let i = match groups.iter().position(|(t, _)| *t == top) {
        Some(i) => i,
        None => {
            groups.push((top, TreeFiles::default()));
            groups.len() - 1
        }
    };
    &mut groups[i].1
}

/// Adds new files with intent-to-add (unless `add` is false) and checks that the flakes among
/// `existing` are tracked. Returns what the user still has to run, grouped by directory, with
/// a fleet's directories folded into one entry for their parent (from four sibling
/// directories on). Only `.nix` files among `existing` are checked, and files in `created` are
/// not checked again.
///
/// git is asked once per repository and question (ignored? tracked? add), however many files
/// there are: scaffolding 1,000 configurations inside a repository used to start 6,000 `git`
/// processes (29 s).
pub fn after_write(created: &[PathBuf], existing: &[PathBuf], add: bool) -> AfterWrite {
    let mut pending: Vec<Pending> = Vec::new();
    let mut push = |path: &Path, reason: Reason| {
        let (dir, file) = (dir_of(path), name_of(path));
        match pending
            .iter_mut()
            .find(|p| p.dir == dir && p.reason == reason)
        {
            Some(p) => p.files.push(file),
            None => pending.push(Pending {
                dir,
                files: vec![file],
                reason,
            }),
        }
    };
    let mut trees = WorkTrees::default();
    let mut groups: Vec<(PathBuf, TreeFiles)> = Vec::new();
    for path in created {
        match trees.top(&dir_of(path)) {
            None => push(path, Reason::Outside),
            Some(top) => match in_tree(&top, path) {
                Some(rel) => files_of(&mut groups, top).created.push((rel, path.clone())),
                None => push(
                    path,
                    Reason::AddFailed(format!("not found inside the work tree {}", top.display())),
                ),
            },
        }
    }
    let new: HashSet<&PathBuf> = created.iter().collect();
    for path in existing {
        if new.contains(path) || path.extension().is_none_or(|e| e != "nix") {
            continue;
        }
        if let Some(top) = trees.top(&dir_of(path)) {
            if let Some(rel) = in_tree(&top, path) {
                files_of(&mut groups, top)
                    .existing
                    .push((rel, path.clone()));
            }
        }
    }
    let mut added: Vec<&Path> = Vec::new();
    for (top, files) in &groups {
        let all: Vec<PathBuf> = files
            .created
            .iter()
            .chain(&files.existing)
            .map(|(rel, _)| rel.clone())
            .collect();
        let ignored = ignored(top, &all);
        let mut to_add = Vec::new();
        for (rel, path) in &files.created {
            if ignored.contains(rel) {
                push(path, Reason::Ignored(top.clone()));
            } else if !add {
                push(path, Reason::NoGit(top.clone()));
            } else {
                to_add.push((rel, path));
            }
        }
        if !to_add.is_empty() {
            let rels: Vec<PathBuf> = to_add.iter().map(|(rel, _)| (*rel).clone()).collect();
            match add_intent(top, &rels) {
                Ok(()) => added.extend(to_add.iter().map(|(_, path)| path.as_path())),
                Err(e) => {
                    for (_, path) in &to_add {
                        push(path, Reason::AddFailed(e.clone()));
                    }
                }
            }
        }
        let rels: Vec<PathBuf> = files.existing.iter().map(|(rel, _)| rel.clone()).collect();
        let tracked = tracked(top, &rels);
        for (rel, path) in &files.existing {
            if ignored.contains(rel) {
                push(path, Reason::Ignored(top.clone()));
            } else if !tracked.contains(rel) {
                push(path, Reason::Untracked);
            }
        }
    }
    // A few files by name; a fleet's thousands on one line.
    let added = match (added.first(), added.last()) {
        (Some(first), Some(last)) if added.len() > 3 => vec![format!(
            "git: {} new files added with --intent-to-add ({} ... {})",
            added.len(),
            first.display(),
            last.display()
        )],
        _ => added
            .iter()
            .map(|path| format!("git: {} added with --intent-to-add", path.display()))
            .collect(),
    };
    AfterWrite {
        added,
        pending: fold_fleet(pending),
    }
}

/// What [`after_write`] did and what is left to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterWrite {
    /// Lines saying which files were added with `--intent-to-add` (one per file, or a single
    /// summary line when more than three were added); empty when none was.
    pub added: Vec<String>,
    /// What the user still has to run, one entry per directory and reason; empty when git
    /// already sees every file.
    pub pending: Vec<Pending>,
}

/// Directories that fold into their parent's entry: from this many on, one command for the
/// fleet reads better than a command per configuration.
const FOLD_FROM: usize = 4;

/// A scaffolded fleet outside git (or written with `--no-git`) would get one note per
/// configuration: when [`FOLD_FROM`] or more sibling directories need the same, they become
/// one entry for their parent, whose command covers them all (one repository for the fleet,
/// or one `git add`).
fn fold_fleet(pending: Vec<Pending>) -> Vec<Pending> {
    // The parent the entry could fold into: outside git, any; with --no-git, one inside the
    // same work tree (each configuration could be a repository of its own).
    let parent_of = |p: &Pending| -> Option<PathBuf> {
        let parent = p.dir.parent()?;
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        match &p.reason {
            Reason::Outside => Some(parent.to_path_buf()),
            Reason::NoGit(top) => parent
                .canonicalize()
                .is_ok_and(|real| real.starts_with(top))
                .then(|| parent.to_path_buf()),
            _ => None,
        }
    };
    // Each parent once (for --no-git it costs a canonicalize).
    let parents: Vec<Option<PathBuf>> = pending.iter().map(parent_of).collect();
    let mut siblings: HashMap<(PathBuf, Reason), usize> = HashMap::new();
    for (p, parent) in pending.iter().zip(&parents) {
        if let Some(parent) = parent {
            *siblings
                .entry((parent.clone(), p.reason.clone()))
                .or_default() += 1;
        }
    }
    let mut out: Vec<Pending> = Vec::new();
    for (p, parent) in pending.into_iter().zip(parents) {
        match parent {
            Some(parent) if siblings[&(parent.clone(), p.reason.clone())] >= FOLD_FROM => {
                if !out.iter().any(|q| q.dir == parent && q.reason == p.reason) {
                    out.push(Pending {
                        dir: parent,
                        files: vec![".".into()],
                        reason: p.reason,
                    });
                }
            }
            _ => out.push(p),
        }
    }
    out
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

    fn outside(dir: &str) -> Pending {
        Pending {
            dir: PathBuf::from(dir),
            files: vec!["host.yaml".into(), "flake.nix".into()],
            reason: Reason::Outside,
        }
    }

    #[test]
    fn a_fleet_folds_into_its_root_from_four_directories_on() {
        let three: Vec<Pending> = ["confs/a", "confs/b", "confs/c"]
            .iter()
            .map(|d| outside(d))
            .collect();
        assert_eq!(fold_fleet(three.clone()), three);

        let mut many: Vec<Pending> = ["confs/a", "confs/b", "confs/c", "confs/d", "elsewhere/x"]
            .iter()
            .map(|d| outside(d))
            .collect();
        many.push(Pending {
            reason: Reason::Untracked,
            ..outside("confs/e")
        });
        let folded = fold_fleet(many);
        assert_eq!(folded.len(), 3, "{folded:?}");
        assert_eq!(folded[0].dir, PathBuf::from("confs"));
        assert_eq!(
            folded[0].command(false),
            "git -C confs init && git -C confs add ."
        );
        assert_eq!(folded[1], outside("elsewhere/x"));
        assert_eq!(
            folded[2].reason,
            Reason::Untracked,
            "only Outside and NoGit fold"
        );
    }
}

/// What git says about a flake's directory: Nix evaluates a flake in a git work tree from the
/// files git tracks (intent-to-add included), so this is what `nix build .#...` sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlakeTree {
    /// The top of the work tree.
    pub top: PathBuf,
    /// The flake's directory, relative to `top` (empty at the top).
    pub dir: PathBuf,
    /// Files under the flake's directory that git neither tracks nor ignores, relative to
    /// `top`: invisible to `nix build`.
    pub untracked: Vec<PathBuf>,
}

impl FlakeTree {
    /// The `git add` that makes `file` (relative to the top) visible to Nix.
    pub fn add_command(&self, files: &[PathBuf]) -> String {
        let files: Vec<String> = files
            .iter()
            .map(|f| shell_quote(&f.display().to_string()))
            .collect();
        format!(
            "git -C {} add --intent-to-add {}",
            shell_quote(&self.top.display().to_string()),
            files.join(" ")
        )
    }
}

/// The work tree holding the (absolute, canonical) directory `dir`, and what in it git does
/// not track; `None` outside any work tree.
pub fn flake_tree(dir: &Path) -> Option<FlakeTree> {
    let top = WorkTrees::default().top(dir)?;
    let top = top.canonicalize().unwrap_or(top);
    let rel = dir.strip_prefix(&top).ok()?.to_path_buf();
    let spec = if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel.clone()
    };
    let out = git_on(
        &top,
        &["ls-files", "--others", "--exclude-standard", "--full-name"],
        &[spec],
    )?;
    let untracked = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect();
    Some(FlakeTree {
        top,
        dir: rel,
        untracked,
    })
}
