//! `nixgen doctor`: what building a configuration needs, checked one thing at a time.
//!
//! Each check gives a [`Finding`] with the exact command that fixes it: Nix installed and its
//! version; `nix-command` and `flakes` enabled (Debian's Nix enables neither); the flake and
//! its module files tracked by git (a flake in a work tree sees tracked files only); the
//! nixos-flake input and the local source inputs present on disk; `path:` inputs whose
//! `flake.lock` entry is older than the directory (Nix keeps using the locked copy).

use std::path::{Path, PathBuf};

use crate::check::{self, Features, FLAKES_CONF_LINE};
use crate::edit::flake::Flake;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// All is well.
    Ok,
    /// A build may work, but something will bite.
    Warning,
    /// A build will fail.
    Error,
}

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub level: Level,
    /// What was found.
    pub what: String,
    /// The command (or edit) that fixes it.
    pub fix: Option<String>,
}

impl Finding {
    fn ok(what: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            what: what.into(),
            fix: None,
        }
    }

    fn problem(level: Level, what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            level,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Checks the set-up a build of the flake in `dir` needs; `nix` is the Nix found on `PATH`.
pub fn examine(dir: &Path, nix: Option<&Path>) -> Vec<Finding> {
    let mut out = Vec::new();
    let features = nix.and_then(check::features);
    match (nix, &features) {
        (None, _) | (Some(_), None) => out.push(Finding::problem(
            Level::Error,
            "Nix is not installed (no working `nix` on PATH)",
            "apt-get install -y nix-bin   # Debian; elsewhere see https://nixos.org/download",
        )),
        (Some(_), Some(f)) => {
            out.push(Finding::ok(f.version.clone()));
            out.push(flakes_finding(f));
        }
    }
    let flake = dir.join("flake.nix");
    if !flake.is_file() {
        let fix = if dir.join("host.yaml").is_file() {
            "nixgen generate"
        } else {
            "nixgen init . --template imageless"
        };
        out.push(Finding::problem(
            Level::Error,
            format!("no flake.nix in {}", shown(dir)),
            fix,
        ));
        return out;
    }
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    out.extend(git_findings(dir, &canonical));
    let text = std::fs::read_to_string(&flake).unwrap_or_default();
    let inputs = local_inputs(&flake, &text);
    out.extend(input_findings(&inputs));
    out.extend(lock_findings(dir, nix, &inputs));
    out
}

/// `dir` for messages.
fn shown(dir: &Path) -> String {
    if dir.as_os_str().is_empty() || dir == Path::new(".") {
        "this directory".into()
    } else {
        dir.display().to_string()
    }
}

fn flakes_finding(f: &Features) -> Finding {
    if f.flakes_ready() {
        return Finding::ok("nix-command and flakes are enabled");
    }
    let off: Vec<&str> = [("nix-command", f.nix_command), ("flakes", f.flakes)]
        .iter()
        .filter(|(_, on)| !on)
        .map(|(n, _)| *n)
        .collect();
    Finding::problem(
        Level::Warning,
        format!(
            "{} disabled in this Nix: `nix build .#...` fails as typed",
            off.join(" and ") + if off.len() == 1 { " is" } else { " are" }
        ),
        format!(
            "mkdir -p ~/.config/nix && echo '{FLAKES_CONF_LINE}' >> ~/.config/nix/nix.conf   # or add --extra-experimental-features 'nix-command flakes' to each nix command"
        ),
    )
}

fn git_findings(dir: &Path, canonical: &Path) -> Vec<Finding> {
    let Some(tree) = crate::git::flake_tree(canonical) else {
        return vec![Finding::problem(
            Level::Warning,
            format!(
                "{} is not in a git repository: `nix build .#...` evaluates it as a path, but \
                 nothing records what it was built from",
                shown(dir)
            ),
            format!("git -C {} init && git -C {} add .", shell(dir), shell(dir)),
        )];
    };
    let flake = tree.dir.join("flake.nix");
    let nix_files: Vec<PathBuf> = tree
        .untracked
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "nix") || f.ends_with("flake.lock"))
        .cloned()
        .collect();
    if nix_files.is_empty() {
        return vec![Finding::ok(
            "flake.nix and the Nix files beside it are tracked by git",
        )];
    }
    let level = if nix_files.contains(&flake) {
        Level::Error
    } else {
        Level::Warning
    };
    let names: Vec<String> = nix_files.iter().map(|f| f.display().to_string()).collect();
    vec![Finding::problem(
        level,
        format!(
            "not tracked by git, so `nix build` does not see {}: {}",
            if names.len() == 1 { "it" } else { "them" },
            names.join(", ")
        ),
        tree.add_command(&nix_files),
    )]
}

