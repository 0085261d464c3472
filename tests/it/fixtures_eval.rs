//! The offline Nix stand-ins in tests/fixtures behave like nixpkgs and
//! linux-kdevops/nixos-flake for the configurations nixgen generates.
//! Every test runs a real `nix eval`; without Nix on PATH they panic.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::support::assert_contains;
use crate::support::nix::{
    self, eval_json, eval_json_apply, eval_json_with, eval_nixos_flake, nix_command,
    nixos_flake_url, nixpkgs_url, temp_flake, toplevel_drv_path,
};

/// The configuration flake nixgen generates (see the brief / spec), with
/// `@NIXOS_FLAKE@` and `@FIO_SRC@` to fill in.
const GENERATED_SHAPE: &str = r#"{
  inputs = {
    nixos-flake.url = "@NIXOS_FLAKE@";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:@FIO_SRC@";
      flake = false;
    };
  };
  outputs =
    {
      self,
      nixpkgs,
      nixos-flake,
      ...
    }@inputs:
    {
      nixosConfigurations.devel = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.devel
          nixos-flake.nixosModules.profiles.controller
          nixos-flake.nixosModules.testSuites.fstests
          nixos-flake.nixosModules.user
          nixos-flake.nixosModules.mounts.shares
          nixos-flake.nixosModules.mounts.storage
          ./extra.nix
          (
            { pkgs, ... }:
            {
              networking.hostName = "devel";
              nixos-flake.user = {
                name = "kdevops";
                extraGroups = [
                  "wheel"
                  "kvm"
                ];
              };
              nixos-flake.controller.enable = true;
              nixos-flake.shares."/etc/xdg-host" = {
                tag = "xdg";
              };
              nixos-flake.shares."/mnt/home" = {
                tag = "home";
                options = [ "ro" ];
              };
              nixos-flake.storage."/mnt/nvme0" = {
                device = "/dev/nvme0n1";
                fsType = "xfs";
                mkfsArgs = [
                  "-b"
                  "size=16k"
                  "-s"
                  "size=16k"
                ];
              };
              nixos-flake.storage."/mnt/nvme1" = {
                device = "/dev/nvme1n1";
                fsType = "xfs";
                autoFormat = true;
              };
              nixos-flake.storage."/mnt/data" = {
                device = "/dev/vdb";
                fsType = "ext4";
                options = [ "noatime" ];
              };
              nixpkgs.overlays = [
                nixos-flake.overlays.default
                (final: prev: {
                  fio = prev.fio.overrideAttrs {
                    src = inputs.fio-src;
                    patches = [ ];
                  };
                  damo = prev.damo.overrideAttrs {
                    src = final.fetchFromGitHub {
                      owner = "damonitor";
                      repo = "damo";
                      rev = "0123456789abcdef0123456789abcdef01234567";
                      hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
                    };
                  };
                  xfstests = prev.xfstests.overrideAttrs {
                    src = final.fetchgit {
                      url = "git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git";
                      rev = "89abcdef0123456789abcdef0123456789abcdef";
                      hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
                    };
                  };
                })
              ];
              environment.systemPackages = with pkgs; [
                gdb
                bpftrace
              ];
            }
          )
        ];
      };
    };
}
"#;

const EXTRA_NIX: &str = r#"{ lib, ... }:
{
  environment.variables.XDG_CONFIG_HOME = "/etc/xdg-host";
  environment.variables.XDG_CONFIG_DIRS = lib.mkForce "/etc/xdg-host:/etc/xdg";
}
"#;

/// A local source checkout for a `flake = false` input.
fn source_checkout(marker: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("nixgen-src-")
        .tempdir()
        .expect("temporary source directory");
    std::fs::write(dir.path().join("MARKER"), marker).expect("write MARKER");
    dir
}

fn generated_flake(fio_src: &Path) -> tempfile::TempDir {
    let flake = GENERATED_SHAPE
        .replace("@NIXOS_FLAKE@", &nixos_flake_url())
        .replace("@FIO_SRC@", &fio_src.display().to_string());
    temp_flake(&[("flake.nix", &flake), ("extra.nix", EXTRA_NIX)])
}

