//! `generate`, `scaffold` and `overlay add` over flakes that already exist, through the real
//! binary: a generated flake that a person then edited by hand survives a YAML change with
//! every hand edit intact; items gone from the YAML are reported and kept, and removed with
//! `--prune`; re-running is a no-op; only the chosen configuration of a multi-configuration
//! flake is touched; new code follows the file's own indentation (tabs, 4 spaces).
//! Every output is checked with rnix, nixgen's strict parser and `nix-instantiate --parse`
//! (evaluation is another suite's job).

use std::path::{Path, PathBuf};

use crate::support::edits::*;
use crate::support::{assert_parses, read, repo_root, write};
use rnix::ast;
use rowan::ast::AstNode;

/// A scratch directory holding a host description and its flake.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        Work {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        write(self.path(), name, text)
    }

    fn read(&self, name: &str) -> String {
        read(&self.path().join(name))
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        run_in(self.path(), args)
    }

    /// `generate host.yaml` plus `extra` flags; asserts exit 0; returns stderr.
    fn generate(&self, extra: &[&str]) -> String {
        let mut args = vec!["generate", "host.yaml", "--no-git"];
        args.extend_from_slice(extra);
        let (code, _, err) = self.run(&args);
        assert_eq!(code, 0, "generate {extra:?} failed: {err}");
        err
    }

    /// A second identical run changes no byte and says so.
    fn assert_up_to_date(&self, extra: &[&str]) {
        let before = self.read("flake.nix");
        let err = self.generate(extra);
        assert!(
            err.contains("flake.nix is up to date"),
            "not up to date: {err}"
        );
        assert_eq!(self.read("flake.nix"), before, "a re-run changed bytes");
    }
}

const HOST_V1: &str = "\
name: devel
backend: imageless
nixosFlake: path:/home/user/src/nixos-flake
hostName: devel
profiles: [devel]
shares:
  /mnt/home: { tag: home }
overlays:
  fio: { src: /srv/fio }
packages: [gdb]
";

/// HOST_V1 with: hostName changed, the profile switched, a share tag changed, storage added,
/// an overlay added and a package added.
const HOST_V2: &str = "\
name: devel
backend: imageless
nixosFlake: path:/home/user/src/nixos-flake
hostName: devel2
profiles: [build-tools]
shares:
  /mnt/home: { tag: homes }
storage:
  /mnt/nvme0: { device: /dev/nvme0n1, fsType: xfs, autoFormat: true }
overlays:
  fio: { src: /srv/fio }
  kmod: { src: /srv/kmod }
packages: [gdb, bpftrace]
";

/// Replaces the first `from` (which must be there) with `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "hand edit: `{from}` not found in\n{text}"
    );
    text.replacen(from, to, 1)
}

/// What a person does to a generated flake: comments everywhere (`#` and `/* */`), a
/// hand-added module file, an extra option in the inline module, one block re-indented.
/// Returns the edited text and the hand-written fragments that must survive byte for byte.
fn hand_edit(generated: &str) -> (String, Vec<&'static str>) {
    let mut s = format!("# devel box, hand-tuned: keep the serial console\n{generated}");
    s = edit(&s, "  inputs = {\n", "  inputs = { # pinned by hand\n");
    s = edit(
        &s,
        "    nixpkgs.follows = \"nixos-flake/nixpkgs\";\n",
        "    nixpkgs.follows = \"nixos-flake/nixpkgs\"; /* same nixpkgs as nixos-flake */\n",
    );
    s = edit(
        &s,
        "          nixos-flake.nixosModules.profiles.devel\n",
        "          nixos-flake.nixosModules.profiles.devel\n          ./hardware.nix # disks of this box\n",
    );
    s = edit(
        &s,
        "            networking.hostName = \"devel\";\n",
        "            /* name on the lab network */ networking.hostName = \"devel\";\n            boot.kernelParams = [ \"console=ttyS0\" ]; # serial console\n",
    );
    s = edit(
        &s,
        "            nixos-flake.shares.\"/mnt/home\" = {\n              tag = \"home\";\n            };\n",
        "            nixos-flake.shares.\"/mnt/home\" = {\n                tag = \"home\";    # the host side\n            };\n",
    );
    s = edit(
        &s,
        "              nixos-flake.overlays.default\n",
        "              nixos-flake.overlays.default # keep first\n",
    );
    s = format!("{s}\n# end of flake\n");
    let fragments = vec![
        "# devel box, hand-tuned: keep the serial console\n",
        "  inputs = { # pinned by hand\n",
        "; /* same nixpkgs as nixos-flake */\n",
        "          ./hardware.nix # disks of this box\n",
        "            /* name on the lab network */ networking.hostName = ",
        "            boot.kernelParams = [ \"console=ttyS0\" ]; # serial console\n",
        "            nixos-flake.shares.\"/mnt/home\" = {\n                tag = ",
        ";    # the host side\n            };\n",
        "              nixos-flake.overlays.default # keep first\n",
        "}\n\n# end of flake\n",
    ];
    (s, fragments)
}

fn assert_fragments(text: &str, fragments: &[&str]) {
    for f in fragments {
        assert!(text.contains(f), "hand edit lost: {f:?}\n{text}");
    }
}

#[test]
fn hand_edits_survive_a_yaml_change() {
    let w = Work::new();
    w.write("host.yaml", HOST_V1);
    w.generate(&[]);
    let (edited, fragments) = hand_edit(&w.read("flake.nix"));
    assert_parses("hand-edited", &edited);
    w.write("flake.nix", &edited);
    // Nothing in the YAML changed: the hand edits are not nixgen's business.
    w.assert_up_to_date(&[]);

    w.write("host.yaml", HOST_V2);
    let err = w.generate(&[]);
    let new = w.read("flake.nix");
    assert_parses("regenerated", &new);
    assert_fragments(&new, &fragments);
    assert!(lost_comments(&edited, &new).is_empty(), "{new}");
    for wanted in [
        "networking.hostName = \"devel2\";",
        "tag = \"homes\";    # the host side",
        "nixos-flake.nixosModules.profiles.build-tools",
        "nixos-flake.nixosModules.mounts.storage",
        "nixos-flake.storage.\"/mnt/nvme0\"",
        "device = \"/dev/nvme0n1\";",
        "autoFormat = true;",
        "kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };",
        "path = \"/srv/kmod\";",
        "environment.systemPackages = with pkgs; [ gdb bpftrace ];",
    ] {
        assert!(new.contains(wanted), "missing {wanted:?}:\n{new}");
    }
    // The profile that was switched away from is owned by nixgen: reported and kept.
    assert!(
        err.contains(
            "nixos-flake.nixosModules.profiles.devel` is not in the host description; kept"
        ),
        "{err}"
    );
    assert!(new.contains("nixos-flake.nixosModules.profiles.devel\n"));
    // Hand-added module files are the author's: never reported.
    assert!(!err.contains("hardware.nix"), "{err}");
    // Every line the author wrote that nixgen does not own is still there.
    for line in edited.lines() {
        let owned = ["hostName", "tag = ", "systemPackages", "(final: prev:"]
            .iter()
            .any(|o| line.contains(o));
        assert!(owned || new.contains(line), "line lost: {line:?}\n{new}");
    }
    w.assert_up_to_date(&[]);

    // --prune removes the stale profile and nothing else.
    let err = w.generate(&["--prune"]);
    assert!(
        err.contains("removed module `nixos-flake.nixosModules.profiles.devel` (--prune)"),
        "{err}"
    );
    let pruned = w.read("flake.nix");
    assert_parses("pruned", &pruned);
    assert_eq!(
        pruned,
        new.replacen("          nixos-flake.nixosModules.profiles.devel\n", "", 1)
    );
    w.assert_up_to_date(&["--prune"]);
    w.assert_up_to_date(&[]);
}

/// HOST_V2 with the share, the storage, one overlay, one package and hostName gone.
const HOST_V3: &str = "\
name: devel
backend: imageless
nixosFlake: path:/home/user/src/nixos-flake
profiles: [build-tools]
overlays:
  fio: { src: /srv/fio }
packages: [gdb]
";

