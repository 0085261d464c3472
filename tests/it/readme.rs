//! The README's examples, run as written (`nix build` with `--dry-run` against the offline
//! stand-ins; everything but `$EDITOR` and
//! `cargo install`, which need a person, the network and a toolchain install).

use std::path::Path;

use crate::support::{self, repo_root, run};

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).expect("README.md is readable")
}

/// Runs `nixgen ARGS` in `dir` with HOME at `home`; returns (exit code, stdout, stderr).
fn nixgen(dir: &Path, home: &Path, args: &[&str]) -> (i32, String, String) {
    run(support::nixgen(dir, home).args(args))
}

/// The README's command lines that start with `nixgen`, in order.
fn readme_commands() -> Vec<String> {
    let text = readme();
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if in_sh {
            let command = line.split(" #").next().unwrap_or("").trim();
            if let Some(rest) = command.strip_prefix("nixgen ") {
                commands.push(rest.to_owned());
            }
        }
    }
    commands
}

fn args_of(command: &str, home: &Path) -> Vec<String> {
    command
        .split_whitespace()
        .map(|w| {
            w.strip_prefix("~/")
                .map(|rest| home.join(rest).display().to_string())
                .unwrap_or_else(|| w.to_owned())
        })
        .collect()
}

#[test]
fn the_walkthrough_runs_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(home.join("src/kmod")).unwrap();
    std::fs::create_dir_all(&work).unwrap();

    // Set-up, second half of command 1.
    let (code, _, err) = nixgen(&work, &home, &["init", "my-vm", "--template", "imageless"]);
    assert_eq!(code, 0, "{err}");
    assert!(work.join("my-vm/host.yaml").is_file() && work.join("my-vm/flake.nix").is_file());

    // The walkthrough.
    let commands = readme_commands();
    let init = commands
        .iter()
        .find(|c| c.starts_with("init configurations/my-vm"))
        .expect("the walkthrough's init command is in the README");
    let (code, _, err) = nixgen(
        &work,
        &home,
        &args_of(init, &home)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("git add"), "next steps mention git add: {err}");
    let vm = work.join("configurations/my-vm");
    let host = std::fs::read_to_string(vm.join("host.yaml")).unwrap();
    assert!(host.contains("name: my-vm"), "{host}");
    let (code, _, err) = nixgen(&vm, &home, &["generate"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("flake.nix is up to date"), "{err}");
    let (code, _, err) = nixgen(&vm, &home, &["check", "--help"]);
    assert_eq!(code, 0, "{err}");

    // `git init && git add ...` and the README's `nix build` line, as written on Debian's Nix
    // (flakes off by default), offline: the stand-ins take the network's place and
    // `--dry-run` stops before building (the stand-in packages fetch nothing).
    let text = readme();
    let build = text
        .lines()
        .find(|l| l.starts_with("nix ") && l.contains(" build .#toplevel"))
        .expect("the walkthrough builds .#toplevel");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&vm)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "host.yaml", "flake.nix"]);
    let words: Vec<String> = build
        .replace("'nix-command flakes'", "nix-command\u{0}flakes")
        .split_whitespace()
        .map(|w| w.replace('\u{0}', " "))
        .collect();
    let mut cmd = std::process::Command::new(crate::support::nix::nix_executable("nix"));
    cmd.args(&words[1..])
        .args(["--dry-run", "--offline", "--no-write-lock-file"])
        .current_dir(&vm)
        .env("HOME", &home);
    for (input, url) in crate::support::nix::fixture_overrides() {
        cmd.args(["--override-input", &input, &url]);
    }
    let out = cmd.output().expect("nix runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{build}: {stderr}");
    assert!(
        stderr.contains("-nixos-system-") && stderr.contains("derivations will be built"),
        "the build is the configuration's toplevel: {stderr}"
    );

    // The overlay commands, in the configuration's directory.
    for command in commands.iter().filter(|c| c.starts_with("overlay ")) {
        let args = args_of(command, &home);
        let (code, out, err) = nixgen(
            &vm,
            &home,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(code, 0, "nixgen {command}: {err}");
        if command == "overlay list" {
            assert!(out.contains("kmod") && out.contains("damo"), "{out}");
        }
    }
    let flake = std::fs::read_to_string(vm.join("flake.nix")).unwrap();
    assert!(
        !flake.contains("kmod-src = {\n      url"),
        "kmod was removed again: {flake}"
    );
    assert!(flake.contains("damonitor"), "{flake}");
}

