//! `nixgen check` through the binary: Nix's verdict on generated and hand-edited flakes,
//! failures mapped back to host.yaml keys, `--config`, `--override-input` passed through,
//! stale lock files, and a plain message (exit 1) when Nix is not on PATH.
//! Every test but the no-Nix one runs a real `nix`; without it they fail, never skip.

use std::path::Path;

use crate::support::nix::{
    self, generate_example, generate_yaml, nix_command, override_input_args, require_nix,
    toplevel_drv_path, Generated,
};
use crate::support::{examples_dir, nixgen_in, run};

/// `nixgen check <dir> <args>` run from `cwd`, with the stand-ins wired in unless `bare`.
fn check_in(cwd: &Path, dir: &str, args: &[&str], bare: bool) -> (i32, String, String) {
    require_nix();
    let mut cmd = nixgen_in(cwd);
    cmd.arg("check").arg(dir).args(args);
    if !bare {
        cmd.args(override_input_args());
    }
    run(&mut cmd)
}

/// `nixgen check` on configuration `name` of `generated`, run from its directory.
fn check(generated: &Generated, name: &str, args: &[&str]) -> (i32, String, String) {
    check_in(generated.dir(name), ".", args, false)
}

/// devel.yaml as `host.yaml` beside its generated flake.
fn devel() -> Generated {
    let text = std::fs::read_to_string(examples_dir().join("devel.yaml")).unwrap();
    generate_yaml("host.yaml", &text)
}

/// Replaces `from` with `to` once in `dir/flake.nix`.
fn edit_flake(dir: &Path, from: &str, to: &str) {
    let path = dir.join("flake.nix");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in flake.nix");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The 1-based line of host.yaml that contains `needle`.
fn yaml_line(dir: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(dir.join("host.yaml")).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in host.yaml"))
        + 1
}

/// Asserts `first` appears in `text`, and `second` after it.
fn assert_in_order(text: &str, first: &str, second: &str) {
    let a = text
        .find(first)
        .unwrap_or_else(|| panic!("{first:?} not in:\n{text}"));
    let b = text
        .find(second)
        .unwrap_or_else(|| panic!("{second:?} not in:\n{text}"));
    assert!(a < b, "{first:?} should come before {second:?} in:\n{text}");
}

/// A failed check: exit 1, a FAILED verdict, Nix's `nix_says` first and then nixgen's
/// diagnostic `message` at host.yaml:`line`:`column` with a caret.
fn assert_mapped(result: (i32, String, String), nix_says: &str, message: &str, at: (usize, usize)) {
    let (code, stdout, stderr) = result;
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.starts_with("FAILED  "), "{stdout}");
    assert_in_order(&stderr, nix_says, message);
    let location = format!("--> host.yaml:{}:{}\n", at.0, at.1);
    assert_in_order(&stderr, message, &location);
    let caret = format!("| {}^\n", " ".repeat(at.1 - 1));
    assert!(
        stderr.contains(&caret),
        "no caret at column {}:\n{stderr}",
        at.1
    );
}

#[test]
fn a_generated_flake_passes_with_its_drv_path() {
    let g = devel();
    let (code, stdout, stderr) = check(&g, "devel", &[]);
    assert_eq!(code, 0, "{stderr}");
    let expected = toplevel_drv_path(g.dir("devel"), "devel").unwrap();
    assert_eq!(
        stdout,
        format!("ok      nixosConfigurations.devel  {expected}\n")
    );
    assert!(
        stderr.contains("nixgen check: 1 configuration evaluates with Nix"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("not writing modified lock file"),
        "{stderr}"
    );
    assert!(
        !g.dir("devel").join("flake.lock").exists(),
        "check wrote a lock file"
    );
}

#[test]
fn scaffolded_fleet_entries_pass_and_config_selects_one() {
    let fleet = generate_example("fleet.yaml");
    for c in &fleet.configs {
        let (code, stdout, stderr) = check(&fleet, &c.name, &[]);
        assert_eq!(code, 0, "{}: {stderr}", c.name);
        assert!(stdout.starts_with(&format!(
            "ok      nixosConfigurations.{}  /nix/store/",
            c.name
        )));
    }
    // A directory argument, from elsewhere, and --config.
    let root = fleet.tmp.path();
    let (code, stdout, stderr) =
        check_in(root, "configurations/image", &["--config", "image"], false);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("nixos-system-image-arm-25.05.drv"),
        "{stdout}"
    );
    let (code, _, stderr) = check_in(root, "configurations/image", &["--config", "imag"], false);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("the flake has no configuration `imag`"),
        "{stderr}"
    );
    assert!(stderr.contains("it has: image"), "{stderr}");
}

