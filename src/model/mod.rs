//! The host description: what one nixos-flake configuration is made of.
//!
//! These types are the YAML contract. Keys use nixos-flake's own option names (`fsType`,
//! `mkfsArgs`, `extraGroups`, ...), so a host description reads like the Nix it becomes. The
//! same types drive deserialization ([`crate::yaml::de`]) and the JSON Schema
//! (`nixgen schema`, `schemas/host.schema.json`), so the two cannot drift apart. Loading a file
//! and checking the rules that types cannot express live in [`load`] and [`validate`].

pub mod load;
pub mod paths;
pub mod validate;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The default `nixosFlake` input.
pub const DEFAULT_NIXOS_FLAKE: &str = "github:linux-kdevops/nixos-flake";

/// One NixOS configuration: `nixosConfigurations.<name>` of a flake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "nixgen host description")]
pub struct Host {
    /// The configuration's name: `nixosConfigurations.<name>`.
    pub name: String,
    /// The Nix system to build for.
    #[serde(default)]
    pub system: System,
    /// The nixos-flake backend: the system's shape (one per configuration).
    pub backend: Backend,
    /// URL of the nixos-flake input. `path:` URLs may use `~`, `$HOME` or a path relative to
    /// this file: nixgen expands them, because Nix does not.
    #[serde(default = "default_nixos_flake")]
    pub nixos_flake: String,
    /// `networking.hostName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// Capability profiles: `nixos-flake.nixosModules.profiles.<name>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<Profile>,
    /// Test suites: `nixos-flake.nixosModules.testSuites.<name>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_suites: Vec<TestSuite>,
    /// An unprivileged account with passwordless sudo (`nixosModules.user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// virtiofs shares keyed by mount point (`nixosModules.mounts.shares`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub shares: IndexMap<String, Share>,
    /// Block devices keyed by mount point (`nixosModules.mounts.storage`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub storage: IndexMap<String, Storage>,
    /// Packages built from another source, keyed by package attribute name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub overlays: IndexMap<String, Overlay>,
    /// `environment.systemPackages`, by attribute name in `pkgs` (dotted paths allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// Extra module files, relative to the flake (`./extra.nix`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
}

fn default_nixos_flake() -> String {
    DEFAULT_NIXOS_FLAKE.to_owned()
}

/// Nix systems nixos-flake builds for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum System {
    #[default]
    #[serde(rename = "x86_64-linux")]
    X86_64Linux,
    #[serde(rename = "aarch64-linux")]
    Aarch64Linux,
}

impl System {
    pub fn as_str(self) -> &'static str {
        match self {
            System::X86_64Linux => "x86_64-linux",
            System::Aarch64Linux => "aarch64-linux",
        }
    }
}

/// `nixos-flake.nixosModules.backends.<backend>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// A system closure booted directly by QEMU and virtiofsd (tmpfs root).
    Imageless,
    /// A qcow2 disk image for libvirt (grub, ext4 root).
    Libvirt,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Imageless, Backend::Libvirt];

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Imageless => "imageless",
            Backend::Libvirt => "libvirt",
        }
    }

    /// The groups the backend's bundled user.nix gives the account by default.
    pub fn default_groups(self) -> &'static [&'static str] {
        match self {
            Backend::Imageless => &["wheel", "kvm"],
            Backend::Libvirt => &["wheel", "kvm", "libvirtd"],
        }
    }
}

/// `nixos-flake.nixosModules.profiles.<profile>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Kernel testing and storage tools.
    Devel,
    /// Compilers and build tooling.
    BuildTools,
    /// Monitoring and profiling.
    Monitoring,
    /// A host that provisions and drives guests (also sets `nixos-flake.controller.enable`).
    Controller,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Devel => "devel",
            Profile::BuildTools => "build-tools",
            Profile::Monitoring => "monitoring",
            Profile::Controller => "controller",
        }
    }
}

/// `nixos-flake.nixosModules.testSuites.<suite>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TestSuite {
    /// Filesystem tests (xfstests).
    Fstests,
    /// Block layer tests.
    Blktests,
    /// Kernel selftests.
    Selftests,
    /// NFS tests (nfstest, pynfs).
    Nfstests,
}

impl TestSuite {
    pub fn as_str(self) -> &'static str {
        match self {
            TestSuite::Fstests => "fstests",
            TestSuite::Blktests => "blktests",
            TestSuite::Selftests => "selftests",
            TestSuite::Nfstests => "nfstests",
        }
    }
}

/// `nixos-flake.user`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct User {
    /// Account name (nixos-flake's default is `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Supplementary groups; the backend's defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_groups: Option<Vec<String>>,
}