/// A flake with one nixos-flake input and several configurations, each given
/// as `(name, system, modules)` where `modules` is the Nix text inside
/// `modules = [ ... ];`.
fn configurations_flake(extra_inputs: &str, configs: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let mut outputs = String::new();
    for (name, system, modules) in configs {
        outputs.push_str(&format!(
            "      nixosConfigurations.{name} = nixpkgs.lib.nixosSystem {{\n        system = \"{system}\";\n        modules = [\n{modules}\n        ];\n      }};\n"
        ));
    }
    let flake = format!(
        r#"{{
  inputs = {{
    nixos-flake.url = "{url}";
    nixpkgs.follows = "nixos-flake/nixpkgs";
{extra_inputs}
  }};
  outputs =
    {{
      self,
      nixpkgs,
      nixos-flake,
      ...
    }}@inputs:
    {{
{outputs}    }};
}}
"#,
        url = nixos_flake_url()
    );
    temp_flake(&[("flake.nix", &flake)])
}

fn single(modules: &str) -> tempfile::TempDir {
    configurations_flake("", &[("t", "x86_64-linux", modules)])
}

fn assert_drv_path(drv: &str, name: &str) {
    assert!(
        drv.starts_with("/nix/store/") && drv.ends_with(&format!("-{name}.drv")),
        "unexpected drvPath {drv}, wanted /nix/store/<hash>-{name}.drv"
    );
}

fn eval_err(dir: &Path, attr: &str) -> String {
    match eval_json(dir, attr) {
        Ok(v) => panic!("evaluating {attr} should fail, got {v}"),
        Err(e) => e,
    }
}

const TOPLEVEL: &str = "nixosConfigurations.t.config.system.build.toplevel.drvPath";

#[test]
fn generated_shape_evaluates_to_a_toplevel_derivation() {
    let src = source_checkout("fio checkout\n");
    let dir = generated_flake(src.path());
    let drv = toplevel_drv_path(dir.path(), "devel").unwrap_or_else(|e| panic!("{e}"));
    assert_drv_path(&drv, "nixos-system-devel-25.05");

    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations.devel",
        r#"c: {
          user = c.config.users.users.kdevops.extraGroups;
          normal = c.config.users.users.kdevops.isNormalUser;
          vars = c.config.environment.variables;
          libvirtd = c.config.virtualisation.libvirtd.enable;
          packages = map (p: p.name) c.config.environment.systemPackages;
          system = c.pkgs.system;
        }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got["user"], json!(["wheel", "kvm"]));
    assert_eq!(got["normal"], json!(true));
    assert_eq!(
        got["vars"],
        json!({"XDG_CONFIG_DIRS": "/etc/xdg-host:/etc/xdg", "XDG_CONFIG_HOME": "/etc/xdg-host"})
    );
    assert_eq!(got["libvirtd"], json!(true));
    assert_eq!(got["system"], json!("x86_64-linux"));
    let packages: Vec<&str> = got["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for wanted in [
        "gdb-15.2",
        "bpftrace-0.21.2",
        "fio-3.38",
        "xfstests-2026.03.20",
        "damo-2.5.9",
        "ansible-2.17.5",
        "virtiofsd-1.12.0",
    ] {
        assert!(
            packages.contains(&wanted),
            "{wanted} missing from {packages:?}"
        );
    }
}

#[test]
fn overlays_replace_sources_and_clear_patches() {
    let src = source_checkout("fio checkout\n");
    let dir = generated_flake(src.path());
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations.devel.pkgs",
        r#"pkgs: {
          fioMarker = builtins.readFile "${pkgs.fio.src}/MARKER";
          fioPatches = pkgs.fio.patches;
          fioInputs = map (p: p.name) pkgs.fio.buildInputs;
          damo = { inherit (pkgs.damo.src) owner repo rev; version = pkgs.damo.version; };
          xfstests = { inherit (pkgs.xfstests) version; inherit (pkgs.xfstests.src) url rev; patches = builtins.length pkgs.xfstests.patches; };
        }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got["fioMarker"], json!("fio checkout\n"));
    assert_eq!(got["fioPatches"], json!([]));
    // Only src and patches were replaced: liburing from nixos-flake's layer stays.
    assert!(got["fioInputs"]
        .as_array()
        .unwrap()
        .contains(&json!("liburing-2.8")));
    assert_eq!(
        got["damo"],
        json!({"owner": "damonitor", "repo": "damo", "rev": "0123456789abcdef0123456789abcdef01234567", "version": "2.5.9"})
    );
    assert_eq!(
        got["xfstests"],
        json!({
            "version": "2026.03.20",
            "url": "git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git",
            "rev": "89abcdef0123456789abcdef0123456789abcdef",
            "patches": 1
        })
    );
}

