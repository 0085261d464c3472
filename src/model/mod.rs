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
    /// Authorized SSH keys for root and for the user: key lines, or paths to `.pub` files
    /// whose keys are read when generating. The backends allow key logins only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_keys: Vec<String>,
    /// `nixos-flake.monitoring.*` (needs the `monitoring` profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// Any other NixOS options, as data: option paths (dotted keys, or nested maps) to YAML
    /// scalars, lists and maps. Strings are always Nix strings, never code.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(with = "IndexMap<String, serde_json::Value>")]
    pub settings: IndexMap<String, serde_json::Value>,
    /// The disk image output (`packages.<system>.image`); libvirt only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
}

/// `nixos-flake.monitoring`: the monitoring profile's options (templates
/// `monitor-<name>@<run-id>.service` that an orchestrator starts around a workload).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    /// Enable the profile's monitors (default true; `false` imports the profile without
    /// enabling it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Where runs write their data; `%i` is the run id (library default
    /// `/var/lib/monitoring/runs/%i`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_dir: Option<String>,
    /// sysstat sampling (`monitor-sysstat@`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysstat: Option<Sysstat>,
    /// Pin the CPU frequency governor during runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_governor: Option<Toggle>,
    /// Block I/O alignment tracing (`monitor-blkalgn@`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkalgn: Option<Blkalgn>,
    /// Block I/O latency histograms (`monitor-biolatency@`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biolatency: Option<Biolatency>,
}

/// A monitor that is only switched on or off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    /// On or off (library default: `monitoring.enable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
}

/// `nixos-flake.monitoring.sysstat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sysstat {
    /// On or off (library default: `monitoring.enable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Seconds between samples (positive; library default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub interval: Option<i64>,
    /// Most samples a run takes (positive; library default 999999).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_samples: Option<i64>,
}

/// `nixos-flake.monitoring.blkalgn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Blkalgn {
    /// On or off (library default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// The disk to trace, such as `nvme0n1` (library default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
    /// The operations to trace, such as `write` (library default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops: Option<String>,
}

/// `nixos-flake.monitoring.biolatency`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Biolatency {
    /// On or off (library default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Histograms in milliseconds rather than microseconds (library default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milliseconds: Option<bool>,
    /// Include time spent queued (library default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<bool>,
    /// One histogram per disk (library default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_disk: Option<bool>,
    /// One histogram per I/O flag set (library default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_flag: Option<bool>,
    /// The disk to trace, such as `nvme0n1` (library default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
    /// Seconds between histograms (positive; library default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub interval: Option<i64>,
}

/// `packages.<system>.image`: make-disk-image's size and format (libvirt only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    /// Disk size in MiB (default 20480, as the library's template).
    #[serde(default = "default_disk_size")]
    #[schemars(range(min = 1))]
    pub disk_size: i64,
    /// Image format (default qcow2, what libvirt boots).
    #[serde(default)]
    pub format: ImageFormat,
}

impl Default for Image {
    fn default() -> Self {
        Image {
            disk_size: default_disk_size(),
            format: ImageFormat::default(),
        }
    }
}

fn default_disk_size() -> i64 {
    20480
}

/// The formats make-disk-image writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImageFormat {
    /// QEMU copy-on-write (what libvirt boots).
    #[default]
    Qcow2,
    /// qcow2 compressed.
    Qcow2Compressed,
    /// A raw disk.
    Raw,
    /// VirtualBox.
    Vdi,
    /// Hyper-V / Virtual PC.
    Vpc,
}

impl ImageFormat {
    /// The name make-disk-image takes.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Qcow2 => "qcow2",
            ImageFormat::Qcow2Compressed => "qcow2-compressed",
            ImageFormat::Raw => "raw",
            ImageFormat::Vdi => "vdi",
            ImageFormat::Vpc => "vpc",
        }
    }
}

/// The option path a `settings` key names: split at dots, except inside double quotes
/// (`boot.kernel.sysctl."vm.swappiness"`).
pub fn settings_path(key: &str) -> Vec<String> {
    let mut path = vec![String::new()];
    let mut quoted = false;
    for ch in key.chars() {
        match ch {
            '"' => quoted = !quoted,
            '.' if !quoted => path.push(String::new()),
            _ => path.last_mut().expect("never empty").push(ch),
        }
    }
    path
}

/// The options a `settings` entry sets: a map below an option path is followed key by key
/// (each key one attribute name), and every other value, an empty map included, is one
/// option value. Each leaf is owned on its own.
pub fn settings_leaves(
    path: &[String],
    value: &serde_json::Value,
) -> Vec<(Vec<String>, serde_json::Value)> {
    match value {
        serde_json::Value::Object(map) if !map.is_empty() => map
            .iter()
            .flat_map(|(k, v)| {
                let mut p = path.to_vec();
                p.push(k.clone());
                settings_leaves(&p, v)
            })
            .collect(),
        _ => vec![(path.to_vec(), value.clone())],
    }
}

