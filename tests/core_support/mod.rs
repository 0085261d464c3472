//! Helpers shared by the core test suites (`generate_snapshots`, `validation`, `cli`).
//!
//! Every run of the binary gets `NO_COLOR=1`, a `HOME` of the caller's choosing (never the real
//! one) and, where it matters, a temporary current directory, so outputs are deterministic.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `examples/` of the repository.
pub fn examples_dir() -> PathBuf {
    repo_root().join("examples")
}

/// The home directory the example outputs assume (examples only use absolute paths under it).
pub const EXAMPLE_HOME: &str = "/home/user";

/// The `nixgen` binary with a clean environment: `NO_COLOR=1`, `HOME=home`, run in `cwd`.
pub fn nixgen(cwd: &Path, home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("nixgen").expect("the nixgen binary is built");
    cmd.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("XDG_CONFIG_HOME")
        // Keep git from finding the repository this test suite lives in.
        .env("GIT_CEILING_DIRECTORIES", cwd.parent().unwrap_or(cwd));
    cmd
}

/// Runs the command and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().expect("nixgen runs");
    (
        out.status
            .code()
            .expect("nixgen exits with a code, not a signal"),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

/// The path of `nix-instantiate`: on PATH, else Nix's usual places. Panics (the test FAILS,
/// never skips) when it is missing: the syntax check against real Nix is part of the contract.
pub fn nix_instantiate() -> PathBuf {
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("nix-instantiate"))
            .collect::<Vec<_>>()
    });
    let fallbacks = [
        "/usr/bin/nix-instantiate",
        "/nix/var/nix/profiles/default/bin/nix-instantiate",
        "/run/current-system/sw/bin/nix-instantiate",
    ]
    .map(PathBuf::from);
    on_path
        .chain(fallbacks)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nix-instantiate was not found on PATH nor in /usr/bin: these tests check \
                 generated flakes with real Nix (`nix-instantiate --parse`) and must not be \
                 skipped. Install Nix (2.8 or later) or put nix-instantiate on PATH."
            )
        })
}

/// Every syntax check a generated flake must pass: it is a nixfmt fixed point, rnix parses it
/// without errors, nixgen's own strict check accepts it, and `nix-instantiate --parse` does.
pub fn assert_valid_nix(what: &str, text: &str) {
    let formatted = nixfmt_rs::format(text)
        .unwrap_or_else(|e| panic!("{what}: nixfmt_rs cannot parse the output: {e:?}\n{text}"));
    if formatted != text {
        let diff = similar::TextDiff::from_lines(text, &formatted)
            .unified_diff()
            .header("generated", "nixfmt")
            .to_string();
        panic!("{what}: the output is not a nixfmt fixed point:\n{diff}");
    }
    let parse = rnix::Root::parse(text);
    assert!(
        parse.errors().is_empty(),
        "{what}: rnix reports errors: {:?}\n{text}",
        parse.errors()
    );
    if let Err(e) = nixgen::nix::check_syntax(text) {
        panic!("{what}: nixgen::nix::check_syntax rejects the output: {e}\n{text}");
    }
    nix_parse(what, text);
}

/// `nix-instantiate --parse` of `text` (as a file, like Nix reads flake.nix).
pub fn nix_parse(what: &str, text: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("flake.nix");
    std::fs::write(&file, text).expect("write flake.nix");
    let out = Command::new(nix_instantiate())
        .arg("--parse")
        .arg(&file)
        .env("NIX_STATE_DIR", dir.path().join("nix-state"))
        .env("NIX_LOG_DIR", dir.path().join("nix-log"))
        .env("HOME", dir.path())
        .output()
        .expect("nix-instantiate runs");
    assert!(
        out.status.success(),
        "{what}: `nix-instantiate --parse` rejects the output:\n{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reads a file that must exist.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Writes `text` to `dir/name`, creating directories, and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create directories");
    }
    std::fs::write(&path, text).expect("write file");
    path
}
