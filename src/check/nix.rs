//! Finding `nix` and running it: one evaluation, its stderr tidied (the lock-file report
//! dropped, the inputs it re-locked remembered).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::diag::{Diagnostic, Result};
use crate::nix::escape;

/// The attribute evaluated for each configuration, below `nixosConfigurations.<name>`.
pub const TOPLEVEL: &str = "config.system.build.toplevel.drvPath";

/// What `nixgen check` says when Nix is missing.
pub fn nix_missing() -> Diagnostic {
    Diagnostic::error("nixgen check needs Nix, and `nix` is not on PATH").with_help(
        "install Nix 2.8 or later (Debian: `apt-get install nix-bin`) and run the check again",
    )
}

/// The executable `nix` in a PATH-like list of directories. Looked up here, not left to the
/// OS, so that a missing Nix gets a plain message instead of an I/O error.
pub fn find_nix(path_var: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .map(|dir| dir.join("nix"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// What one Nix run printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NixRun {
    /// Whether `nix` exited with status 0.
    pub success: bool,
    /// Nix's stdout, lossily decoded: the `--json` value on success.
    pub stdout: String,
    /// Nix's stderr without the lock-file report that `--no-write-lock-file` causes.
    pub stderr: String,
    /// Inputs whose lock entry Nix had to update (the `• Updated input 'x'` lines).
    pub updated_inputs: Vec<String>,
}

/// Drops the "not writing modified lock file" block (it only restates what the check
/// deliberately does) and remembers which inputs it says were updated.
pub fn tidy_stderr(stderr: &str) -> (String, Vec<String>) {
    let mut kept = Vec::new();
    let mut updated = Vec::new();
    let mut in_block = false;
    for line in stderr.lines() {
        if line.starts_with("warning: not writing modified lock file") {
            in_block = true;
            continue;
        }
        if in_block && (line.starts_with("• ") || line.starts_with("  ")) {
            if let Some(rest) = line.strip_prefix("• Updated input '") {
                if let Some(name) = rest.split('\'').next() {
                    updated.push(name.to_owned());
                }
            }
            continue;
        }
        in_block = false;
        kept.push(line);
    }
    let mut text = kept.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    (text, updated)
}

/// How to run Nix on one flake.
#[derive(Debug, Clone)]
pub struct Evaluator {
    /// The `nix` executable to run, as [`find_nix`] found it.
    pub nix: PathBuf,
    /// The flake to evaluate, as [`flake_url`](super::flake_url) writes it (`path:<absolute dir>`).
    pub flake_url: String,
    /// `--override-input INPUT URL` pairs, passed as they are.
    pub overrides: Vec<(String, String)>,
    /// `path:` inputs of the lock, refreshed with `--update-input`.
    pub refresh: Vec<String>,
}

impl Evaluator {
    /// The arguments after `nix`, for `nix eval --json <flake>#<attr> [--apply <apply>]`.
    pub fn args(&self, attr: &str, apply: Option<&str>) -> Vec<String> {
        let mut args: Vec<String> = [
            "--extra-experimental-features",
            "nix-command flakes",
            "eval",
            "--json",
            "--offline",
            "--no-write-lock-file",
            "--option",
            "eval-cache",
            "false",
        ]
        .map(str::to_owned)
        .to_vec();
        for input in &self.refresh {
            args.extend(["--update-input".to_owned(), input.clone()]);
        }
        for (input, url) in &self.overrides {
            args.extend(["--override-input".to_owned(), input.clone(), url.clone()]);
        }
        if let Some(apply) = apply {
            args.extend(["--apply".to_owned(), apply.to_owned()]);
        }
        args.push(format!("{}#{attr}", self.flake_url));
        args
    }

    /// Runs `nix eval`; only failing to start Nix at all is an error here, Nix's own
    /// failures are a [`NixRun`] with `success == false`.
    pub fn eval(&self, attr: &str, apply: Option<&str>) -> Result<NixRun> {
        let output = Command::new(&self.nix)
            .args(self.args(attr, apply))
            .output()
            .map_err(|e| {
                Diagnostic::error(format!("cannot run {}: {e}", self.nix.display()))
                    .with_help("check the Nix installation (`nix --version`)")
            })?;
        let (stderr, updated_inputs) = tidy_stderr(&String::from_utf8_lossy(&output.stderr));
        Ok(NixRun {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
            updated_inputs,
        })
    }

    /// The names of `nixosConfigurations`, or Nix's failure.
    pub fn configurations(&self) -> Result<std::result::Result<(Vec<String>, NixRun), NixRun>> {
        let run = self.eval("nixosConfigurations", Some("builtins.attrNames"))?;
        if !run.success {
            return Ok(Err(run));
        }
        match serde_json::from_str::<Vec<String>>(run.stdout.trim()) {
            Ok(names) => Ok(Ok((names, run))),
            Err(e) => Err(Diagnostic::error(format!(
                "Nix printed something other than a list of names ({e}): {}",
                run.stdout.trim()
            ))
            .into()),
        }
    }

    /// The toplevel drvPath of configuration `name`, or Nix's failure. The name goes through
    /// `--apply` as a Nix string, so names with dots or quotes need no attribute-path quoting.
    pub fn toplevel(&self, name: &str) -> Result<std::result::Result<(String, NixRun), NixRun>> {
        let apply = format!(
            "cs: (builtins.getAttr {} cs).{TOPLEVEL}",
            escape::string(name)
        );
        let run = self.eval("nixosConfigurations", Some(&apply))?;
        if !run.success {
            return Ok(Err(run));
        }
        match serde_json::from_str::<String>(run.stdout.trim()) {
            Ok(drv) => Ok(Ok((drv, run))),
            Err(e) => Err(Diagnostic::error(format!(
                "Nix printed something other than a store path ({e}): {}",
                run.stdout.trim()
            ))
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_report_is_dropped_and_updates_remembered() {
        let stderr = "warning: not writing modified lock file of flake 'path:/x':\n• Updated input 'fio-src':\n    'path:/a' (2026)\n  → 'path:/a' (2026)\n• Added input 'nixpkgs':\n    follows 'nixos-flake/nixpkgs'\nerror: boom\n";
        let (text, updated) = tidy_stderr(stderr);
        assert_eq!(text, "error: boom\n");
        assert_eq!(updated, vec!["fio-src"]);
    }
}

/// What the installed Nix can do for a flake build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// `nix --version`'s words, such as `nix (Nix) 2.8.0`.
    pub version: String,
    /// The `nix` command (`nix build`, `nix flake`) is enabled.
    pub nix_command: bool,
    /// Flakes are enabled.
    pub flakes: bool,
}

impl Features {
    /// True when `nix build .#...` works without extra flags.
    pub fn flakes_ready(&self) -> bool {
        self.nix_command && self.flakes
    }

    /// The `nix` words to build with: plain `nix`, or with the flag that enables flakes for
    /// one command.
    pub fn nix_words(&self) -> &'static str {
        if self.flakes_ready() {
            "nix"
        } else {
            "nix --extra-experimental-features 'nix-command flakes'"
        }
    }
}

/// The nix.conf line that enables flakes for good.
pub const FLAKES_CONF_LINE: &str = "experimental-features = nix-command flakes";

/// Whether the Nix configuration files enable `nix-command` and `flakes`, read without
/// starting Nix (`$NIX_CONFIG`, `$NIX_CONF_DIR/nix.conf` or `/etc/nix/nix.conf`, and
/// `$XDG_CONFIG_HOME/nix/nix.conf` or `~/.config/nix/nix.conf`; `experimental-features` and
/// `extra-experimental-features`). Cheap enough for a hint after every `generate`;
/// [`features`] asks Nix itself.
pub fn flakes_enabled_in_config() -> bool {
    let mut texts: Vec<String> = Vec::new();
    let conf_dir = std::env::var_os("NIX_CONF_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/etc/nix".into());
    texts.extend(std::fs::read_to_string(conf_dir.join("nix.conf")).ok());
    let user_dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
    if let Some(dir) = user_dir {
        texts.extend(std::fs::read_to_string(dir.join("nix/nix.conf")).ok());
    }
    texts.extend(std::env::var("NIX_CONFIG").ok());
    let mut features: Vec<String> = Vec::new();
    for text in &texts {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key.trim() {
                "experimental-features" => {
                    features = value.split_whitespace().map(str::to_owned).collect()
                }
                "extra-experimental-features" => {
                    features.extend(value.split_whitespace().map(str::to_owned))
                }
                _ => {}
            }
        }
    }
    ["nix-command", "flakes"]
        .iter()
        .all(|f| features.iter().any(|g| g == f))
}

/// Asks `nix` what it is and which experimental features its configuration enables (Debian's
/// Nix enables neither `nix-command` nor `flakes`). `None` when `nix` does not run.
pub fn features(nix: &Path) -> Option<Features> {
    let version = Command::new(nix).arg("--version").output().ok()?;
    if !version.status.success() {
        return None;
    }
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let enabled = |out: &std::process::Output| -> Vec<String> {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("experimental-features = "))
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let plain = Command::new(nix).arg("show-config").output().ok()?;
    if plain.status.success() {
        let list = enabled(&plain);
        return Some(Features {
            version,
            nix_command: true,
            flakes: list.iter().any(|f| f == "flakes"),
        });
    }
    // `nix-command` is off: ask again with it on for this one call, and read `flakes`.
    let forced = Command::new(nix)
        .args([
            "--extra-experimental-features",
            "nix-command",
            "show-config",
        ])
        .output()
        .ok()?;
    Some(Features {
        version,
        nix_command: false,
        flakes: enabled(&forced).iter().any(|f| f == "flakes"),
    })
}