#[test]
fn overlay_layers_compose_in_order() {
    let src = source_checkout("xfstests checkout\n");
    let extra_inputs = format!(
        "    xfstests-src = {{\n      url = \"path:{}\";\n      flake = false;\n    }};",
        src.path().display()
    );
    let backend = "          nixos-flake.nixosModules.backends.imageless";
    let dir = configurations_flake(
        &extra_inputs,
        &[
            ("base", "x86_64-linux", backend),
            (
                "library",
                "x86_64-linux",
                &format!("{backend}\n          {{ nixpkgs.overlays = [ nixos-flake.overlays.default ]; }}"),
            ),
            (
                "user",
                "x86_64-linux",
                &format!(
                    r#"{backend}
          {{
            nixpkgs.overlays = [
              nixos-flake.overlays.default
              (final: prev: {{
                xfstests = prev.xfstests.overrideAttrs {{ src = inputs.xfstests-src; }};
                kmod = prev.kmod.overrideAttrs (old: {{ patches = old.patches ++ old.patches; }});
                hello = prev.hello.overrideAttrs (finalAttrs: prevAttrs: {{ version = "9.9"; }});
              }})
            ];
          }}"#
                ),
            ),
        ],
    );
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations",
        r#"cs: builtins.mapAttrs (n: c: {
          xfstests = c.pkgs.xfstests.version;
          fioPatches = map baseNameOf c.pkgs.fio.patches;
          kmodPatches = builtins.length c.pkgs.kmod.patches;
          hello = c.pkgs.hello.name;
          helloUrl = builtins.head c.pkgs.hello.src.urls;
          hasDamo = c.pkgs ? damo;
        }) cs"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got["base"]["xfstests"], json!("2023.05.14"));
    assert_eq!(got["base"]["fioPatches"], json!([]));
    assert_eq!(got["base"]["hasDamo"], json!(false));
    assert_eq!(got["library"]["xfstests"], json!("2026.03.20"));
    assert_eq!(got["library"]["hasDamo"], json!(true));
    let fio_patches = got["library"]["fioPatches"].as_array().unwrap();
    assert_eq!(fio_patches.len(), 1);
    assert!(fio_patches[0]
        .as_str()
        .unwrap()
        .ends_with("0001-io_uring-backport.patch"));
    // The user overlay's prev.xfstests is the bumped one: version kept.
    assert_eq!(got["user"]["xfstests"], json!("2026.03.20"));
    // `old: { ... }` form sees the previous attributes.
    assert_eq!(got["user"]["kmodPatches"], json!(2));
    assert_eq!(got["base"]["kmodPatches"], json!(1));
    // `final: prev: { ... }` form: the version bump reaches name and src.
    assert_eq!(got["user"]["hello"], json!("hello-9.9"));
    assert!(got["user"]["helloUrl"]
        .as_str()
        .unwrap()
        .contains("hello-9.9"));
    assert_eq!(got["base"]["hello"], json!("hello-2.12.1"));

    let marker = eval_json_apply(
        dir.path(),
        "nixosConfigurations.user.pkgs.xfstests.src",
        r#"src: builtins.readFile "${src}/MARKER""#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(marker, json!("xfstests checkout\n"));
}

