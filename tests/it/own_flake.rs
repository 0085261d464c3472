//! nixgen's own `flake.nix` (the Nix way to install nixgen), evaluated with a
//! real `nix`, offline, against the stand-in nixpkgs in `tests/fixtures/nixpkgs`
//! (see its README.md). Nothing is built: the tests read `drvPath`s and
//! attributes.
//!
//! A flake in a git work tree only sees tracked files, so every test copies
//! the files the flake reads into a temporary directory and evaluates
//! `path:<dir>#<attr>`. Without `nix` on PATH the tests fail, they never skip.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::nix::{fixtures_dir, run_eval};

const SYSTEMS: [&str; 2] = ["x86_64-linux", "aarch64-linux"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
    {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// A temporary copy of the repository with what the flake reads, plus
/// README.md and schemas/, which its source filter must leave out.
fn flake_copy() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("nixgen-own-flake-")
        .tempdir()
        .expect("create a temporary directory");
    for file in ["flake.nix", "Cargo.toml", "Cargo.lock", "README.md"] {
        std::fs::copy(repo().join(file), dir.path().join(file))
            .unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }
    for sub in ["src", "templates", "schemas", "benches"] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    dir
}

/// `nix eval --json [--apply EXPR] path:<dir>#<attr>`, offline, with the
/// stand-in nixpkgs as the `nixpkgs` input. `Err` holds Nix's stderr.
fn try_eval(dir: &Path, attr: &str, apply: Option<&str>) -> Result<Value, String> {
    let nixpkgs = format!("path:{}", fixtures_dir().join("nixpkgs").display());
    run_eval(dir, attr, apply, &[("nixpkgs".to_owned(), nixpkgs)])
}

fn eval(dir: &Path, attr: &str) -> Value {
    try_eval(dir, attr, None).unwrap_or_else(|e| panic!("nix eval {attr} failed:\n{e}"))
}

fn eval_apply(dir: &Path, attr: &str, apply: &str) -> Value {
    try_eval(dir, attr, Some(apply))
        .unwrap_or_else(|e| panic!("nix eval {attr} --apply '{apply}' failed:\n{e}"))
}

fn eval_str(dir: &Path, attr: &str) -> String {
    match eval(dir, attr) {
        Value::String(s) => s,
        other => panic!("{attr} is not a string: {other}"),
    }
}

/// A string value of Cargo.toml's `[package]` table.
fn cargo_package_field(key: &str) -> String {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).expect("read Cargo.toml");
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return v.trim().trim_matches('"').to_owned();
                }
            }
        }
    }
    panic!("Cargo.toml has no [package] {key}");
}

fn assert_drv_path(drv: &str, name: &str) {
    assert!(
        drv.starts_with("/nix/store/") && drv.ends_with(&format!("-{name}.drv")),
        "expected the store path of {name}.drv, got {drv}"
    );
}

#[test]
fn packages_are_nixgen_at_cargo_toml_version() {
    let dir = flake_copy();
    let version = cargo_package_field("version");
    let name = format!("nixgen-{version}");
    let default = eval_str(dir.path(), "packages.x86_64-linux.default.drvPath");
    let nixgen = eval_str(dir.path(), "packages.x86_64-linux.nixgen.drvPath");
    assert_drv_path(&default, &name);
    assert_drv_path(&nixgen, &name);
    assert_eq!(default, nixgen, "packages default and nixgen differ");
    assert_eq!(
        eval(dir.path(), "packages.x86_64-linux.default.version"),
        Value::String(version),
        "the package version is Cargo.toml's"
    );
    assert_eq!(
        eval(dir.path(), "packages.x86_64-linux.default.pname"),
        "nixgen"
    );
    // The test suite needs Nix, which the build sandbox lacks.
    assert_eq!(
        eval(dir.path(), "packages.x86_64-linux.default.doCheck"),
        false
    );
}

#[test]
fn meta_follows_cargo_toml() {
    let dir = flake_copy();
    let meta = eval_apply(
        dir.path(),
        "packages.x86_64-linux.default.meta",
        "m: { inherit (m) description mainProgram; licenses = map (l: l.spdxId) m.license; }",
    );
    assert_eq!(meta["description"], cargo_package_field("description"));
    assert_eq!(meta["mainProgram"], "nixgen");
    let licenses: Vec<&str> = meta["licenses"]
        .as_array()
        .expect("meta.license is a list")
        .iter()
        .map(|l| l.as_str().expect("an SPDX id"))
        .collect();
    assert_eq!(
        licenses.join(" OR "),
        cargo_package_field("license"),
        "meta.license matches Cargo.toml's license"
    );
}

