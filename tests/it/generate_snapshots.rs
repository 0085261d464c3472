//! Snapshots of the flake generated for each example in `examples/`, and the guarantees every
//! generated flake carries: it is a nixfmt fixed point, rnix, nixgen's strict check and real Nix
//! (`nix-instantiate --parse`) accept it, the binary and the library agree byte for byte, and
//! evaluating it with Nix gives back exactly the values of the YAML (so escaping is proven
//! against Nix itself, not against our idea of Nix).
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test --test it generate_snapshots::`,
//! then read the `.snap` files under `tests/it/snapshots/` before committing them.

use std::path::{Path, PathBuf};

use crate::support::nix::{load_hosts, nix_instantiate_in};
use crate::support::{assert_valid_nix, examples_dir, nixgen, read, run, EXAMPLE_HOME};
use nixgen::generate::{emit, plan_for, Examples};
use nixgen::model::validate::ValidHost;
use nixgen::model::{OverlaySource, Profile};
use serde_json::{json, Map, Value};

/// The single-host examples; `fleet.yaml` is covered by its own tests below.
const HOST_EXAMPLES: [&str; 7] = [
    "aarch64-overlays",
    "controller",
    "devel",
    "escaping",
    "libvirt-image",
    "minimal",
    "storage-lab",
];

fn example(name: &str) -> PathBuf {
    examples_dir().join(format!("{name}.yaml"))
}

/// The flake for one host, through the library.
fn library_flake(host: &ValidHost) -> String {
    emit(&plan_for(host), &Examples::default()).expect("generated Nix parses")
}

/// `nixgen generate EXAMPLE -o <tmp>/flake.nix`: the flake, through the binary.
fn binary_flake(name: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("flake.nix");
    let (code, stdout, stderr) = run(nixgen(tmp.path(), Path::new(EXAMPLE_HOME))
        .arg("generate")
        .arg(example(name))
        .arg("-o")
        .arg(&out)
        .arg("--no-git"));
    assert_eq!(code, 0, "generate {name} failed:\n{stderr}");
    assert!(
        stdout.is_empty(),
        "generate prints nothing on stdout without --diff: {stdout}"
    );
    assert!(stderr.contains("created"), "{stderr}");
    read(&out)
}

fn check_example(name: &str) {
    let text = binary_flake(name);
    let hosts = load_hosts(&example(name));
    assert_eq!(hosts.len(), 1, "{name} describes one host");
    assert_eq!(
        library_flake(&hosts[0].host),
        text,
        "{name}: the library and the binary generate different flakes"
    );
    assert_eq!(
        binary_flake(name),
        text,
        "{name}: generation is not deterministic"
    );
    insta::assert_snapshot!(name, text);
    assert_valid_nix(name, &text);
    assert_means_the_yaml(name, &text, &[&hosts[0].host]);
}

#[test]
fn every_example_has_a_snapshot_test() {
    let mut found: Vec<String> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".yaml").map(str::to_owned))
        .collect();
    found.sort();
    let mut expected: Vec<String> = HOST_EXAMPLES.iter().map(|s| s.to_string()).collect();
    expected.push("fleet".into());
    expected.sort();
    assert_eq!(found, expected, "add a snapshot test for each new example");
}

#[test]
fn example_aarch64_overlays() {
    check_example("aarch64-overlays");
}

#[test]
fn example_controller() {
    check_example("controller");
}

#[test]
fn example_devel() {
    check_example("devel");
}

#[test]
fn example_escaping() {
    check_example("escaping");
}

#[test]
fn example_libvirt_image() {
    check_example("libvirt-image");
}

#[test]
fn example_minimal() {
    check_example("minimal");
}

#[test]
fn example_storage_lab() {
    check_example("storage-lab");
}

#[test]
fn example_fleet_configurations() {
    let path = example("fleet");
    let hosts = load_hosts(&path);
    let names: Vec<&str> = hosts.iter().map(|h| h.host.host.name.as_str()).collect();
    assert_eq!(names, ["devel", "storage", "image", "minimal"]);
    for host in &hosts {
        let name = &host.host.host.name;
        let text = library_flake(&host.host);
        insta::assert_snapshot!(format!("fleet-{name}"), text);
        assert_valid_nix(&format!("fleet/{name}"), &text);
        assert_means_the_yaml(&format!("fleet/{name}"), &text, &[&host.host]);
    }
}

/// `scaffold` writes the same flakes as the library, and standalone host.yaml files worth a look.
#[test]
fn example_fleet_scaffolded_host_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(nixgen(tmp.path(), Path::new(EXAMPLE_HOME))
        .arg("scaffold")
        .arg(example("fleet"))
        .arg("--no-git"));
    assert_eq!(code, 0, "{stderr}");
    for host in load_hosts(&example("fleet")) {
        let name = &host.host.host.name;
        let dir = tmp.path().join("configurations").join(name);
        insta::assert_snapshot!(
            format!("fleet-{name}-host.yaml"),
            read(&dir.join("host.yaml"))
        );
        assert_eq!(
            read(&dir.join("flake.nix")),
            library_flake(&host.host),
            "{name}"
        );
    }
}

/// The contract's own example spelled out, with a couple of literal checks on top of the
/// snapshot: what the keys become is what nixos-flake's usage guide writes by hand.
#[test]
fn devel_example_maps_keys_to_nixos_flake() {
    let text = binary_flake("devel");
    for needle in [
        "nixos-flake.url = \"path:/home/user/src/nixos-flake\";",
        "nixpkgs.follows = \"nixos-flake/nixpkgs\";",
        "fio-src = {\n      type = \"path\";\n      path = \"/home/user/src/fio\";\n      flake = false;\n    };",
        "kernel-src = {\n      type = \"path\";\n      path = \"/home/user/src/linux\";\n      flake = false;\n    };",
        "nixos-flake.nixosModules.backends.imageless",
        "nixos-flake.nixosModules.profiles.devel",
        "nixos-flake.nixosModules.testSuites.fstests",
        "nixos-flake.nixosModules.user",
        "nixos-flake.nixosModules.mounts.shares",
        "nixos-flake.nixosModules.mounts.storage",
        "./extra.nix",
        "nixos-flake.shares.\"/mnt/home\"",
        "nixos-flake.storage.\"/mnt/nvme0\"",
        "cpupower = prev.cpupower.overrideAttrs { src = inputs.kernel-src; };",
        "patches = [ ];",
        "python3Packages.numpy",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    // nixos-flake's overlay comes first, then nixgen's.
    let default = text.find("nixos-flake.overlays.default").unwrap();
    let ours = text.find("(final: prev: {").unwrap();
    assert!(default < ours);
    assert!(
        !text.contains("controller.enable"),
        "only the controller profile enables it"
    );
}

/// Nix reads the tricky strings back exactly as YAML wrote them (the generic check in
/// `assert_means_the_yaml` does this for every example; these are the literal cases spelled out
/// so a reader sees what is at stake).
#[test]
fn escaping_example_strings_survive_nix_evaluation() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("flake.nix"), binary_flake("escaping")).unwrap();
    let hosts = load_hosts(&example("escaping"));
    let got = nix_eval(tmp.path(), &stubs(&[&hosts[0].host]));
    let cfg = &got["nixosConfigurations"]["escaping"]["nixos-flake"];
    assert_eq!(
        got["inputs"]["nixos-flake"]["url"],
        json!("path:/home/user/src/nixos \"flake\" ${HOME}")
    );
    let share = &cfg["shares"]["/mnt/données/\"quoted\""];
    assert_eq!(share["tag"], json!("tag${builtins.currentTime}"));
    assert_eq!(
        share["options"],
        json!(["x-opt=${toString 1}", "back\\slash"])
    );
    assert_eq!(
        cfg["shares"]["/mnt/日本語"]["tag"],
        json!("tab\tand\nnewline")
    );
    let disk = &cfg["storage"]["/mnt/with space"];
    assert_eq!(disk["device"], json!("/dev/disk/by-label/my \"disk\""));
    assert_eq!(
        disk["options"],
        json!([
            "comment='${pkgs.hello}'",
            "\\${escaped}",
            "x-systemd.device-timeout=5\"; evil = \"1"
        ])
    );
    assert_eq!(disk["mkfsArgs"], json!(["-L", "a\\\"b", "$${dollar}"]));
    let overlays = &got["nixosConfigurations"]["escaping"]["overlays"][1];
    assert_eq!(overlays["fio"]["src"]["owner"], json!("ow\"ner"));
    assert_eq!(overlays["fio"]["src"]["rev"], json!("${rev}"));
    assert_eq!(
        overlays["kmod"]["src"]["url"],
        json!("https://example.com/kmod.git?x=${y}\";z")
    );
}

// --- Evaluating a generated flake with Nix, against stubs --------------------------------

/// Evaluates the flake in `dir` with stub inputs and returns its data as JSON: the inputs, and
/// for each configuration the system, module list, and what the inline module sets (overlays
/// applied to stub `final`/`prev`, packages looked up in a stub `pkgs`).
const EVAL_NIX: &str = r#"
{ stubs }:
let
  s = builtins.fromJSON stubs;
  flake = import ./flake.nix;
  prev = builtins.mapAttrs (n: _: { overrideAttrs = a: a; }) s.overlayPackages;
  final = {
    fetchFromGitHub = a: { fetcher = "fetchFromGitHub"; } // a;
    fetchgit = a: { fetcher = "fetchgit"; } // a;
  };
  args = builtins.mapAttrs (n: _: "input:" + n) flake.inputs // {
    self = "self";
    nixpkgs = { lib.nixosSystem = a: a; };
    nixos-flake = {
      nixosModules = s.nixosModules;
      overlays.default = "nixos-flake.overlays.default";
    };
  };
  outputs = flake.outputs args;
  describe = m:
    if builtins.isFunction m then "<inline module>"
    else if builtins.isPath m then "path:" + baseNameOf (toString m)
    else m;
  config = name: cfg:
    let
      inline = builtins.elemAt cfg.modules (builtins.length cfg.modules - 1);
      body = inline { pkgs = s.pkgs; };
    in {
      system = cfg.system;
      modules = map describe cfg.modules;
      hostName = body.networking.hostName or null;
      nixos-flake = body.nixos-flake or null;
      overlays = map (o: if builtins.isFunction o then o final prev else o) body.nixpkgs.overlays;
      packages = body.environment.systemPackages or null;
    };
in {
  inherit (flake) description inputs;
  outputs = builtins.attrNames outputs;
  nixosConfigurations = builtins.mapAttrs config outputs.nixosConfigurations;
}
"#;

fn nix_eval(dir: &Path, stubs: &Value) -> Value {
    std::fs::write(dir.join("eval.nix"), EVAL_NIX).unwrap();
    let out = nix_instantiate_in(dir)
        .args([
            "--eval", "--strict", "--json", "eval.nix", "--argstr", "stubs",
        ])
        .arg(stubs.to_string())
        .output()
        .expect("nix-instantiate runs");
    assert!(
        out.status.success(),
        "nix-instantiate --eval failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("nix prints JSON")
}

/// Inserts `value` at a dotted path of nested objects.
fn insert_dotted(map: &mut Map<String, Value>, dotted: &str, value: Value) {
    let mut parts: Vec<&str> = dotted.split('.').collect();
    let last = parts.pop().unwrap();
    let mut node = map;
    for part in parts {
        node = node
            .entry(part)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("no package is both a package and a package set");
    }
    node.insert(last.to_owned(), value);
}

/// The stubs for `EVAL_NIX`: every module nixos-flake exports, as its own name; each package,
/// as `pkg:<name>`; each overlaid package in `prev`.
fn stubs(hosts: &[&ValidHost]) -> Value {
    let mut modules = Map::new();
    for m in [
        "backends.imageless",
        "backends.libvirt",
        "profiles.devel",
        "profiles.build-tools",
        "profiles.monitoring",
        "profiles.controller",
        "testSuites.blktests",
        "testSuites.fstests",
        "testSuites.gitr",
        "testSuites.ltp",
        "testSuites.mmtests",
        "testSuites.pynfs",
        "testSuites.selftests",
        "testSuites.sysbench",
        "user",
        "mounts.shares",
        "mounts.storage",
    ] {
        insert_dotted(&mut modules, m, json!(m));
    }
    let mut pkgs = Map::new();
    let mut overlay_packages = Map::new();
    for host in hosts {
        for p in &host.host.packages {
            insert_dotted(&mut pkgs, p, json!(format!("pkg:{p}")));
        }
        for o in &host.overlays {
            overlay_packages.insert(o.package.clone(), json!(true));
        }
    }
    json!({ "nixosModules": modules, "pkgs": pkgs, "overlayPackages": overlay_packages })
}

/// What Nix must read from the flake of `hosts`, computed from the host descriptions alone.
fn expected_eval(hosts: &[&ValidHost]) -> Value {
    let mut inputs = Map::new();
    let mut configs = Map::new();
    for valid in hosts {
        let host = &valid.host;
        inputs.insert(
            "nixos-flake".into(),
            json!({ "url": valid.nixos_flake_url }),
        );
        inputs.insert(
            "nixpkgs".into(),
            json!({ "follows": "nixos-flake/nixpkgs" }),
        );

        let mut modules = vec![json!(format!("backends.{}", host.backend.as_str()))];
        modules.extend(
            host.profiles
                .iter()
                .map(|p| json!(format!("profiles.{}", p.as_str()))),
        );
        modules.extend(
            host.test_suites
                .iter()
                .map(|t| json!(format!("testSuites.{}", t.as_str()))),
        );
        if host.user.is_some() {
            modules.push(json!("user"));
        }
        if !host.shares.is_empty() {
            modules.push(json!("mounts.shares"));
        }
        if !host.storage.is_empty() {
            modules.push(json!("mounts.storage"));
        }
        for m in &host.modules {
            let file = Path::new(m).file_name().unwrap().to_string_lossy();
            modules.push(json!(format!("path:{file}")));
        }
        modules.push(json!("<inline module>"));

        let mut nf = Map::new();
        if let Some(user) = &host.user {
            let mut u = Map::new();
            if let Some(name) = &user.name {
                u.insert("name".into(), json!(name));
            }
            if let Some(groups) = &user.extra_groups {
                u.insert("extraGroups".into(), json!(groups));
            }
            if !u.is_empty() {
                nf.insert("user".into(), Value::Object(u));
            }
        }
        if host.profiles.contains(&Profile::Controller) {
            nf.insert("controller".into(), json!({ "enable": true }));
        }
        if host.profiles.contains(&Profile::Monitoring) {
            let m = host.monitoring.clone().unwrap_or_default();
            let mut monitoring = serde_json::to_value(&m).unwrap();
            monitoring["enable"] = json!(m.enable.unwrap_or(true));
            nf.insert("monitoring".into(), monitoring);
        }
        let mut shares = Map::new();
        for (mp, share) in &host.shares {
            let mut s = Map::new();
            s.insert("tag".into(), json!(share.tag));
            if let Some(o) = &share.options {
                s.insert("options".into(), json!(o));
            }
            shares.insert(mp.clone(), Value::Object(s));
        }
        if !shares.is_empty() {
            nf.insert("shares".into(), Value::Object(shares));
        }
        let mut storage = Map::new();
        for (mp, st) in &host.storage {
            let mut s = Map::new();
            s.insert("device".into(), json!(st.device));
            s.insert("fsType".into(), json!(st.fs_type));
            if let Some(o) = &st.options {
                s.insert("options".into(), json!(o));
            }
            if let Some(a) = &st.mkfs_args {
                s.insert("mkfsArgs".into(), json!(a));
            }
            if let Some(a) = st.auto_format {
                s.insert("autoFormat".into(), json!(a));
            }
            storage.insert(mp.clone(), Value::Object(s));
        }
        if !storage.is_empty() {
            nf.insert("storage".into(), Value::Object(storage));
        }

        let mut overlays = vec![json!("nixos-flake.overlays.default")];
        let mut entries = Map::new();
        for o in &valid.overlays {
            let src = match &o.source {
                OverlaySource::Input { input, source } => {
                    let written = match source {
                        nixgen::model::InputSource::Path(p) => {
                            json!({ "type": "path", "path": p, "flake": false })
                        }
                        nixgen::model::InputSource::Url(u) => json!({ "url": u, "flake": false }),
                    };
                    inputs.insert(input.clone(), written);
                    json!(format!("input:{input}"))
                }
                OverlaySource::GitHub {
                    owner,
                    repo,
                    rev,
                    hash,
                } => {
                    json!({ "fetcher": "fetchFromGitHub", "owner": owner, "repo": repo, "rev": rev, "hash": hash })
                }
                OverlaySource::Git { url, rev, hash } => {
                    json!({ "fetcher": "fetchgit", "url": url, "rev": rev, "hash": hash })
                }
            };
            let mut attrs = Map::new();
            attrs.insert("src".into(), src);
            if o.clear_patches {
                attrs.insert("patches".into(), json!([]));
            }
            entries.insert(o.package.clone(), Value::Object(attrs));
        }
        if !entries.is_empty() {
            overlays.push(Value::Object(entries));
        }
        let packages: Vec<String> = host.packages.iter().map(|p| format!("pkg:{p}")).collect();
        configs.insert(
            host.name.clone(),
            json!({
                "system": host.system.as_str(),
                "modules": modules,
                "hostName": host.host_name,
                "nixos-flake": if nf.is_empty() { Value::Null } else { Value::Object(nf) },
                "overlays": overlays,
                "packages": if packages.is_empty() { Value::Null } else { json!(packages) },
            }),
        );
    }
    let description = format!(
        "{}: nixos-flake configuration generated by nixgen",
        hosts[0].host.name
    );
    json!({
        "description": description,
        "inputs": inputs,
        "outputs": ["nixosConfigurations", "packages"],
        "nixosConfigurations": configs,
    })
}

/// Evaluates `text` with Nix and checks that every value is what the YAML says.
fn assert_means_the_yaml(what: &str, text: &str, hosts: &[&ValidHost]) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("flake.nix"), text).unwrap();
    let got = nix_eval(tmp.path(), &stubs(hosts));
    let expected = expected_eval(hosts);
    assert_eq!(
        got,
        expected,
        "{what}: Nix reads different values from the flake than the YAML holds\nnix:  {}\nyaml: {}",
        serde_json::to_string_pretty(&got).unwrap(),
        serde_json::to_string_pretty(&expected).unwrap()
    );
}
