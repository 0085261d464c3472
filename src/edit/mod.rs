//! Editing existing flakes through the syntax tree.
//!
//! [`editor`] is the single place where source text changes (layout decided there);
//! [`flake`] locates what a configuration flake is made of; [`overlay`] implements
//! `overlay add|remove|list`; [`mod@reconcile`] is `generate` over an existing flake. Every edit
//! keeps comments and code nixgen does not own byte for byte, and nothing is returned that
//! does not parse.

pub mod editor;
pub mod flake;
pub mod overlay;
pub mod reconcile;

pub use reconcile::{reconcile, Reconciled};

use std::path::Path;

use crate::diag::{Diagnostic, Result};
use editor::Editor;

/// Applies an edit planned on a file read with [`flake::Flake::parse_for_edit`], and checks
/// the result with the strict parser. The file itself was only read leniently, so whenever
/// the outcome is not a clean edit (planning refused it, the result fails the check, or there
/// is nothing to change) the input gets the strict check too: a file that does not parse is
/// refused with its own error, never edited or called up to date.
pub fn finish(planned: Result<Editor>, path: &Path, input: &str) -> Result<String> {
    let input_error = || {
        crate::nix::check_strict(input)
            .err()
            .map(|e| flake::syntax_diagnostic(path, input, &e))
    };
    let ed = match planned {
        Ok(ed) => ed,
        Err(failure) => return Err(input_error().map_or(failure, Into::into)),
    };
    if ed.is_empty() {
        return match input_error() {
            Some(d) => Err(d.into()),
            None => Ok(input.to_owned()),
        };
    }
    ed.finish().map_err(|e| {
        input_error()
            .unwrap_or_else(|| {
                Diagnostic::in_file(
                    path,
                    format!("internal error: the edit would not parse ({e}); nothing was written"),
                )
                .with_help("please report this with the file")
            })
            .into()
    })
}