#[test]
fn the_examples_commands_run_from_the_repository() {
    let home = tempfile::tempdir().unwrap();
    let commands = readme_commands();
    let validate = commands
        .iter()
        .find(|c| c.starts_with("validate examples/"))
        .expect("README validates the examples");
    assert_eq!(validate, "validate examples/*.yaml");
    let mut args = vec!["validate".to_owned()];
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.strip_prefix(repo_root()).unwrap().display().to_string())
        .collect();
    files.sort();
    args.extend(files);
    let (code, _, err) = nixgen(
        &repo_root(),
        home.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(code, 0, "{err}");

    let scaffold = commands
        .iter()
        .find(|c| c.starts_with("scaffold examples/fleet.yaml"))
        .expect("README scaffolds the example fleet");
    assert!(
        scaffold.contains("--dry-run"),
        "the README's scaffold writes nothing: {scaffold}"
    );
    let (code, out, err) = nixgen(
        &repo_root(),
        home.path(),
        &args_of(scaffold, home.path())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("+++ b/"), "{out}");
}

#[test]
fn the_yaml_examples_validate() {
    let text = readme();
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut block: Option<String> = None;
    for line in text.lines() {
        match (&mut block, line) {
            (None, "```yaml") => block = Some(String::new()),
            (Some(b), "```") => {
                if b.starts_with("name:") || b.starts_with("defaults:") {
                    let file = tmp.path().join(format!("example{checked}.yaml"));
                    std::fs::write(&file, &*b).unwrap();
                    let (code, _, err) = nixgen(
                        tmp.path(),
                        tmp.path(),
                        &["validate", file.to_str().unwrap()],
                    );
                    assert_eq!(code, 0, "README example does not validate:\n{b}\n{err}");
                    checked += 1;
                }
                block = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    assert!(checked >= 2, "the host and fleet examples were found");
}

/// "Adopting nixgen for existing configurations": its commands, as written, on the library's
/// template (the stand-in's) in `configurations/vm`.
#[test]
fn the_adoption_commands_run_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let work = tmp.path().join("work");
    let vm = work.join("configurations/vm");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&vm).unwrap();
    let template = crate::support::nix::nixos_flake_fixture().join("templates/imageless");
    for file in ["flake.nix", "default.nix"] {
        std::fs::copy(template.join(file), vm.join(file)).unwrap();
    }
    let flake_before = std::fs::read_to_string(vm.join("flake.nix")).unwrap();
    let commands: Vec<String> = readme_commands()
        .into_iter()
        .skip_while(|c| c != "import")
        .take(4)
        .collect();
    assert_eq!(
        commands,
        [
            "import",
            "generate --check",
            "import --fleet configurations -o fleet.yaml",
            "scaffold fleet.yaml --root configurations --dry-run"
        ],
        "the section's commands"
    );
    for (i, command) in commands.iter().enumerate() {
        // The first two run in the configuration (`cd configurations/vm`), the others beside
        // `configurations/`.
        let dir = if i < 2 { &vm } else { &work };
        let args = args_of(command, &home);
        let (code, out, err) = nixgen(
            dir,
            &home,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(code, 0, "nixgen {command}: {out}{err}");
        if command.starts_with("scaffold") {
            assert!(
                !err.lines()
                    .any(|l| l.contains("would have updated") && l.contains(".nix")),
                "no Nix file changes: {err}"
            );
        }
    }
    let host = std::fs::read_to_string(vm.join("host.yaml")).unwrap();
    assert!(
        host.contains("backend: imageless") && host.contains("profiles: [devel]"),
        "{host}"
    );
    assert!(work.join("fleet.yaml").is_file());
    assert_eq!(
        std::fs::read_to_string(vm.join("flake.nix")).unwrap(),
        flake_before
    );
}
