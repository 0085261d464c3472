//! Diagnostics: errors as values that name a file, a line and a column.
//!
//! Every user-facing failure in nixgen becomes a [`Diagnostic`]. It carries the file it is about,
//! an optional 1-based position, a message and an optional hint that says what to do next. The
//! source line is captured when the diagnostic is made, so rendering later (with a caret under
//! the offending column, like cargo's) needs no file access. Rendering uses colour only when the
//! stream is a terminal and `NO_COLOR` is unset or empty ([`use_color`]); [`Diagnostic::to_json`] serves `--json`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number, starting at 1, counted in characters (a multi-byte character is one
    /// column).
    pub column: usize,
}

impl Position {
    /// The position of a byte offset in `text`. An offset past the end is clamped to the end,
    /// and one inside a multi-byte character counts as the start of that character.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// How serious a diagnostic is: errors fail the command, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Something is wrong: the command fails (exit code 1).
    Error,
    /// Worth telling the user, but the command still succeeds.
    Warning,
    /// Information about a place in a file (what `import` left as hand-written code).
    Note,
}

/// One message about one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Whether this is an error or a warning; see [`Diagnostic::warning`].
    pub severity: Severity,
    /// The file the message is about; `None` for errors about no file in particular (a bad
    /// command-line argument, a `nix` that cannot be run).
    pub file: Option<PathBuf>,
    /// Where in `file` the problem is; `None` when it concerns the whole file (or there is no
    /// file).
    pub position: Option<Position>,
    /// What went wrong, lowercase and without a final period (like rustc's); advice belongs in
    /// `help`, not here.
    pub message: String,
    /// What to do about it (shown as `= help:`); `None` when there is no useful advice.
    pub help: Option<String>,
    /// The text of the line at `position`, captured when the diagnostic is made so that
    /// rendering needs no file access; `None` when there is no position or the line is past the
    /// end of the source.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// An error that is about no file in particular.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: None,
            position: None,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// An error about a whole file.
    pub fn in_file(file: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            file: Some(file.to_path_buf()),
            ..Diagnostic::error(message)
        }
    }

    /// An error at a position of `source`, the text of `file`.
    pub fn at(file: &Path, source: &str, position: Position, message: impl Into<String>) -> Self {
        let source_line = source
            .lines()
            .nth(position.line.saturating_sub(1))
            .map(str::to_owned);
        Diagnostic {
            file: Some(file.to_path_buf()),
            position: Some(position),
            source_line,
            ..Diagnostic::error(message)
        }
    }

    /// The same diagnostic with a hint saying what to do.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same diagnostic as a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// The same diagnostic as a note.
    pub fn note(mut self) -> Self {
        self.severity = Severity::Note;
        self
    }

    /// `file:line:column` (as much of it as is known).
    pub fn location(&self) -> String {
        let mut out = String::new();
        if let Some(file) = &self.file {
            out.push_str(&file.display().to_string());
        }
        if let Some(pos) = self.position {
            let _ = write!(out, ":{}:{}", pos.line, pos.column);
        }
        out
    }

    /// Renders the diagnostic the way cargo does: a headline, the location, the source line
    /// with a caret under the column, and the hint.
    pub fn render(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let (label, code) = match self.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
            Severity::Note => ("note", "1;36"),
        };
        let mut out = format!("{}: {}\n", paint(code, label), paint("1", &self.message));
        let location = self.location();
        if !location.is_empty() {
            let _ = writeln!(out, "  {} {}", paint("1;34", "-->"), location);
        }
        if let (Some(pos), Some(line)) = (self.position, &self.source_line) {
            let number = pos.line.to_string();
            let gutter = " ".repeat(number.len());
            let line = line.replace('\t', " ");
            let _ = writeln!(out, "{} {}", gutter, paint("1;34", "|"));
            let _ = writeln!(
                out,
                "{} {} {}",
                paint("1;34", &number),
                paint("1;34", "|"),
                line
            );
            let caret = format!("{}^", " ".repeat(pos.column.saturating_sub(1)));
            let _ = writeln!(
                out,
                "{} {} {}",
                gutter,
                paint("1;34", "|"),
                paint(code, &caret)
            );
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  {} {}", paint("1;36", "= help:"), help);
        }
        out
    }

    /// The diagnostic as a JSON object (for `--json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "severity": match self.severity { Severity::Error => "error", Severity::Warning => "warning", Severity::Note => "note" },
            "file": self.file.as_ref().map(|f| f.display().to_string()),
            "line": self.position.map(|p| p.line),
            "column": self.position.map(|p| p.column),
            "message": self.message,
            "help": self.help,
        })
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.render(false).trim_end())
    }
}

/// A failed command: one or more diagnostics. Exit code 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The diagnostics to report, in the order they were found. Callers never build an empty
    /// failure: there is always at least one.
    pub diagnostics: Vec<Diagnostic>,
}

impl Failure {
    /// A failure made of several diagnostics (a single one converts with `From`/`?`).
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        Failure { diagnostics }
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure {
            diagnostics: vec![d],
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// Result type of everything that can fail with diagnostics.
pub type Result<T, E = Failure> = std::result::Result<T, E>;

/// Whether to colour output written to a stream: only on a terminal, and never when
/// `NO_COLOR` is set to a non-empty value (an empty `NO_COLOR` is ignored, as no-color.org
/// asks).
pub fn use_color(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely misspelling
/// (case-insensitive Jaro-Winkler similarity of at least 0.8); `None` when nothing is that
/// close.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                *c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_one_based_positions() {
        let text = "ab\ncdé\nf";
        assert_eq!(
            Position::of_offset(text, 0),
            Position { line: 1, column: 1 }
        );
        assert_eq!(
            Position::of_offset(text, 3),
            Position { line: 2, column: 1 }
        );
        assert_eq!(
            Position::of_offset(text, 7),
            Position { line: 2, column: 4 }
        );
        assert_eq!(
            Position::of_offset(text, 8),
            Position { line: 3, column: 1 }
        );
    }

    #[test]
    fn caret_points_at_the_column() {
        let d = Diagnostic::at(
            Path::new("host.yaml"),
            "name: x\nbackedn: imageless\n",
            Position { line: 2, column: 1 },
            "unknown key `backedn`",
        )
        .with_help("did you mean `backend`?");
        let text = d.render(false);
        assert!(text.contains("--> host.yaml:2:1"), "{text}");
        assert!(text.contains("2 | backedn: imageless\n  | ^\n"), "{text}");
        assert!(text.contains("= help: did you mean `backend`?"), "{text}");
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        assert_eq!(
            did_you_mean("backedn", &["backend", "system"]),
            Some("backend")
        );
        assert_eq!(did_you_mean("zzz", &["backend", "system"]), None);
    }
}
