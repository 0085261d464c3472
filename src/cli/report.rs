//! Everything a command has to say, collected while it runs and written once.
//!
//! Commands never print. They add to a [`Report`]: text for standard output (a diff, JSON, a
//! listing, a completion script) and lines for standard error (what was written, warnings,
//! diagnostics). `main` writes the report when the command is over, failed or not, so every
//! byte of output goes through [`Report::write`]. A reader that stops early (`nixgen man |
//! head -1`) closes the pipe: that ends the output quietly, as an io error handled where the
//! output is written, never as a panic.

use std::io::{self, Write};

use crate::diag::Diagnostic;

/// What a command says, in order, per stream.
#[derive(Debug, Default)]
pub struct Report {
    color: bool,
    out: String,
    err: String,
}

impl Report {
    /// An empty report; `color` says whether diagnostics are rendered in colour.
    pub fn new(color: bool) -> Report {
        Report {
            color,
            ..Report::default()
        }
    }

    /// Adds text to standard output, as it is.
    pub fn out(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// Adds one line to standard output.
    pub fn out_line(&mut self, line: &str) {
        self.out.push_str(line);
        self.out.push('\n');
    }

    /// Adds one line to standard error.
    pub fn say(&mut self, line: &str) {
        self.err.push_str(line);
        self.err.push('\n');
    }

    /// Adds text to standard error, as it is (Nix's own messages).
    pub fn say_raw(&mut self, text: &str) {
        self.err.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            self.err.push('\n');
        }
    }

    /// Adds diagnostics (errors or warnings) to standard error.
    pub fn diagnostics(&mut self, diagnostics: &[Diagnostic]) {
        for d in diagnostics {
            self.err.push_str(&d.render(self.color));
        }
    }

    /// The standard-output text so far (tests and `--json` assembly).
    pub fn stdout_text(&self) -> &str {
        &self.out
    }

    /// Writes the report: standard error first (notes and diagnostics), then standard output.
    /// A closed standard output is not an error (the reader had what it wanted).
    pub fn write(self) -> io::Result<()> {
        write_all(&mut io::stderr().lock(), &self.err)?;
        write_all(&mut io::stdout().lock(), &self.out)
    }
}

fn write_all(stream: &mut impl Write, text: &str) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    match stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