#[test]
fn items_gone_from_the_yaml_are_reported_kept_and_pruned() {
    let w = Work::new();
    w.write("host.yaml", HOST_V2);
    w.generate(&[]);
    let generated = w.read("flake.nix");
    let edited = edit(
        &generated,
        "            nixpkgs.overlays = [\n",
        "            # overlays: fio from my checkout\n            nixpkgs.overlays = [\n",
    );
    let edited = format!("# hand-written header\n{edited}");
    w.write("flake.nix", &edited);
    w.write("host.yaml", HOST_V3);
    let err = w.generate(&[]);
    assert_eq!(w.read("flake.nix"), edited, "stale items must be kept");
    for reported in [
        "`networking.hostName` is not in the host description; kept",
        "nixos-flake.shares.\"/mnt/home\" is not in the host description; kept",
        "nixos-flake.storage.\"/mnt/nvme0\" is not in the host description; kept",
        "overlay for `kmod` is not in the host description; kept",
        "package `bpftrace` is not in the host description; kept",
        "input `kmod-src` is not in the host description; kept",
        "remove it with --prune",
    ] {
        assert!(err.contains(reported), "not reported: {reported}\n{err}");
    }

    let err = w.generate(&["--prune"]);
    let pruned = w.read("flake.nix");
    assert_parses("pruned", &pruned);
    assert!(lost_comments(&edited, &pruned).is_empty(), "{pruned}");
    for gone in [
        "hostName",
        "nixos-flake.shares",
        "nixos-flake.storage",
        "kmod = prev.kmod",
        "kmod-src",
        "bpftrace",
    ] {
        assert!(!pruned.contains(gone), "{gone} was not pruned:\n{pruned}");
    }
    for kept in [
        "fio = prev.fio.overrideAttrs { src = inputs.fio-src; };",
        "environment.systemPackages = with pkgs; [\n              gdb\n            ];",
        "nixos-flake.overlays.default",
        "nixos-flake.nixosModules.profiles.build-tools",
    ] {
        assert!(pruned.contains(kept), "{kept} lost:\n{pruned}");
    }
    assert!(err.contains("(--prune)"), "{err}");
    // The pruned file is what nixgen would generate plus the hand-written comments, or is at
    // least stable: a re-run is a no-op.
    w.assert_up_to_date(&["--prune"]);
}

#[test]
fn a_renamed_host_renames_the_configuration_and_keeps_the_rest() {
    let w = Work::new();
    w.write("host.yaml", HOST_V1);
    w.generate(&[]);
    let (edited, fragments) = hand_edit(&w.read("flake.nix"));
    w.write("flake.nix", &edited);
    w.write(
        "host.yaml",
        &HOST_V1.replace("name: devel\n", "name: devel-nvme\n"),
    );
    w.generate(&[]);
    let new = w.read("flake.nix");
    assert_parses("renamed", &new);
    assert_fragments(&new, &fragments);
    assert_eq!(
        new,
        edited.replacen(
            "nixosConfigurations.devel =",
            "nixosConfigurations.devel-nvme =",
            1
        )
    );
    w.assert_up_to_date(&[]);
}

/// The text of configuration `name`'s binding in a flake.
fn config_text(text: &str, name: &str) -> String {
    let root = rnix::Root::parse(text).tree();
    root.syntax()
        .descendants()
        .filter_map(ast::AttrpathValue::cast)
        .find(|b| {
            b.attrpath()
                .is_some_and(|p| p.attrs().last().is_some_and(|a| a.syntax().text() == name))
                && b.value()
                    .is_some_and(|v| v.syntax().text().to_string().contains("nixosSystem"))
        })
        .map(|b| b.syntax().text().to_string())
        .unwrap_or_else(|| panic!("no configuration {name}"))
}