#[test]
fn priorities_follow_nixos() {
    let imageless = "          nixos-flake.nixosModules.backends.imageless";
    let libvirt = "          nixos-flake.nixosModules.backends.libvirt";
    let user = "          nixos-flake.nixosModules.user";
    let dir = configurations_flake(
        "",
        &[
            (
                "defaultVsPlain",
                "x86_64-linux",
                &format!(
                    "{imageless}\n          ({{ lib, ... }}: {{ networking.hostName = lib.mkDefault \"from-default\"; }})\n          {{ networking.hostName = \"plain\"; }}"
                ),
            ),
            (
                "forceVsPlain",
                "x86_64-linux",
                &format!(
                    "{imageless}\n          {{ networking.hostName = \"plain\"; }}\n          ({{ lib, ... }}: {{ networking.hostName = lib.mkForce \"forced\"; }})"
                ),
            ),
            ("imagelessGroups", "x86_64-linux", &format!("{imageless}\n{user}")),
            ("libvirtGroups", "x86_64-linux", &format!("{libvirt}\n{user}")),
            (
                "plainGroups",
                "x86_64-linux",
                &format!("{libvirt}\n{user}\n          {{ nixos-flake.user.extraGroups = [ \"wheel\" ]; }}"),
            ),
            (
                "plainRoot",
                "x86_64-linux",
                &format!("{imageless}\n          {{ fileSystems.\"/\" = {{ device = \"/dev/vda1\"; fsType = \"ext4\"; }}; }}"),
            ),
            (
                "forcedRoot",
                "x86_64-linux",
                &format!("{imageless}\n          ({{ lib, ... }}: {{ fileSystems.\"/\" = lib.mkForce {{ device = \"/dev/vda1\"; fsType = \"ext4\"; }}; }})"),
            ),
        ],
    );
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations",
        r#"cs: builtins.mapAttrs (n: c: {
          host = c.config.networking.hostName;
          groups = c.config.nixos-flake.user.extraGroups;
          userGroups = if c.config.users.users ? user then c.config.users.users.user.extraGroups else null;
          root = c.config.fileSystems."/".fsType;
        }) cs"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got["defaultVsPlain"]["host"], json!("plain"));
    assert_eq!(got["forceVsPlain"]["host"], json!("forced"));
    assert_eq!(
        got["imagelessGroups"]["userGroups"],
        json!(["wheel", "kvm"])
    );
    assert_eq!(
        got["libvirtGroups"]["userGroups"],
        json!(["wheel", "kvm", "libvirtd"])
    );
    assert_eq!(got["plainGroups"]["userGroups"], json!(["wheel"]));
    // Without nixosModules.user the backend's default is set but no account made.
    assert_eq!(got["defaultVsPlain"]["groups"], json!(["wheel", "kvm"]));
    assert_eq!(got["defaultVsPlain"]["userGroups"], json!(null));
    // mkImageMediaOverride (60) beats a plain definition, mkForce (50) beats it.
    assert_eq!(got["plainRoot"]["root"], json!("tmpfs"));
    assert_eq!(got["forcedRoot"]["root"], json!("ext4"));

    let conflict = single(&format!(
        "{imageless}\n          {{ networking.hostName = \"a\"; }}\n          {{ networking.hostName = \"b\"; }}"
    ));
    let err = eval_err(conflict.path(), TOPLEVEL);
    assert_contains(
        &err,
        "The option `networking.hostName' has conflicting definition values:",
    );
}

#[test]
fn storage_and_shares_read_back() {
    let src = source_checkout("fio\n");
    let dir = generated_flake(src.path());
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations.devel.config",
        r#"c: {
          storage = c.nixos-flake.storage;
          shares = c.nixos-flake.shares;
          fileSystems = builtins.mapAttrs (_: fs: { inherit (fs) device fsType options autoFormat; }) c.fileSystems;
        }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        got["storage"],
        json!({
            "/mnt/nvme0": {"device": "/dev/nvme0n1", "fsType": "xfs", "options": [],
                           "mkfsArgs": ["-b", "size=16k", "-s", "size=16k"], "autoFormat": false},
            "/mnt/nvme1": {"device": "/dev/nvme1n1", "fsType": "xfs", "options": [],
                           "mkfsArgs": [], "autoFormat": true},
            "/mnt/data": {"device": "/dev/vdb", "fsType": "ext4", "options": ["noatime"],
                          "mkfsArgs": [], "autoFormat": false}
        })
    );
    assert_eq!(
        got["shares"],
        json!({
            "/etc/xdg-host": {"tag": "xdg", "options": []},
            "/mnt/home": {"tag": "home", "options": ["ro"]}
        })
    );
    assert_eq!(
        got["fileSystems"],
        json!({
            // The imageless backend's own: a tmpfs root, the store and the kernel's modules.
            "/": {"device": null, "fsType": "tmpfs", "options": ["mode=0755"], "autoFormat": false},
            "/nix/store": {"device": "store", "fsType": "virtiofs", "options": ["defaults"], "autoFormat": false},
            "/lib/modules": {"device": "modules", "fsType": "virtiofs", "options": ["defaults"], "autoFormat": false},
            "/etc/xdg-host": {"device": "xdg", "fsType": "virtiofs", "options": ["defaults"], "autoFormat": false},
            "/mnt/home": {"device": "home", "fsType": "virtiofs", "options": ["ro"], "autoFormat": false},
            "/mnt/nvme0": {"device": "/dev/nvme0n1", "fsType": "xfs", "options": ["defaults"], "autoFormat": false},
            "/mnt/nvme1": {"device": "/dev/nvme1n1", "fsType": "xfs", "options": ["defaults"], "autoFormat": true},
            "/mnt/data": {"device": "/dev/vdb", "fsType": "ext4", "options": ["noatime"], "autoFormat": false}
        })
    );
}

