//! `nixgen overlay add|remove|list`.

use crate::cli::args::OverlayCommand;
use crate::cli::Status;
use crate::diag::{Diagnostic, Result};

pub fn run(_cmd: OverlayCommand) -> Result<Status> {
    Err(Diagnostic::error("overlay editing is not built yet").into())
}