#[test]
fn overlay_add_on_several_configurations_needs_config() {
    let w = Work::new();
    let original = read(&corpus_dir().join("23-nested-nixosconfigurations.nix"));
    w.write("flake.nix", &original);
    let (code, _, err) = w.run(&["overlay", "add", "kmod", "--src", "/srv/kmod"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("2 configurations"), "{err}");
    assert!(err.contains("--config: guest, controller"), "{err}");
    assert_eq!(w.read("flake.nix"), original);

    let (code, _, err) = w.run(&[
        "overlay",
        "add",
        "kmod",
        "--src",
        "/srv/kmod",
        "--config",
        "nosuch",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no configuration `nosuch`"), "{err}");
    assert!(err.contains("guest, controller"), "{err}");
    assert_eq!(w.read("flake.nix"), original);

    let (code, _, err) = w.run(&[
        "overlay",
        "add",
        "kmod",
        "--src",
        "/srv/kmod",
        "--config",
        "controller",
    ]);
    assert_eq!(code, 0, "{err}");
    let new = w.read("flake.nix");
    assert_parses("controller + kmod", &new);
    assert_eq!(config_text(&new, "guest"), config_text(&original, "guest"));
    assert!(config_text(&new, "controller").contains("kmod = prev.kmod.overrideAttrs"));
    assert!(lost_comments(&original, &new).is_empty());

    // The listing of all configurations shows each entry under its own.
    let (code, out, _) = w.run(&["overlay", "list", "--json"]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    let pairs: Vec<(String, String)> = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["config"].as_str().unwrap().to_owned(),
                r["package"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("guest".to_owned(), "fio".to_owned()),
            ("controller".to_owned(), "kmod".to_owned())
        ]
    );

    // Removing from one configuration leaves the other alone; the input goes (no user left).
    let (code, _, err) = w.run(&["overlay", "remove", "kmod", "--config", "controller"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.read("flake.nix"), original);
}

#[test]
fn generate_touches_only_its_configuration_of_several() {
    for (file, name, other) in [
        ("23-nested-nixosconfigurations.nix", "controller", "guest"),
        ("39-shared-module-list.nix", "monitor", "devel"),
    ] {
        let w = Work::new();
        let original = read(&corpus_dir().join(file));
        w.write("flake.nix", &original);
        w.write(
            "host.yaml",
            &format!(
                "name: {name}\nbackend: imageless\nnixosFlake: path:/home/user/src/nixos-flake\n\
                 hostName: {name}-host\nprofiles: [monitoring]\npackages: [htop]\n\
                 overlays:\n  kmod: {{ src: /srv/kmod }}\n"
            ),
        );
        w.generate(&[]);
        let new = w.read("flake.nix");
        assert_parses(file, &new);
        assert_eq!(
            config_text(&new, other),
            config_text(&original, other),
            "{file}: configuration {other} was touched"
        );
        let mine = config_text(&new, name);
        for wanted in [
            "hostName = \"",
            "kmod = prev.kmod.overrideAttrs",
            "htop",
            "nixos-flake.nixosModules.profiles.monitoring",
        ] {
            assert!(mine.contains(wanted), "{file}: {wanted} missing in\n{mine}");
        }
        assert!(lost_comments(&original, &new).is_empty(), "{file}");
        if file.starts_with("39") {
            // The backend comes through the shared `sharedModules ++ [ ... ]` list: not
            // added a second time, and the shared list is not touched.
            let count = |t: &str| t.matches("nixosModules.backends.imageless").count();
            assert_eq!(count(&new), count(&original), "{new}");
        }
        w.assert_up_to_date(&[]);
    }
}

const FLEET_V1: &str = "\
defaults:
  nixosFlake: path:/home/user/src/nixos-flake
  backend: imageless
  packages: [gdb]
configurations:
  devel: { profiles: [devel], hostName: devel }
  storage:
    profiles: [devel]
    storage: { /mnt/nvme0: { device: /dev/nvme0n1, fsType: xfs, autoFormat: true } }
";

const FLEET_V2: &str = "\
defaults:
  nixosFlake: path:/home/user/src/nixos-flake
  backend: imageless
  packages: [gdb, bpftrace]
configurations:
  devel: { profiles: [build-tools], hostName: devel }
  storage:
    profiles: [devel]
    storage: { /mnt/nvme0: { device: /dev/nvme0n1, fsType: xfs, autoFormat: true } }
    overlays: { fio: { src: /srv/fio } }
";

#[test]
fn scaffold_again_over_edited_flakes_keeps_the_edits() {
    let w = Work::new();
    w.write("fleet.yaml", FLEET_V1);
    let scaffold = |w: &Work| {
        let (code, _, err) = w.run(&["scaffold", "fleet.yaml", "--no-git"]);
        assert_eq!(code, 0, "{err}");
        err
    };
    scaffold(&w);
    let mut edited = Vec::new();
    for name in ["devel", "storage"] {
        let path = format!("configurations/{name}/flake.nix");
        let text = w.read(&path);
        let text = edit(
            &text,
            "          nixos-flake.nixosModules.profiles.devel\n",
            "          nixos-flake.nixosModules.profiles.devel\n          ./local.nix /* site-specific */\n",
        );
        let text = format!("# {name}: hand-edited\n{text}");
        w.write(&path, &text);
        edited.push((path, text));
    }
    let err = scaffold(&w);
    for (path, text) in &edited {
        assert!(err.contains(&format!("{path} is up to date")), "{err}");
        assert_eq!(&w.read(path), text);
    }
    w.write("fleet.yaml", FLEET_V2);
    scaffold(&w);
    for (path, text) in &edited {
        let new = w.read(path);
        assert_parses(path, &new);
        assert!(lost_comments(text, &new).is_empty(), "{path}\n{new}");
        assert!(
            new.contains("          ./local.nix /* site-specific */\n"),
            "{new}"
        );
        assert!(new.contains("[ gdb bpftrace ]"), "{path}: {new}");
    }
    let devel = w.read("configurations/devel/flake.nix");
    assert!(devel.contains("nixos-flake.nixosModules.profiles.build-tools"));
    let storage = w.read("configurations/storage/flake.nix");
    assert!(storage.contains("fio = prev.fio.overrideAttrs { src = inputs.fio-src; };"));
    assert!(storage.contains("path = \"/srv/fio\";"));
    let err = scaffold(&w);
    for (path, _) in &edited {
        assert!(err.contains(&format!("{path} is up to date")), "{err}");
    }
}

#[test]
fn init_then_generate_is_up_to_date_and_keeps_its_examples() {
    for template in ["imageless", "libvirt", "controller"] {
        let w = Work::new();
        let (code, _, err) = w.run(&["init", "--template", template, "--no-git"]);
        assert_eq!(code, 0, "{template}: {err}");
        let flake = w.read("flake.nix");
        let err = w.generate(&[]);
        assert!(err.contains("flake.nix is up to date"), "{template}: {err}");
        assert_eq!(w.read("flake.nix"), flake);

        // A YAML change on the init'ed flake keeps its commented-out examples.
        let yaml = w.read("host.yaml");
        w.write("host.yaml", &format!("{yaml}packages: [htop]\n"));
        w.generate(&[]);
        let new = w.read("flake.nix");
        assert_parses(template, &new);
        assert!(lost_comments(&flake, &new).is_empty(), "{template}:\n{new}");
        assert!(new.contains("htop"), "{template}:\n{new}");
        w.assert_up_to_date(&[]);
    }
}

/// Re-indents a two-space file with `unit` per level.
fn reindent(text: &str, unit: &str) -> String {
    text.lines()
        .map(|l| {
            let n = l.len() - l.trim_start_matches(' ').len();
            format!("{}{}\n", unit.repeat(n / 2), &l[n..])
        })
        .collect()
}

#[test]
fn tabs_and_four_spaces_get_new_code_in_their_own_indentation() {
    for (unit, what) in [("\t", "tabs"), ("    ", "4 spaces")] {
        let w = Work::new();
        w.write("host.yaml", HOST_V1);
        w.generate(&[]);
        let styled = reindent(&w.read("flake.nix"), unit);
        assert_parses(what, &styled);
        w.write("flake.nix", &styled);
        w.assert_up_to_date(&[]);
        w.write("host.yaml", HOST_V2);
        w.generate(&[]);
        let new = w.read("flake.nix");
        assert_parses(what, &new);
        let mut added = 0;
        for h in hunks(&styled, &new) {
            for (line, text) in &h.added {
                added += 1;
                let lead: String = text
                    .chars()
                    .take_while(|c| *c == ' ' || *c == '\t')
                    .collect();
                let ok = match unit {
                    "\t" => !lead.contains(' '),
                    _ => !lead.contains('\t') && lead.len().is_multiple_of(4),
                };
                assert!(
                    ok,
                    "{what}: line {line} is indented otherwise: {text:?}\n{new}"
                );
            }
        }
        assert!(added > 10, "{what}: the change added {added} lines");
        w.assert_up_to_date(&[]);
    }
}

/// A hand-written module file (no flake) gets overlays added and removed in place.
#[test]
fn overlay_add_on_a_module_file_with_fetchers() {
    let w = Work::new();
    let module = "\
# site module
{ pkgs, ... }:
{
  environment.systemPackages = [ pkgs.gdb ]; # debugging
}
";
    w.write("site.nix", module);
    let args = [
        "overlay",
        "add",
        "damo",
        "--github",
        "damonitor/damo",
        "--rev",
        "v2.0",
        "--hash",
        "sha256-AAAA",
        "--flake",
        "site.nix",
    ];
    let (code, _, err) = w.run(&args);
    assert_eq!(code, 0, "{err}");
    let new = w.read("site.nix");
    assert_parses("module", &new);
    assert!(lost_comments(module, &new).is_empty());
    assert!(new.contains("final.fetchFromGitHub"), "{new}");
    let (_, _, err) = w.run(&args);
    assert!(err.contains("up to date"), "{err}");
    let (code, _, err) = w.run(&[
        "overlay", "add", "fio", "--src", "/srv/fio", "--flake", "site.nix",
    ]);
    assert_eq!(code, 1, "a module file has no inputs: {err}");
    assert!(err.contains("help:"), "{err}");
    let (code, _, err) = w.run(&["overlay", "remove", "damo", "--flake", "site.nix"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.read("site.nix"), module);
}

// --- v2: the key table's ownership, outputs, inputs ---------------------------------------

const V2_HOST: &str = "name: lab\nbackend: libvirt\nnixosFlake: path:/srv/nixos-flake\n\
profiles: [devel, monitoring]\ntestSuites: [ltp]\nuser: { name: kdevops }\n\
sshKeys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyExampleKey me@x\"]\n\
shares:\n  /mnt/home: { tag: home }\n\
monitoring: { outputDir: /mnt/m/%i }\n\
overlays:\n  fio: { src: /srv/fio }\n\
settings: { time.timeZone: UTC }\nimage: { diskSize: 100 }\n";

#[test]
fn changing_the_backend_replaces_module_and_output() {
    let w = Work::new();
    w.write("host.yaml", V2_HOST);
    w.generate(&[]);
    let first = w.read("flake.nix");
    assert!(
        first.contains("packages.x86_64-linux.image = import"),
        "{first}"
    );
    assert!(first.contains("nixos-flake.nixosModules.backends.libvirt"));
    // A hand edit that must survive.
    let edited = first.replace(
        "      nixosConfigurations.lab",
        "      # my note about the lab\n      nixosConfigurations.lab",
    );
    w.write("flake.nix", &edited);
    w.write(
        "host.yaml",
        &V2_HOST
            .replace("backend: libvirt", "backend: imageless")
            .replace("image: { diskSize: 100 }\n", ""),
    );
    w.generate(&[]);
    let flake = w.read("flake.nix");
    assert_parses("backend change", &flake);
    assert!(
        flake.contains("nixos-flake.nixosModules.backends.imageless"),
        "{flake}"
    );
    assert!(
        !flake.contains("backends.libvirt"),
        "the old backend is replaced: {flake}"
    );
    assert!(
        !flake.contains("make-disk-image"),
        "the image output goes: {flake}"
    );
    assert!(
        flake.contains(
            "packages.x86_64-linux.toplevel = self.nixosConfigurations.lab.config.system.build.toplevel;"
        ),
        "{flake}"
    );
    assert!(flake.contains("# my note about the lab"), "{flake}");
    w.assert_up_to_date(&[]);
}

#[test]
fn pruning_an_owned_map_leaves_no_empty_husk() {
    let w = Work::new();
    w.write("host.yaml", V2_HOST);
    w.generate(&[]);
    w.write(
        "host.yaml",
        &V2_HOST
            .replace("shares:\n  /mnt/home: { tag: home }\n", "")
            .replace("user: { name: kdevops }\n", "")
            .replace("monitoring: { outputDir: /mnt/m/%i }\n", ""),
    );
    let err = w.generate(&["--prune"]);
    assert!(
        err.contains("removed nixos-flake.shares.\"/mnt/home\""),
        "{err}"
    );
    let flake = w.read("flake.nix");
    assert_parses("prune", &flake);
    assert!(
        !flake.contains("nixos-flake.shares"),
        "no `shares = {{ }}` husk: {flake}"
    );
    assert!(!flake.contains("nixos-flake.user"), "{flake}");
    assert!(!flake.contains("outputDir"), "{flake}");
    assert!(
        flake.contains("nixos-flake.monitoring"),
        "enable stays: {flake}"
    );
    w.assert_up_to_date(&["--prune"]);
}

#[test]
fn a_source_change_repoints_the_input_in_place() {
    let w = Work::new();
    w.write("host.yaml", V2_HOST);
    w.generate(&[]);
    assert!(w.read("flake.nix").contains("path = \"/srv/fio\";"));
    w.write(
        "host.yaml",
        &V2_HOST.replace(
            "src: /srv/fio",
            "src: \"git+https://example.com/fio.git?ref=main\"",
        ),
    );
    w.generate(&[]);
    let flake = w.read("flake.nix");
    assert_parses("repoint", &flake);
    assert!(
        flake.contains("url = \"git+https://example.com/fio.git?ref=main\";"),
        "{flake}"
    );
    assert!(!flake.contains("type = \"path\""), "{flake}");
    assert!(!flake.contains("/srv/fio"), "{flake}");
    w.assert_up_to_date(&[]);
    // The url form of the same local tree counts as the same location: no churn.
    let w2 = Work::new();
    w2.write("host.yaml", V2_HOST);
    w2.generate(&[]);
    let written = w2.read("flake.nix").replace(
        "type = \"path\";\n      path = \"/srv/fio\";",
        "url = \"path:/srv/fio\";",
    );
    assert!(written.contains("url = \"path:/srv/fio\";"));
    w2.write("flake.nix", &written);
    w2.assert_up_to_date(&[]);
}

#[test]
fn overlay_add_never_repoints_an_existing_input() {
    let w = Work::new();
    w.write("host.yaml", V2_HOST);
    w.generate(&[]);
    let before = w.read("flake.nix");
    let (code, _, err) = w.run(&[
        "overlay",
        "add",
        "kmod",
        "--src",
        "/srv/kmod",
        "--input",
        "fio-src",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("input `fio-src` already exists and points elsewhere"),
        "{err}"
    );
    assert!(err.contains("flake.nix:"), "located: {err}");
    assert_eq!(w.read("flake.nix"), before, "nothing written");
    // Flags go through the same rules as the YAML.
    for (args, wanted) in [
        (
            &["overlay", "add", "damo", "--github", "a/b", "--rev", "x y"][..],
            "--rev",
        ),
        (
            &[
                "overlay", "add", "damo", "--github", "a/b", "--rev", "abc", "--hash", "nonsense",
            ][..],
            "--hash",
        ),
        (
            &[
                "overlay",
                "add",
                "kmod",
                "--git",
                "not a url",
                "--rev",
                "abc",
            ][..],
            "--git",
        ),
        (
            &[
                "overlay",
                "add",
                "kmod",
                "--src",
                "/srv/kmod",
                "--rev",
                "abc",
            ][..],
            "--rev",
        ),
    ] {
        let (code, _, err) = w.run(args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(wanted), "{args:?}: {err}");
        assert_eq!(w.read("flake.nix"), before, "nothing written");
    }
}

#[test]
fn overlay_add_and_remove_keep_host_yaml_in_agreement() {
    let w = Work::new();
    let host = "# my lab\nname: lab\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\n\
                # packages I use\npackages: [gdb]\n";
    w.write("host.yaml", host);
    w.generate(&[]);
    let (code, _, err) = w.run(&[
        "overlay",
        "add",
        "fio",
        "--src",
        "/srv/fio",
        "--clear-patches",
    ]);
    assert_eq!(code, 0, "{err}");
    let yaml = w.read("host.yaml");
    assert!(yaml.starts_with(host), "every line kept:\n{yaml}");
    assert!(
        yaml.ends_with("overlays:\n  fio: { src: /srv/fio, clearPatches: true }\n"),
        "{yaml}"
    );
    // generate agrees with the flake overlay add wrote: --prune keeps the overlay.
    let before = w.read("flake.nix");
    let err = w.generate(&["--prune"]);
    assert!(err.contains("up to date"), "{err}");
    assert_eq!(w.read("flake.nix"), before);
    let (code, _, err) = w.run(&[
        "overlay",
        "add",
        "damo",
        "--github",
        "damonitor/damo",
        "--rev",
        "v2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(w
        .read("host.yaml")
        .contains("  damo: { github: { owner: damonitor, repo: damo, rev: v2, hash: \"\" } }\n"));
    w.assert_up_to_date(&["--prune"]);
    // remove is the inverse, in both files.
    for pkg in ["damo", "fio"] {
        let (code, _, err) = w.run(&["overlay", "remove", pkg]);
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(w.read("host.yaml"), host);
}

#[test]
fn a_setting_removed_from_the_yaml_is_reported_and_pruned() {
    let w = Work::new();
    let host = "name: lab\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\n\
                settings:\n  time.timeZone: UTC\n  boot.kernelParams: [nokaslr]\n";
    w.write("host.yaml", host);
    w.generate(&[]);
    // A hand-written option beside nixgen's: never nixgen's to remove.
    let flake = w.read("flake.nix").replace(
        "time.timeZone = \"UTC\";",
        "time.timeZone = \"UTC\";\n            networking.firewall.enable = false; # mine",
    );
    w.write("flake.nix", &flake);
    w.write("host.yaml", &host.replace("  time.timeZone: UTC\n", ""));
    let err = w.generate(&[]);
    assert!(
        err.contains("`time.timeZone` is not in the host description; kept"),
        "{err}"
    );
    w.assert_up_to_date(&[]);
    let err = w.generate(&["--prune"]);
    assert!(err.contains("removed `time.timeZone`"), "{err}");
    let flake = w.read("flake.nix");
    assert_parses("settings prune", &flake);
    assert!(!flake.contains("timeZone"), "{flake}");
    assert!(
        flake.contains("networking.firewall.enable = false; # mine"),
        "{flake}"
    );
    assert!(
        flake.contains("boot.kernelParams = [ \"nokaslr\" ];"),
        "{flake}"
    );
    w.assert_up_to_date(&["--prune"]);
    // The last setting gone: the marker goes too.
    w.write(
        "host.yaml",
        &host.replace(
            "settings:\n  time.timeZone: UTC\n  boot.kernelParams: [nokaslr]\n",
            "",
        ),
    );
    w.generate(&["--prune"]);
    let flake = w.read("flake.nix");
    assert!(!flake.contains("nixgen owns these options"), "{flake}");
    assert!(!flake.contains("kernelParams"), "{flake}");
    assert_parses("settings gone", &flake);
}

#[test]
fn the_librarys_template_is_edited_through_inherit_system_and_dynamic_keys() {
    let w = Work::new();
    let template = repo_root().join("tests/fixtures/nixos-flake/templates/imageless");
    for f in ["flake.nix", "default.nix"] {
        w.write(f, &std::fs::read_to_string(template.join(f)).unwrap());
    }
    let original = w.read("flake.nix");
    w.write(
        "host.yaml",
        "name: vm\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\nuser: {}\n",
    );
    w.generate(&[]);
    let flake = w.read("flake.nix");
    assert_parses("template", &flake);
    // Only the URL changed: `inherit system;` and `packages.${system}.toplevel` were read,
    // not rewritten.
    assert_eq!(
        flake,
        original.replace("path:/path/to/nixos-flake", "path:/srv/nixos-flake")
    );
    w.assert_up_to_date(&[]);
    // Another system is written where `system` is bound.
    w.write(
        "host.yaml",
        "name: vm\nsystem: aarch64-linux\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\nuser: {}\n",
    );
    w.generate(&[]);
    let flake = w.read("flake.nix");
    assert!(flake.contains("system = \"aarch64-linux\";"), "{flake}");
    assert!(flake.contains("inherit system;"), "{flake}");
    assert_parses("template aarch64", &flake);
}

#[test]
fn inside_an_overlay_entry_only_src_and_patches_are_nixgens() {
    let w = Work::new();
    let host = "name: lab\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\n\
                overlays:\n  fio: { src: /srv/fio }\n";
    w.write("host.yaml", host);
    w.generate(&[]);
    // Extended by hand: a function form, a flag, a comment.
    let flake = w.read("flake.nix").replace(
        "fio = prev.fio.overrideAttrs { src = inputs.fio-src; };",
        "fio = prev.fio.overrideAttrs (old: {\n                  src = inputs.fio-src;\n                  # my flags\n                  configureFlags = old.configureFlags ++ [ \"--disable-native\" ];\n                });",
    );
    assert!(flake.contains("# my flags"), "the edit applied:\n{flake}");
    w.write("flake.nix", &flake);
    w.assert_up_to_date(&[]);
    // clearPatches: only `patches = [ ];` is added.
    w.write(
        "host.yaml",
        &host.replace("{ src: /srv/fio }", "{ src: /srv/fio, clearPatches: true }"),
    );
    w.generate(&[]);
    let edited = w.read("flake.nix");
    assert_parses("entry fields", &edited);
    assert!(edited.contains("# my flags"), "{edited}");
    assert!(
        edited.contains("configureFlags = old.configureFlags ++ [ \"--disable-native\" ];"),
        "{edited}"
    );
    assert!(edited.contains("patches = [ ];"), "{edited}");
    w.assert_up_to_date(&[]);
    // And back: the flake is byte for byte what it was.
    w.write("host.yaml", host);
    w.generate(&[]);
    assert_eq!(w.read("flake.nix"), flake);
    // A new source replaces `src` only.
    w.write(
        "host.yaml",
        &host.replace(
            "{ src: /srv/fio }",
            "{ github: { owner: axboe, repo: fio, rev: fio-3.38 } }",
        ),
    );
    w.generate(&[]);
    let edited = w.read("flake.nix");
    assert!(edited.contains("src = final.fetchFromGitHub {"), "{edited}");
    assert!(edited.contains("# my flags"), "{edited}");
    assert_parses("entry source", &edited);
}

#[test]
fn owned_lists_change_element_by_element_keeping_comments() {
    let w = Work::new();
    let host = "name: lab\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\n\
                storage:\n  /mnt/x: { device: /dev/vdb, fsType: xfs, mkfsArgs: [-b, size=16k, -s, size=16k] }\n";
    w.write("host.yaml", host);
    w.generate(&[]);
    let flake = w.read("flake.nix").replace(
        "\"-s\"\n",
        "# sector size for the 16k drives\n                \"-s\"\n",
    );
    assert!(flake.contains("# sector size"), "{flake}");
    w.write("flake.nix", &flake);
    w.assert_up_to_date(&[]);
    // One element changes, one is added: the comment stays where it was.
    w.write(
        "host.yaml",
        &host.replace(
            "[-b, size=16k, -s, size=16k]",
            "[-b, size=4k, -s, size=16k, -f]",
        ),
    );
    w.generate(&[]);
    let edited = w.read("flake.nix");
    assert_parses("list elements", &edited);
    assert!(
        edited.contains("# sector size for the 16k drives"),
        "{edited}"
    );
    let args: Vec<&str> = edited
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("mkfsArgs = ["))
        .skip(1)
        .take_while(|l| *l != "];")
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        args,
        ["\"-b\"", "\"size=4k\"", "\"-s\"", "\"size=16k\"", "\"-f\""],
        "{edited}"
    );
    w.assert_up_to_date(&[]);
}

#[test]
fn the_library_is_named_the_files_way() {
    let host =
        "name: vm\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\nprofiles: [devel]\n";
    for (flake, spelled) in [
        // `outputs = inputs: ...`: only `inputs.nixos-flake` (and `inputs.self`) are bound.
        (
            "{\n  inputs.nixos-flake.url = \"path:/srv/nixos-flake\";\n  inputs.nixpkgs.follows = \"nixos-flake/nixpkgs\";\n  outputs = inputs: {\n    nixosConfigurations.vm = inputs.nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [\n        inputs.nixos-flake.nixosModules.backends.imageless # the backend\n        { nixpkgs.overlays = [ inputs.nixos-flake.overlays.default ]; }\n      ];\n    };\n  };\n}\n",
            "inputs.nixos-flake.nixosModules.profiles.devel",
        ),
        // A `let` alias.
        (
            "{\n  inputs.nixos-flake.url = \"path:/srv/nixos-flake\";\n  inputs.nixpkgs.follows = \"nixos-flake/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs:\n    let nf = inputs.nixos-flake; in {\n    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [\n        nf.nixosModules.backends.imageless\n        { nixpkgs.overlays = [ nf.overlays.default ]; }\n      ];\n    };\n  };\n}\n",
            "nf.nixosModules.profiles.devel",
        ),
    ] {
        let w = Work::new();
        w.write("host.yaml", host);
        w.write("flake.nix", flake);
        w.generate(&[]);
        let out = w.read("flake.nix");
        assert_parses("spelled", &out);
        assert!(out.contains(spelled), "{out}");
        assert_eq!(out.matches("backends.imageless").count(), 1, "no second backend: {out}");
        assert_eq!(out.matches("overlays.default").count(), 1, "no second overlay: {out}");
        assert!(!out.contains(" nixos-flake.nixosModules"), "no unbound name: {out}");
        w.assert_up_to_date(&[]);
    }
}

/// A configuration that brings its own `pkgs` (through `specialArgs`, or a module's
/// `nixpkgs.pkgs`) makes NixOS ignore `nixpkgs.overlays`: an overlay added would do nothing,
/// so it is refused, located where the packages are given.
#[test]
fn a_configuration_with_its_own_pkgs_is_refused_an_overlay_that_would_do_nothing() {
    let cases = [
        (
            "{\n  inputs.nixos-flake.url = \"path:/srv/nixos-flake\";\n  inputs.nixpkgs.follows = \"nixos-flake/nixpkgs\";\n  outputs = { self, nixpkgs, nixos-flake, ... }:\n    let pkgs = import nixpkgs { system = \"x86_64-linux\"; }; in {\n    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      specialArgs = { inherit pkgs; };\n      modules = [\n        nixos-flake.nixosModules.backends.imageless\n        { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }\n      ];\n    };\n  };\n}\n",
            "passes its own `specialArgs.pkgs`",
            "flake.nix:8:",
        ),
        (
            "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs: {\n    nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [\n        { nixpkgs.pkgs = import nixpkgs { system = \"x86_64-linux\"; }; }\n        ./a.nix\n      ];\n    };\n  };\n}\n",
            "`nixpkgs.pkgs`",
            "flake.nix:7:11",
        ),
    ];
    for (flake, why, at) in cases {
        let w = Work::new();
        w.write("flake.nix", flake);
        let (code, _, err) = w.run(&["overlay", "add", "fio", "--src", "/srv/fio"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(why), "{err}");
        assert!(err.contains(at), "located: {err}");
        assert_eq!(w.read("flake.nix"), flake, "nothing written");
    }
}

/// Any number of changes meet in one inline container, and in a container inside it on the
/// same line: the container is the unit, the final line decides its layout, and an inner
/// container laid out inside an outer one takes the outer's indentation.
#[test]
fn many_insertions_into_nested_inline_containers_lay_out_as_one() {
    let w = Work::new();
    w.write(
        "flake.nix",
        r#"{
  inputs.nixos-flake.url = "github:linux-kdevops/nixos-flake";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
  outputs = { self, nixpkgs, nixos-flake, ... }: {
    # the one-line configuration
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem { system = "x86_64-linux"; modules = [ nixos-flake.nixosModules.backends.imageless { networking.hostName = "vm"; } ]; };
  };
}
"#,
    );
    w.write(
        "host.yaml",
        "name: vm\nbackend: imageless\nhostName: vm\nprofiles: [devel, build-tools, monitoring]\ntestSuites: [fstests, blktests]\nuser: {}\n",
    );
    w.generate(&[]);
    let flake = w.read("flake.nix");
    assert_parses("nested inline containers", &flake);
    for line in flake.lines() {
        assert!(
            line.chars().count() <= 100,
            "no line past the width: {line:?}\n{flake}"
        );
    }
    assert!(flake.contains("# the one-line configuration"), "{flake}");
    assert!(
        flake.contains(
            "      nixos-flake.nixosModules.testSuites.blktests\n      nixos-flake.nixosModules.user\n      {\n        networking.hostName = \"vm\";\n        nixos-flake.monitoring.enable = true;\n      }\n"
        ),
        "the list one element a line, the module inside it indented one level deeper: {flake}"
    );
    w.assert_up_to_date(&[]);

    // A few short insertions that fit stay on the author's line.
    let w = Work::new();
    w.write(
        "flake.nix",
        "{\n  inputs.nixos-flake.url = \"github:linux-kdevops/nixos-flake\";\n  inputs.nixpkgs.follows = \"nixos-flake/nixpkgs\";\n  outputs = { self, nixpkgs, nixos-flake, ... }: {\n    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [ nixos-flake.nixosModules.backends.imageless ];\n    };\n  };\n}\n",
    );
    w.write("host.yaml", "name: vm\nbackend: imageless\nuser: {}\n");
    w.generate(&[]);
    let flake = w.read("flake.nix");
    assert!(
        flake.contains(
            "      modules = [ nixos-flake.nixosModules.backends.imageless nixos-flake.nixosModules.user ];"
        ),
        "{flake}"
    );
    // Two that do not fit together lay the list out, although each would fit alone.
    let w2 = Work::new();
    w2.write(
        "flake.nix",
        &flake.replace(" nixos-flake.nixosModules.user ];", " ];"),
    );
    w2.write(
        "host.yaml",
        "name: vm\nbackend: imageless\nprofiles: [devel]\nuser: {}\n",
    );
    w2.generate(&[]);
    let flake = w2.read("flake.nix");
    assert!(
        flake.contains("      modules = [\n        nixos-flake.nixosModules.backends.imageless\n        nixos-flake.nixosModules.profiles.devel\n        nixos-flake.nixosModules.user\n      ];"),
        "{flake}"
    );
}

/// A helper called with a module file (`mkConfig ./hosts/a.nix`): `overlay add` puts the entry
/// into that file (reaching the input through the module's `inputs` argument) and the input
/// into flake.nix; `remove` gives both back.
#[test]
fn a_module_file_passed_to_a_helper_takes_the_overlay() {
    let w = Work::new();
    let flake = r#"{
  inputs.nixos-flake.url = "github:linux-kdevops/nixos-flake";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      mkConfig = path: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit inputs nixos-flake; };
        modules = [ nixos-flake.nixosModules.backends.imageless path ];
      };
    in {
      nixosConfigurations.a = mkConfig ./hosts/a.nix;
    };
}
"#;
    let module = "{ inputs, ... }:\n{\n  # host a\n  networking.hostName = \"a\";\n}\n";
    w.write("flake.nix", flake);
    w.write("hosts/a.nix", module);
    let src = w.dir.path().join("src/fio");
    std::fs::create_dir_all(&src).unwrap();
    let (code, _, err) = crate::support::edits::run_in(
        w.dir.path(),
        &["overlay", "add", "fio", "--src", src.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("built by `mkConfig`"),
        "a note says where the edit went: {err}"
    );
    let host = w.read("hosts/a.nix");
    assert!(
        host.contains("fio = prev.fio.overrideAttrs { src = inputs.fio-src; };"),
        "{host}"
    );
    assert!(w.read("flake.nix").contains("fio-src = {"));
    assert_parses("hosts/a.nix", &host);
    assert_parses("flake.nix", &w.read("flake.nix"));
    let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &["overlay", "remove", "fio"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.read("hosts/a.nix"), module);
    assert_eq!(w.read("flake.nix"), flake);
}

/// `genAttrs [ "a" "b" ] mkHost` with `mkHost` naming each host's module file
/// (`./hosts/${name}`): `--config b` edits `hosts/b/default.nix`, and remove gives back the
/// bytes of both files.
#[test]
fn a_host_module_named_by_genattrs_takes_the_overlay() {
    let w = Work::new();
    let flake = r#"{
  inputs.nixos-flake.url = "github:linux-kdevops/nixos-flake";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      mkHost = name: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit inputs nixos-flake; };
        modules = [ nixos-flake.nixosModules.backends.imageless ./hosts/${name} ];
      };
    in {
      nixosConfigurations = nixpkgs.lib.genAttrs [ "a" "b" ] mkHost;
    };
}
"#;
    let host = |h: &str| format!("{{ inputs, ... }}:\n{{\n  networking.hostName = \"{h}\";\n}}\n");
    w.write("flake.nix", flake);
    w.write("hosts/a/default.nix", &host("a"));
    w.write("hosts/b/default.nix", &host("b"));
    let src = w.dir.path().join("src/fio");
    std::fs::create_dir_all(&src).unwrap();
    let add = ["overlay", "add", "fio", "--src", src.to_str().unwrap()];
    let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &add);
    assert_eq!(code, 1, "two configurations: --config is needed: {err}");
    assert!(err.contains("a, b"), "{err}");
    let with_config: Vec<&str> = add.iter().copied().chain(["--config", "b"]).collect();
    let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &with_config);
    assert_eq!(code, 0, "{err}");
    let b = w.read("hosts/b/default.nix");
    assert!(b.contains("src = inputs.fio-src;"), "{b}");
    assert_eq!(
        w.read("hosts/a/default.nix"),
        host("a"),
        "host a is not touched"
    );
    assert_parses("hosts/b/default.nix", &b);
    let (code, _, err) =
        crate::support::edits::run_in(w.dir.path(), &["overlay", "remove", "fio", "--config", "b"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.read("hosts/b/default.nix"), host("b"));
    assert_eq!(w.read("flake.nix"), flake);
}

