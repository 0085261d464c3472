//! Helpers shared by the editing suites (`corpus`, `editing`): the corpus, running the binary
//! in a scratch directory, comment multisets and line diffs.

use std::path::{Path, PathBuf};

use rnix::SyntaxKind;

use super::{nixgen_in, repo_root, run};

/// `tests/corpus/`.
pub fn corpus_dir() -> PathBuf {
    repo_root().join("tests").join("corpus")
}

/// Exit code, stdout and stderr of one run of nixgen with `args` in `cwd` (`HOME=cwd`).
pub fn run_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    run(nixgen_in(cwd).args(args))
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
