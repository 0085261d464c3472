//! Helpers shared by the editing suites (`corpus`, `editing`): running the binary, the three
//! syntax checks (rnix, nixgen's strict check, `nix-instantiate --parse`), comment multisets
//! and line diffs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rnix::SyntaxKind;

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/corpus/`.
pub fn corpus_dir() -> PathBuf {
    repo_root().join("tests").join("corpus")
}

/// The `nixgen` binary run in `cwd` with a clean environment (`NO_COLOR=1`, `HOME=cwd`, git
/// kept from finding this repository).
pub fn nixgen(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("nixgen").expect("the nixgen binary is built");
    cmd.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("HOME", cwd)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("XDG_CONFIG_HOME")
        .env("GIT_CEILING_DIRECTORIES", cwd.parent().unwrap_or(cwd));
    cmd
}

/// Exit code, stdout and stderr of one run of nixgen with `args` in `cwd`.
pub fn run(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = nixgen(cwd).args(args).output().expect("nixgen runs");
    (
        out.status.code().expect("nixgen exits with a code"),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

/// `/usr/bin/nix-instantiate` (Nix 2.8), or the one on PATH. Panics when there is none: the
/// check against real Nix is part of what these suites assert and is never skipped.
pub fn nix_instantiate() -> PathBuf {
    let fixed = PathBuf::from("/usr/bin/nix-instantiate");
    if fixed.is_file() {
        return fixed;
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("nix-instantiate"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nix-instantiate is missing (expected /usr/bin/nix-instantiate, Nix 2.8): the \
                 editing suites check every output with `nix-instantiate --parse` and are not \
                 skipped without it; install it with `apt-get install -y nix-bin`"
            )
        })
}

/// Checks `text` with rnix, nixgen's strict parser and `nix-instantiate --parse` (as a file
/// called `name`). Returns what failed.
pub fn parse_all(name: &str, text: &str) -> Result<(), String> {
    let parse = rnix::Root::parse(text);
    if !parse.errors().is_empty() {
        return Err(format!("rnix: {:?}", parse.errors()));
    }
    nixgen::nix::check_syntax(text).map_err(|e| format!("strict parser: {e}"))?;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(name);
    std::fs::write(&file, text).expect("write");
    let out = Command::new(nix_instantiate())
        .arg("--parse")
        .arg(&file)
        .env("NIX_STATE_DIR", dir.path().join("state"))
        .env("NIX_LOG_DIR", dir.path().join("log"))
        .env("HOME", dir.path())
        .output()
        .expect("nix-instantiate runs");
    if !out.status.success() {
        return Err(format!(
            "nix-instantiate --parse: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Panicking form of [`parse_all`].
pub fn assert_parses(what: &str, text: &str) {
    if let Err(e) = parse_all("flake.nix", text) {
        panic!("{what}: the output does not parse: {e}\n{text}");
    }
}

/// Every comment token's text, sorted (a multiset).
pub fn comments(text: &str) -> Vec<String> {
    let mut out: Vec<String> = rnix::Root::parse(text)
        .syntax()
        .descendants_with_tokens()
        .filter_map(|t| t.into_token())
        .filter(|t| t.kind() == SyntaxKind::TOKEN_COMMENT)
        .map(|t| t.text().to_owned())
        .collect();
    out.sort();
    out
}

/// The comments of `old` missing from `new` (as a multiset difference).
pub fn lost_comments(old: &str, new: &str) -> Vec<String> {
    let mut remaining = comments(new);
    let mut lost = Vec::new();
    for c in comments(old) {
        match remaining.iter().position(|r| *r == c) {
            Some(i) => {
                remaining.remove(i);
            }
            None => lost.push(c),
        }
    }
    lost
}

/// A unified diff with fixed headers.
pub fn diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// The code tokens (no whitespace, no comments) of a piece of Nix text.
pub fn code_tokens(text: &str) -> Vec<String> {
    rnix::tokenize(text)
        .filter(|(k, _)| !matches!(k, SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT))
        .map(|(_, t)| t.to_owned())
        .collect()
}

/// True when `small` is a subsequence of `big`.
pub fn is_subsequence(small: &[String], big: &[String]) -> bool {
    let mut it = big.iter();
    small.iter().all(|s| it.any(|b| b == s))
}

/// One block of consecutive changed lines: the removed lines of the old text, and the added
/// lines of the new text with their (1-based) line numbers.
pub struct Hunk {
    pub removed: Vec<String>,
    pub added: Vec<(usize, String)>,
}

/// The changed blocks between `old` and `new`, without context.
pub fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    for group in diff.grouped_ops(0) {
        let mut hunk = Hunk {
            removed: Vec::new(),
            added: Vec::new(),
        };
        for op in &group {
            for change in diff.iter_changes(op) {
                match change.tag() {
                    similar::ChangeTag::Delete => hunk.removed.push(change.value().to_owned()),
                    similar::ChangeTag::Insert => hunk.added.push((
                        change.new_index().expect("inserted lines have an index") + 1,
                        change.value().to_owned(),
                    )),
                    similar::ChangeTag::Equal => {}
                }
            }
        }
        out.push(hunk);
    }
    out
}

/// Checks that every changed block only adds code: its removed lines, token for token, are
/// still there among its added lines (a line rewritten in place, such as an inline list
/// that was expanded), so nothing the author wrote was dropped or reordered.
pub fn only_additions(old: &str, new: &str) -> Result<(), String> {
    for h in hunks(old, new) {
        if h.removed.is_empty() {
            continue;
        }
        let removed = code_tokens(&h.removed.concat());
        let added: String = h.added.iter().map(|(_, l)| l.as_str()).collect();
        if !is_subsequence(&removed, &code_tokens(&added)) {
            return Err(format!(
                "lines were removed, not rewritten in place:\n-{}+{}",
                h.removed.join("-"),
                h.added
                    .iter()
                    .map(|(_, l)| l.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            ));
        }
    }
    Ok(())
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Reads a file that must exist.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Writes `text` to `dir/name`, creating directories, and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create directories");
    }
    std::fs::write(&path, text).expect("write file");
    path
}