#[test]
fn a_host_module_named_from_the_calls_string_takes_the_overlay() {
    // `mkHost "a"` and `mkHost { hostname = "b"; }`: the helper names the host's module from
    // the string the call writes, as a path with interpolation or as `dir + "/${name}"`.
    for (helper, call_a, call_b) in [
        (
            "mkHost = name: nixpkgs.lib.nixosSystem {\n        system = \"x86_64-linux\";\n        specialArgs = { inherit inputs; };\n        modules = [ ./hosts/${name}/configuration.nix ];\n      };",
            "mkHost \"a\"",
            "mkHost \"b\"",
        ),
        (
            "mkHost = { hostname, system ? \"x86_64-linux\" }: nixpkgs.lib.nixosSystem {\n        inherit system;\n        specialArgs = { inherit inputs; };\n        modules = [ (./hosts + \"/${hostname}/configuration.nix\") ];\n      };",
            "mkHost { hostname = \"a\"; }",
            "mkHost { hostname = \"b\"; }",
        ),
    ] {
        let w = Work::new();
        let flake = format!(
            "{{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs/nixos-unstable\";\n  outputs = {{ self, nixpkgs, ... }}@inputs:\n    let\n      {helper}\n    in {{\n      nixosConfigurations = {{\n        a = {call_a};\n        b = {call_b}; # the second host\n      }};\n    }};\n}}\n"
        );
        let host =
            |h: &str| format!("{{ inputs, pkgs, ... }}:\n{{\n  networking.hostName = \"{h}\";\n}}\n");
        w.write("flake.nix", &flake);
        w.write("hosts/a/configuration.nix", &host("a"));
        w.write("hosts/b/configuration.nix", &host("b"));
        let src = w.dir.path().join("src/fio");
        std::fs::create_dir_all(&src).unwrap();
        let add = [
            "overlay", "add", "fio", "--src", src.to_str().unwrap(), "--config", "b",
        ];
        let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &add);
        assert_eq!(code, 0, "{err}");
        let b = w.read("hosts/b/configuration.nix");
        assert!(b.contains("src = inputs.fio-src;"), "{b}");
        assert_parses("hosts/b/configuration.nix", &b);
        assert_eq!(w.read("hosts/a/configuration.nix"), host("a"));
        let new_flake = w.read("flake.nix");
        assert!(new_flake.contains("fio-src"), "the input is declared: {new_flake}");
        assert!(new_flake.contains("# the second host"));
        assert_parses("flake.nix", &new_flake);
        let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &add);
        assert_eq!(code, 0, "{err}");
        assert_eq!(w.read("hosts/b/configuration.nix"), b, "a second add is a no-op");
        let (code, _, err) = crate::support::edits::run_in(
            w.dir.path(),
            &["overlay", "remove", "fio", "--config", "b"],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(w.read("hosts/b/configuration.nix"), host("b"));
        assert_eq!(w.read("flake.nix"), flake);
    }
}

