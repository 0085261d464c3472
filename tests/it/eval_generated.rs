//! Every flake nixgen generates evaluates with real Nix, offline, against the stand-ins in
//! `tests/fixtures`: each `init` template, each example host, each configuration that
//! `scaffold` writes for `examples/fleet.yaml`. Semantic checks read values back with
//! `nix eval --json`, and hand-edited flakes fail for the right reason.
//! Without Nix on PATH every test here fails (panics); none is skipped.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;

use serde_json::{json, Value};

use crate::support::nix::{
    self, eval_expr_json, eval_json, eval_json_apply, eval_json_with, generate_example,
    generate_yaml, nixos_flake_url, nixpkgs_url, toplevel_drv_path, Generated,
};
use crate::support::{assert_contains, examples_dir, nixgen_in, run};

/// `nixosConfigurations.<name>.<attr>`.
fn attr(name: &str, rest: &str) -> String {
    format!("nixosConfigurations.{name}.{rest}")
}

/// Asserts a configuration's toplevel evaluates to a system derivation.
fn assert_evaluates(dir: &Path, name: &str, what: &str) -> String {
    let drv = toplevel_drv_path(dir, name)
        .unwrap_or_else(|e| panic!("{what}: nixosConfigurations.{name} does not evaluate:\n{e}"));
    assert!(
        drv.starts_with("/nix/store/") && drv.contains("-nixos-system-") && drv.ends_with(".drv"),
        "{what}: unexpected drvPath {drv}"
    );
    drv
}

/// The examples that are single hosts and those that are fleets.
fn example_files() -> (Vec<String>, Vec<String>) {
    let mut hosts = Vec::new();
    let mut fleets = Vec::new();
    for entry in std::fs::read_dir(examples_dir()).expect("examples/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.extension() != Some(OsStr::new("yaml")) {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.lines().any(|l| l.starts_with("configurations:")) {
            fleets.push(name);
        } else {
            hosts.push(name);
        }
    }
    hosts.sort();
    fleets.sort();
    (hosts, fleets)
}

