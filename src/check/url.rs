//! The flake URL nixgen hands to Nix: `path:<absolute dir>`, refused when the directory
//! name holds what a flake URL cannot carry.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Result};

/// True for characters Nix 2.8 accepts, undecoded, in a `path:` URL. It neither decodes
/// `%XX` in such paths nor accepts spaces, `#`, `?` or non-ASCII, so a directory whose
/// path needs them cannot be evaluated through a URL at all (and a symlink does not help:
/// Nix refuses a `flake.nix` that escapes the copied source).
fn url_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/".contains(c)
}

/// The directory of the flake to check: `dir` itself, or the parent of a `flake.nix` given
/// directly; absolute and with symlinks resolved so the URL is stable.
pub fn flake_dir(dir: &Path) -> Result<PathBuf> {
    let dir = if dir.file_name() == Some(OsStr::new("flake.nix")) && dir.is_file() {
        dir.parent().unwrap_or(Path::new("."))
    } else {
        dir
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let absolute = dir.canonicalize().map_err(|e| {
        Diagnostic::in_file(dir, format!("cannot open the flake directory: {e}"))
            .with_help("give the directory that holds flake.nix")
    })?;
    if !absolute.join("flake.nix").is_file() {
        return Err(Diagnostic::in_file(dir, "there is no flake.nix in this directory")
            .with_help("run `nixgen generate` to write one from host.yaml, or give the flake's directory")
            .into());
    }
    Ok(absolute)
}

/// `path:<dir>`, or a diagnostic when Nix could not parse that URL. `path:` reads every file
/// of the directory, tracked by git or not (what `nixgen check --path` evaluates).
pub fn flake_url(dir: &Path) -> Result<String> {
    safe(dir)?;
    Ok(format!("path:{}", dir.to_string_lossy()))
}

/// The URL Nix itself uses for `.` in a git work tree: `git+file://<top>?dir=<sub>`, which
/// sees the files git tracks (intent-to-add included) and nothing else, as `nix build` does.
pub fn git_flake_url(tree: &crate::git::FlakeTree) -> Result<String> {
    safe(&tree.top)?;
    safe(&tree.dir)?;
    let mut url = format!("git+file://{}", tree.top.to_string_lossy());
    if !tree.dir.as_os_str().is_empty() {
        url.push_str(&format!("?dir={}", tree.dir.to_string_lossy()));
    }
    Ok(url)
}

/// Refuses a path Nix 2.8 cannot carry in a flake URL.
fn safe(dir: &Path) -> Result<()> {
    let text = dir.to_string_lossy();
    if let Some(bad) = text.chars().find(|c| !url_safe(*c)) {
        return Err(Diagnostic::in_file(
            dir,
            format!("Nix cannot address this directory as a `path:` URL: it contains {bad:?}"),
        )
        .with_help("move or copy the flake to a path of ASCII letters, digits and `-._~/`")
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_refuse_what_nix_cannot_parse() {
        for (dir, bad) in [("/tmp/a b", "' '"), ("/tmp/é", "'é'")] {
            let e = flake_url(Path::new(dir)).unwrap_err().to_string();
            assert!(
                e.contains(&format!(
                    "cannot address this directory as a `path:` URL: it contains {bad}"
                )),
                "{e}"
            );
        }
        assert_eq!(
            flake_url(Path::new("/tmp/a-b_c.d")).unwrap(),
            "path:/tmp/a-b_c.d"
        );
    }
}
