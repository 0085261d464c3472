//! `nixgen doctor [DIR]`: the set-up a build needs, one finding a line, each problem with the
//! command that fixes it (see [`crate::doctor`]). Exit 1 when a build would fail.

use crate::cli::args::DoctorArgs;
use crate::cli::{Report, Status};
use crate::diag::Result;
use crate::doctor::{self, Level};

/// Runs `nixgen doctor`.
pub fn run(args: DoctorArgs, out: &mut Report) -> Result<Status> {
    let nix = crate::check::find_nix(std::env::var_os("PATH").as_deref());
    let findings = doctor::examine(&args.dir, nix.as_deref());
    for f in &findings {
        let label = match f.level {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Error => "error",
        };
        out.out_line(&format!("{label:<8}{}", f.what));
        if let Some(fix) = &f.fix {
            out.out_line(&format!("        fix: {fix}"));
        }
    }
    let worst = findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok);
    Ok(if worst == Level::Error {
        Status::Failed
    } else {
        Status::Success
    })
}