/// The escaping example's `nixosFlake` is a string Nix cannot parse as a URL (that is its
/// point); for evaluation it is swapped for the stand-in, the rest stays as written.
fn escaping_for_eval() -> String {
    let text = std::fs::read_to_string(examples_dir().join("escaping.yaml")).unwrap();
    text.lines()
        .map(|l| {
            if l.starts_with("nixosFlake:") {
                format!("nixosFlake: {}", nixos_flake_url())
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `generate_example`, except for escaping.yaml (see [`escaping_for_eval`]).
fn generate_for_eval(file: &str) -> Generated {
    if file == "escaping.yaml" {
        generate_yaml(file, &escaping_for_eval())
    } else {
        generate_example(file)
    }
}

#[test]
fn every_init_template_evaluates() {
    for template in ["imageless", "libvirt", "controller"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(template);
        let (code, _, stderr) = run(nixgen_in(tmp.path()).args([
            "init",
            template,
            "--template",
            template,
            "--name",
            "vm",
            "--no-git",
        ]));
        assert_eq!(code, 0, "init --template {template}:\n{stderr}");
        assert_evaluates(&dir, "vm", &format!("init --template {template}"));
    }
}

#[test]
fn init_with_a_local_nixos_flake_uses_that_url() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = nixos_flake_url();
    let (code, _, stderr) = run(nixgen_in(tmp.path()).args([
        "init",
        "vm",
        "--template",
        "imageless",
        "--nixos-flake",
        &fixture,
        "--no-git",
    ]));
    assert_eq!(code, 0, "{stderr}");
    // Only nixpkgs is overridden: nixos-flake comes from the URL the flake itself names.
    let nixpkgs = nixpkgs_url();
    let drv = eval_json_with(
        &tmp.path().join("vm"),
        &attr("vm", "config.system.build.toplevel.drvPath"),
        &[("nixos-flake/nixpkgs", &nixpkgs)],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(drv.as_str().unwrap().ends_with("-25.05.drv"), "{drv}");
}

#[test]
fn every_example_host_evaluates() {
    let (hosts, _) = example_files();
    assert!(hosts.len() >= 6, "examples went missing: {hosts:?}");
    let mut failures = Vec::new();
    for file in &hosts {
        let generated = generate_for_eval(file);
        for c in &generated.configs {
            let (name, dir) = (&c.name, &c.dir);
            if let Err(e) = toplevel_drv_path(dir, name) {
                failures.push(format!("examples/{file} ({name}):\n{e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_scaffolded_fleet_entry_evaluates() {
    let (_, fleets) = example_files();
    assert!(fleets.contains(&"fleet.yaml".to_owned()), "{fleets:?}");
    for file in &fleets {
        let generated = generate_example(file);
        assert!(!generated.configs.is_empty());
        for c in &generated.configs {
            assert_evaluates(&c.dir, &c.name, &format!("scaffold examples/{file}"));
        }
    }
    let fleet = generate_example("fleet.yaml");
    let names: Vec<&str> = fleet.configs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["devel", "storage", "image", "minimal"]);
    // The aarch64 entry really is built for aarch64.
    let system = eval_json(fleet.dir("image"), &attr("image", "pkgs.system")).unwrap();
    assert_eq!(system, json!("aarch64-linux"));
}

/// What `nixos-flake.storage."<mp>"` should read back as, from the YAML, with the module's
/// defaults for what the YAML leaves out.
fn expected_storage(host: &nixgen::model::Host) -> Value {
    let mut out = serde_json::Map::new();
    for (mp, s) in &host.storage {
        out.insert(
            mp.clone(),
            json!({
                "device": s.device,
                "fsType": s.fs_type,
                "options": s.options.clone().unwrap_or_default(),
                // The library defaults mkfsArgs to [ ].
                "mkfsArgs": s.mkfs_args.clone().unwrap_or_default(),
                "autoFormat": s.auto_format.unwrap_or(false),
            }),
        );
    }
    Value::Object(out)
}

fn expected_shares(host: &nixgen::model::Host) -> Value {
    let mut out = serde_json::Map::new();
    for (mp, s) in &host.shares {
        out.insert(
            mp.clone(),
            json!({ "tag": s.tag, "options": s.options.clone().unwrap_or_default() }),
        );
    }
    Value::Object(out)
}

#[test]
fn storage_and_shares_equal_the_yaml() {
    let devel = generate_example("devel.yaml");
    let fleet = generate_example("fleet.yaml");
    let builder = generate_example("libvirt-image.yaml");
    let cases = [
        devel.config("devel"),
        fleet.config("storage"),
        builder.config("builder"),
    ];
    for c in cases {
        let (dir, name) = (c.dir.as_path(), c.name.as_str());
        let host = host_of_file(&c.yaml);
        let storage = eval_json(dir, &attr(name, "config.nixos-flake.storage")).unwrap();
        assert_eq!(storage, expected_storage(&host), "{name}: storage");
        // Without shares the mounts.shares module is not imported, so there is no option.
        if !host.shares.is_empty() {
            let shares = eval_json(dir, &attr(name, "config.nixos-flake.shares")).unwrap();
            assert_eq!(shares, expected_shares(&host), "{name}: shares");
        }
    }
    // And they reach NixOS's file systems.
    let fs = eval_json_apply(
        devel.dir("devel"),
        &attr("devel", "config.fileSystems"),
        r#"fs: { inherit (fs."/mnt/nvme1") device fsType autoFormat; data = fs."/mnt/data".options; home = fs."/mnt/home".device; }"#,
    )
    .unwrap();
    assert_eq!(
        fs,
        json!({ "device": "/dev/nvme1n1", "fsType": "xfs", "autoFormat": true, "data": ["noatime"], "home": "home" })
    );
}

/// The store path Nix gives a local directory fetched as a `path:` input.
fn store_path_of(dir: &Path) -> String {
    let expr = format!(
        "builtins.path {{ path = {}; name = \"source\"; }}",
        nixgen::nix::escape::string(&dir.display().to_string())
    );
    eval_expr_json(&expr)
        .unwrap_or_else(|e| panic!("{e}"))
        .as_str()
        .unwrap()
        .to_owned()
}

/// `src` (as a store path and its MARKER) and `patches` of `pkgs.<pkg>`.
fn package_source(dir: &Path, name: &str, pkg: &str) -> Value {
    eval_json_apply(
        dir,
        &attr(name, &format!("pkgs.{pkg}")),
        r#"p: { src = "${p.src}"; marker = builtins.readFile "${p.src}/MARKER"; patches = map toString p.patches; }"#,
    )
    .unwrap_or_else(|e| panic!("pkgs.{pkg}: {e}"))
}

#[test]
fn overlay_sources_are_the_inputs_and_patches_are_cleared() {
    let devel = generate_example("devel.yaml");
    let dir = devel.dir("devel");
    let fio = package_source(dir, "devel", "fio");
    assert_eq!(fio["src"], json!(store_path_of(devel.source("fio-src"))));
    assert_eq!(fio["marker"], json!("fio-src\n"));
    assert_eq!(fio["patches"], json!([]), "clearPatches: true");
    let cpupower = package_source(dir, "devel", "cpupower");
    assert_eq!(
        cpupower["src"],
        json!(store_path_of(devel.source("kernel-src")))
    );
    assert_eq!(cpupower["marker"], json!("kernel-src\n"));

    // Without clearPatches, earlier layers' patches stay (nixpkgs' kmod has some).
    let fleet = generate_example("fleet.yaml");
    let kmod = package_source(fleet.dir("storage"), "storage", "kmod");
    assert_eq!(kmod["marker"], json!("kmod-src\n"));
    assert_ne!(kmod["patches"], json!([]), "kmod keeps its patches");
    // `image` replaces fio's src and keeps clearPatches from the defaults.
    let fio = package_source(fleet.dir("image"), "image", "fio");
    let next = fleet
        .sources
        .iter()
        .find(|(_, d)| d.ends_with("src/fio-next"))
        .map(|(_, d)| d.clone())
        .expect("src/fio-next was created");
    assert_eq!(fio["src"], json!(store_path_of(&next)));
    assert_eq!(fio["patches"], json!([]));
}

#[test]
fn fetched_sources_carry_the_yaml_values() {
    let arm = generate_example("aarch64-overlays.yaml");
    let dir = arm.dir("arm64-fstests");
    let read = |pkg: &str, fields: &str| {
        eval_json_apply(
            dir,
            &attr("arm64-fstests", &format!("pkgs.{pkg}")),
            &format!("p: {{ inherit (p.src) {fields}; patches = map toString p.patches; }}"),
        )
        .unwrap_or_else(|e| panic!("{pkg}: {e}"))
    };
    let damo = read("damo", "owner repo rev");
    assert_eq!(damo["owner"], json!("damonitor"));
    assert_eq!(
        damo["rev"],
        json!("3b2f4d0c0b6e2a3f9a6e8c1d2e4f5a6b7c8d9e0f")
    );
    let xfstests = read("xfstests", "url rev");
    assert_eq!(
        xfstests,
        json!({ "url": "git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git", "rev": "v2024.12.22", "patches": [] })
    );
    let xfsprogs = package_source(dir, "arm64-fstests", "xfsprogs");
    assert_eq!(xfsprogs["marker"], json!("xfsprogs-dev\n"));
    assert_eq!(xfsprogs["patches"], json!([]));
}

/// The `pname` (or name) of each package in `environment.systemPackages`.
fn system_packages(dir: &Path, name: &str) -> BTreeSet<String> {
    let v = eval_json_apply(
        dir,
        &attr(name, "config.environment.systemPackages"),
        "ps: map (p: p.pname or p.name) ps",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn packages_are_installed() {
    let base = "name: pk\nbackend: imageless\n";
    let without = generate_yaml("host.yaml", base);
    let with = generate_yaml(
        "host.yaml",
        &format!("{base}packages: [gdb, python3Packages.numpy, sysstat]\n"),
    );
    let before = system_packages(without.dir("pk"), "pk");
    let after = system_packages(with.dir("pk"), "pk");
    for pkg in ["gdb", "numpy", "sysstat"] {
        assert!(
            !before.contains(pkg),
            "{pkg} is there without being asked for"
        );
        assert!(after.contains(pkg), "{pkg} missing from {after:?}");
    }
    let controller = generate_example("controller.yaml");
    let installed = system_packages(controller.dir("controller"), "controller");
    for pkg in ["ansible", "vagrant"] {
        assert!(installed.contains(pkg), "{pkg} missing from {installed:?}");
    }
}

#[test]
fn tricky_strings_round_trip_exactly() {
    let generated = generate_yaml("escaping.yaml", &escaping_for_eval());
    let dir = generated.dir("escaping");
    let host = host_of_file(&generated.config("escaping").yaml);
    let shares = eval_json(dir, &attr("escaping", "config.nixos-flake.shares")).unwrap();
    assert_eq!(shares, expected_shares(&host));
    assert_eq!(shares["/mnt/日本語"]["tag"], json!("tab\tand\nnewline"));
    let storage = eval_json(dir, &attr("escaping", "config.nixos-flake.storage")).unwrap();
    assert_eq!(storage, expected_storage(&host));
    assert_eq!(
        storage["/mnt/with space"]["options"][2],
        json!("x-systemd.device-timeout=5\"; evil = \"1")
    );
    let user = eval_json(dir, &attr("escaping", "config.nixos-flake.user.name")).unwrap();
    assert_eq!(user, json!("tester"));
    let fio = eval_json_apply(
        dir,
        &attr("escaping", "pkgs.fio.src"),
        "s: { inherit (s) owner repo rev; }",
    )
    .unwrap();
    assert_eq!(
        fio,
        json!({ "owner": "ow\"ner", "repo": "re\\po", "rev": "${rev}" })
    );
    let kmod = eval_json_apply(
        dir,
        &attr("escaping", "pkgs.kmod.src"),
        "s: { inherit (s) url rev; }",
    )
    .unwrap();
    assert_eq!(
        kmod,
        json!({ "url": "https://example.com/kmod.git?x=${y}\";z", "rev": "tag\\v1" })
    );

    // The nixosFlake URL, which Nix cannot fetch, still reaches flake.nix as exactly that string.
    let original = generate_example("escaping.yaml");
    let flake = original.dir("escaping").join("flake.nix");
    let expr = format!(
        "(import {}).inputs.nixos-flake.url",
        nixgen::nix::escape::string(&flake.display().to_string())
    );
    let url = eval_expr_json(&expr).unwrap_or_else(|e| panic!("{e}"));
    let yaml_url = host_of_file(&original.config("escaping").yaml).nixos_flake;
    assert_eq!(url, json!(yaml_url));
    assert!(yaml_url.contains("\"flake\" ${HOME}"), "{yaml_url}");
}

fn host_of_file(path: &Path) -> nixgen::model::Host {
    nix::load_hosts(path).remove(0).host.host
}

/// devel.yaml generated, then `flake.nix` edited by `edit`; Nix's error for its toplevel.
fn hand_edited_devel(edit: impl Fn(&str) -> String) -> String {
    let devel = generate_example("devel.yaml");
    let path = devel.dir("devel").join("flake.nix");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&path, edited).unwrap();
    match toplevel_drv_path(devel.dir("devel"), "devel") {
        Ok(drv) => panic!("the hand-edited flake evaluated: {drv}"),
        Err(e) => e,
    }
}

#[test]
fn mkfs_args_with_auto_format_fails_the_assertion() {
    let err = hand_edited_devel(|t| {
        t.replacen(
            "device = \"/dev/nvme0n1\";",
            "device = \"/dev/nvme0n1\";\n              autoFormat = true;",
            1,
        )
    });
    assert_contains(&err, "Failed assertions:");
    assert_contains(
        &err,
        "nixos-flake.storage.\"/mnt/nvme0\": autoFormat and mkfsArgs",
    );
}

#[test]
fn undeclared_input_fails() {
    let err = hand_edited_devel(|t| {
        let start = t.find("    fio-src = {").expect("fio-src input");
        let end = start + t[start..].find("};\n").expect("end of the input") + 3;
        format!("{}{}", &t[..start], &t[end..])
    });
    assert_contains(&err, "attribute 'fio-src' missing");
    assert_contains(&err, "src = inputs.fio-src;");
}

#[test]
fn misspelled_option_fails() {
    let err = hand_edited_devel(|t| t.replacen("fsType = \"ext4\";", "fstype = \"ext4\";", 1));
    assert_contains(
        &err,
        "The option `nixos-flake.storage.\"/mnt/data\".fstype' does not exist.",
    );
}

#[test]
fn configuration_without_backend_fails() {
    let err =
        hand_edited_devel(|t| t.replacen("nixos-flake.nixosModules.backends.imageless\n", "", 1));
    assert_contains(&err, "system.stateVersion is not set");
    assert_contains(&err, "import nixos-flake.nixosModules.backends.imageless");
}