#[test]
fn mkfs_args_give_a_format_service_before_the_mount_unit() {
    let src = source_checkout("fio\n");
    let dir = generated_flake(src.path());
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations.devel.config.systemd.services",
        r#"s: {
          names = builtins.attrNames s;
          unit = { inherit (s.format-dev-nvme0n1) before after requires wantedBy unitConfig script; type = s.format-dev-nvme0n1.serviceConfig.Type; condition = s.format-dev-nvme0n1.serviceConfig ? ExecCondition; };
          path = map (p: p.pname) s.format-dev-nvme0n1.path;
        }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let names = got["names"].as_array().unwrap();
    // Named after the device, as the library names it.
    assert!(names.contains(&json!("format-dev-nvme0n1")), "{names:?}");
    let formats = names
        .iter()
        .filter(|n| n.as_str().unwrap().starts_with("format-"))
        .count();
    assert_eq!(
        formats, 1,
        "only mkfsArgs devices get a format service: {names:?}"
    );
    let unit = &got["unit"];
    assert_eq!(unit["before"], json!(["mnt-nvme0.mount"]));
    assert_eq!(unit["requires"], json!(["dev-nvme0n1.device"]));
    assert_eq!(unit["after"], json!(["dev-nvme0n1.device"]));
    assert_eq!(unit["wantedBy"], json!(["mnt-nvme0.mount"]));
    assert_eq!(unit["unitConfig"], json!({"DefaultDependencies": false}));
    assert_eq!(unit["type"], json!("oneshot"));
    assert_eq!(
        unit["condition"],
        json!(true),
        "skipped when blkid finds a file system"
    );
    let script = unit["script"].as_str().unwrap();
    assert_contains(
        script,
        "mkfs --type xfs -b 'size=16k' -s 'size=16k' /dev/nvme0n1",
    );
    assert_eq!(got["path"], json!(["util-linux", "xfsprogs"]));
}

#[test]
fn mkfs_args_with_auto_format_fail_the_assertion() {
    let dir = single(
        r#"          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.mounts.storage
          {
            nixos-flake.storage."/mnt/nvme0" = {
              device = "/dev/nvme0n1";
              fsType = "xfs";
              mkfsArgs = [ "-f" ];
              autoFormat = true;
            };
          }"#,
    );
    let err = eval_err(dir.path(), TOPLEVEL);
    assert_contains(&err, "Failed assertions:");
    assert_contains(
        &err,
        "- nixos-flake.storage.\"/mnt/nvme0\": autoFormat and mkfsArgs",
    );
}

#[test]
fn undeclared_input_fails() {
    let dir = single(
        r#"          nixos-flake.nixosModules.backends.imageless
          {
            nixpkgs.overlays = [
              (final: prev: { fio = prev.fio.overrideAttrs { src = inputs.nope-src; }; })
            ];
          }
          ({ pkgs, ... }: { environment.systemPackages = [ pkgs.fio ]; })"#,
    );
    let err = eval_err(dir.path(), TOPLEVEL);
    assert_contains(&err, "attribute 'nope-src' missing");
}

#[test]
fn undeclared_and_mistyped_options_fail() {
    let imageless = "          nixos-flake.nixosModules.backends.imageless";
    let cases = [
        (
            format!("{imageless}\n          {{ networking.hostname = \"devel\"; }}"),
            "The option `networking.hostname' does not exist.",
        ),
        (
            format!("{imageless}\n          nixos-flake.nixosModules.mounts.storage\n          {{ nixos-flake.storage.\"/mnt/x\" = {{ device = \"/dev/vdb\"; fsType = \"xfs\"; mkfsargs = [ ]; }}; }}"),
            "The option `nixos-flake.storage.\"/mnt/x\".mkfsargs' does not exist.",
        ),
        (
            format!("{imageless}\n          {{ nixos-flake.controller.enable = true; }}"),
            "The option `nixos-flake.controller' does not exist.",
        ),
        (
            format!("{imageless}\n          nixos-flake.nixosModules.mounts.storage\n          {{ nixos-flake.storage.\"/mnt/x\" = {{ device = \"/dev/vdb\"; fsType = \"xfs\"; autoFormat = \"yes\"; }}; }}"),
            "A definition for option `nixos-flake.storage.\"/mnt/x\".autoFormat' is not of type `boolean'.",
        ),
        (
            format!("{imageless}\n          {{ networking.hostName = \"not a host name\"; }}"),
            "A definition for option `networking.hostName' is not of type `string matching the pattern",
        ),
    ];
    for (modules, expected) in cases {
        let dir = single(&modules);
        let err = eval_err(dir.path(), TOPLEVEL);
        assert_contains(&err, expected);
    }
}