#[test]
fn several_configurations_are_each_reported() {
    let flake = r#"{
  inputs.nixos-flake.url = "github:linux-kdevops/nixos-flake";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
  outputs = { nixpkgs, nixos-flake, ... }: {
    nixosConfigurations.good = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ nixos-flake.nixosModules.backends.imageless ];
    };
    nixosConfigurations.bad = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ { networking.hostname = "x"; } ];
    };
  };
}
"#;
    let dir = nix::temp_flake(&[("flake.nix", flake)]);
    let (code, stdout, stderr) = check_in(dir.path(), ".", &[], false);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("FAILED  nixosConfigurations.bad\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok      nixosConfigurations.good  /nix/store/"),
        "{stdout}"
    );
    assert!(
        stderr.contains("The option `networking.hostname' does not exist."),
        "{stderr}"
    );
    assert!(
        stderr.contains("nixgen check: 1 of 2 configurations failed to evaluate"),
        "{stderr}"
    );
    // No host.yaml: Nix's verdict alone, no mapped diagnostic.
    assert!(!stderr.contains("-->"), "{stderr}");
    let (code, _, _) = check_in(dir.path(), ".", &["--config", "good"], false);
    assert_eq!(code, 0);
}

#[test]
fn mkfs_args_with_auto_format_maps_to_the_storage_key() {
    let g = devel();
    let dir = g.dir("devel");
    edit_flake(
        dir,
        "device = \"/dev/nvme0n1\";",
        "device = \"/dev/nvme0n1\";\n              autoFormat = true;",
    );
    assert_mapped(
        check(&g, "devel", &[]),
        "nixos-flake.storage.\"/mnt/nvme0\": autoFormat and mkfsArgs",
        "error: storage `/mnt/nvme0`: nixos-flake refuses `mkfsArgs` together with `autoFormat`",
        (yaml_line(dir, "mkfsArgs:"), 5),
    );
}

#[test]
fn undeclared_input_maps_to_the_overlay() {
    let g = devel();
    let dir = g.dir("devel");
    edit_flake(dir, "src = inputs.fio-src;", "src = inputs.fio-sr;");
    assert_mapped(
        check(&g, "devel", &[]),
        "error: attribute 'fio-sr' missing",
        "error: flake.nix uses an undeclared input `fio-sr`; overlay `fio` of host.yaml uses `fio-src`",
        (yaml_line(dir, "src: /"), 5),
    );

    // The declaration removed: the overlay that needs it is named.
    let g = devel();
    let dir = g.dir("devel");
    let text = std::fs::read_to_string(dir.join("flake.nix")).unwrap();
    let start = text.find("    kernel-src = {").unwrap();
    let end = start + text[start..].find("};\n").unwrap() + 3;
    std::fs::write(
        dir.join("flake.nix"),
        format!("{}{}", &text[..start], &text[end..]),
    )
    .unwrap();
    assert_mapped(
        check(&g, "devel", &[]),
        "error: attribute 'kernel-src' missing",
        "error: flake.nix uses input `kernel-src` for overlay `cpupower` but does not declare it",
        (yaml_line(dir, "input: kernel-src"), 5),
    );
}

#[test]
fn missing_local_source_maps_to_src() {
    let g = devel();
    let dir = g.dir("devel");
    let fio = g.source("fio-src").to_path_buf();
    std::fs::remove_dir_all(&fio).unwrap();
    let (code, stdout, stderr) = check(&g, "devel", &[]);
    assert_mapped(
        (code, stdout.clone(), stderr.clone()),
        &format!("getting status of '{}'", fio.display()),
        &format!(
            "error: the local source of overlay `fio` does not exist: {}",
            fio.display()
        ),
        (yaml_line(dir, "src: /"), 5),
    );
    assert!(stderr.contains("does not evaluate"), "{stderr}");
}

#[test]
fn misspelled_option_maps_to_the_mount_point() {
    let g = devel();
    let dir = g.dir("devel");
    edit_flake(dir, "fsType = \"ext4\";", "fstype = \"ext4\";");
    let result = check(&g, "devel", &[]);
    let stderr = result.2.clone();
    assert_mapped(
        result,
        "The option `nixos-flake.storage.\"/mnt/data\".fstype' does not exist.",
        "error: flake.nix sets `nixos-flake.storage.\"/mnt/data\".fstype`, which no module declares",
        (yaml_line(dir, "/mnt/data:"), 3),
    );
    assert!(
        stderr.contains("= help: did you mean `fsType`?"),
        "{stderr}"
    );
}