/// A flake input that points at a local directory.
#[derive(Debug, Clone)]
struct LocalInput {
    name: String,
    path: PathBuf,
}

/// The inputs of `flake.nix` that are local directories (`path:` URLs or `type = "path"`).
fn local_inputs(flake_path: &Path, text: &str) -> Vec<LocalInput> {
    let Ok(flake) = Flake::parse_for_edit(flake_path, text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in flake.input_names() {
        if let Some(url) = flake.input_url(&name) {
            if let Some(path) = url.strip_prefix("path:") {
                let path = path.split(['?', '#']).next().unwrap_or(path);
                out.push(LocalInput {
                    name: name.clone(),
                    path: PathBuf::from(path),
                });
            }
        }
    }
    out
}

fn input_findings(inputs: &[LocalInput]) -> Vec<Finding> {
    let mut out = Vec::new();
    for input in inputs {
        let exists = input.path.is_dir();
        let is_library = input.name == "nixos-flake";
        if !exists {
            out.push(Finding::problem(
                Level::Error,
                format!(
                    "input `{}` points at {}, which does not exist",
                    input.name,
                    input.path.display()
                ),
                if is_library {
                    format!(
                        "git clone https://github.com/linux-kdevops/nixos-flake {}   # or point `nixosFlake` in host.yaml at your checkout and run nixgen generate",
                        shell(&input.path)
                    )
                } else {
                    format!(
                        "check the source out at {}, or point the overlay's `src` in host.yaml at it and run nixgen generate",
                        input.path.display()
                    )
                },
            ));
        } else if is_library && !input.path.join("flake.nix").is_file() {
            out.push(Finding::problem(
                Level::Error,
                format!(
                    "input `nixos-flake` points at {}, which has no flake.nix",
                    input.path.display()
                ),
                "point `nixosFlake` in host.yaml at the nixos-flake checkout's top directory and run nixgen generate",
            ));
        } else {
            out.push(Finding::ok(format!(
                "input `{}` is present at {}",
                input.name,
                input.path.display()
            )));
        }
    }
    out
}

/// `path:` inputs whose `flake.lock` entry no longer matches the directory (Nix keeps the
/// locked copy until the lock is updated).
fn lock_findings(dir: &Path, nix: Option<&Path>, inputs: &[LocalInput]) -> Vec<Finding> {
    let Ok(lock) = std::fs::read_to_string(dir.join("flake.lock")) else {
        return Vec::new();
    };
    let Ok(lock) = serde_json::from_str::<serde_json::Value>(&lock) else {
        return vec![Finding::problem(
            Level::Error,
            "flake.lock is not valid JSON",
            "rm flake.lock   # Nix writes a new one on the next build",
        )];
    };
    let Some(nix) = nix else {
        return Vec::new();
    };
    let root = lock["root"].as_str().unwrap_or("root");
    let mut out = Vec::new();
    for input in inputs {
        let Some(node) = lock["nodes"][root]["inputs"][&input.name].as_str() else {
            continue;
        };
        let locked = &lock["nodes"][node]["locked"];
        let (Some("path"), Some(nar)) = (locked["type"].as_str(), locked["narHash"].as_str())
        else {
            continue;
        };
        let Ok(hash) = std::process::Command::new(nix)
            .args([
                "--extra-experimental-features",
                "nix-command",
                "hash",
                "path",
            ])
            .arg(&input.path)
            .output()
        else {
            continue;
        };
        if !hash.status.success() {
            continue;
        }
        let now = String::from_utf8_lossy(&hash.stdout).trim().to_owned();
        if now != nar {
            out.push(Finding::problem(
                Level::Warning,
                format!(
                    "flake.lock pins an older copy of input `{}` ({} changed since it was locked)",
                    input.name,
                    input.path.display()
                ),
                format!(
                    "nix --extra-experimental-features 'nix-command flakes' flake lock --update-input {}",
                    input.name
                ),
            ));
        }
    }
    out
}

/// `path` quoted for a POSIX shell when it needs it.
fn shell(path: &Path) -> String {
    let s = path.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./~".contains(c))
        && !s.is_empty()
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
