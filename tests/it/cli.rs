//! The core commands through the binary: generate, validate, schema, init, scaffold,
//! completions, man, and usage errors. Every run has `NO_COLOR=1`, `HOME` in a temporary
//! directory and a temporary current directory.

use std::path::{Path, PathBuf};

use crate::support::{assert_valid_nix, examples_dir, nixgen, read, repo_root, run, write};
use serde_json::Value;

const HOST: &str = "name: devel\nbackend: imageless\nprofiles: [devel]\n";

/// A temporary working directory with a `home/` inside.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        Sandbox { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// `nixgen ARGS` in this directory.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        run(nixgen(self.path(), &self.home()).args(args))
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        write(self.path(), name, text)
    }

    fn read(&self, name: &str) -> String {
        read(&self.path().join(name))
    }

    fn exists(&self, name: &str) -> bool {
        self.path().join(name).exists()
    }

    /// Every file under the directory (except home/) with its bytes, to prove nothing changed.
    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), &mut out);
        out.retain(|(p, _)| !p.starts_with(self.home()));
        out
    }
}

// --- generate -------------------------------------------------------------------------------

#[test]
fn generate_creates_flake_beside_the_yaml() {
    let sb = Sandbox::new();
    sb.write("hosts/devel/host.yaml", HOST);
    let (code, stdout, stderr) = sb.run(&["generate", "hosts/devel/host.yaml", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("created hosts/devel/flake.nix"), "{stderr}");
    let flake = sb.read("hosts/devel/flake.nix");
    assert!(
        flake.contains("nixosConfigurations.devel = nixpkgs.lib.nixosSystem"),
        "{flake}"
    );
    assert_valid_nix("generated", &flake);
    assert!(
        !sb.exists("flake.nix"),
        "the flake goes beside the YAML, not into the cwd"
    );
}

#[test]
fn generate_defaults_to_host_yaml_in_the_current_directory() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    let (code, _, stderr) = sb.run(&["generate", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(sb.exists("flake.nix"));
}

#[test]
fn generate_twice_is_up_to_date_and_changes_no_byte() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    assert_eq!(sb.run(&["generate", "--no-git"]).0, 0);
    let before = sb.snapshot();
    let mtime = std::fs::metadata(sb.path().join("flake.nix"))
        .unwrap()
        .modified()
        .unwrap();
    let (code, stdout, stderr) = sb.run(&["generate", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("flake.nix is up to date"), "{stderr}");
    assert_eq!(sb.snapshot(), before);
    let after = std::fs::metadata(sb.path().join("flake.nix"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(mtime, after, "an up-to-date file is not rewritten");
}

#[test]
fn generate_dry_run_prints_a_unified_diff_and_writes_nothing() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    let (code, stdout, stderr) = sb.run(&["generate", "--dry-run", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("--- /dev/null\n+++ b/flake.nix\n@@ -0,0 +1,"),
        "{stdout}"
    );
    assert!(stdout.contains("+  description = \"devel: "), "{stdout}");
    assert!(
        stdout.lines().skip(3).all(|l| l.starts_with('+')),
        "{stdout}"
    );
    assert!(stderr.contains("dry run: nothing written"), "{stderr}");
    assert!(!sb.exists("flake.nix"));
    // On an up-to-date file, there is nothing to show.
    sb.run(&["generate", "--no-git"]);
    let before = sb.snapshot();
    let (code, stdout, stderr) = sb.run(&["generate", "--dry-run", "--no-git"]);
    assert_eq!(code, 0);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("up to date"), "{stderr}");
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn generate_dry_run_shows_the_change_to_an_existing_flake() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    sb.run(&["generate", "--no-git"]);
    sb.write("host.yaml", &format!("{HOST}packages: [gdb]\n"));
    let before = sb.snapshot();
    let (code, stdout, stderr) = sb.run(&["generate", "--dry-run", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("--- a/flake.nix\n+++ b/flake.nix\n@@ "),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with('+') && l.contains("environment.systemPackages")),
        "{stdout}"
    );
    assert_eq!(sb.snapshot(), before, "--dry-run writes nothing");
}

#[test]
fn generate_updates_an_existing_flake_and_keeps_comments() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    sb.run(&["generate", "--no-git"]);
    let flake = sb.read("flake.nix");
    sb.write(
        "flake.nix",
        &format!("# My test VM: keep this comment.\n{flake}"),
    );
    sb.write(
        "host.yaml",
        &format!("{HOST}hostName: devel-01\npackages: [gdb]\n"),
    );
    let (code, _, stderr) = sb.run(&["generate", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("updated flake.nix"), "{stderr}");
    let flake = sb.read("flake.nix");
    assert!(
        flake.starts_with("# My test VM: keep this comment.\n"),
        "{flake}"
    );
    assert!(
        flake.contains("networking.hostName = \"devel-01\";"),
        "{flake}"
    );
    assert!(flake.contains("gdb"), "{flake}");
    assert_valid_nix("updated flake", &flake);
    let (code, _, stderr) = sb.run(&["generate", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("flake.nix is up to date"), "{stderr}");
}

#[test]
fn generate_diff_prints_and_writes() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    let (code, stdout, stderr) = sb.run(&["generate", "--diff", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("--- /dev/null\n+++ b/flake.nix\n"),
        "{stdout}"
    );
    let flake = sb.read("flake.nix");
    let added: String = stdout
        .lines()
        .skip(3)
        .map(|l| format!("{}\n", &l[1..]))
        .collect();
    assert_eq!(added, flake, "the diff shows exactly what was written");
}

#[test]
fn generate_check_exits_1_when_missing_or_out_of_date_and_0_when_up_to_date() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    let (code, stdout, stderr) = sb.run(&["generate", "--check", "--no-git"]);
    assert_eq!(code, 1, "missing: {stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("flake.nix is out of date (missing)"),
        "{stderr}"
    );
    assert!(!sb.exists("flake.nix"), "--check writes nothing");

    sb.run(&["generate", "--no-git"]);
    let (code, _, stderr) = sb.run(&["generate", "--check", "--no-git"]);
    assert_eq!(code, 0, "up to date: {stderr}");
    assert!(stderr.contains("up to date"), "{stderr}");

    sb.write("host.yaml", &format!("{HOST}hostName: devel-01\n"));
    let before = sb.snapshot();
    let (code, _, stderr) = sb.run(&["generate", "--check", "--no-git"]);
    assert_eq!(code, 1, "out of date: {stderr}");
    assert!(stderr.contains("flake.nix is out of date"), "{stderr}");
    assert_eq!(sb.snapshot(), before, "--check writes nothing");
}

#[test]
fn generate_output_flag() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    let (code, _, stderr) = sb.run(&["generate", "host.yaml", "-o", "out/other.nix", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("created out/other.nix"), "{stderr}");
    assert!(!sb.exists("flake.nix"));
    let (code, _, stderr) = sb.run(&["generate", "--output", "out/other.nix", "--no-git"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("out/other.nix is up to date"), "{stderr}");
    // Same bytes as the default location would get.
    sb.run(&["generate", "--no-git"]);
    assert_eq!(sb.read("flake.nix"), sb.read("out/other.nix"));
}

#[test]
fn generate_leaves_no_temporary_files() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    sb.run(&["generate", "--no-git"]);
    sb.write("host.yaml", &format!("{HOST}packages: [gdb]\n"));
    sb.run(&["generate", "--no-git"]);
    let names: Vec<String> = std::fs::read_dir(sb.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["flake.nix", "home", "host.yaml"]);
}

#[test]
fn generate_expands_home_and_resolves_relative_paths() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.write(
        "hosts/devel/host.yaml",
        "name: devel\nbackend: imageless\nnixosFlake: path:~/src/nixos-flake\noverlays:\n  \
         fio: { src: ~/src/fio }\n  kmod: { src: $HOME/src/kmod }\n  xfsprogs: { src: \"${HOME}/src/xfsprogs\" }\n  \
         blktests: { src: ../../src/./blktests/ }\n",
    );
    let (code, _, stderr) = sb.run(&["generate", "hosts/devel/host.yaml", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    let flake = sb.read("hosts/devel/flake.nix");
    let home = home.display();
    let root = sb.path().display();
    for url in [
        format!("nixos-flake.url = \"path:{home}/src/nixos-flake\";"),
        format!("path = \"{home}/src/fio\";"),
        format!("path = \"{home}/src/kmod\";"),
        format!("path = \"{home}/src/xfsprogs\";"),
        format!("path = \"{root}/src/blktests\";"),
    ] {
        assert!(flake.contains(&url), "missing `{url}` in:\n{flake}");
    }
    assert!(!flake.contains('~') && !flake.contains("HOME"), "{flake}");
    // Missing checkouts are warnings, named by the resolved path.
    assert!(
        stderr.contains(&format!(
            "warning: local source `{home}/src/fio` does not exist"
        )),
        "{stderr}"
    );
}

#[test]
fn generate_json_dry_run_prints_the_plan() {
    let sb = Sandbox::new();
    sb.write(
        "host.yaml",
        &format!("{HOST}overlays:\n  fio: {{ src: /srv/fio }}\n"),
    );
    let (code, stdout, stderr) = sb.run(&["generate", "--dry-run", "--json", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(plan["configuration"], "devel");
    assert_eq!(plan["outcome"], "create");
    let inputs: Vec<&str> = plan["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["nixos-flake", "nixpkgs", "fio-src"]);
    assert!(!sb.exists("flake.nix"));
}

#[test]
fn generate_refuses_a_fleet_file_and_a_missing_file() {
    let sb = Sandbox::new();
    sb.write(
        "fleet.yaml",
        "defaults: { backend: imageless }\nconfigurations:\n  a: {}\n",
    );
    let (code, _, stderr) = sb.run(&["generate", "fleet.yaml", "--no-git"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("nixgen scaffold fleet.yaml"), "{stderr}");
    let (code, _, stderr) = sb.run(&["generate", "nope.yaml", "--no-git"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--> nope.yaml"), "{stderr}");
    assert_eq!(sb.snapshot().len(), 1, "nothing written");
}

// --- validate -------------------------------------------------------------------------------

#[test]
fn validate_says_ok() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    let (code, stdout, stderr) = sb.run(&["validate", "host.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    // The host has no sshKeys: the one warning is that the VM accepts no SSH login.
    assert!(stderr.ends_with("host.yaml: ok (devel)\n"), "{stderr}");
    assert!(stderr.contains("no `sshKeys`"), "{stderr}");
    assert_eq!(sb.snapshot().len(), 1, "validate writes nothing");
}

#[test]
fn validate_many_files_reports_each_and_fails_if_any_fails() {
    let sb = Sandbox::new();
    sb.write("a.yaml", HOST);
    sb.write("b.yaml", "name: b\nbackend: qemu\n");
    sb.write("c.yaml", "name: c\nbackend: libvirt\n");
    let (code, _, stderr) = sb.run(&["validate", "a.yaml", "b.yaml", "c.yaml"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("a.yaml: ok (devel)"), "{stderr}");
    assert!(stderr.contains("--> b.yaml:2:10"), "{stderr}");
    assert!(stderr.contains("c.yaml: ok (c)"), "{stderr}");
    let (code, _, stderr) = sb.run(&["validate", "a.yaml", "c.yaml"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn validate_accepts_every_example() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 6);
    let sb = Sandbox::new();
    let (code, stdout, stderr) = run(nixgen(sb.path(), Path::new("/home/user"))
        .args(["validate", "--json"])
        .args(&files));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["valid"], true);
    let (code, _, stderr) = run(nixgen(sb.path(), Path::new("/home/user"))
        .arg("validate")
        .args(&files));
    assert_eq!(code, 0);
    assert!(
        stderr.contains("fleet.yaml: ok (devel, storage, image, minimal)"),
        "{stderr}"
    );
}

#[test]
fn validate_json_is_valid_json() {
    let sb = Sandbox::new();
    sb.write("a.yaml", HOST);
    sb.write("b.yaml", "name: b\nbackedn: imageless\n");
    let (code, stdout, stderr) = sb.run(&["validate", "--json", "a.yaml", "b.yaml"]);
    assert_eq!(code, 1);
    assert!(stderr.is_empty(), "--json keeps stderr quiet: {stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["valid"], false);
    let d = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .expect("an error");
    assert_eq!(d["file"], "b.yaml");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 1);
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "unknown key `backedn`");
}

// --- schema ---------------------------------------------------------------------------------

#[test]
fn schema_is_valid_json_and_in_sync_with_the_checked_in_file() {
    let sb = Sandbox::new();
    let (code, stdout, stderr) = sb.run(&["schema"]);
    assert_eq!(code, 0, "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).expect("schema prints JSON");
    assert_eq!(
        printed["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let file = repo_root().join("schemas/host.schema.json");
    let checked_in = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        stdout.trim_end() == checked_in.trim_end(),
        "schemas/host.schema.json is out of sync with the host model: run \
         `cargo run -- schema > schemas/host.schema.json` and commit the result"
    );
}

#[test]
fn schema_describes_every_contract_key() {
    let sb = Sandbox::new();
    let (_, stdout, _) = sb.run(&["schema"]);
    let schema: Value = serde_json::from_str(&stdout).unwrap();
    let host = &schema["$defs"]["Host"];
    let keys: Vec<&str> = host["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "system",
            "backend",
            "nixosFlake",
            "hostName",
            "profiles",
            "testSuites",
            "user",
            "shares",
            "storage",
            "overlays",
            "packages",
            "modules",
            "sshKeys",
            "monitoring",
            "settings",
            "image"
        ]
    );
    let required: Vec<&str> = host["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["name", "backend"]);
    assert_eq!(
        host["additionalProperties"], false,
        "unknown keys are errors in the schema too"
    );
    let fleet = &schema["$defs"]["Fleet"]["properties"];
    assert!(fleet["defaults"].is_object() && fleet["configurations"].is_object());
    let text = stdout;
    for value in [
        "imageless",
        "libvirt",
        "build-tools",
        "controller",
        "ltp",
        "sysbench",
        "aarch64-linux",
    ] {
        assert!(
            text.contains(&format!("\"{value}\"")),
            "schema lacks `{value}`"
        );
    }
}

// --- init -----------------------------------------------------------------------------------

const TEMPLATES: [(&str, &str, &str); 3] = [
    ("imageless", "backends.imageless", "profiles.devel"),
    ("libvirt", "backends.libvirt", "profiles.devel"),
    ("controller", "backends.libvirt", "profiles.controller"),
];

#[test]
fn init_writes_host_yaml_and_flake_for_each_template() {
    for (template, backend, profile) in TEMPLATES {
        let sb = Sandbox::new();
        let (code, stdout, stderr) = sb.run(&["init", "vm", "--template", template]);
        assert_eq!(code, 0, "{template}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        let yaml = sb.read("vm/host.yaml");
        let flake = sb.read("vm/flake.nix");
        assert!(
            yaml.starts_with("# yaml-language-server: $schema="),
            "{template}: host.yaml starts with the schema line:\n{yaml}"
        );
        assert!(
            yaml.contains("\nname: vm\n"),
            "{template}: named after the directory:\n{yaml}"
        );
        assert!(
            flake.contains(&format!("nixos-flake.nixosModules.{backend}\n")),
            "{template}:\n{flake}"
        );
        assert!(
            flake.contains(&format!("nixos-flake.nixosModules.{profile}\n")),
            "{template}:\n{flake}"
        );
        // Commented-out local-source overlays, as nixos-flake's own template has.
        let home = sb.home();
        let home = home.display();
        for needle in [
            "# fio-src = {".to_owned(),
            format!("#   path = \"{home}/src/fio\";"),
            "# kmod-src = {".to_owned(),
            "#   ref = \"master\";".to_owned(),
            "#   fio = prev.fio.overrideAttrs {".to_owned(),
            "#     src = inputs.fio-src;".to_owned(),
            "#   kmod = prev.kmod.overrideAttrs {".to_owned(),
        ] {
            assert!(
                flake.contains(&needle),
                "{template}: missing `{needle}` in:\n{flake}"
            );
        }
        assert_valid_nix(&format!("init --template {template}"), &flake);
        // Next steps, including that flakes only see git-tracked files.
        assert!(stderr.contains("next steps:"), "{stderr}");
        assert!(stderr.contains("git add"), "{stderr}");
        assert!(stderr.contains("nixgen generate"), "{stderr}");
        // The host description is valid as written.
        let (code, _, stderr) = sb.run(&["validate", "vm/host.yaml"]);
        assert_eq!(code, 0, "{template}: {stderr}");
    }
}

#[test]
fn controller_template_enables_the_controller_and_a_user() {
    let sb = Sandbox::new();
    sb.run(&["init", "--template", "controller", "--no-git"]);
    let flake = sb.read("flake.nix");
    assert!(
        flake.contains("nixos-flake.controller.enable = true;"),
        "{flake}"
    );
    assert!(flake.contains("nixos-flake.nixosModules.user\n"), "{flake}");
    assert!(sb.read("host.yaml").contains("user:\n  name: kdevops"));
}

#[test]
fn generate_right_after_init_is_up_to_date() {
    for (template, _, _) in TEMPLATES {
        let sb = Sandbox::new();
        let (code, _, stderr) = sb.run(&["init", "--template", template, "--no-git"]);
        assert_eq!(code, 0, "{stderr}");
        let before = sb.snapshot();
        let (code, stdout, stderr) = sb.run(&["generate", "--no-git"]);
        assert_eq!(code, 0, "{template}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains("flake.nix is up to date"),
            "{template}: {stderr}"
        );
        assert_eq!(
            sb.snapshot(),
            before,
            "{template}: generate after init changes nothing"
        );
        let (code, _, stderr) = sb.run(&["generate", "--check", "--no-git"]);
        assert_eq!(code, 0, "{template}: {stderr}");
    }
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let sb = Sandbox::new();
    sb.write("host.yaml", "# mine\n");
    let (code, stdout, stderr) = sb.run(&["init", "--no-git"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("already exist"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        sb.read("host.yaml"),
        "# mine\n",
        "the existing file is untouched"
    );
    assert!(!sb.exists("flake.nix"), "nothing at all is written");

    // Only a flake.nix there: also refused.
    let sb = Sandbox::new();
    sb.write("flake.nix", "{ }\n");
    let (code, _, _) = sb.run(&["init", "--no-git"]);
    assert_eq!(code, 1);
    assert_eq!(sb.read("flake.nix"), "{ }\n");
    assert!(!sb.exists("host.yaml"));
}

#[test]
fn init_force_overwrites_and_is_idempotent() {
    let sb = Sandbox::new();
    sb.write("host.yaml", "# mine\n");
    sb.write("flake.nix", "{ }\n");
    let (code, _, stderr) = sb.run(&["init", "--force", "--template", "libvirt", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(sb.read("host.yaml").contains("backend: libvirt"));
    assert!(sb.read("flake.nix").contains("backends.libvirt"));
    // A second identical run changes no byte and says so.
    let before = sb.snapshot();
    let (code, _, stderr) = sb.run(&["init", "--force", "--template", "libvirt", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("host.yaml is up to date"), "{stderr}");
    assert!(stderr.contains("flake.nix is up to date"), "{stderr}");
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn init_check_and_dry_run_compare_with_what_is_there() {
    let sb = Sandbox::new();
    // Nothing there yet: --check fails, --dry-run shows new files; neither writes.
    let (code, _, stderr) = sb.run(&["init", "--check", "--no-git"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("out of date (missing)"), "{stderr}");
    let (code, stdout, _) = sb.run(&["init", "--dry-run", "--no-git"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("--- /dev/null\n+++ b/host.yaml\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- /dev/null\n+++ b/flake.nix\n"),
        "{stdout}"
    );
    assert_eq!(sb.snapshot().len(), 0, "nothing written");
    // After init, the same init is up to date.
    sb.run(&["init", "--no-git"]);
    let before = sb.snapshot();
    let (code, stdout, stderr) = sb.run(&["init", "--check", "--no-git"]);
    assert_eq!(code, 0, "init --check right after init: {stderr}");
    assert!(stderr.contains("up to date"), "{stderr}");
    let (code, stdout2, stderr) = sb.run(&["init", "--dry-run", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.is_empty() && stdout2.is_empty(),
        "no diff for identical files: {stdout}{stdout2}"
    );
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn init_name_and_nixos_flake_options() {
    let sb = Sandbox::new();
    let (code, _, stderr) = sb.run(&[
        "init",
        "some dir",
        "--name",
        "kvm-01",
        "--nixos-flake",
        "path:/home/user/src/nixos-flake",
        "--no-git",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let yaml = sb.read("some dir/host.yaml");
    assert!(yaml.contains("\nname: kvm-01\n"), "{yaml}");
    let flake = sb.read("some dir/flake.nix");
    assert!(flake.contains("nixosConfigurations.kvm-01 = "), "{flake}");
    assert!(
        flake.contains("nixos-flake.url = \"path:/home/user/src/nixos-flake\";"),
        "{flake}"
    );
    // A directory name that cannot be a configuration name falls back to `vm`.
    let sb = Sandbox::new();
    sb.run(&["init", "9lives", "--no-git"]);
    assert!(sb.read("9lives/host.yaml").contains("\nname: vm\n"));
}

#[test]
fn init_interactive_without_a_terminal_uses_defaults() {
    let sb = Sandbox::new();
    let (code, _, stderr) = sb.run(&["init", "box", "--interactive", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("--interactive needs a terminal"),
        "{stderr}"
    );
    assert!(sb.exists("box/flake.nix"));
}

// --- scaffold -------------------------------------------------------------------------------

const FLEET: &str = "\
defaults:
  nixosFlake: path:/home/user/src/nixos-flake
  backend: imageless
  profiles: [devel]
  user: { name: kdevops }
configurations:
  devel: {}
  storage:
    profiles: [devel, monitoring]
    user: { extraGroups: [wheel, disk] }
    storage: { /mnt/nvme0: { device: /dev/nvme0n1, fsType: xfs, autoFormat: true } }
  minimal:
    backend: libvirt
";

#[test]
fn scaffold_writes_one_directory_per_configuration() {
    let sb = Sandbox::new();
    sb.write("fleet.yaml", FLEET);
    let (code, _, stderr) = sb.run(&["scaffold", "fleet.yaml", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    for name in ["devel", "storage", "minimal"] {
        assert!(
            stderr.contains(&format!("created configurations/{name}/host.yaml")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("created configurations/{name}/flake.nix")),
            "{stderr}"
        );
        let flake = sb.read(&format!("configurations/{name}/flake.nix"));
        assert!(
            flake.contains(&format!("nixosConfigurations.{name} = ")),
            "{flake}"
        );
        assert_valid_nix(name, &flake);
    }
    let mut dirs: Vec<String> = std::fs::read_dir(sb.path().join("configurations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert_eq!(dirs, ["devel", "minimal", "storage"]);
}

#[test]
fn scaffold_merges_defaults() {
    let sb = Sandbox::new();
    sb.write("fleet.yaml", FLEET);
    sb.run(&["scaffold", "fleet.yaml", "--no-git"]);
    let storage = sb.read("configurations/storage/host.yaml");
    // Maps merge key by key: user.name from the defaults, extraGroups from the configuration.
    assert!(
        storage.contains("user:\n  name: kdevops\n  extraGroups: [wheel, disk]\n"),
        "{storage}"
    );
    // Lists replace.
    assert!(
        storage.contains("profiles: [devel, monitoring]\n"),
        "{storage}"
    );
    assert!(storage.contains("backend: imageless\n"), "{storage}");
    let minimal = sb.read("configurations/minimal/host.yaml");
    // Scalars replace.
    assert!(minimal.contains("backend: libvirt\n"), "{minimal}");
    assert!(minimal.contains("profiles: [devel]\n"), "{minimal}");
    assert!(
        minimal.contains("name: minimal\n"),
        "the key is the name:\n{minimal}"
    );
    let flake = sb.read("configurations/minimal/flake.nix");
    assert!(flake.contains("backends.libvirt"), "{flake}");
    assert!(!flake.contains("backends.imageless"), "{flake}");
}

#[test]
fn scaffold_rerun_is_up_to_date() {
    let sb = Sandbox::new();
    sb.write("fleet.yaml", FLEET);
    sb.run(&["scaffold", "fleet.yaml", "--no-git"]);
    let before = sb.snapshot();
    let (code, stdout, stderr) = sb.run(&["scaffold", "fleet.yaml", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.matches("is up to date").count(), 6, "{stderr}");
    assert!(
        !stderr.contains("created") && !stderr.contains("updated"),
        "{stderr}"
    );
    assert_eq!(sb.snapshot(), before);
    let (code, _, stderr) = sb.run(&["scaffold", "fleet.yaml", "--check", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn scaffold_check_and_dry_run_write_nothing() {
    let sb = Sandbox::new();
    sb.write("fleet.yaml", FLEET);
    let before = sb.snapshot();
    let (code, _, stderr) = sb.run(&["scaffold", "fleet.yaml", "--check", "--no-git"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr.matches("out of date (missing)").count(),
        6,
        "{stderr}"
    );
    let (code, stdout, _) = sb.run(&["scaffold", "fleet.yaml", "--dry-run", "--no-git"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.matches("--- /dev/null\n").count(), 6, "{stdout}");
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn scaffolded_host_yaml_validates_and_regenerates_the_same_flake() {
    let sb = Sandbox::new();
    sb.write("fleet.yaml", FLEET);
    sb.run(&["scaffold", "fleet.yaml", "--no-git"]);
    for name in ["devel", "storage", "minimal"] {
        let dir = format!("configurations/{name}");
        let (code, _, stderr) = sb.run(&["validate", &format!("{dir}/host.yaml")]);
        assert_eq!(code, 0, "{name}: {stderr}");
        // generate in place: up to date.
        let (code, _, stderr) = sb.run(&["generate", &format!("{dir}/host.yaml"), "--no-git"]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(stderr.contains("is up to date"), "{name}: {stderr}");
        // generate elsewhere: the same bytes.
        let other = format!("regen/{name}.nix");
        let (code, _, stderr) = sb.run(&[
            "generate",
            &format!("{dir}/host.yaml"),
            "-o",
            &other,
            "--no-git",
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            sb.read(&other),
            sb.read(&format!("{dir}/flake.nix")),
            "{name}"
        );
    }
}

#[test]
fn scaffold_resolves_relative_src_against_the_fleet_file() {
    let sb = Sandbox::new();
    sb.write(
        "infra/fleet.yaml",
        "defaults:\n  backend: imageless\n  nixosFlake: ../checkouts/nixos-flake\n  overlays:\n    \
         fio: { src: ../checkouts/fio }\nconfigurations:\n  devel: {}\n",
    );
    std::fs::create_dir_all(sb.path().join("elsewhere")).unwrap();
    let (code, _, stderr) = run(nixgen(&sb.path().join("elsewhere"), &sb.home()).args([
        "scaffold",
        "../infra/fleet.yaml",
        "--root",
        "../out",
        "--no-git",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let root = sb.path().display().to_string();
    let yaml = sb.read("out/devel/host.yaml");
    assert!(
        yaml.contains(&format!("src: {root}/checkouts/fio\n")),
        "{yaml}"
    );
    assert!(
        yaml.contains(&format!("nixosFlake: path:{root}/checkouts/nixos-flake\n")),
        "{yaml}"
    );
    let flake = sb.read("out/devel/flake.nix");
    assert!(
        flake.contains(&format!("path = \"{root}/checkouts/fio\";")),
        "{flake}"
    );
    assert!(
        flake.contains(&format!(
            "nixos-flake.url = \"path:{root}/checkouts/nixos-flake\";"
        )),
        "{flake}"
    );
    // The scaffolded host.yaml lives elsewhere, yet regenerates the same flake.
    let (code, _, stderr) = sb.run(&["generate", "out/devel/host.yaml", "--check", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn scaffold_refuses_a_single_host_file() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    let (code, _, stderr) = sb.run(&["scaffold", "host.yaml", "--no-git"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not a fleet"), "{stderr}");
    assert!(!sb.exists("configurations"));
}

#[test]
fn scaffold_writes_nothing_when_one_configuration_fails() {
    // `minimal` comes last and its flake cannot be edited: `devel` and `storage`, which come
    // before it, must not be written either.
    let sb = Sandbox::new();
    sb.write("fleet.yaml", FLEET);
    sb.write("configurations/minimal/flake.nix", "{ inputs = { ;\n");
    let before = sb.snapshot();
    let (code, _, stderr) = sb.run(&["scaffold", "fleet.yaml", "--no-git"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("configurations/minimal/flake.nix"),
        "{stderr}"
    );
    assert!(!stderr.contains("created"), "{stderr}");
    assert_eq!(sb.snapshot(), before, "nothing written");
}

#[test]
fn scaffold_reports_a_warning_about_defaults_once() {
    let sb = Sandbox::new();
    sb.write(
        "fleet.yaml",
        "defaults:\n  backend: imageless\n  overlays: { fio: { src: ./missing-fio } }\n\
         configurations:\n  a: {}\n  b: {}\n  c: {}\n",
    );
    let (code, _, stderr) = sb.run(&["scaffold", "fleet.yaml", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches("does not exist").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("created").count(), 6, "{stderr}");
}

#[test]
fn module_files_are_looked_for_beside_the_flake_not_the_yaml() {
    // Module paths are relative to the flake: with `-o`, that is the output's directory.
    let sb = Sandbox::new();
    sb.write(
        "h/host.yaml",
        "name: vm\nbackend: imageless\nmodules: [./extra.nix]\n",
    );
    sb.write("h/extra.nix", "{ ... }: { }\n");
    let (code, _, stderr) = sb.run(&["generate", "h/host.yaml", "-o", "out/flake.nix", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("module file `./extra.nix` does not exist yet"),
        "{stderr}"
    );
    assert!(
        stderr.contains("h/host.yaml:3:"),
        "points at the entry: {stderr}"
    );
    assert!(stderr.contains("(in out)"), "{stderr}");

    sb.write("out/extra.nix", "{ ... }: { }\n");
    let (code, _, stderr) = sb.run(&["generate", "h/host.yaml", "-o", "out/flake.nix", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("does not exist"), "{stderr}");

    // Beside the YAML (generate's default, and validate's assumption) it is found.
    let (code, _, stderr) = sb.run(&["validate", "h/host.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("does not exist"), "{stderr}");
}

#[test]
fn scaffold_warns_once_about_a_module_missing_from_every_configuration() {
    let sb = Sandbox::new();
    sb.write(
        "fleet.yaml",
        "defaults:\n  backend: imageless\n  modules: [./site.nix]\nconfigurations:\n  a: {}\n  \
         b: {}\n  c: {}\n",
    );
    // `a` has its module; `b` and `c` do not.
    sb.write("configurations/a/site.nix", "{ ... }: { }\n");
    let (code, _, stderr) = sb.run(&["scaffold", "fleet.yaml", "--no-git"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr
            .matches("module file `./site.nix` does not exist yet")
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("each of the 2 configuration directories under configurations"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fleet.yaml:3:"),
        "points at the default: {stderr}"
    );
}

// --- completions, man, usage -------------------------------------------------------------

#[test]
fn completions_for_each_shell() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        let (code, stdout, stderr) = sb.run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(stdout.len() > 500, "{shell}: completions are not empty");
        for sub in [
            "init",
            "generate",
            "scaffold",
            "validate",
            "overlay",
            "check",
            "schema",
            "completions",
            "man",
        ] {
            assert!(stdout.contains(sub), "{shell} completions lack `{sub}`");
        }
        assert!(stdout.contains("dry-run"), "{shell}");
    }
}

#[test]
fn man_page_is_roff() {
    let sb = Sandbox::new();
    let (code, stdout, stderr) = sb.run(&["man"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with('.'),
        "roff starts with a request: {}",
        &stdout[..80.min(stdout.len())]
    );
    assert!(
        stdout.contains(".TH nixgen 1"),
        "{}",
        &stdout[..200.min(stdout.len())]
    );
    for sub in [
        "NIXGEN GENERATE",
        "NIXGEN SCAFFOLD",
        "NIXGEN VALIDATE",
        "NIXGEN INIT",
    ] {
        assert!(stdout.contains(sub), "man page lacks `{sub}`");
    }
}

#[test]
fn usage_errors_exit_2() {
    let sb = Sandbox::new();
    sb.write("host.yaml", HOST);
    for args in [
        &[][..],
        &["bogus"],
        &["generate", "--bogus"],
        &["generate", "--dry-run", "--check"],
        &["generate", "--diff", "--dry-run"],
        &["validate"],
        &["init", "--template", "qemu"],
        &["completions", "tcsh"],
        &["completions"],
        &["scaffold"],
        &["--color", "sometimes", "schema"],
    ] {
        let (code, stdout, stderr) = sb.run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: usage errors go to stderr");
        assert!(
            stderr.starts_with("error:") || stderr.contains("Usage: nixgen"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!sb.exists("flake.nix"));
}

#[test]
fn help_and_version_exit_0() {
    let sb = Sandbox::new();
    let (code, stdout, _) = sb.run(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("generate") && stdout.contains("scaffold"));
    let (code, stdout, _) = sb.run(&["--version"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("nixgen "));
}

#[test]
fn no_color_means_no_escape_codes() {
    let sb = Sandbox::new();
    sb.write("host.yaml", "name: a\nbackend: qemu\n");
    let (_, _, stderr) = sb.run(&["validate", "host.yaml"]);
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    let (_, _, stderr) = sb.run(&["--color", "always", "validate", "host.yaml"]);
    assert!(
        stderr.contains('\x1b'),
        "--color always colours: {stderr:?}"
    );
}

#[test]
fn new_files_in_a_git_work_tree_are_added_with_intent_to_add() {
    let sb = Sandbox::new();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(sb.path())
            .env("GIT_CEILING_DIRECTORIES", sb.path().parent().unwrap())
            .args(args)
            .output()
            .expect("git runs")
    };
    assert!(git(&["init", "-q"]).status.success());
    let (code, _, stderr) = sb.run(&["init", "vm", "--template", "imageless"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("added with --intent-to-add"), "{stderr}");
    assert!(
        !stderr.contains("git init"),
        "already a work tree: {stderr}"
    );
    let listed = String::from_utf8(git(&["ls-files"]).stdout).unwrap();
    assert_eq!(
        listed, "vm/flake.nix\nvm/host.yaml\n",
        "flakes only see files git knows"
    );
}

#[test]
fn validate_reads_standard_input() {
    let sb = Sandbox::new();
    let mut cmd = assert_cmd::Command::cargo_bin("nixgen").unwrap();
    let out = cmd
        .current_dir(sb.path())
        .args(["validate", "-"])
        .write_stdin("name: x\nbakend: imageless\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--> <stdin>:2:1"), "{stderr}");
    assert!(stderr.contains("did you mean `backend`"), "{stderr}");
    let out = assert_cmd::Command::cargo_bin("nixgen")
        .unwrap()
        .current_dir(sb.path())
        .args(["validate", "-"])
        .write_stdin(HOST)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A YAML description as the JSON the schema describes.
fn yaml_as_json(text: &str) -> Value {
    let node = nixgen::yaml::parse(text).expect("the YAML parses");
    nixgen::yaml::de::from_node::<Value>(&node).expect("the YAML is data")
}

#[test]
fn every_shipped_description_validates_against_the_schema_and_bad_ones_do_not() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/host.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut shipped: Vec<std::path::PathBuf> = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    shipped.sort();
    assert!(shipped.len() >= 8, "{shipped:?}");
    for path in &shipped {
        let json = yaml_as_json(&std::fs::read_to_string(path).unwrap());
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    // What init writes, for each template.
    let sb = Sandbox::new();
    for template in ["imageless", "libvirt", "controller"] {
        let (code, _, stderr) = sb.run(&["init", template, "--template", template, "--no-git"]);
        assert_eq!(code, 0, "{stderr}");
        let json = yaml_as_json(&sb.read(&format!("{template}/host.yaml")));
        assert!(
            validator.is_valid(&json),
            "init --template {template}: {json}"
        );
    }
    // A fleet entry may be empty (null) and still validate, as nixgen accepts it.
    let fleet = yaml_as_json(
        "defaults: { backend: imageless }\nconfigurations:\n  a:\n  b: { profiles: [devel] }\n",
    );
    assert!(validator.is_valid(&fleet), "{fleet}");
    // What validate rejects at the type level, the schema rejects too.
    for bad in [
        "name: x\nbakend: imageless\n",
        "name: x\nbackend: imageles\n",
        "name: x\nbackend: imageless\ntestSuites: [nfstests]\n",
        "name: x\nbackend: imageless\nmonitoring: { sysstat: { interval: 0 } }\n",
        "name: x\nbackend: libvirt\nimage: { format: vmdk }\n",
        "backend: imageless\n",
    ] {
        assert!(
            !validator.is_valid(&yaml_as_json(bad)),
            "the schema accepts {bad:?}"
        );
    }
}
