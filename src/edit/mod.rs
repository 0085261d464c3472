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

/// Plans an edit of `input` with `plan` and applies it, checked as Nix's parser would check
/// it (see [`editor::Editor::finish_checked`]). A file that does not pass the strict parser is
/// refused with its own error whatever the outcome (planning refused, nothing to change, or
/// an edit), never edited or called up to date.
pub fn finish<'t>(
    plan: impl FnOnce() -> Result<Editor<'t>>,
    path: &Path,
    input: &'t str,
) -> Result<String> {
    let input_diag = |e: &crate::nix::SyntaxError| flake::syntax_diagnostic(path, input, e);
    let ed = match plan() {
        Ok(ed) => ed,
        Err(failure) => {
            return Err(match crate::nix::check_strict(input) {
                Err(e) => input_diag(&e).into(),
                Ok(()) => failure,
            })
        }
    };
    if ed.is_empty() {
        return match crate::nix::check_strict(input) {
            Err(e) => Err(input_diag(&e).into()),
            Ok(()) => Ok(input.to_owned()),
        };
    }
    match ed.finish_checked() {
        editor::Checked::Ok(out) => Ok(out),
        editor::Checked::InvalidInput(e) => Err(input_diag(&e).into()),
        editor::Checked::InvalidOutput(e) => Err(Diagnostic::in_file(
            path,
            format!("internal error: the edit would not parse ({e}); nothing was written"),
        )
        .with_help("please report this with the file")
        .into()),
    }
}