#[test]
fn app_runs_the_package_binary() {
    let dir = flake_copy();
    let app = eval(dir.path(), "apps.x86_64-linux.default");
    assert_eq!(app["type"], "app", "{app}");
    let program = app["program"].as_str().expect("program is a string");
    assert!(program.ends_with("/bin/nixgen"), "{program}");
    let out = eval_str(dir.path(), "packages.x86_64-linux.default.outPath");
    assert_eq!(program, format!("{out}/bin/nixgen"));
}

#[test]
fn dev_shell_has_the_toolchain_and_nix() {
    let dir = flake_copy();
    let drv = eval_str(dir.path(), "devShells.x86_64-linux.default.drvPath");
    assert_drv_path(&drv, "nix-shell");
    let inputs = eval_apply(
        dir.path(),
        "devShells.x86_64-linux.default.nativeBuildInputs",
        "map (p: p.pname)",
    );
    for tool in ["cargo", "rustc", "clippy", "rustfmt", "nix"] {
        assert!(
            inputs
                .as_array()
                .is_some_and(|a| a.iter().any(|p| p == tool)),
            "the dev shell lacks {tool}: {inputs}"
        );
    }
}

#[test]
fn formatter_evaluates() {
    let dir = flake_copy();
    for system in SYSTEMS {
        let drv = eval_str(dir.path(), &format!("formatter.{system}.drvPath"));
        assert_drv_path(&drv, "nixfmt-tree");
    }
}

#[test]
fn aarch64_linux_evaluates_too() {
    let dir = flake_copy();
    let version = cargo_package_field("version");
    let drv = eval_str(dir.path(), "packages.aarch64-linux.default.drvPath");
    assert_drv_path(&drv, &format!("nixgen-{version}"));
    assert_eq!(
        eval(dir.path(), "packages.aarch64-linux.default.system"),
        "aarch64-linux"
    );
    assert_ne!(
        drv,
        eval_str(dir.path(), "packages.x86_64-linux.default.drvPath"),
        "the aarch64-linux package is a derivation of its own"
    );
    assert_eq!(
        eval_str(dir.path(), "packages.aarch64-linux.nixgen.drvPath"),
        drv
    );
    let program = eval_str(dir.path(), "apps.aarch64-linux.default.program");
    let out = eval_str(dir.path(), "packages.aarch64-linux.default.outPath");
    assert_eq!(program, format!("{out}/bin/nixgen"));
    let shell = eval_str(dir.path(), "devShells.aarch64-linux.default.drvPath");
    assert_drv_path(&shell, "nix-shell");
}

/// The `include_str!`/`include_bytes!` targets of the `.rs` files under `dir`,
/// relative to the repository.
fn included_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            included_files(&path, found);
            continue;
        }
        if path.extension() != Some(std::ffi::OsStr::new("rs")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a source file");
        for macro_name in ["include_str!(\"", "include_bytes!(\""] {
            for (at, _) in text.match_indices(macro_name) {
                let rest = &text[at + macro_name.len()..];
                let target = &rest[..rest.find('"').expect("a closing quote")];
                let file = path.parent().expect("a parent").join(target);
                let file = file
                    .canonicalize()
                    .unwrap_or_else(|e| panic!("{target} in {}: {e}", path.display()));
                found.push(
                    file.strip_prefix(repo().canonicalize().expect("the repository"))
                        .expect("included files are in the repository")
                        .to_owned(),
                );
            }
        }
    }
}

#[test]
fn source_holds_what_cargo_build_reads_and_nothing_else() {
    let dir = flake_copy();
    let src = PathBuf::from(eval_str(dir.path(), "packages.x86_64-linux.default.src"));
    assert!(
        src.starts_with("/nix/store") && src.is_dir(),
        "src is not a store directory: {}",
        src.display()
    );
    let mut needed = vec![
        PathBuf::from("Cargo.toml"),
        PathBuf::from("Cargo.lock"),
        PathBuf::from("src/main.rs"),
        PathBuf::from("src/lib.rs"),
        // Cargo.toml declares this [[bench]]; cargo refuses a manifest whose
        // declared targets are missing.
        PathBuf::from("benches/pipeline.rs"),
    ];
    included_files(&repo().join("src"), &mut needed);
    for file in &needed {
        assert!(
            src.join(file).is_file(),
            "the flake's source filter drops {}, which `cargo build` reads: keep it in flake.nix",
            file.display()
        );
    }
    for left_out in ["flake.nix", "README.md", "schemas"] {
        assert!(
            !src.join(left_out).exists(),
            "the flake's source has {left_out}, which the build does not read"
        );
    }
}

#[test]
fn cargo_lock_must_parse() {
    let dir = flake_copy();
    std::fs::write(dir.path().join("Cargo.lock"), "version = [4\n").expect("write Cargo.lock");
    let err = try_eval(dir.path(), "packages.x86_64-linux.default.drvPath", None)
        .expect_err("a broken Cargo.lock fails the evaluation");
    assert!(err.contains("TOML"), "{err}");
}
