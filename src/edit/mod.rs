//! Editing existing flakes through the syntax tree.
//!
//! [`editor`] is the single place where source text changes (layout decided there);
//! [`flake`] locates what a configuration flake is made of; [`inputs`] declares, reaches and
//! retires flake inputs; [`overlay`] implements `overlay add|remove|list`; [`mod@reconcile`] is
//! `generate` over an existing flake; [`insert_setting`] and [`finish`] serve them all. Every edit
//! keeps comments and code nixgen does not own byte for byte, and nothing is returned that
//! does not parse.

pub mod editor;
pub mod flake;
pub mod inputs;
pub mod overlay;
pub mod reconcile;

pub use reconcile::{reconcile, Reconciled};

use std::path::Path;

use crate::diag::{Diagnostic, Result};
use crate::nix::ast::Expr;
use crate::nix::resolve::{lookup, Lookup};
use editor::Editor;
use flake::Flake;
use rnix::ast;
use rowan::ast::AstNode;

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
        Err(failure) => return Err(planning_failed(failure, path, input)),
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
        editor::Checked::Refused(e) => Err(Diagnostic::in_file(
            path,
            format!("the edit would give a file Nix refuses ({}); nothing was written", e.message),
        )
        .with_help("make the change by hand where the name is in scope, or tell nixgen's maintainers the flake's shape")
        .into()),
        editor::Checked::InvalidOutput(e) => Err(Diagnostic::in_file(
            path,
            format!("internal error: the edit would not parse ({e}); nothing was written"),
        )
        .with_help("please report this with the file")
        .into()),
    }
}

/// What to report when planning an edit of `input` failed: the file's own syntax error when
/// Nix's parser refuses it (the real problem), else the planning failure.
pub fn planning_failed(
    failure: crate::diag::Failure,
    path: &Path,
    input: &str,
) -> crate::diag::Failure {
    match crate::nix::check_strict(input) {
        Err(e) => flake::syntax_diagnostic(path, input, &e).into(),
        Ok(()) => failure,
    }
}

/// Inserts `path = value;` into `set` where the path is missing (following nested sets the
/// path already has).
pub fn insert_setting(
    flake: &Flake,
    ed: &mut Editor,
    set: &ast::AttrSet,
    path: &[&str],
    value: &Expr,
) -> Result<()> {
    match lookup(set, path) {
        Lookup::Missing { set, depth, anchor } => {
            let keys: Vec<String> = path[depth..].iter().map(|s| (*s).to_owned()).collect();
            ed.insert_binding(&set, anchor.as_ref().map(|a| a.syntax()), &keys, value);
            Ok(())
        }
        l @ Lookup::Opaque { .. } => Err(flake.refuse(&l, &format!("`{}`", path.join("."))).into()),
        _ => Ok(()),
    }
}
