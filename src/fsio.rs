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
    write_atomic_if(path, None, content)
}

/// Like [`write_atomic`], but only when the file still holds `expected` (`Some(None)`: the file
/// must still be absent): the compare-and-swap that keeps nixgen from overwriting a save made
/// (by an editor, or a run that does not share its lock) after nixgen read the file. When the
/// file changed, nothing is written and the error says so.
pub fn write_atomic_if(
    path: &Path,
    expected: Option<Option<&str>>,
    content: &str,
) -> crate::diag::Result<()> {
    let fail = |what: &str, e: std::io::Error| {
        Diagnostic::in_file(path, format!("cannot {what}: {e}"))
            .with_help("check the directory's permissions and free space; nothing was changed")
    };
    if let Ok(ms) = std::env::var("NIXGEN_TEST_PAUSE_BEFORE_WRITE_MS") {
        // Test hook: widens the window between reading and writing, so the tests can save
        // the file "in an editor" inside it.
        if let Ok(ms) = ms.parse::<u64>() {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
    let target = write_target(path).map_err(|e| fail("resolve the symlink", e))?;
    if let Some(expected) = expected {
        let now = match fs::read(&target) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(fail("read the file again before writing", e).into()),
        };
        if now.as_deref() != expected.map(str::as_bytes) {
            return Err(Diagnostic::in_file(
                path,
                "the file changed on disk after nixgen read it; nothing was written",
            )
            .with_help("another program (an editor, another nixgen) saved it meanwhile: run the command again")
            .into());
        }
    }
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

/// An exclusive lock on a directory, held while a command reads, works out and writes the
/// files in it: two nixgen runs on one flake take turns instead of losing one's edit. The
/// lock is `flock(2)` on the directory itself (no lock file left behind), released when the
/// guard is dropped or the process ends, so a killed run never leaves a stale lock.
#[derive(Debug)]
pub struct DirLock {
    _dir: File,
}

/// Locks the directory `path` is in (or, when that does not exist yet, its nearest existing
/// ancestor), waiting for another holder to finish.
pub fn lock_dir_of(path: &Path) -> crate::diag::Result<DirLock> {
    let target = write_target(path).unwrap_or_else(|_| path.to_path_buf());
    let mut dir = dir_of(&target);
    while !dir.is_dir() {
        match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => dir = p.to_path_buf(),
            _ => {
                dir = PathBuf::from(".");
                break;
            }
        }
    }
    let fail = |e: std::io::Error| {
        Diagnostic::in_file(path, format!("cannot lock {}: {e}", dir.display()))
            .with_help("check the directory's permissions; nothing was written")
    };
    let file = File::open(&dir).map_err(fail)?;
    file.lock().map_err(fail)?;
    Ok(DirLock { _dir: file })
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
    // `a/flake.nix`, `a/tmp/vm/flake.nix`: no `./` or doubled slash after the prefix.
    let shown = path.display().to_string();
    let name = shown.trim_start_matches("./").trim_start_matches('/');
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
