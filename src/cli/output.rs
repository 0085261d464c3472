//! What writing commands share: `--dry-run`, `--diff`, `--check`, the "up to date" message,
//! atomic writes, and telling git about new files (flakes only see git-tracked files).

use std::path::{Path, PathBuf};

use super::args::WriteFlags;
use super::Status;
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
    written: Vec<PathBuf>,
}

impl Reporter {
    pub fn new(flags: WriteFlags, git: bool) -> Reporter {
        Reporter {
            flags,
            git,
            out_of_date: false,
            created: Vec::new(),
            written: Vec::new(),
        }
    }

    /// True when nothing will be written.
    pub fn is_read_only(&self) -> bool {
        self.flags.dry_run || self.flags.check
    }

    /// Brings `path` from `old` (absent: a new file) to `new`, as the flags say.
    pub fn file(&mut self, path: &Path, old: Option<&str>, new: &str) -> Result<FileOutcome> {
        let outcome = match old {
            None => FileOutcome::Created,
            Some(o) if o == new => FileOutcome::UpToDate,
            Some(_) => FileOutcome::Updated,
        };
        let shown = path.display();
        if outcome == FileOutcome::UpToDate {
            eprintln!("{shown} is up to date");
            return Ok(outcome);
        }
        if self.flags.check {
            eprintln!(
                "{shown} is out of date{}",
                if old.is_none() { " (missing)" } else { "" }
            );
            self.out_of_date = true;
            return Ok(outcome);
        }
        if self.flags.dry_run || self.flags.diff {
            print!("{}", fsio::unified_diff(path, old, new));
        }
        let verb = match outcome {
            FileOutcome::Created => "created",
            _ => "updated",
        };
        if self.flags.dry_run {
            eprintln!("would have {verb} {shown} (dry run: nothing written)");
            return Ok(outcome);
        }
        fsio::write_atomic(path, new)?;
        eprintln!("{verb} {shown}");
        if outcome == FileOutcome::Created {
            self.created.push(path.to_path_buf());
        }
        self.written.push(path.to_path_buf());
        Ok(outcome)
    }

    /// Tells git about new files and warns about untracked flakes; returns the command's status.
    pub fn finish(self) -> Status {
        if self.git && !self.written.is_empty() {
            git::after_write(&self.created, &self.written);
        }
        if self.out_of_date {
            Status::Failed
        } else {
            Status::Success
        }
    }
}

/// Reads a file that may not exist yet; any other failure is a diagnostic.
pub fn read_existing(path: &Path) -> Result<Option<String>> {
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
        Err(e) => Err(Diagnostic::in_file(path, format!("cannot read the file: {e}")).into()),
    }
}
