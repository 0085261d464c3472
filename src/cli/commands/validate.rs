//! `nixgen validate`: check descriptions, write nothing.

use crate::cli::args::ValidateArgs;
use crate::cli::{Report, Status};
use crate::diag::Result;
use crate::model::load;

pub fn run(args: ValidateArgs, report: &mut Report) -> Result<Status> {
    let mut diagnostics = Vec::new();
    let mut failed = false;
    for file in &args.files {
        let result = load::read(file).and_then(|doc| Ok((load::hosts(&doc)?, doc)));
        match result {
            Ok((hosts, doc)) => {
                let mut warnings: Vec<_> = hosts.iter().flat_map(|h| h.warnings.clone()).collect();
                // The backends allow key logins only: a host without keys cannot be reached
                // over SSH (the generated flake says so in a comment too).
                for host in hosts.iter().filter(|h| h.host.ssh_keys.is_empty()) {
                    warnings.push(
                        doc.error_at(host.node.key_position(&["name"]), format!(
                            "configuration `{}` has no `sshKeys`: the VM will accept no SSH login",
                            host.host.host.name
                        ))
                        .with_help("nixos-flake's backends allow key logins only; add `sshKeys: [~/.ssh/id_ed25519.pub]` (or a key line) to log in as root and as the user")
                        .warning(),
                    );
                }
                // A host file's flake goes beside it (`generate`'s default); a fleet's
                // directories are only known to `scaffold --root`, which checks them.
                if !doc.is_fleet() {
                    for host in &hosts {
                        warnings.extend(load::missing_modules(&doc, host, &doc.base_dir()));
                    }
                }
                if !args.json {
                    report.diagnostics(&warnings);
                    let names: Vec<&str> =
                        hosts.iter().map(|h| h.host.host.name.as_str()).collect();
                    report.say(&format!("{}: ok ({})", file.display(), names.join(", ")));
                }
                diagnostics.extend(warnings);
            }
            Err(failure) => {
                failed = true;
                if !args.json {
                    report.diagnostics(&failure.diagnostics);
                }
                diagnostics.extend(failure.diagnostics);
            }
        }
    }
    if args.json {
        let json: Vec<_> = diagnostics.iter().map(|d| d.to_json()).collect();
        report.out_line(
            &serde_json::to_string_pretty(&serde_json::json!({
                "valid": !failed,
                "diagnostics": json,
            }))
            .expect("diagnostics serialize"),
        );
    }
    Ok(if failed {
        Status::Failed
    } else {
        Status::Success
    })
}