/// `mapAttrs (name: _: mkHost name)` over `filterAttrs` of `readDir ./hosts`: the names are
/// the host directories; `--config` picks one, whose module (named by the helper) takes the
/// overlay and gets `inputs` in its argument pattern (the helper passes it in
/// `specialArgs`). With the directory missing (only the flake at hand), the overlay goes into
/// the helper's own list, which every computed configuration shares, and a note says so.
#[test]
fn configurations_computed_from_a_directory_listing() {
    let flake = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  outputs = { self, nixpkgs, ... }@inputs:
    let
      lib = nixpkgs.lib;
      # one system per directory under ./hosts
      mkHost = name: lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit inputs; };
        modules = [
          ./hosts/${name}
          { networking.hostName = name; }
        ];
      };
    in {
      nixosConfigurations = builtins.mapAttrs (name: _: mkHost name)
        (lib.filterAttrs (_: type: type == "directory") (builtins.readDir ./hosts));
    };
}
"#;
    let host = |h: &str| {
        format!("{{ pkgs, ... }}:\n{{\n  # host {h}\n  services.openssh.enable = true;\n}}\n")
    };
    let w = Work::new();
    w.write("flake.nix", flake);
    w.write("hosts/alpha/default.nix", &host("alpha"));
    w.write("hosts/beta/default.nix", &host("beta"));
    w.write("hosts/README.md", "not a host\n");
    let src = w.dir.path().join("src/fio");
    std::fs::create_dir_all(&src).unwrap();
    let add = ["overlay", "add", "fio", "--src", src.to_str().unwrap()];
    let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &add);
    assert_eq!(code, 1, "two configurations: {err}");
    assert!(
        err.contains("alpha, beta"),
        "the directories, not README.md: {err}"
    );
    let with_config: Vec<&str> = add.iter().copied().chain(["--config", "beta"]).collect();
    let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &with_config);
    assert_eq!(code, 0, "{err}");
    let beta = w.read("hosts/beta/default.nix");
    assert!(
        beta.starts_with("{ pkgs, inputs, ... }:\n{\n  # host beta\n"),
        "{beta}"
    );
    assert!(beta.contains("src = inputs.fio-src;"), "{beta}");
    assert_parses("hosts/beta/default.nix", &beta);
    assert_eq!(w.read("hosts/alpha/default.nix"), host("alpha"));
    let (code, _, _) = crate::support::edits::run_in(w.dir.path(), &with_config);
    assert_eq!(code, 0);
    assert_eq!(
        w.read("hosts/beta/default.nix"),
        beta,
        "a second add is a no-op"
    );

    // Only the flake: the names cannot be listed.
    let (w, err) = add_to_the_flake_alone(flake);
    assert!(err.contains("every one of them gets it"), "{err}");
    assert!(
        err.contains("flake.nix:10:19"),
        "the note points at the list: {err}"
    );
    let edited = w.read("flake.nix");
    assert!(
        edited.contains("          { networking.hostName = name; }\n          {\n            nixpkgs.overlays = [\n"),
        "{edited}"
    );
    assert!(edited.contains("# one system per directory under ./hosts"));
    assert_parses("flake.nix", &edited);
    let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &["overlay", "remove", "fio"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.read("flake.nix"), flake, "remove gives the bytes back");
}

