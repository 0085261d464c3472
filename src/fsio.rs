//! Writing files safely, and showing what a write would change.
//!
//! Every command that writes goes through [`write_atomic`]: the new bytes go to a temporary
//! file in the same directory, are flushed to disk, take the old file's permissions, and are
//! renamed over the old file, so an interrupted run leaves the old file or the new one, never
//! a torn one. A symlinked file stays a symlink: its target is what gets replaced. [`unified_diff`]
//! renders the change for `--dry-run` and `--diff`.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;

/// The directory a file is in (`.` for a bare file name, whose `parent()` is empty).
pub fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Where a write really lands: the final target of a chain of symlinks (which may not exist
/// yet), or `path` itself.
pub fn write_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Replaces `path`'s content with `content` atomically, keeping its permissions (a new file
/// gets the usual ones, subject to the umask). Missing parent directories are created, and a
/// symlink is written through to its target. On failure the file is unchanged and the temporary
/// file is removed.
pub fn write_atomic(path: &Path, content: &str) -> crate::diag::Result<()> {
    let fail = |what: &str, e: std::io::Error| {
        Diagnostic::in_file(path, format!("cannot {what}: {e}"))
            .with_help("check the directory's permissions and free space; nothing was changed")
    };
    let target = write_target(path).map_err(|e| fail("resolve the symlink", e))?;
    let dir = dir_of(&target);
    fs::create_dir_all(&dir).map_err(|e| fail("create the directory", e))?;
    let permissions = fs::metadata(&target).ok().map(|m| m.permissions());
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = tempfile_in(&dir, &file_name).map_err(|e| fail("create a temporary file", e))?;
    let result = (|| {
        let mut file = &tmp.1;
        file.write_all(content.as_bytes())?;
        if let Some(p) = &permissions {
            file.set_permissions(p.clone())?;
        }
        // The content is on disk before the rename makes it visible: after a crash the name
        // holds the old bytes or the new ones. (The directory is not synced: losing the rename
        // itself leaves the old file, which keeps that promise, and scaffolding a fleet would
        // pay one more flush per file.)
        file.sync_data()?;
        fs::rename(&tmp.0, &target)?;
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp.0);
        fail("write the file", e)
    })?;
    Ok(())
}

/// Creates a new, uniquely named hidden file beside the target.
fn tempfile_in(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    for attempt in 0..1000u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = dir.join(format!(".{name}.nixgen-{pid}-{nanos:x}-{attempt}.tmp"));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}

/// A unified diff from `old` (absent for a new file) to `new`, labelled with `path`.
pub fn unified_diff(path: &Path, old: Option<&str>, new: &str) -> String {
    let name = path.display().to_string();
    let old_label = if old.is_some() {
        format!("a/{name}")
    } else {
        "/dev/null".to_owned()
    };
    similar::TextDiff::from_lines(old.unwrap_or(""), new)
        .unified_diff()
        .context_radius(3)
        .header(&old_label, &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_content_and_keep_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flake.nix");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, "new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn symlinks_stay_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.nix");
        let link = dir.path().join("flake.nix");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink("real.nix", &link).unwrap();
        write_atomic(&link, "new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn diffs_are_unified() {
        let d = unified_diff(Path::new("flake.nix"), Some("a\nb\n"), "a\nc\n");
        assert!(d.contains("--- a/flake.nix\n+++ b/flake.nix\n"), "{d}");
        assert!(d.contains("-b\n+c\n"), "{d}");
    }
}
