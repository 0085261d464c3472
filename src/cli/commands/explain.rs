//! `nixgen explain`.

use crate::cli::args::ExplainArgs;
use crate::cli::Status;
use crate::diag::{Diagnostic, Result};

pub fn run(_args: ExplainArgs) -> Result<Status> {
    Err(Diagnostic::error("explain is not built yet").into())
}