fn default_nixos_flake() -> String {
    DEFAULT_NIXOS_FLAKE.to_owned()
}

/// Nix systems nixos-flake builds for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum System {
    /// 64-bit x86 (`x86_64-linux`), the default.
    #[default]
    #[serde(rename = "x86_64-linux")]
    X86_64Linux,
    /// 64-bit ARM (`aarch64-linux`).
    #[serde(rename = "aarch64-linux")]
    Aarch64Linux,
}

impl System {
    /// The Nix system string, as written in host.yaml and in the flake.
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
    /// Every backend the library has, in its order.
    pub const ALL: [Backend; 2] = [Backend::Imageless, Backend::Libvirt];

    /// The backend's attribute name under `nixosModules.backends`, as written in host.yaml.
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
    /// The profile's attribute name under `nixosModules.profiles`, as written in host.yaml.
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
    /// Block layer tests.
    Blktests,
    /// Filesystem tests (xfstests); creates the `fsgqa` accounts.
    Fstests,
    /// git regression tests.
    Gitr,
    /// The Linux Test Project.
    Ltp,
    /// Memory management benchmarks.
    Mmtests,
    /// NFS protocol tests.
    Pynfs,
    /// Kernel selftests.
    Selftests,
    /// sysbench (with MariaDB and PostgreSQL).
    Sysbench,
}

impl TestSuite {
    /// Every suite the library has, in its order.
    pub const ALL: [TestSuite; 8] = [
        TestSuite::Blktests,
        TestSuite::Fstests,
        TestSuite::Gitr,
        TestSuite::Ltp,
        TestSuite::Mmtests,
        TestSuite::Pynfs,
        TestSuite::Selftests,
        TestSuite::Sysbench,
    ];

    /// The suite's attribute name under `nixosModules.testSuites`.
    pub fn as_str(self) -> &'static str {
        match self {
            TestSuite::Blktests => "blktests",
            TestSuite::Fstests => "fstests",
            TestSuite::Gitr => "gitr",
            TestSuite::Ltp => "ltp",
            TestSuite::Mmtests => "mmtests",
            TestSuite::Pynfs => "pynfs",
            TestSuite::Selftests => "selftests",
            TestSuite::Sysbench => "sysbench",
        }
    }

    /// The accounts the suite creates (a user of that name would collide with them).
    pub fn accounts(self) -> &'static [&'static str] {
        match self {
            TestSuite::Fstests => &["fsgqa", "sys", "daemon", "bin", "fsgqa2", "123456-fsgqa"],
            _ => &[],
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
    /// The GitHub user or organization that owns the repository.
    pub owner: String,
    /// The repository's name.
    pub repo: String,
    /// The commit or tag to fetch.
    pub rev: String,
    /// SRI hash; leave it out (empty) and Nix prints the right one on the first build.
    #[serde(default)]
    pub hash: String,
}

/// `fetchgit { url; rev; hash; }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitSource {
    /// The repository URL, as `git clone` takes it.
    pub url: String,
    /// The commit or tag to fetch.
    pub rev: String,
    /// SRI hash; leave it out (empty) and Nix prints the right one on the first build.
    #[serde(default)]
    pub hash: String,
}

/// Where a `flake = false` input points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// A local tree, written in attribute form (`type = "path"; path = "/abs";`), which needs
    /// no URL escaping.
    Path(String),
    /// A flake reference written as `url = "...";` (`git+https:`, `github:`, `path:`, ...).
    Url(String),
}

impl InputSource {
    /// A readable form: the path, or the URL.
    pub fn display(&self) -> &str {
        match self {
            InputSource::Path(p) | InputSource::Url(p) => p,
        }
    }
}

/// The resolved source of one overlay, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlaySource {
    /// A `flake = false` input named `input`.
    Input {
        /// The input's name.
        input: String,
        /// Where it points.
        source: InputSource,
    },
    /// A `fetchFromGitHub` call, from the description's `github:` (values as written).
    GitHub {
        /// The GitHub user or organization that owns the repository.
        owner: String,
        /// The repository's name.
        repo: String,
        /// The commit or tag to fetch.
        rev: String,
        /// The SRI hash; empty when not given (Nix then prints the right one).
        hash: String,
    },
    /// A `fetchgit` call, from the description's `git:` (values as written).
    Git {
        /// The repository URL.
        url: String,
        /// The commit or tag to fetch.
        rev: String,
        /// The SRI hash; empty when not given (Nix then prints the right one).
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
        // An entry may be empty (`minimal:`): exactly the defaults.
        f["properties"]["configurations"]["additionalProperties"] = serde_json::json!({
            "anyOf": [{ "$ref": "#/$defs/HostPartial" }, { "type": "null" }]
        });
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
