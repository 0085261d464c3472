//! Local paths in a host description, made into what Nix needs.
//!
//! Nix's `path:` URLs expand neither `~` nor `$HOME` and resolve relative paths against
//! nothing useful, so nixgen does it: `~` and `$HOME` (or `${HOME}`) become the home directory,
//! relative paths are resolved against the directory of the YAML file, and `.`/`..` components
//! are folded lexically (the path need not exist yet, and symlinks are the user's business).

use std::path::{Component, Path, PathBuf};

/// Expands `~`, `$HOME` and `${HOME}` at the start of `raw` and makes it absolute against
/// `base`. Returns `None` when a home directory is needed but `HOME` is unset.
pub fn resolve_local(raw: &str, base: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let expanded: PathBuf = if raw == "~" || raw == "$HOME" || raw == "${HOME}" {
        home?.to_path_buf()
    } else if let Some(rest) = raw
        .strip_prefix("~/")
        .or_else(|| raw.strip_prefix("$HOME/"))
        .or_else(|| raw.strip_prefix("${HOME}/"))
    {
        home?.join(rest)
    } else {
        PathBuf::from(raw)
    };
    let absolute = if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    };
    Some(normalize(&absolute))
}

/// Folds `.` and `..` without touching the filesystem. A relative path keeps the `..` that
/// climb above its start (`../x` stays `../x`); above `/` there is nothing (`/..` is `/`).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let climbs = out.file_name().is_none() && !out.has_root();
                if climbs {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// True when `raw` is written as a local path (absolute, relative, or from home).
pub fn looks_local(raw: &str) -> bool {
    raw.starts_with('/')
        || raw.starts_with("./")
        || raw.starts_with("../")
        || raw == "."
        || raw == ".."
        || raw == "~"
        || raw.starts_with("~/")
        || raw.starts_with("$HOME")
        || raw.starts_with("${HOME}")
}

/// The home directory from the environment.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("./a/../b/./c")), PathBuf::from("b/c"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("a/../../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("/a/../..")), PathBuf::from("/"));
    }

    #[test]
    fn home_forms_expand() {
        let home = Path::new("/home/u");
        let base = Path::new("/work/hosts");
        for raw in ["~/src/fio", "$HOME/src/fio", "${HOME}/src/fio"] {
            assert_eq!(
                resolve_local(raw, base, Some(home)).unwrap(),
                PathBuf::from("/home/u/src/fio")
            );
        }
        assert_eq!(resolve_local("~/x", base, None), None);
    }

    #[test]
    fn relative_paths_resolve_against_the_yaml_directory() {
        let base = Path::new("/work/hosts/devel");
        assert_eq!(
            resolve_local("../../src/./fio/", base, None).unwrap(),
            PathBuf::from("/work/src/fio")
        );
        assert_eq!(
            resolve_local("/abs/path", base, None).unwrap(),
            PathBuf::from("/abs/path")
        );
    }
}
