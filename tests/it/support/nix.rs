//! Nix for the tests: finding `nix` and `nix-instantiate`, evaluating flakes with a real `nix`
//! against the offline stand-ins in `tests/fixtures` (see its README.md), and nixgen's
//! examples generated for real in temporary directories.
//!
//! Every helper that runs Nix panics with [`NIX_REQUIRED`] when Nix is missing: the tests that
//! need it never skip silently.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{examples_dir, nixgen_in, repo_root, run};

/// The panic message when Nix is missing.
pub const NIX_REQUIRED: &str =
    "Nix is required for the evaluation tests: apt-get install -y nix-bin";

/// `tests/fixtures` of this crate.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests").join("fixtures")
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

/// The executable `name` of Nix (`nix`, `nix-instantiate`): on PATH, else Nix's usual places.
/// Panics with [`NIX_REQUIRED`] (the test FAILS, never skips) when it is missing: checks
/// against real Nix are part of the contract.
pub fn nix_executable(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let fallbacks = [
        "/usr/bin",
        "/nix/var/nix/profiles/default/bin",
        "/run/current-system/sw/bin",
    ]
    .map(PathBuf::from);
    on_path
        .into_iter()
        .chain(fallbacks)
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

/// A `nix-instantiate` command run in `dir` (a temporary directory), with its state, logs and
/// `HOME` there.
pub fn nix_instantiate_in(dir: &Path) -> Command {
    let mut cmd = Command::new(nix_instantiate());
    cmd.current_dir(dir)
        .env("NIX_STATE_DIR", dir.join("nix-state"))
        .env("NIX_LOG_DIR", dir.join("nix-log"))
        .env("HOME", dir);
    cmd
}

/// The `nix` executable (see [`nix_executable`]); panics with [`NIX_REQUIRED`] when there is
/// none.
pub fn require_nix() -> PathBuf {
    nix_executable("nix")
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

/// `nix eval --json [--apply EXPR] path:<dir>#<attr>` with `overrides` passed as
/// `--override-input`; `Err` holds Nix's stderr.
pub fn run_eval(
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

// ---------------------------------------------------------------------------
// Generated configurations: nixgen's examples, run for real in temporary
// directories.
// ---------------------------------------------------------------------------

/// Where the examples' local checkouts live: `src/` of [`super::EXAMPLE_HOME`].
pub const EXAMPLE_SRC: &str = "/home/user/src/";

/// An example's YAML made to work under `root`: the stand-in replaces
/// `/home/user/src/nixos-flake`, and other `/home/user/src/` paths move to
/// `<root>/src/` (created by [`create_local_sources`]).
pub fn localize(yaml: &str, root: &Path) -> String {
    yaml.replace(
        &format!("{EXAMPLE_SRC}nixos-flake"),
        &nixos_flake_fixture().display().to_string(),
    )
    .replace(EXAMPLE_SRC, &format!("{}/src/", root.display()))
}

/// Creates the local source directory of every `src:` overlay that the
/// description at `yaml` names, each holding a `MARKER` file with the
/// input's name. Returns (input, directory) pairs.
pub fn create_local_sources(yaml: &Path) -> Vec<(String, PathBuf)> {
    let mut made = Vec::new();
    for host in load_hosts(yaml) {
        for overlay in &host.host.overlays {
            if let nixgen::model::OverlaySource::Input {
                input,
                source: nixgen::model::InputSource::Path(path),
            } = &overlay.source
            {
                let dir = PathBuf::from(path);
                std::fs::create_dir_all(&dir).expect("create a local source");
                std::fs::write(dir.join("MARKER"), format!("{input}\n")).expect("write MARKER");
                if !made.iter().any(|(_, d)| d == &dir) {
                    made.push((input.clone(), dir));
                }
            }
        }
    }
    made
}

/// The validated hosts of a description file, through the library (panics on invalid input:
/// the examples are valid).
pub fn load_hosts(yaml: &Path) -> Vec<nixgen::model::load::LoadedHost> {
    let doc = nixgen::model::load::read(yaml)
        .unwrap_or_else(|f| panic!("{} does not load:\n{f}", yaml.display()));
    nixgen::model::load::hosts(&doc)
        .unwrap_or_else(|f| panic!("{} does not validate:\n{f}", yaml.display()))
}

/// One configuration of a [`Generated`] set.
pub struct GeneratedConfig {
    pub name: String,
    /// The directory holding its flake.nix.
    pub dir: PathBuf,
    /// The host description it was generated from.
    pub yaml: PathBuf,
}

/// Generated configurations in a temporary directory.
pub struct Generated {
    pub tmp: tempfile::TempDir,
    pub configs: Vec<GeneratedConfig>,
    /// Local sources created for `src:` overlays: (input, directory), one per directory.
    pub sources: Vec<(String, PathBuf)>,
}

impl Generated {
    /// Configuration `name`.
    pub fn config(&self, name: &str) -> &GeneratedConfig {
        self.configs
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no configuration {name}"))
    }

    /// The flake directory of configuration `name`.
    pub fn dir(&self, name: &str) -> &Path {
        &self.config(name).dir
    }

    /// The (first) local source directory of input `input`.
    pub fn source(&self, input: &str) -> &Path {
        self.sources
            .iter()
            .find(|(i, _)| i == input)
            .map(|(_, d)| d.as_path())
            .unwrap_or_else(|| panic!("no local source {input}"))
    }
}

/// `nixgen generate` (single host) or `nixgen scaffold` (fleet) on the YAML
/// text `yaml`, written as `<tmp>/<file_name>` after [`localize`]; module
/// files it names are copied from `examples/`.
pub fn generate_yaml(file_name: &str, yaml: &str) -> Generated {
    let tmp = tempfile::Builder::new()
        .prefix("nixgen-eval-")
        .tempdir()
        .expect("create a temporary directory");
    let root = tmp.path().canonicalize().expect("temporary directory");
    let yaml_path = root.join(file_name);
    std::fs::write(&yaml_path, localize(yaml, &root)).expect("write the YAML");
    let sources = create_local_sources(&yaml_path);
    let hosts = load_hosts(&yaml_path);
    let is_fleet = yaml.lines().any(|l| l.starts_with("configurations:"));
    let args: Vec<&str> = if is_fleet {
        vec![
            "scaffold",
            file_name,
            "--root",
            "configurations",
            "--no-git",
        ]
    } else {
        vec!["generate", file_name, "--no-git"]
    };
    let (code, _, stderr) = run(nixgen_in(&root).args(&args));
    assert_eq!(code, 0, "nixgen {args:?} failed:\n{stderr}");
    let mut configs = Vec::new();
    for host in &hosts {
        let name = host.host.host.name.clone();
        let (dir, yaml) = if is_fleet {
            let dir = root.join("configurations").join(&name);
            let yaml = dir.join("host.yaml");
            (dir, yaml)
        } else {
            (root.clone(), yaml_path.clone())
        };
        for module in &host.host.host.modules {
            let from = examples_dir().join(module);
            if from.is_file() {
                std::fs::copy(&from, dir.join(module)).expect("copy a module file");
            }
        }
        configs.push(GeneratedConfig { name, dir, yaml });
    }
    Generated {
        tmp,
        configs,
        sources,
    }
}

/// [`generate_yaml`] on `examples/<file>`.
pub fn generate_example(file: &str) -> Generated {
    let text = std::fs::read_to_string(examples_dir().join(file))
        .unwrap_or_else(|e| panic!("examples/{file}: {e}"));
    generate_yaml(file, &text)
}

/// `nix eval --json --impure --expr <expr>` (no flake involved), e.g. to
/// read a generated `flake.nix` as plain Nix data.
pub fn eval_expr_json(expr: &str) -> Result<Value, String> {
    let output = nix_command()
        .args(["eval", "--json", "--impure", "--expr", expr])
        .output()
        .unwrap_or_else(|e| panic!("{NIX_REQUIRED} (running nix failed: {e})"));
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("not JSON: {e}"))
}