#[test]
fn missing_backend_maps_to_the_backend_key() {
    let g = devel();
    let dir = g.dir("devel");
    edit_flake(dir, "nixos-flake.nixosModules.backends.imageless\n", "");
    assert_mapped(
        check(&g, "devel", &[]),
        "system.stateVersion is not set",
        "error: flake.nix does not import a nixos-flake backend (host.yaml says `imageless`)",
        (yaml_line(dir, "backend:"), 1),
    );
}

#[test]
fn nix_is_needed_and_said_plainly() {
    let g = devel();
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = nixgen_in(g.dir("devel"));
    cmd.env("PATH", empty.path())
        .arg("check")
        .args(override_input_args());
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("error: nixgen check needs Nix, and `nix` is not on PATH"),
        "{stderr}"
    );
    assert!(stderr.contains("install Nix"), "{stderr}");
}

#[test]
fn override_input_is_passed_to_nix_as_is() {
    // The default github URL cannot be fetched offline: the verdict says so.
    let g = generate_yaml(
        "host.yaml",
        "name: gh\nbackend: imageless\nnixosFlake: github:linux-kdevops/nixos-flake\n",
    );
    let (code, _, stderr) = check_in(g.dir("gh"), ".", &[], true);
    assert_eq!(code, 1, "{stderr}");
    assert_in_order(
        &stderr,
        "unable to download 'https://api.github.com/repos/linux-kdevops/nixos-flake",
        "--override-input INPUT path:/abs/dir",
    );
    // With the overrides, Nix uses the stand-ins.
    let (code, stdout, stderr) = check_in(g.dir("gh"), ".", &[], false);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("-nixos-system-nixos-25.05.drv"), "{stdout}");
}

#[test]
fn a_stale_lock_file_does_not_hide_a_changed_source() {
    let g = devel();
    let dir = g.dir("devel");
    let mut lock = nix_command();
    lock.args(["flake", "lock"])
        .args(override_input_args())
        .arg(format!("path:{}", dir.display()));
    let out = lock.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("flake.lock").exists());
    let before = std::fs::read(dir.join("flake.lock")).unwrap();
    std::fs::write(g.source("fio-src").join("MARKER"), "changed\n").unwrap();
    let fresh = toplevel_drv_path(dir, "devel").unwrap();

    let (code, stdout, stderr) = check(&g, "devel", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("ok      nixosConfigurations.devel  {fresh}\n")
    );
    assert!(
        stderr.contains("flake.lock pins an older copy of `fio-src`"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(dir.join("flake.lock")).unwrap(),
        before,
        "check changed flake.lock"
    );
}

#[test]
fn a_directory_nix_cannot_address_is_refused_plainly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("with space");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("flake.nix"), "{ outputs = _: { }; }\n").unwrap();
    let (code, _, stderr) = check_in(tmp.path(), "with space", &[], false);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Nix cannot address this directory as a `path:` URL: it contains ' '"),
        "{stderr}"
    );
    let (code, _, stderr) = check_in(tmp.path(), "nowhere", &[], false);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot open the flake directory"),
        "{stderr}"
    );
}

// --- fleets, jobs, JSON, and what `nix build` sees in git -----------------------------------

#[test]
fn a_directory_of_configurations_is_checked_in_parallel_with_a_summary() {
    let fleet = generate_example("fleet.yaml");
    let root = fleet.tmp.path();
    // Break one configuration.
    edit_flake(
        fleet.dir("minimal"),
        "nixos-flake.nixosModules.backends",
        "nixos-flake.nixosModules.backendz",
    );
    let (code, stdout, stderr) = check_in(root, "configurations", &["--jobs", "2"], false);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    for c in &fleet.configs {
        let wanted = if c.name == "minimal" { "FAILED" } else { "ok" };
        assert!(
            stdout.lines().any(|l| l.starts_with(wanted)
                && l.contains(&format!("nixosConfigurations.{} ", c.name))),
            "{} should be {wanted}:\n{stdout}",
            c.name
        );
    }
    let n = fleet.configs.len();
    assert!(
        stderr.contains(&format!(
            "nixgen check: 1 of {n} configurations failed to evaluate"
        )),
        "{stderr}"
    );
    // The same as JSON.
    let (code, stdout, _) = check_in(root, "configurations", &["--json", "-j", "3"], false);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(v["evaluated"], n);
    assert_eq!(v["failed"], 1);
    let rows = v["configurations"].as_array().unwrap();
    let minimal = rows
        .iter()
        .find(|r| r["configuration"] == "minimal")
        .unwrap();
    assert_eq!(minimal["ok"], false);
    assert!(minimal["nixError"].as_str().unwrap().contains("backendz"));
    assert!(rows
        .iter()
        .filter(|r| r["ok"] == true)
        .all(|r| r["drvPath"].as_str().unwrap().ends_with(".drv")));
    // A fleet file names its configurations under --root.
    let fleet_file = root.join("fleet.yaml");
    std::fs::copy(examples_dir().join("fleet.yaml"), &fleet_file).unwrap();
    let (code, stdout, _) = check_in(root, "fleet.yaml", &["--root", "configurations"], false);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok")).count(),
        n - 1,
        "{stdout}"
    );
}