#[test]
fn module_system_supports_imports_special_args_and_properties() {
    let flake = r#"{
  inputs.nixos-flake.url = "@NIXOS_FLAKE@";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.t = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      specialArgs = { inherit inputs; site = "lab"; };
      modules = [
        nixos-flake.nixosModules.backends.imageless
        ({ config, lib, options, site, inputs, ... }: {
          imports = [
            ./sub.nix
            ./sub.nix
            ({ lib, ... }: { lab.tags = lib.mkBefore [ "first" ]; })
          ];
          networking.hostName = site;
          lab.tags = lib.mkMerge [
            (lib.mkIf true [ "middle" ])
            (lib.mkIf false [ "never" ])
          ];
          environment.variables = {
            HOST_DEFINED = if options.networking.hostName.isDefined then "yes" else "no";
            HAS_INPUT = lib.boolToString (inputs ? nixos-flake);
            FROM_CONFIG = config.networking.hostName;
          };
          users.users.alice = lib.mkIf (site == "lab") { isNormalUser = true; };
        })
      ];
    };
  };
}
"#
    .replace("@NIXOS_FLAKE@", &nixos_flake_url());
    let sub = r#"{ lib, site, ... }:
{
  options.lab.tags = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
  };
  config.lab.tags = lib.mkAfter [ "last-${site}" ];
}
"#;
    let dir = temp_flake(&[("flake.nix", &flake), ("sub.nix", sub)]);
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations.t.config",
        r#"c: {
          inherit (c.lab) tags;
          vars = removeAttrs c.environment.variables [ "XDG_CONFIG_DIRS" ];
          alice = c.users.users.alice.home;
          drv = c.system.build.toplevel.drvPath;
        }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // ./sub.nix imported twice counts once; mkBefore/mkAfter order the list.
    assert_eq!(got["tags"], json!(["first", "middle", "last-lab"]));
    assert_eq!(
        got["vars"],
        json!({"HOST_DEFINED": "yes", "HAS_INPUT": "true", "FROM_CONFIG": "lab"})
    );
    assert_eq!(got["alice"], json!("/home/alice"));
    assert_drv_path(got["drv"].as_str().unwrap(), "nixos-system-lab-25.05");
}

#[test]
fn configuration_without_backend_fails() {
    let dir = single("          { networking.hostName = \"nobackend\"; }");
    let err = eval_err(dir.path(), TOPLEVEL);
    assert_contains(&err, "Failed assertions:");
    assert_contains(&err, "- system.stateVersion is not set.");
    assert_contains(&err, "nixos-flake.nixosModules.backends.imageless");
    assert_contains(
        &err,
        "The ‘fileSystems’ option does not specify your root file system.",
    );
}

#[test]
fn seed_configuration_from_scratch_evaluates() {
    // "Writing a configuration from scratch" in nixos-flake's usage guide.
    let flake = r#"{
  inputs = {
    nixos-flake.url = "@NIXOS_FLAKE@";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }: {
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        {
          nixpkgs.overlays = [ nixos-flake.overlays.default ];
          environment.systemPackages = with nixpkgs.legacyPackages.x86_64-linux; [
            gdb
          ];
        }
      ];
    };
  };
}
"#
    .replace("@NIXOS_FLAKE@", &nixos_flake_url());
    let dir = temp_flake(&[("flake.nix", &flake)]);
    let drv = toplevel_drv_path(dir.path(), "vm").unwrap_or_else(|e| panic!("{e}"));
    assert_drv_path(&drv, "nixos-system-nixos-25.05");
}

#[test]
fn template_evaluates_and_carries_local_source_examples() {
    // The library's template is two files: flake.nix and the module default.nix.
    let dir_of_template = nix::nixos_flake_fixture().join("templates/imageless");
    let text = std::fs::read_to_string(dir_of_template.join("flake.nix")).expect("read flake.nix");
    let module =
        std::fs::read_to_string(dir_of_template.join("default.nix")).expect("read default.nix");
    for example in [
        "# fio-src = {",
        "# kmod-src = {",
        "nixpkgs.follows = \"nixos-flake/nixpkgs\";",
        "./default.nix",
        "packages.${system}.toplevel",
    ] {
        assert_contains(&text, example);
    }
    assert_contains(&module, "prev.fio.overrideAttrs");
    // Unedited: its nixos-flake.url is a placeholder, replaced by the default
    // fixture overrides.
    let dir = temp_flake(&[("flake.nix", &text), ("default.nix", &module)]);
    let drv = toplevel_drv_path(dir.path(), "vm").unwrap_or_else(|e| panic!("{e}"));
    assert_drv_path(&drv, "nixos-system-vm-25.05");
    let toplevel = eval_json(dir.path(), "packages.x86_64-linux.toplevel.drvPath")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        toplevel,
        serde_json::json!(drv),
        "packages.<system>.toplevel is the configuration"
    );

    let templates = eval_nixos_flake("templates").unwrap_or_else(|e| panic!("{e}"));
    let description = templates["imageless"]["description"].as_str().unwrap();
    assert!(!description.is_empty());
    assert!(templates["imageless"]["path"]
        .as_str()
        .unwrap()
        .starts_with("/nix/store/"));
}