/// Shapes seen in public flakes that `overlay add` now completes, each with the line the
/// entry must land after and a remove that gives the bytes back.
#[test]
fn real_world_shapes_take_an_overlay_where_it_takes_effect() {
    struct Case {
        what: &'static str,
        flake: &'static str,
        files: &'static [(&'static str, &'static str)],
        config: Option<&'static str>,
        // The file the entry goes into, and text that must be there after.
        file: &'static str,
        expect: &'static str,
    }
    let cases = [
        Case {
            what: "configurations bound by a let and inherited into the outputs",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs:\n    let\n      # built once, exported below\n      nixosConfigurations = {\n        box = nixpkgs.lib.nixosSystem {\n          system = \"x86_64-linux\";\n          modules = [ ./box.nix ];\n        };\n      };\n    in {\n      inherit nixosConfigurations;\n    };\n}\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "          modules = [\n            ./box.nix\n            {\n              nixpkgs.overlays = [\n",
        },
        Case {
            what: "`nixosConfigurations = { inherit feywild; }` with the configuration bound by a let",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs:\n    let\n      feywild = nixpkgs.lib.nixosSystem {\n        system = \"x86_64-linux\";\n        modules = [\n          ./feywild.nix\n          ./hardware.nix\n        ];\n      };\n    in {\n      nixosConfigurations = { inherit feywild; };\n    };\n}\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "          ./hardware.nix\n          {\n            nixpkgs.overlays = [\n",
        },
        Case {
            what: "a helper that forwards its parameter with `inherit modules;`",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs:\n    let\n      mkSystem = modules: nixpkgs.lib.nixosSystem {\n        system = \"x86_64-linux\";\n        specialArgs = { inherit inputs; };\n        inherit modules;\n      };\n    in {\n      nixosConfigurations = {\n        one = mkSystem [ ./one.nix ];\n        two = mkSystem [ ./two.nix ];\n      };\n    };\n}\n",
            files: &[],
            config: Some("two"),
            file: "flake.nix",
            expect: "        two = mkSystem [\n          ./two.nix\n          {\n",
        },
        Case {
            what: "a module the call writes, which the helper puts in its list",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs:\n    let\n      mkHost = { name, systemConfig ? { } }: nixpkgs.lib.nixosSystem {\n        system = \"x86_64-linux\";\n        modules = [\n          systemConfig\n          { networking.hostName = name; }\n        ];\n      };\n    in {\n      nixosConfigurations.lab = mkHost {\n        name = \"lab\";\n        systemConfig = {\n          services.openssh.enable = true; # keep\n        };\n      };\n    };\n}\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "          services.openssh.enable = true; # keep\n          nixpkgs.overlays = [\n",
        },
        Case {
            what: "a host module that cannot reach the inputs (no specialArgs): a module of its own in the flake",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs: {\n    nixosConfigurations.mini = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [ ./hosts/mini/default.nix ];\n    };\n  };\n}\n",
            files: &[("hosts/mini/default.nix", "{ config, pkgs, ... }:\n{\n  services.openssh.enable = true;\n}\n")],
            config: None,
            file: "flake.nix",
            expect: "        ./hosts/mini/default.nix\n        {\n          nixpkgs.overlays = [\n",
        },
        Case {
            what: "a dynamic key below a static one (`devShells.${system}`) does not hide the configurations",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs: let system = \"x86_64-linux\"; in {\n    devShells.${system}.default = nixpkgs.legacyPackages.${system}.mkShell { };\n    nixosConfigurations.dev = nixpkgs.lib.nixosSystem {\n      inherit system;\n      modules = [ ./dev.nix { services.openssh.enable = true; } ];\n    };\n  };\n}\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "nixpkgs.overlays = [",
        },
        Case {
            what: "configurations made by a function from another file, given a function written here",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs:\n    let\n      lib' = import ./lib.nix { inherit (nixpkgs) lib; };\n    in {\n      nixosConfigurations = lib'.forHosts ./nixos (path:\n        nixpkgs.lib.nixosSystem {\n          specialArgs = { inherit inputs; };\n          modules = [ path ];\n        });\n    };\n}\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "          modules = [\n            path\n            {\n",
        },
        Case {
            what: "a module file another configuration uses without `specialArgs` is not given `inputs`: the entry goes into the configuration's own list",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs: {\n    nixosConfigurations.dev = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      specialArgs = { inherit inputs; };\n      modules = [ ./machine.nix ];\n    };\n    nixosConfigurations.ci = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [ ./machine.nix { boot.isContainer = true; } ];\n    };\n  };\n}\n",
            files: &[("machine.nix", "{ pkgs, ... }:\n{\n  # the one machine\n  services.openssh.enable = true;\n}\n")],
            config: Some("dev"),
            file: "flake.nix",
            expect: "      modules = [\n        ./machine.nix\n        {\n          nixpkgs.overlays = [\n",
        },
        Case {
            what: "overlays in a module file both hosts import stay theirs: the entry goes into the chosen host's own module",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs: {\n    nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      specialArgs = { inherit inputs; };\n      modules = [ ./hosts/a.nix ];\n    };\n    nixosConfigurations.b = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      specialArgs = { inherit inputs; };\n      modules = [ ./hosts/b.nix ];\n    };\n  };\n}\n",
            files: &[
                ("hosts/a.nix", "{ inputs, ... }:\n{\n  imports = [ ../common.nix ]; # shared base\n  networking.hostName = \"a\";\n}\n"),
                ("hosts/b.nix", "{ inputs, ... }:\n{\n  imports = [ ../common.nix ];\n  networking.hostName = \"b\";\n}\n"),
                ("common.nix", "{ ... }:\n{\n  nixpkgs.overlays = [\n    (final: prev: { hello = prev.hello; })\n  ];\n}\n"),
            ],
            config: Some("a"),
            file: "hosts/a.nix",
            expect: "  networking.hostName = \"a\";\n  nixpkgs.overlays = [\n",
        },
        Case {
            what: "a helper call that passes the name with `inherit name;` names the host module",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs:\n    let\n      mkHost = { name, system ? \"x86_64-linux\" }: nixpkgs.lib.nixosSystem {\n        inherit system;\n        specialArgs = { inherit inputs; };\n        modules = [ ./hosts/${name}.nix ];\n      };\n    in {\n      nixosConfigurations = nixpkgs.lib.genAttrs [ \"a\" \"b\" ] (name: mkHost { inherit name; });\n    };\n}\n",
            files: &[
                ("hosts/a.nix", "{ inputs, ... }:\n{\n  networking.hostName = \"a\";\n}\n"),
                ("hosts/b.nix", "{ inputs, ... }:\n{\n  networking.hostName = \"b\";\n}\n"),
            ],
            config: Some("a"),
            file: "hosts/a.nix",
            expect: "  networking.hostName = \"a\";\n  nixpkgs.overlays = [\n",
        },
        Case {
            what: "a comment after the pattern's last entry stays that entry's",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs =\n    {\n      self,\n      nixpkgs, # pinned in flake.lock\n    }:\n    {\n      nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n        system = \"x86_64-linux\";\n        modules = [ ./a.nix { networking.hostName = \"a\"; } ];\n      };\n    };\n}\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "      nixpkgs, # pinned in flake.lock\n      fio-src,\n    }:\n",
        },
        Case {
            what: "an overlays list holding only a comment keeps it, and keeps its binding on remove",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs, ... }@inputs: {\n    nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [\n        ./a.nix\n        {\n          nixpkgs.overlays = [\n            # local builds go here\n          ];\n        }\n      ];\n    };\n  };\n}\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "            # local builds go here\n",
        },
        Case {
            what: "a CRLF file gets CRLF in every new line, and its bytes back on remove",
            flake: "{\r\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\"; # pinned\r\n  outputs = { self, nixpkgs, ... }@inputs: {\r\n    nixosConfigurations.a = nixpkgs.lib.nixosSystem {\r\n      system = \"x86_64-linux\";\r\n      modules = [\r\n        ./a.nix\r\n        { networking.hostName = \"a\"; }\r\n      ];\r\n    };\r\n  };\r\n}\r\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "# pinned\r\n  inputs.fio-src = {\r\n",
        },
        Case {
            what: "a pattern written with leading commas and no `...` gets the input in that style",
            flake: "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs =\n    { self\n    , nixpkgs\n    }:\n    {\n      nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n        system = \"x86_64-linux\";\n        modules = [ ./a.nix { networking.hostName = \"a\"; } ];\n      };\n    };\n}\n",
            files: &[],
            config: None,
            file: "flake.nix",
            expect: "    { self\n    , nixpkgs\n    , fio-src\n    }:\n",
        },
    ];
    for case in cases {
        let w = Work::new();
        w.write("flake.nix", case.flake);
        for (path, text) in case.files {
            w.write(path, text);
        }
        std::fs::create_dir_all(w.dir.path().join("src/fio")).unwrap();
        let mut add = vec!["overlay", "add", "fio", "--src", "src/fio"];
        if let Some(c) = case.config {
            add.extend(["--config", c]);
        }
        let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &add);
        assert_eq!(code, 0, "{}: {err}", case.what);
        let edited = w.read(case.file);
        assert!(edited.contains(case.expect), "{}: {edited}", case.what);
        if case.flake.contains("\r\n") {
            let bare = edited.replace("\r\n", "");
            assert!(
                !bare.contains('\n') && !bare.contains('\r'),
                "{}: only CRLF: {edited:?}",
                case.what
            );
        }
        assert!(
            edited.contains("src = inputs.fio-src;") || edited.contains("src = fio-src;"),
            "{}: {edited}",
            case.what
        );
        assert_parses(case.what, &w.read("flake.nix"));
        for (path, text) in case.files.iter().filter(|(p, _)| *p != case.file) {
            assert_eq!(&w.read(path), text, "{}: {path} untouched", case.what);
        }
        let (code, _, _) = crate::support::edits::run_in(w.dir.path(), &add);
        assert_eq!(code, 0);
        assert_eq!(
            w.read(case.file),
            edited,
            "{}: a second add is a no-op",
            case.what
        );
        let mut remove = vec!["overlay", "remove", "fio"];
        if let Some(c) = case.config {
            remove.extend(["--config", c]);
        }
        let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &remove);
        assert_eq!(code, 0, "{}: {err}", case.what);
        assert_eq!(
            w.read("flake.nix"),
            case.flake,
            "{}: remove is the inverse",
            case.what
        );
        for (path, text) in case.files {
            assert_eq!(
                &w.read(path),
                text,
                "{}: remove gives {path} back",
                case.what
            );
        }
    }
}

/// Real Nix: an overlay added to a configuration computed from `readDir ./hosts` (into the
/// host's module, which gets `inputs` in its pattern) and to one whose only modules are the
/// helper's shared list both reach `pkgs.fio.src`, and the other host is not changed.
#[test]
fn overlays_added_to_computed_configurations_take_effect() {
    use crate::support::nix::{nixpkgs_url, run_eval};
    let flake = format!(
        r#"{{
  inputs.nixpkgs.url = "{}";
  outputs = {{ self, nixpkgs, ... }}@inputs:
    let
      mkHost = name: nixpkgs.lib.nixosSystem {{
        system = "x86_64-linux";
        specialArgs = {{ inherit inputs; }};
        modules = [
          ./hosts/${{name}}
          {{ networking.hostName = name; }}
        ];
      }};
    in {{
      nixosConfigurations = builtins.mapAttrs (name: _: mkHost name) (builtins.readDir ./hosts);
    }};
}}
"#,
        nixpkgs_url()
    );
    let w = Work::new();
    w.write("flake.nix", &flake);
    w.write(
        "hosts/alpha/default.nix",
        "{ pkgs, ... }:\n{\n  # alpha\n}\n",
    );
    w.write("hosts/beta/default.nix", "{ pkgs, ... }:\n{\n  # beta\n}\n");
    w.write("src/fio/MARKER", "local fio\n");
    let (code, _, err) = crate::support::edits::run_in(
        w.dir.path(),
        &[
            "overlay", "add", "fio", "--src", "src/fio", "--config", "beta",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The checkout is a flake input (no derivation); the stand-in's own source is a fetch.
    let src = |host: &str, apply: &str| {
        run_eval(
            w.dir.path(),
            &format!("nixosConfigurations.{host}.pkgs.fio.src"),
            Some(apply),
            &[],
        )
        .unwrap_or_else(|e| panic!("{host}: {e}"))
    };
    assert_eq!(
        src("beta", r#"s: builtins.readFile "${s}/MARKER""#),
        serde_json::json!("local fio\n"),
        "beta builds fio from the checkout"
    );
    assert_eq!(
        src("alpha", "s: s ? drvPath"),
        serde_json::json!(true),
        "alpha is not changed"
    );

    // Without the host directory's modules in reach (a flake with one shared list).
    let shared = flake.replace("          ./hosts/${name}\n", "");
    let w = Work::new();
    w.write("flake.nix", &shared);
    w.write("hosts/alpha/README", "a host\n");
    w.write("src/fio/MARKER", "local fio\n");
    let (code, _, err) = crate::support::edits::run_in(
        w.dir.path(),
        &[
            "overlay", "add", "fio", "--src", "src/fio", "--config", "alpha",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("other configurations may share"), "{err}");
    let edited = w.read("flake.nix");
    assert_parses("shared", &edited);
    let alpha = run_eval(
        w.dir.path(),
        "nixosConfigurations.alpha.pkgs.fio.src",
        Some(r#"s: builtins.readFile "${s}/MARKER""#),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}\n{edited}"));
    assert_eq!(alpha, serde_json::json!("local fio\n"));
}

/// `listToAttrs (map (file: { name = ...; value = nixosSystem { ... }; }) names)`: the names
/// come from the list (here `readDir ./hosts`), each configuration is `f` applied to its
/// element, and the host module the function names from it takes the overlay.
#[test]
fn configurations_from_list_to_attrs_of_a_map() {
    let flake = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  outputs = { self, nixpkgs, ... }@inputs: {
    nixosConfigurations = builtins.listToAttrs (
      map (file: with nixpkgs.lib; {
        name = removeSuffix ".nix" file;
        value = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs = { inherit inputs; };
          modules = [ (./hosts + "/${file}") ];
        };
      }) (builtins.attrNames (builtins.readDir ./hosts))
    );
  };
}
"#;
    let w = Work::new();
    w.write("flake.nix", flake);
    w.write("hosts/red.nix", "{ inputs, ... }:\n{\n  # red\n}\n");
    w.write("hosts/blue.nix", "{ inputs, ... }:\n{\n  # blue\n}\n");
    std::fs::create_dir_all(w.dir.path().join("src/fio")).unwrap();
    let (code, _, err) =
        crate::support::edits::run_in(w.dir.path(), &["overlay", "add", "fio", "--src", "src/fio"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("blue, red"), "names from the directory: {err}");
    let (code, _, err) = crate::support::edits::run_in(
        w.dir.path(),
        &[
            "overlay", "add", "fio", "--src", "src/fio", "--config", "red",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let red = w.read("hosts/red.nix");
    assert!(
        red.contains("  nixpkgs.overlays = [\n") && red.contains("  # red\n"),
        "{red}"
    );
    assert!(red.contains("src = inputs.fio-src;"), "{red}");
    assert_parses("hosts/red.nix", &red);
    assert_eq!(
        w.read("hosts/blue.nix"),
        "{ inputs, ... }:\n{\n  # blue\n}\n"
    );

    // Only the flake: one list every configuration shares.
    let (w, err) = add_to_the_flake_alone(flake);
    assert!(err.contains("the function given to `listToAttrs`"), "{err}");
    let edited = w.read("flake.nix");
    assert!(
        edited.contains(
            "          modules = [\n            (./hosts + \"/${file}\")\n            {\n"
        ),
        "{edited}"
    );
    assert_parses("flake.nix", &edited);
    let (code, _, err) = crate::support::edits::run_in(w.dir.path(), &["overlay", "remove", "fio"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.read("flake.nix"), flake);
}

/// `overlay add fio --src src/fio` on `flake` alone (none of the files it names): the
/// directory, and what nixgen printed. The add must succeed.
fn add_to_the_flake_alone(flake: &str) -> (Work, String) {
    let w = Work::new();
    w.write("flake.nix", flake);
    std::fs::create_dir_all(w.dir.path().join("src/fio")).unwrap();
    let (code, _, err) =
        crate::support::edits::run_in(w.dir.path(), &["overlay", "add", "fio", "--src", "src/fio"]);
    assert_eq!(code, 0, "{err}");
    (w, err)
}

/// `generate` over hand edits found by a second adversarial run: a host module bound in a
/// `let` is edited where it is written (not shadowed by a second module that would conflict),
/// overlays kept under `config = lib.mkIf ...` are not added again, and the settings marker of
/// a CRLF file keeps its line ends.
#[test]
fn generate_edits_let_bound_modules_and_keeps_crlf_in_the_settings_marker() {
    let w = Work::new();
    let flake = "{\n  inputs.nixos-flake.url = \"path:/srv/nixos-flake\";\n  inputs.nixpkgs.follows = \"nixos-flake/nixpkgs\";\n  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:\n    let\n      hostModule = { pkgs, ... }: {\n        networking.hostName = \"h\"; # mine\n      };\n    in\n    {\n      nixosConfigurations.h = nixpkgs.lib.nixosSystem {\n        system = \"x86_64-linux\";\n        modules = [\n          nixos-flake.nixosModules.backends.imageless\n          hostModule\n        ];\n      };\n    };\n}\n";
    w.write("flake.nix", flake);
    w.write(
        "host.yaml",
        "name: h\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\nhostName: h2\n",
    );
    w.generate(&[]);
    let out = w.read("flake.nix");
    assert!(
        out.contains("        networking.hostName = \"h2\"; # mine\n"),
        "{out}"
    );
    assert_eq!(out.matches("networking.hostName").count(), 1, "{out}");
    assert_parses("let-bound module", &out);
    w.assert_up_to_date(&[]);

    // Overlays under `mkIf`: the planned entry is there already.
    let w = Work::new();
    let flake = "{\n  inputs.nixos-flake.url = \"path:/srv/nixos-flake\";\n  inputs.nixpkgs.follows = \"nixos-flake/nixpkgs\";\n  inputs.fio-src = { type = \"path\"; path = \"/srv/fio\"; flake = false; };\n  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {\n    nixosConfigurations.h = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [\n        nixos-flake.nixosModules.backends.imageless\n        ({ lib, ... }: {\n          config = lib.mkIf true {\n            networking.hostName = \"h\";\n            nixpkgs.overlays = [ nixos-flake.overlays.default (final: prev: { fio = prev.fio.overrideAttrs { src = inputs.fio-src; }; }) ];\n          };\n        })\n      ];\n    };\n  };\n}\n";
    w.write("flake.nix", flake);
    w.write(
        "host.yaml",
        "name: h\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\nhostName: h\noverlays:\n  fio: { src: /srv/fio }\n",
    );
    let (code, _, err) = w.run(&["generate", "host.yaml", "--no-git", "--check"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(w.read("flake.nix"), flake);

    // CRLF: the settings marker's lines end in CRLF, and a second run is a no-op.
    let w = Work::new();
    w.write(
        "host.yaml",
        "name: h\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\nhostName: h\n",
    );
    w.generate(&[]);
    let crlf = w.read("flake.nix").replace('\n', "\r\n");
    w.write("flake.nix", &crlf);
    w.write(
        "host.yaml",
        "name: h\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\nhostName: h\nsettings:\n  time.timeZone: UTC\n",
    );
    w.generate(&[]);
    let out = w.read("flake.nix");
    assert!(out.contains("#   time.timeZone\r\n"), "{out:?}");
    assert!(
        !out.replace("\r\n", "").contains(['\r', '\n']),
        "only CRLF: {out:?}"
    );
    w.assert_up_to_date(&[]);
}
