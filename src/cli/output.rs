//! What writing commands share: `--dry-run`, `--diff`, `--check`, the "up to date" message,
//! atomic writes, and telling git about new files (flakes only see git-tracked files).

use std::path::{Path, PathBuf};

use super::args::WriteFlags;
use super::{Report, Status};
use crate::diag::{Diagnostic, Result};
use crate::{fsio, git};

/// What happened, or would happen, to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOutcome {
    Created,
    Updated,
    UpToDate,
}

/// Applies the write flags to each file a command produces and reports on it.
pub struct Reporter {
    flags: WriteFlags,
    git: bool,
    out_of_date: bool,
    created: Vec<PathBuf>,
    /// Every file written or found up to date (their git status is checked at the end).
    seen: Vec<PathBuf>,
}

impl Reporter {
    pub fn new(flags: WriteFlags, git: bool) -> Reporter {
        Reporter {
            flags,
            git,
            out_of_date: false,
            created: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// Adds a file the flake needs (a module file) to those whose git status is checked at the
    /// end: an untracked one is invisible to `nix build`.
    pub fn also_check(&mut self, path: &Path) {
        if path.is_file() && !self.seen.iter().any(|p| p == path) {
            self.seen.push(path.to_path_buf());
        }
    }

    /// True when nothing will be written.
    pub fn is_read_only(&self) -> bool {
        self.flags.dry_run || self.flags.check
    }

    /// Brings `path` from `old` (absent: a new file) to `new`, as the flags say.
    pub fn file(
        &mut self,
        report: &mut Report,
        path: &Path,
        old: Option<&str>,
        new: &str,
    ) -> Result<FileOutcome> {
        let outcome = match old {
            None => FileOutcome::Created,
            Some(o) if o == new => FileOutcome::UpToDate,
            Some(_) => FileOutcome::Updated,
        };
        let shown = path.display();
        if outcome == FileOutcome::UpToDate {
            report.say(&format!("{shown} is up to date"));
            self.seen.push(path.to_path_buf());
            return Ok(outcome);
        }
        if self.flags.check {
            report.say(&format!(
                "{shown} is out of date{}",
                if old.is_none() { " (missing)" } else { "" }
            ));
            self.out_of_date = true;
            return Ok(outcome);
        }
        if self.flags.dry_run || self.flags.diff {
            report.out(&fsio::unified_diff(path, old, new));
        }
        let verb = match outcome {
            FileOutcome::Created => "created",
            _ => "updated",
        };
        if self.flags.dry_run {
            report.say(&format!(
                "would have {verb} {shown} (dry run: nothing written)"
            ));
            return Ok(outcome);
        }
        fsio::write_atomic_if(path, Some(old), new)?;
        report.say(&format!("{verb} {shown}"));
        if outcome == FileOutcome::Created {
            self.created.push(path.to_path_buf());
        }
        self.seen.push(path.to_path_buf());
        Ok(outcome)
    }

    /// Tells git about new files, warns about untracked flakes and prints the git commands the
    /// user still has to run; returns the command's status.
    pub fn finish(self, report: &mut Report) -> Status {
        let (status, pending) = self.finish_git(report);
        for p in &pending {
            report.say(&p.message());
        }
        status
    }

    /// Like [`Reporter::finish`], but returns the git commands the user still has to run
    /// instead of printing them (`init` makes them part of its next steps).
    pub fn finish_git(self, report: &mut Report) -> (Status, Vec<git::Pending>) {
        let pending = if self.is_read_only() {
            Vec::new()
        } else {
            let done = git::after_write(&self.created, &self.seen, self.git);
            for line in &done.added {
                report.say(line);
            }
            done.pending
        };
        let status = if self.out_of_date {
            Status::Failed
        } else {
            Status::Success
        };
        (status, pending)
    }
}

/// Reads a file that may not exist yet; any other failure is a diagnostic.
pub fn read_existing(path: &Path) -> Result<Option<String>> {
    // A parse holds about 80 bytes of syntax tree a byte of source: very large files are
    // refused before they are read.
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.len() > crate::nix::MAX_FILE_BYTES {
            return Err(Diagnostic::in_file(
                path,
                format!(
                    "the file is {} bytes; nixgen reads files of at most {} bytes",
                    meta.len(),
                    crate::nix::MAX_FILE_BYTES
                ),
            )
            .with_help("nothing was written; split the file, or edit it by hand")
            .into());
        }
    }
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            Diagnostic::at(
                path,
                &prefix,
                crate::diag::Position::of_offset(&prefix, valid),
                "the file is not valid UTF-8; nixgen does not edit it",
            )
            .with_help("fix the encoding, or move the file away to generate a new one")
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(
            Diagnostic::in_file(path, format!("cannot read the file: {e}"))
                .with_help("check the path and its permissions; nothing was written")
                .into(),
        ),
    }
}