#[test]
fn drv_path_tracks_packages_file_systems_and_units() {
    let base = "          nixos-flake.nixosModules.backends.imageless\n          nixos-flake.nixosModules.mounts.shares\n          nixos-flake.nixosModules.mounts.storage";
    let with = |extra: &str| format!("{base}\n          ({{ pkgs, ... }}: {extra})");
    let variants = [
        ("base", with("{ }")),
        ("package", with("{ environment.systemPackages = [ pkgs.hello ]; }")),
        ("share", with("{ nixos-flake.shares.\"/mnt/home\".tag = \"home\"; }")),
        ("shareRo", with("{ nixos-flake.shares.\"/mnt/home\" = { tag = \"home\"; options = [ \"ro\" ]; }; }")),
        ("mkfs16k", with("{ nixos-flake.storage.\"/mnt/nvme0\" = { device = \"/dev/nvme0n1\"; fsType = \"xfs\"; mkfsArgs = [ \"-b\" \"size=16k\" ]; }; }")),
        ("mkfs4k", with("{ nixos-flake.storage.\"/mnt/nvme0\" = { device = \"/dev/nvme0n1\"; fsType = \"xfs\"; mkfsArgs = [ \"-b\" \"size=4k\" ]; }; }")),
        ("unit", with("{ systemd.services.hello = { wantedBy = [ \"multi-user.target\" ]; script = \"${pkgs.hello}/bin/hello\"; }; }")),
        ("host", with("{ networking.hostName = \"other\"; }")),
    ];
    let configs: Vec<(&str, &str, &str)> = variants
        .iter()
        .map(|(name, modules)| (*name, "x86_64-linux", modules.as_str()))
        .collect();
    let dir = configurations_flake("", &configs);
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations",
        "cs: builtins.mapAttrs (n: c: c.config.system.build.toplevel.drvPath) cs",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<&str> = variants
        .iter()
        .map(|(name, _)| got[*name].as_str().unwrap())
        .collect();
    for (i, a) in paths.iter().enumerate() {
        for (j, b) in paths.iter().enumerate() {
            if i < j {
                assert_ne!(
                    a, b,
                    "{} and {} give the same drvPath",
                    variants[i].0, variants[j].0
                );
            }
        }
    }
}

#[test]
fn controller_profile_adds_tooling_only_when_enabled() {
    let modules = "          nixos-flake.nixosModules.backends.libvirt\n          nixos-flake.nixosModules.profiles.controller\n          nixos-flake.nixosModules.user";
    let dir = configurations_flake(
        "",
        &[
            (
                "on",
                "x86_64-linux",
                &format!("{modules}\n          {{ nixos-flake.controller.enable = true; }}"),
            ),
            ("off", "x86_64-linux", modules),
        ],
    );
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations",
        r#"cs: builtins.mapAttrs (n: c: {
          libvirtd = c.config.virtualisation.libvirtd.enable;
          pnames = map (p: p.pname or p.name) c.config.environment.systemPackages;
          groups = c.config.users.users.user.extraGroups;
          grub = c.config.boot.loader.grub.device;
          drv = c.config.system.build.toplevel.drvPath;
        }) cs"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got["on"]["libvirtd"], json!(true));
    assert_eq!(got["off"]["libvirtd"], json!(false));
    let on = got["on"]["pnames"].as_array().unwrap();
    let off = got["off"]["pnames"].as_array().unwrap();
    for tool in ["ansible", "qemu", "virtiofsd", "git", "gcc"] {
        assert!(on.contains(&json!(tool)), "{tool} missing: {on:?}");
    }
    assert!(!off.contains(&json!("ansible")));
    assert_eq!(got["on"]["groups"], json!(["wheel", "kvm", "libvirtd"]));
    assert_eq!(got["on"]["grub"], json!("/dev/vda"));
    assert_ne!(got["on"]["drv"], got["off"]["drv"]);
}

