//! Editing existing flakes through the syntax tree.

pub mod editor;
pub mod flake;
pub mod overlay;

use std::path::Path;

use crate::diag::{Diagnostic, Result};
use crate::generate::{emit, Examples, FlakePlan};

/// Brings an existing flake in line with `plan`.
pub fn reconcile(path: &Path, old: &str, plan: &FlakePlan, _prune: bool) -> Result<String> {
    let fresh = emit(plan, &Examples::default())
        .map_err(|e| Diagnostic::in_file(path, format!("internal error: {e}")))?;
    if fresh == old {
        return Ok(fresh);
    }
    Err(Diagnostic::in_file(path, "the flake exists and differs from what the host description generates")
        .with_help("use --force to replace it")
        .into())
}
