//! Helpers for integration tests that evaluate flakes with a real `nix`
//! against the offline stand-ins in `tests/fixtures` (see its README.md).
//!
//! Include it with `#[path = "support/nix.rs"] mod nix_support;` (or as
//! `support::nix` from a `support/mod.rs`).
//!
//! Every helper that runs Nix panics with [`NIX_REQUIRED`] when `nix` is not
//! on PATH: the evaluation tests never skip silently.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The panic message when `nix` is missing.
pub const NIX_REQUIRED: &str =
    "Nix is required for the evaluation tests: apt-get install -y nix-bin";

/// `tests/fixtures` of this crate.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// The stand-in nixpkgs flake.
pub fn nixpkgs_fixture() -> PathBuf {
    fixtures_dir().join("nixpkgs")
}

/// The stand-in linux-kdevops/nixos-flake flake.
pub fn nixos_flake_fixture() -> PathBuf {
    fixtures_dir().join("nixos-flake")
}

/// `path:<abs>` URL of the stand-in nixpkgs.
pub fn nixpkgs_url() -> String {
    format!("path:{}", nixpkgs_fixture().display())
}

/// `path:<abs>` URL of the stand-in nixos-flake, for `inputs.nixos-flake.url`
/// or a host description's `nixosFlake:`.
pub fn nixos_flake_url() -> String {
    format!("path:{}", nixos_flake_fixture().display())
}

/// The `--override-input` pairs that wire the stand-ins into a configuration
/// flake: `nixos-flake` itself and its `nixpkgs` input (which the
/// configuration's `nixpkgs.follows = "nixos-flake/nixpkgs"` then follows).
/// An override naming an input a flake lacks only makes Nix print a warning.
pub fn fixture_overrides() -> Vec<(String, String)> {
    vec![
        ("nixos-flake".to_string(), nixos_flake_url()),
        ("nixos-flake/nixpkgs".to_string(), nixpkgs_url()),
    ]
}

/// [`fixture_overrides`] as command-line words (`--override-input NAME URL`
/// ...), e.g. for `nixgen check`, which passes them to Nix as they are.
pub fn override_input_args() -> Vec<String> {
    fixture_overrides()
        .into_iter()
        .flat_map(|(input, url)| ["--override-input".to_string(), input, url])
        .collect()
}

/// Find an executable `nix` in a PATH-like list of directories.
pub fn find_nix_in(path_var: Option<&OsStr>) -> Option<PathBuf> {
    let path_var = path_var?;
    std::env::split_paths(path_var)
        .map(|dir| dir.join("nix"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The `nix` executable found through `path_var`; panics with
/// [`NIX_REQUIRED`] when there is none.
pub fn require_nix_in(path_var: Option<&OsStr>) -> PathBuf {
    find_nix_in(path_var).unwrap_or_else(|| panic!("{NIX_REQUIRED}"))
}

/// The `nix` executable on PATH; panics with [`NIX_REQUIRED`] when there is
/// none.
pub fn require_nix() -> PathBuf {
    let path: Option<OsString> = std::env::var_os("PATH");
    require_nix_in(path.as_deref())
}

/// A `nix` command with flakes enabled, offline, without the evaluation
/// cache. Panics when Nix is missing.
pub fn nix_command() -> Command {
    let mut cmd = Command::new(require_nix());
    cmd.args([
        "--extra-experimental-features",
        "nix-command flakes",
        "--offline",
        "--option",
        "eval-cache",
        "false",
    ]);
    cmd
}

/// The flake reference `path:<abs dir>#<attr>`.
pub fn flake_ref(dir: &Path, attr: &str) -> String {
    let dir = dir
        .canonicalize()
        .unwrap_or_else(|e| panic!("flake directory {}: {e}", dir.display()));
    format!("path:{}#{}", dir.display(), attr)
}

fn run_eval(
    dir: &Path,
    attr: &str,
    apply: Option<&str>,
    overrides: &[(String, String)],
) -> Result<Value, String> {
    let mut cmd = nix_command();
    cmd.args([
        "eval",
        "--json",
        "--no-write-lock-file",
        "--recreate-lock-file",
    ]);
    for (input, url) in overrides {
        cmd.args(["--override-input", input, url]);
    }
    if let Some(expr) = apply {
        cmd.args(["--apply", expr]);
    }
    cmd.arg(flake_ref(dir, attr));
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("{NIX_REQUIRED} (running nix failed: {e})"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        return Err(stderr);
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "nix eval printed no JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn owned(overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    overrides
        .iter()
        .map(|(i, u)| (i.to_string(), u.to_string()))
        .collect()
}

/// `nix eval --json path:<dir>#<attr>` with the stand-ins wired in
/// ([`fixture_overrides`]), offline, writing no lock file and ignoring a
/// stale one. `Err` holds Nix's stderr.
pub fn eval_json(dir: &Path, attr: &str) -> Result<Value, String> {
    run_eval(dir, attr, None, &fixture_overrides())
}

/// [`eval_json`] with `--apply <expr>` (a Nix function applied to the value).
pub fn eval_json_apply(dir: &Path, attr: &str, apply: &str) -> Result<Value, String> {
    run_eval(dir, attr, Some(apply), &fixture_overrides())
}

/// Like [`eval_json`] but with exactly the given `--override-input` pairs
/// (none of the default ones).
pub fn eval_json_with(dir: &Path, attr: &str, overrides: &[(&str, &str)]) -> Result<Value, String> {
    run_eval(dir, attr, None, &owned(overrides))
}

/// Evaluate an attribute of the stand-in nixos-flake itself (its `nixpkgs`
/// input overridden with the stand-in nixpkgs).
pub fn eval_nixos_flake(attr: &str) -> Result<Value, String> {
    let nixpkgs = nixpkgs_url();
    eval_json_with(&nixos_flake_fixture(), attr, &[("nixpkgs", &nixpkgs)])
}

/// `nixosConfigurations.<config>.config.system.build.toplevel.drvPath` of
/// the configuration flake in `dir`, with the stand-ins wired in.
pub fn toplevel_drv_path(dir: &Path, config: &str) -> Result<String, String> {
    let attr = format!("nixosConfigurations.{config}.config.system.build.toplevel.drvPath");
    match eval_json(dir, &attr)? {
        Value::String(s) => Ok(s),
        other => Err(format!("drvPath is not a string: {other}")),
    }
}

/// A temporary directory holding the given files (relative path, contents),
/// e.g. `[("flake.nix", ...), ("extra.nix", ...)]`.
pub fn temp_flake(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("nixgen-flake-")
        .tempdir()
        .expect("create a temporary directory");
    for (name, contents) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directories");
        }
        std::fs::write(&path, contents).expect("write a flake file");
    }
    dir
}
