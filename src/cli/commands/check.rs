//! `nixgen check`.

use crate::cli::args::CheckArgs;
use crate::cli::Status;
use crate::diag::{Diagnostic, Result};

pub fn run(_args: CheckArgs, _color: bool) -> Result<Status> {
    Err(Diagnostic::error("check is not built yet").into())
}
