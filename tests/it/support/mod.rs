//! Helpers shared by every suite of the integration-test binary.
//!
//! - here: the repository's directories, reading and writing files, running the `nixgen`
//!   binary with a clean environment, and the syntax checks every generated or edited flake
//!   must pass (nixfmt fixed point, rnix, nixgen's strict parser, `nix-instantiate --parse`);
//! - [`edits`]: comparing a flake before and after an edit (comments, hunks, code tokens);
//! - [`nix`]: evaluating flakes with a real `nix` against the offline stand-ins in
//!   `tests/fixtures`, and generating nixgen's examples for it.
//!
//! Every run of the binary gets `NO_COLOR=1`, a `HOME` of the caller's choosing (never the real
//! one) and git that cannot see the repository this suite lives in, so outputs are
//! deterministic. Every helper that needs Nix panics with [`NIX_REQUIRED`] when it is missing:
//! the tests that use Nix fail without it, they are never skipped.

#![allow(dead_code)]

pub mod edits;
pub mod nix;

use std::path::{Path, PathBuf};
use std::process::Command;

// --- the repository ------------------------------------------------------------------------

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `examples/` of the repository.
pub fn examples_dir() -> PathBuf {
    repo_root().join("examples")
}

/// `tests/corpus/`: hand-written flakes in many styles, for the editor.
pub fn corpus_dir() -> PathBuf {
    repo_root().join("tests").join("corpus")
}

/// The home directory the example outputs assume (examples only use absolute paths under it).
pub const EXAMPLE_HOME: &str = "/home/user";

// --- files ---------------------------------------------------------------------------------

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

// --- the binary ----------------------------------------------------------------------------

/// The `nixgen` binary with a clean environment: `NO_COLOR=1`, `HOME=home`, run in `cwd`, git
/// kept from finding the repository this test suite lives in.
pub fn nixgen(cwd: &Path, home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("nixgen").expect("the nixgen binary is built");
    cmd.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("XDG_CONFIG_HOME")
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

/// Exit code, stdout and stderr of `nixgen ARGS` run in `cwd` with `HOME=cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    run(nixgen_in(cwd).args(args))
}

// --- Nix syntax ----------------------------------------------------------------------------

/// The panic message when Nix is missing.
pub const NIX_REQUIRED: &str =
    "Nix is required for the evaluation tests: apt-get install -y nix-bin";

/// Where Nix's executables are looked for after PATH.
const NIX_FALLBACK_DIRS: [&str; 3] = [
    "/usr/bin",
    "/nix/var/nix/profiles/default/bin",
    "/run/current-system/sw/bin",
];

/// The executable `name` of Nix (`nix`, `nix-instantiate`): on PATH, else in Nix's usual
/// places. Panics with [`NIX_REQUIRED`] when there is none: the tests that use Nix fail
/// without it, they never skip.
pub fn nix_executable(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(NIX_FALLBACK_DIRS.map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
        .unwrap_or_else(|| panic!("{NIX_REQUIRED} (`{name}` is not on PATH nor in /usr/bin)"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `nix-instantiate` (see [`nix_executable`]).
pub fn nix_instantiate() -> PathBuf {
    nix_executable("nix-instantiate")
}

/// A `nix-instantiate` command whose state, logs and `HOME` are under `dir` (a temporary
/// directory), run in `dir`.
pub fn nix_instantiate_in(dir: &Path) -> Command {
    let mut cmd = Command::new(nix_instantiate());
    cmd.current_dir(dir)
        .env("NIX_STATE_DIR", dir.join("nix-state"))
        .env("NIX_LOG_DIR", dir.join("nix-log"))
        .env("HOME", dir);
    cmd
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

// --- host descriptions ---------------------------------------------------------------------

/// The validated hosts of a description file, through the library (panics on invalid input:
/// the examples are valid).
pub fn load_hosts(yaml: &Path) -> Vec<nixgen::model::load::LoadedHost> {
    let doc = nixgen::model::load::read(yaml)
        .unwrap_or_else(|f| panic!("{} does not load:\n{f}", yaml.display()));
    nixgen::model::load::hosts(&doc)
        .unwrap_or_else(|f| panic!("{} does not validate:\n{f}", yaml.display()))
}