/// `git init` + `git add` of `files` in `dir`.
fn git_add(dir: &Path, files: &[&str]) {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    if !dir.join(".git").exists() {
        git(&["init", "-q"]);
    }
    let mut args = vec!["add"];
    args.extend_from_slice(files);
    git(&args);
}

#[test]
fn in_a_git_work_tree_check_sees_what_nix_build_sees() {
    let g = devel();
    let dir = g.dir("devel");
    std::fs::write(
        dir.join("extra.nix"),
        "{ networking.firewall.enable = false; }\n",
    )
    .unwrap();
    edit_flake(dir, "modules = [", "modules = [\n          ./extra.nix");
    // flake.nix untracked: refused, with the git add that fixes it.
    git_add(dir, &["host.yaml"]);
    let (code, _, stderr) = check(&g, "devel", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("flake.nix is not tracked by git"),
        "{stderr}"
    );
    assert!(stderr.contains("add --intent-to-add"), "{stderr}");
    // flake.nix tracked, extra.nix not: Nix fails as `nix build` would, and the file is named.
    git_add(dir, &["flake.nix"]);
    let (code, _, stderr) = check(&g, "devel", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("extra.nix is not tracked by git"),
        "{stderr}"
    );
    // --path evaluates the directory as it is.
    let (code, stdout, stderr) = check(&g, "devel", &["--path"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("ok"), "{stdout}");
    // Intent-to-add is enough.
    git_add(dir, &["--intent-to-add", "extra.nix"]);
    let (code, _, stderr) = check(&g, "devel", &[]);
    assert_eq!(code, 0, "{stderr}");
}

// --- doctor -------------------------------------------------------------------------------

fn doctor(dir: &Path) -> (i32, String, String) {
    require_nix();
    run(nixgen_in(dir).arg("doctor"))
}

#[test]
fn doctor_names_each_problem_with_its_fix() {
    let g = devel();
    let dir = g.dir("devel");
    // Outside git, with a real nixos-flake checkout: no error, and Nix's state is reported.
    let (code, stdout, stderr) = doctor(dir);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.starts_with("ok      nix (Nix) "), "{stdout}");
    assert!(
        stdout.contains("nix-command and flakes are enabled")
            || stdout.contains(
                "fix: mkdir -p ~/.config/nix && echo 'experimental-features = nix-command flakes'"
            ),
        "{stdout}"
    );
    assert!(stdout.contains("not in a git repository"), "{stdout}");
    assert!(
        stdout.contains("input `nixos-flake` is present"),
        "{stdout}"
    );
    // In git with flake.nix untracked, and a local source gone: errors, with their fixes.
    git_add(dir, &["host.yaml"]);
    let fio = g
        .sources
        .iter()
        .find(|(i, _)| i == "fio-src")
        .unwrap()
        .1
        .clone();
    std::fs::remove_dir_all(&fio).unwrap();
    let (code, stdout, _) = doctor(dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("error   not tracked by git"), "{stdout}");
    assert!(
        stdout.contains("add --intent-to-add") && stdout.contains("flake.nix"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "input `fio-src` points at {}, which does not exist",
            fio.display()
        )),
        "{stdout}"
    );
}

#[test]
fn the_readmes_fleet_check_commands_run_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let commands: Vec<Vec<String>> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("nixgen check "))
        .filter(|rest| !rest.trim().is_empty())
        .map(|rest| rest.split_whitespace().map(str::to_owned).collect())
        .collect();
    assert!(
        commands.len() >= 2,
        "the README checks a fleet: {commands:?}"
    );
    let fleet = generate_example("fleet.yaml");
    let root = fleet.tmp.path();
    std::fs::copy(examples_dir().join("fleet.yaml"), root.join("fleet.yaml")).unwrap();
    for args in commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = check_in(root, args[0], &args[1..], false);
        assert_eq!(code, 0, "nixgen check {args:?}:\n{stdout}\n{stderr}");
        if args.contains(&"--json") {
            let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
            assert_eq!(v["failed"], 0);
            assert_eq!(v["evaluated"], fleet.configs.len());
        } else {
            assert_eq!(
                stdout.lines().filter(|l| l.starts_with("ok")).count(),
                fleet.configs.len()
            );
        }
    }
}