/// `nixos-flake.shares."<mount point>"`: a virtiofs share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Share {
    /// The virtiofs tag the host announces.
    pub tag: String,
    /// Mount options, such as `ro`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
}

/// `nixos-flake.storage."<mount point>"`: a block device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    /// The block device, such as `/dev/nvme0n1`.
    pub device: String,
    /// The filesystem type, such as `xfs`.
    pub fs_type: String,
    /// Mount options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Arguments for a pre-mount mkfs (exclusive with `autoFormat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mkfs_args: Option<Vec<String>>,
    /// Let NixOS format the device on first mount (exclusive with `mkfsArgs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_format: Option<bool>,
}

/// Where a package's source comes from: exactly one of `src`, `github`, `git`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Overlay {
    /// A local checkout; becomes a `flake = false` input. `~`, `$HOME` and paths relative to
    /// the YAML file are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// The input's name for `src` when `<package>-src` is not right (cpupower: `kernel-src`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// A GitHub commit, fetched with `fetchFromGitHub`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<GitHubSource>,
    /// A git commit, fetched with `fetchgit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitSource>,
    /// Drop the patches earlier layers apply (`patches = [ ];`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub clear_patches: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `fetchFromGitHub { owner; repo; rev; hash; }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitHubSource {
    pub owner: String,
    pub repo: String,
    pub rev: String,
    /// SRI hash; leave it out (empty) and Nix prints the right one on the first build.
    #[serde(default)]
    pub hash: String,
}

/// `fetchgit { url; rev; hash; }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitSource {
    pub url: String,
    pub rev: String,
    /// SRI hash; leave it out (empty) and Nix prints the right one on the first build.
    #[serde(default)]
    pub hash: String,
}

/// The resolved source of one overlay, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlaySource {
    /// A `flake = false` input named `input` at `url` (a `path:` URL).
    Input { input: String, url: String },
    GitHub {
        owner: String,
        repo: String,
        rev: String,
        hash: String,
    },
    Git {
        url: String,
        rev: String,
        hash: String,
    },
}

/// A fleet file: `defaults` merged into each of `configurations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "nixgen fleet description")]
pub struct Fleet {
    /// Keys merged into every configuration (maps key by key; lists and scalars replace).
    #[serde(default)]
    pub defaults: serde_json::Map<String, serde_json::Value>,
    /// Configurations by name; each is a host description without `name`.
    pub configurations: IndexMap<String, serde_json::Map<String, serde_json::Value>>,
}

/// The JSON Schema of the host description (and fleet files), as `nixgen schema` prints it.
pub fn json_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Host)).expect("schema serializes");
    let fleet = serde_json::to_value(schemars::schema_for!(Fleet)).expect("schema serializes");
    // One schema serves both file kinds: a file is a host description or a fleet.
    let host = schema.clone();
    let obj = schema.as_object_mut().expect("schema is an object");
    obj.clear();
    obj.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    obj.insert("title".into(), "nixgen host or fleet description".into());
    let mut defs = host.get("$defs").cloned().unwrap_or_default();
    let mut host_def = host.clone();
    if let Some(h) = host_def.as_object_mut() {
        h.remove("$defs");
        h.remove("$schema");
    }
    let mut fleet_def = fleet.clone();
    if let Some(f) = fleet_def.as_object_mut() {
        f.remove("$schema");
        if let Some(fd) = f.remove("$defs").and_then(|d| d.as_object().cloned()) {
            if let Some(d) = defs.as_object_mut() {
                d.extend(fd);
            }
        }
        // A fleet's entries are partial hosts.
        f["properties"]["configurations"]["additionalProperties"] =
            serde_json::json!({ "$ref": "#/$defs/HostPartial" });
        f["properties"]["defaults"] = serde_json::json!({ "$ref": "#/$defs/HostPartial" });
    }
    let mut partial = host_def.clone();
    if let Some(p) = partial.as_object_mut() {
        p.remove("required");
        p.insert(
            "title".into(),
            "host description keys (all optional)".into(),
        );
        if let Some(props) = p.get_mut("properties").and_then(|x| x.as_object_mut()) {
            props.remove("name");
        }
    }
    if let Some(d) = defs.as_object_mut() {
        d.insert("Host".into(), host_def);
        d.insert("Fleet".into(), fleet_def);
        d.insert("HostPartial".into(), partial);
    }
    obj.insert(
        "oneOf".into(),
        serde_json::json!([{ "$ref": "#/$defs/Host" }, { "$ref": "#/$defs/Fleet" }]),
    );
    obj.insert("$defs".into(), defs);
    schema
}