#[test]
fn aarch64_configuration_evaluates() {
    let dir = configurations_flake(
        "",
        &[(
            "arm",
            "aarch64-linux",
            "          nixos-flake.nixosModules.backends.imageless\n          nixos-flake.nixosModules.profiles.devel\n          nixos-flake.nixosModules.testSuites.pynfs",
        )],
    );
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations.arm",
        "c: { system = c.pkgs.system; drv = c.config.system.build.toplevel.drvPath; }",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got["system"], json!("aarch64-linux"));
    assert_drv_path(got["drv"].as_str().unwrap(), "nixos-system-nixos-25.05");
}

#[test]
fn nixos_flake_fixture_checks_evaluate() {
    for attr in [
        "checks.x86_64-linux.imageless.drvPath",
        "checks.x86_64-linux.libvirt.drvPath",
    ] {
        let drv = eval_nixos_flake(attr).unwrap_or_else(|e| panic!("{attr}: {e}"));
        assert_drv_path(drv.as_str().unwrap(), "nixos-system-nixos-25.05");
    }
    // Both stand-ins pass `nix flake check` (modules, overlay, templates).
    for (flake, overrides) in [
        (
            nix::nixos_flake_fixture(),
            vec!["--override-input", "nixpkgs"],
        ),
        (nix::nixpkgs_fixture(), vec![]),
    ] {
        let mut cmd = nix_command();
        cmd.args(["flake", "check", "--no-build", "--no-write-lock-file"]);
        if !overrides.is_empty() {
            cmd.args(&overrides);
            cmd.arg(nixpkgs_url());
        }
        cmd.arg(format!("path:{}", flake.display()));
        let out = cmd.output().expect("run nix flake check");
        assert!(
            out.status.success(),
            "nix flake check {}: {}",
            flake.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        !nix::nixos_flake_fixture().join("flake.lock").exists()
            && !nix::nixpkgs_fixture().join("flake.lock").exists(),
        "the fixtures must not carry a flake.lock"
    );
}

#[test]
fn nixos_flake_input_is_required_without_default_overrides() {
    // Without the overrides the nixos-flake fixture's own nixpkgs input is
    // github:NixOS/nixpkgs, which cannot be fetched offline.
    let dir = single("          nixos-flake.nixosModules.backends.imageless");
    let err = eval_json_with(dir.path(), TOPLEVEL, &[]).unwrap_err();
    // The fetch of that input is what fails, not some other error that names GitHub.
    assert_contains(
        &err,
        "unable to download 'https://api.github.com/repos/NixOS/nixpkgs/",
    );
    let nixpkgs = nixpkgs_url();
    let drv = eval_json_with(
        dir.path(),
        TOPLEVEL,
        &[("nixos-flake/nixpkgs", nixpkgs.as_str())],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_drv_path(drv.as_str().unwrap(), "nixos-system-nixos-25.05");
}

#[test]
fn stale_lock_file_is_ignored() {
    let src = source_checkout("old\n");
    let dir = generated_flake(src.path());
    let mut lock = nix_command();
    lock.args(["flake", "lock"])
        .args(nix::override_input_args())
        .arg(format!("path:{}", dir.path().display()));
    let out = lock.output().expect("run nix flake lock");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("flake.lock").exists());
    std::fs::write(src.path().join("MARKER"), "new\n").unwrap();
    let got = eval_json_apply(
        dir.path(),
        "nixosConfigurations.devel.pkgs.fio.src",
        r#"src: builtins.readFile "${src}/MARKER""#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, json!("new\n"));
}

/// The Nix these suites run is there and is one they are written for: flakes,
/// `--override-input` and `nix eval --apply` as Nix 2.8 has them (Debian's nix-bin).
#[test]
fn nix_is_installed_and_new_enough() {
    for (name, mut cmd) in [
        ("nix", Command::new(nix::require_nix())),
        ("nix-instantiate", Command::new(nix::nix_instantiate())),
    ] {
        let out = cmd.arg("--version").output().expect("run --version");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{name} --version: {text}");
        let version = text
            .trim()
            .strip_prefix(&format!("{name} (Nix) "))
            .unwrap_or_else(|| panic!("unexpected `{name} --version`: {text}"));
        let number: Vec<u32> = version
            .split('.')
            .take(2)
            .map(|n| {
                let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
                digits
                    .parse()
                    .unwrap_or_else(|_| panic!("{name} version {version}"))
            })
            .collect();
        assert!(
            number >= vec![2, 8],
            "{name} {version}: these tests need Nix 2.8 or later"
        );
    }
}
