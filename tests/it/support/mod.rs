//! Helpers shared by every suite of the integration-test binary: the repository's directories,
//! running the `nixgen` binary, the syntax checks every generated or edited flake must pass
//! (nixfmt fixed point, rnix, nixgen's strict parser, `nix-instantiate --parse`), files.
//! [`edits`] adds what the editing suites use (the corpus, comments, hunks, code tokens),
//! [`nix`] evaluation with a real `nix` against the offline stand-ins in `tests/fixtures`.
//!
//! Every run of the binary gets `NO_COLOR=1`, a `HOME` of the caller's choosing (never the real
//! one) and, where it matters, a temporary current directory, so outputs are deterministic.
//! Every helper that needs Nix panics with [`nix::NIX_REQUIRED`] when it is missing: the tests
//! that use Nix fail without it, they are never skipped.

#![allow(dead_code)]

pub mod edits;
pub mod nix;

use std::path::{Path, PathBuf};

use nix::nix_instantiate_in;

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

/// [`nixgen`] with `HOME=cwd`.
pub fn nixgen_in(cwd: &Path) -> assert_cmd::Command {
    nixgen(cwd, cwd)
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

/// Every syntax check a generated flake must pass: it is a nixfmt fixed point, and
/// [`assert_parses`] (rnix, nixgen's strict check and `nix-instantiate --parse`).
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
    assert_parses(what, text);
}

/// Checks `text` with rnix, nixgen's strict parser and `nix-instantiate --parse` (as a file
/// called `name`, the way Nix reads flake.nix). Returns what failed.
pub fn parse_all(name: &str, text: &str) -> Result<(), String> {
    let parse = rnix::Root::parse(text);
    if !parse.errors().is_empty() {
        return Err(format!("rnix: {:?}", parse.errors()));
    }
    nixgen::nix::check_syntax(text).map_err(|e| format!("strict parser: {e}"))?;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(name);
    std::fs::write(&file, text).expect("write");
    let out = nix_instantiate_in(dir.path())
        .arg("--parse")
        .arg(&file)
        .output()
        .expect("nix-instantiate runs");
    if !out.status.success() {
        return Err(format!(
            "nix-instantiate --parse: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Panicking form of [`parse_all`].
pub fn assert_parses(what: &str, text: &str) {
    if let Err(e) = parse_all("flake.nix", text) {
        panic!("{what}: the output does not parse: {e}\n{text}");
    }
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

/// Asserts that `haystack` contains `needle`, showing both when it does not.
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find\n  {needle:?}\nin\n{haystack}"
    );
}
