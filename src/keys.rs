//! The key table: what every key of the host description means, in one place.
//!
//! Each entry says, for one YAML key, the nixos-flake module it imports, the NixOS options it
//! owns in the inline module (one value, or every entry below an attribute), and what
//! `nixgen explain` says about it. The rest of nixgen reads the table instead of keeping its
//! own list: `generate`'s reconcile finds the owned options a description no longer sets
//! ([`owned_options`]), `nixgen check` maps an option or module named in Nix's error back to
//! the YAML key ([`yaml_path_of_option`], [`key_of_module`]) and `explain` prints the entries.
//! A unit test generates a host that uses every key and checks that each option the plan sets
//! is owned by an entry, so a key cannot be added to generation and forgotten here.

/// How a key owns an option path in the inline module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    /// One value, replaced whole (`networking.hostName`). A segment `<user>` stands for the
    /// account the description creates.
    Value(&'static [&'static str]),
    /// Every attribute below the path, entry by entry (`nixos-flake.storage."<mp>"`).
    Entries(&'static [&'static str]),
}

impl Owned {
    /// The option path.
    pub fn path(&self) -> &'static [&'static str] {
        match self {
            Owned::Value(p) | Owned::Entries(p) => p,
        }
    }
}

/// One key of the host description.
pub struct KeyDoc {
    /// Dotted key: `storage.mkfsArgs` (map keys chosen by the user, such as the mount point,
    /// are left out).
    pub key: &'static str,
    /// One line: what the key becomes.
    pub summary: &'static str,
    /// More about it, when there is more to say.
    pub details: &'static str,
    /// A YAML example (top-level keys; `name` and `backend` are added when absent).
    pub yaml: &'static str,
    /// The Nix the example generates (lines of the generated flake, in order).
    pub nix: &'static str,
    /// The nixos-flake module the key imports, under `nixosModules` (`{}` stands for the
    /// value, as in `profiles.{}`).
    pub module: Option<&'static str>,
    /// The options the key owns in the inline module.
    pub owns: &'static [Owned],
}

impl KeyDoc {
    /// The empty entry that the table's entries fill in.
    pub const NONE: KeyDoc = KeyDoc {
        key: "",
        summary: "",
        details: "",
        yaml: "",
        nix: "",
        module: None,
        owns: &[],
    };
}

/// Every key of the host description (and of fleet files), in the contract's order.
pub const KEYS: &[KeyDoc] = &[
    KeyDoc {
        key: "name",
        summary: "the configuration's attribute: nixosConfigurations.<name> (required)",
        details: "Build it with `nix build .#nixosConfigurations.<name>.config.system.build.toplevel`. \
                  In a fleet file the key under `configurations` is the name.",
        yaml: "name: devel",
        nix: "nixosConfigurations.devel = nixpkgs.lib.nixosSystem {",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "system",
        summary: "the `system` argument of nixpkgs.lib.nixosSystem (default x86_64-linux)",
        details: "x86_64-linux or aarch64-linux.",
        yaml: "system: aarch64-linux",
        nix: "system = \"aarch64-linux\";",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "backend",
        summary: "imports nixos-flake.nixosModules.backends.<backend> (required)",
        details: "imageless: a system closure booted by QEMU + virtiofsd (tmpfs root). \
                  libvirt: a qcow2 disk image for libvirt (grub, ext4 root). Exactly one per configuration.",
        yaml: "backend: libvirt",
        nix: "nixos-flake.nixosModules.backends.libvirt",
        module: Some("backends.{}"),
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "nixosFlake",
        summary: "inputs.nixos-flake.url (default github:linux-kdevops/nixos-flake); nixpkgs always follows it",
        details: "A local checkout becomes an absolute `path:` URL: nixgen expands `~` and `$HOME` and \
                  resolves relative paths against the YAML file, because `path:` does neither. \
                  `nixpkgs.follows = \"nixos-flake/nixpkgs\"` keeps one nixpkgs for both flakes.",
        yaml: "nixosFlake: path:/home/user/src/nixos-flake",
        nix: "nixos-flake.url = \"path:/home/user/src/nixos-flake\";\n\
              nixpkgs.follows = \"nixos-flake/nixpkgs\";",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "hostName",
        summary: "networking.hostName in the inline module",
        details: "",
        yaml: "hostName: devel",
        nix: "networking.hostName = \"devel\";",
        owns: &[Owned::Value(&["networking", "hostName"])],
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "profiles",
        summary: "imports nixos-flake.nixosModules.profiles.<profile>, in order",
        details: "devel | build-tools | monitoring | controller. `controller` also sets \
                  nixos-flake.controller.enable = true and `monitoring` sets \
                  nixos-flake.monitoring.enable = true: both profiles do nothing without it.",
        yaml: "profiles: [devel, controller]",
        nix: "nixos-flake.nixosModules.profiles.devel\n\
              nixos-flake.nixosModules.profiles.controller\n\
              nixos-flake.controller.enable = true;",
        module: Some("profiles.{}"),
        owns: &[Owned::Value(&["nixos-flake", "controller", "enable"])],
    },
    KeyDoc {
        key: "testSuites",
        summary: "imports nixos-flake.nixosModules.testSuites.<suite>",
        details: "blktests | fstests | gitr | ltp | mmtests | pynfs | selftests | sysbench: each carries \
                  its suite's packages and services. fstests creates the accounts fsgqa, fsgqa2, \
                  123456-fsgqa (and pins sys, daemon, bin), so the user cannot take those names; \
                  sysbench enables MariaDB and PostgreSQL.",
        yaml: "testSuites: [fstests]",
        nix: "nixos-flake.nixosModules.testSuites.fstests",
        module: Some("testSuites.{}"),
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "user",
        summary: "imports nixos-flake.nixosModules.user and sets nixos-flake.user",
        details: "An unprivileged account with passwordless sudo. `user: {}` keeps nixos-flake's \
                  defaults (name `user`, the backend's groups).",
        yaml: "user:\n  name: kdevops\n  extraGroups: [wheel, kvm]",
        nix: "nixos-flake.nixosModules.user\n\
              nixos-flake.user = {\n\
              name = \"kdevops\";\n\
              extraGroups = [\n\
              \"wheel\"\n\
              \"kvm\"\n\
              ];\n\
              };",
        module: Some("user"),
        owns: &[Owned::Entries(&["nixos-flake", "user"])],
    },
    KeyDoc {
        key: "user.name",
        summary: "nixos-flake.user.name: the account's name (nixos-flake's default: user)",
        details: "",
        yaml: "user:\n  name: kdevops",
        nix: "nixos-flake.user = {\nname = \"kdevops\";\n};",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "user.extraGroups",
        summary: "nixos-flake.user.extraGroups (default: the backend's, wheel kvm [libvirtd])",
        details: "Leave it out to keep the backend's defaults: imageless gives wheel and kvm, \
                  libvirt also libvirtd.",
        yaml: "user:\n  extraGroups: [wheel, kvm]",
        nix: "nixos-flake.user = {\nextraGroups = [\n\"wheel\"\n\"kvm\"\n];\n};",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "shares",
        summary: "imports nixos-flake.nixosModules.mounts.shares and sets nixos-flake.shares.\"<mount point>\"",
        details: "Each share becomes fileSystems.\"<mount point>\" = { device = <tag>; fsType = \"virtiofs\"; }: \
                  the host's virtiofsd must announce the tag. XDG variables, overlays on top and \
                  directory creation stay your own module's job.",
        yaml: "shares:\n  /etc/xdg-host: { tag: xdg }\n  /mnt/home: { tag: home, options: [ro] }",
        nix: "nixos-flake.nixosModules.mounts.shares\n\
              nixos-flake.shares.\"/etc/xdg-host\" = {\n\
              tag = \"xdg\";\n\
              };\n\
              nixos-flake.shares.\"/mnt/home\" = {\n\
              tag = \"home\";\n\
              options = [ \"ro\" ];\n\
              };",
        module: Some("mounts.shares"),
        owns: &[Owned::Entries(&["nixos-flake", "shares"])],
    },
    KeyDoc {
        key: "shares.tag",
        summary: "nixos-flake.shares.\"<mp>\".tag: the virtiofs tag, which becomes the mount's device",
        details: "Tags are unique: one virtiofsd instance per tag on the host.",
        yaml: "shares:\n  /etc/xdg-host: { tag: xdg }",
        nix: "nixos-flake.shares.\"/etc/xdg-host\" = {\ntag = \"xdg\";\n};",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "shares.options",
        summary: "nixos-flake.shares.\"<mp>\".options: mount options, such as ro",
        details: "",
        yaml: "shares:\n  /mnt/home: { tag: home, options: [ro] }",
        nix: "options = [ \"ro\" ];",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "storage",
        summary: "imports nixos-flake.nixosModules.mounts.storage and sets nixos-flake.storage.\"<mount point>\"",
        details: "Each entry becomes fileSystems.\"<mount point>\". With mkfsArgs the module adds a \
                  oneshot format-<escaped device>.service (format-dev-nvme0n1.service for \
                  /dev/nvme0n1) that runs mkfs before the mount unit \
                  (skipped when blkid finds a file system); with autoFormat = true NixOS formats an \
                  empty device on first mount; with neither the device must hold a file system already.",
        yaml: "storage:\n  /mnt/nvme0:\n    device: /dev/nvme0n1\n    fsType: xfs\n    mkfsArgs: [-b, size=16k, -s, size=16k]\n  \
               /mnt/nvme1: { device: /dev/nvme1n1, fsType: xfs, autoFormat: true }\n  \
               /mnt/data: { device: /dev/vdb, fsType: ext4, options: [noatime] }",
        nix: "nixos-flake.nixosModules.mounts.storage\n\
              nixos-flake.storage.\"/mnt/nvme0\" = {\n\
              device = \"/dev/nvme0n1\";\n\
              fsType = \"xfs\";\n\
              mkfsArgs = [\n\
              \"-b\"\n\
              \"size=16k\"\n\
              \"-s\"\n\
              \"size=16k\"\n\
              ];\n\
              };\n\
              nixos-flake.storage.\"/mnt/nvme1\" = {\n\
              device = \"/dev/nvme1n1\";\n\
              fsType = \"xfs\";\n\
              autoFormat = true;\n\
              };\n\
              nixos-flake.storage.\"/mnt/data\" = {\n\
              device = \"/dev/vdb\";\n\
              fsType = \"ext4\";\n\
              options = [ \"noatime\" ];\n\
              };",
        module: Some("mounts.storage"),
        owns: &[Owned::Entries(&["nixos-flake", "storage"])],
    },
    KeyDoc {
        key: "storage.device",
        summary: "nixos-flake.storage.\"<mp>\".device: the block device, such as /dev/nvme0n1",
        details: "Each device is used once. Its systemd unit is dev-<escaped path>.device \
                  (/dev/nvme0n1 → dev-nvme0n1.device); format services wait for it.",
        yaml: "storage:\n  /mnt/data: { device: /dev/vdb, fsType: ext4 }",
        nix: "device = \"/dev/vdb\";",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "storage.fsType",
        summary: "nixos-flake.storage.\"<mp>\".fsType: the file system, such as xfs or ext4",
        details: "With mkfsArgs, the format service runs `mkfs --type <fsType>`.",
        yaml: "storage:\n  /mnt/data: { device: /dev/vdb, fsType: ext4 }",
        nix: "fsType = \"ext4\";",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "storage.options",
        summary: "nixos-flake.storage.\"<mp>\".options: mount options, such as noatime",
        details: "",
        yaml: "storage:\n  /mnt/data: { device: /dev/vdb, fsType: ext4, options: [noatime] }",
        nix: "options = [ \"noatime\" ];",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "storage.mkfsArgs",
        summary: "nixos-flake.storage.\"<mp>\".mkfsArgs: a pre-mount mkfs oneshot with these arguments",
        details: "The storage module adds format-<escaped device>.service (format-dev-nvme0n1.service): \
                  after the device unit, before the mount unit, it runs \
                  `mkfs --type <fsType> <mkfsArgs> <device>` unless `blkid --probe` finds a file \
                  system. A non-empty list excludes autoFormat; `mkfsArgs: []` does nothing.",
        yaml: "storage:\n  /mnt/nvme0: { device: /dev/nvme0n1, fsType: xfs, mkfsArgs: [-b, size=16k] }",
        nix: "mkfsArgs = [\n\"-b\"\n\"size=16k\"\n];",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "storage.autoFormat",
        summary: "nixos-flake.storage.\"<mp>\".autoFormat: NixOS formats an empty device on first mount",
        details: "NixOS's own mkfs-<escaped device>.service runs mkfs.<fsType> with default options \
                  when the device holds no file system. Excludes mkfsArgs.",
        yaml: "storage:\n  /mnt/nvme1: { device: /dev/nvme1n1, fsType: xfs, autoFormat: true }",
        nix: "autoFormat = true;",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "overlays",
        summary: "nixpkgs.overlays = [ nixos-flake.overlays.default (final: prev: { <pkg> = prev.<pkg>.overrideAttrs { src = ...; }; }) ]",
        details: "nixos-flake's overlay comes first, so prev.<pkg> is nixos-flake's version and \
                  overrideAttrs replaces only src (and patches with clearPatches). Each package has \
                  exactly one of src, github, git.",
        yaml: "overlays:\n  kmod: { src: /home/user/src/kmod }",
        nix: "kmod-src = {\n\
              type = \"path\";\n\
              path = \"/home/user/src/kmod\";\n\
              flake = false;\n\
              };\n\
              nixpkgs.overlays = [\n\
              nixos-flake.overlays.default\n\
              (final: prev: { kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; }; })\n\
              ];",
        owns: &[Owned::Value(&["nixpkgs", "overlays"])],
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "overlays.src",
        summary: "a local checkout (input <pkg>-src = { type = \"path\"; path = \"/abs\"; flake = false; }) or a flake reference (url = \"...\"), and src = inputs.<pkg>-src",
        details: "A local path is written in attribute form, which needs no URL escaping (spaces, `?` \
                  and `#` are fine); `~`, `$HOME` and paths relative to the YAML file are made \
                  absolute. A flake reference (`git+https://...?ref=master`, `github:owner/repo`, \
                  `path:`, `tarball+...`) is written as the input's url. Once flake.lock records a \
                  local input, Nix keeps that copy: run `nix flake lock --update-input <pkg>-src` \
                  after changing the checkout (`nixgen check` refreshes them itself).",
        yaml: "overlays:\n  fio: { src: /home/user/src/fio }",
        nix: "fio-src = {\n\
              type = \"path\";\n\
              path = \"/home/user/src/fio\";\n\
              flake = false;\n\
              };\n\
              fio = prev.fio.overrideAttrs { src = inputs.fio-src; };",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "overlays.input",
        summary: "the input's name for src when <pkg>-src is not right (cpupower builds from kernel-src)",
        details: "",
        yaml: "overlays:\n  cpupower: { src: /home/user/src/linux, input: kernel-src }",
        nix: "kernel-src = {\n\
              type = \"path\";\n\
              path = \"/home/user/src/linux\";\n\
              flake = false;\n\
              };\n\
              cpupower = prev.cpupower.overrideAttrs { src = inputs.kernel-src; };",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "overlays.clearPatches",
        summary: "patches = [ ]; drops the patches earlier layers (nixos-flake's overlay) apply",
        details: "Use it when your source already carries the fixes nixos-flake backports.",
        yaml: "overlays:\n  fio: { src: /home/user/src/fio, clearPatches: true }",
        nix: "fio = prev.fio.overrideAttrs {\nsrc = inputs.fio-src;\npatches = [ ];\n};",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "overlays.github",
        summary: "src = final.fetchFromGitHub { owner; repo; rev; hash; }",
        details: "Leave hash empty: the first build fails with a hash mismatch and prints the right one.",
        yaml: "overlays:\n  damo:\n    github: { owner: damonitor, repo: damo, rev: v2.0.0, hash: \"\" }",
        nix: "damo = prev.damo.overrideAttrs {\n\
              src = final.fetchFromGitHub {\n\
              owner = \"damonitor\";\n\
              repo = \"damo\";\n\
              rev = \"v2.0.0\";\n\
              hash = \"\";\n\
              };\n\
              };",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "overlays.git",
        summary: "src = final.fetchgit { url; rev; hash; } (kernel.org and other git hosts)",
        details: "Leave hash empty: the first build fails with a hash mismatch and prints the right one.",
        yaml: "overlays:\n  xfstests:\n    git: { url: \"git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git\", rev: v2026.03.20, hash: \"\" }",
        nix: "xfstests = prev.xfstests.overrideAttrs {\n\
              src = final.fetchgit {\n\
              url = \"git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git\";\n\
              rev = \"v2026.03.20\";\n\
              hash = \"\";\n\
              };\n\
              };",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "sshKeys",
        summary: "users.users.root.openssh.authorizedKeys.keys, and the same for the user's account",
        details: "The backends allow key logins only (PasswordAuthentication off): without a key the VM \
                  is reachable on the serial console only, and `validate` warns. An entry is a key \
                  line or the path of a `.pub` file, whose keys are read when generating.",
        yaml: "sshKeys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyExampleKeyExampleKeyExample me@laptop\"]",
        nix: "users.users.root.openssh.authorizedKeys.keys = [",
        owns: &[
            Owned::Value(&["users", "users", "root", "openssh", "authorizedKeys", "keys"]),
            Owned::Value(&["users", "users", "<user>", "openssh", "authorizedKeys", "keys"]),
        ],
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "monitoring",
        summary: "nixos-flake.monitoring.* (needs the monitoring profile, which sets enable = true)",
        details: "Options: enable (false imports the profile without enabling it, as kdevops does), \
                  outputDir, sysstat.{enable, interval, maxSamples}, cpuGovernor.enable, \
                  blkalgn.{enable, disk, ops}, biolatency.{enable, milliseconds, queued, perDisk, \
                  perFlag, disk, interval}. Each enabled monitor is a systemd template unit \
                  monitor-<name>@<run-id>.service that an orchestrator starts around a workload.",
        yaml: "profiles: [monitoring]\nmonitoring:\n  outputDir: /mnt/data/monitoring/%i\n  biolatency: { enable: true, disk: nvme0n1 }",
        nix: "nixos-flake.nixosModules.profiles.monitoring\n\
              nixos-flake.monitoring = {\n\
              enable = true;\n\
              outputDir = \"/mnt/data/monitoring/%i\";\n\
              biolatency = {\n\
              enable = true;\n\
              disk = \"nvme0n1\";\n\
              };\n\
              };",
        owns: &[Owned::Entries(&["nixos-flake", "monitoring"])],
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "monitoring.outputDir",
        summary: "nixos-flake.monitoring.outputDir: where runs write (library default /var/lib/monitoring/runs/%i)",
        details: "`%i` is the run id the orchestrator passes to monitor-<name>@<run-id>.service.",
        yaml: "profiles: [monitoring]\nmonitoring:\n  outputDir: /mnt/data/monitoring/%i",
        nix: "outputDir = \"/mnt/data/monitoring/%i\";",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "monitoring.sysstat",
        summary: "nixos-flake.monitoring.sysstat.{enable, interval, maxSamples}: monitor-sysstat@.service",
        details: "enable defaults to monitoring.enable; interval (seconds, default 5) and maxSamples \
                  (default 999999) are positive integers.",
        yaml: "profiles: [monitoring]\nmonitoring:\n  sysstat: { interval: 10 }",
        nix: "sysstat = {\ninterval = 10;\n};",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "monitoring.cpuGovernor",
        summary: "nixos-flake.monitoring.cpuGovernor.enable: pin the CPU governor during runs",
        details: "Defaults to monitoring.enable.",
        yaml: "profiles: [monitoring]\nmonitoring:\n  cpuGovernor: { enable: false }",
        nix: "cpuGovernor = {\nenable = false;\n};",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "monitoring.blkalgn",
        summary: "nixos-flake.monitoring.blkalgn.{enable, disk, ops}: monitor-blkalgn@.service",
        details: "Off by default; disk and ops narrow the trace (empty: all).",
        yaml: "profiles: [monitoring]\nmonitoring:\n  blkalgn: { enable: true, disk: nvme0n1 }",
        nix: "blkalgn = {\nenable = true;\ndisk = \"nvme0n1\";\n};",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "monitoring.biolatency",
        summary: "nixos-flake.monitoring.biolatency.{enable, milliseconds, queued, perDisk, perFlag, disk, interval}: monitor-biolatency@.service",
        details: "Off by default; milliseconds defaults to true, interval to 30 seconds.",
        yaml: "profiles: [monitoring]\nmonitoring:\n  biolatency: { enable: true, perDisk: true }",
        nix: "biolatency = {\nenable = true;\nperDisk = true;\n};",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "settings",
        summary: "any other NixOS option in the inline module, as data (option path -> value)",
        details: "Keys are option paths, dotted (`boot.kernelParams`) or as nested maps; below an option \
                  path a map's keys are attribute names (`boot.kernel.sysctl: { vm.swappiness: 10 }`). \
                  Values are YAML scalars, lists and maps; a string is always a Nix string, never \
                  code. nixgen owns exactly the paths listed, and records them in a comment of the \
                  inline module: a path later removed from `settings` is reported and removed with \
                  --prune, while options written by hand are never touched. `nixgen check` maps an \
                  unknown option or a wrong type back to the key.",
        yaml: "settings:\n  boot.kernelParams: [nokaslr]\n  time.timeZone: UTC",
        nix: "boot.kernelParams = [ \"nokaslr\" ];\n\
              time.timeZone = \"UTC\";",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "image",
        summary: "libvirt only: packages.<system>.image, the qcow2 libvirt boots (make-disk-image)",
        details: "diskSize in MiB (default 20480) and format (qcow2 | qcow2-compressed | raw | vdi | vpc, \
                  default qcow2), with the library template's partitionTableType = \"legacy\" and \
                  installBootLoader = true. Build it with `nix build .#image`. Imageless hosts export \
                  packages.<system>.toplevel instead (`nix build .#toplevel`).",
        yaml: "backend: libvirt\nimage: { diskSize: 40960 }",
        nix: "diskSize = 40960;",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "packages",
        summary: "environment.systemPackages = with pkgs; [ ... ] (attribute names, dotted paths allowed)",
        details: "",
        yaml: "packages: [gdb, bpftrace]",
        nix: "environment.systemPackages = with pkgs; [\ngdb\nbpftrace\n];",
        owns: &[Owned::Value(&["environment", "systemPackages"])],
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "modules",
        summary: "extra module files, added to the modules list as Nix paths relative to the flake",
        details: "`git add` them: a flake only sees files git tracks.",
        yaml: "modules: [./extra.nix]",
        nix: "./extra.nix",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "defaults",
        summary: "fleet files: keys merged into every configuration (maps key by key; lists and scalars replace)",
        details: "Nothing of its own in Nix: each configuration gets what the merged keys become.",
        yaml: "",
        nix: "",
        ..KeyDoc::NONE
    },
    KeyDoc {
        key: "configurations",
        summary: "fleet files: one configuration per key (`nixgen scaffold` writes <root>/<name>/flake.nix)",
        details: "The key is the configuration's name.",
        yaml: "",
        nix: "",
        ..KeyDoc::NONE
    },
];

/// The YAML path an option named in Nix's messages comes from: the key whose owned path is a
/// prefix of `option` (an `Entries` key keeps the rest: `storage./mnt/x.mkfsArgs`), or a
/// `settings` key (`settings_keys` are the description's, with their option paths).
pub fn yaml_path_of_option(
    option: &[String],
    settings_keys: &[(String, Vec<String>)],
) -> Option<Vec<String>> {
    for (key, path) in settings_keys {
        if option.starts_with(path) || path.starts_with(option) {
            return Some(vec!["settings".to_owned(), key.clone()]);
        }
    }
    for doc in KEYS {
        for owned in doc.owns {
            let prefix = owned.path();
            if option.len() < prefix.len()
                || !prefix
                    .iter()
                    .zip(option)
                    .all(|(p, o)| *p == "<user>" || *p == o)
            {
                continue;
            }
            let mut yaml = vec![doc.key.to_owned()];
            if matches!(owned, Owned::Entries(_)) {
                yaml.extend(option[prefix.len()..].iter().cloned());
            }
            return Some(yaml);
        }
    }
    None
}

/// The key that imports `nixosModules.<module>` (`testSuites.ltp` -> `testSuites`), and the
/// value it was written with.
pub fn key_of_module(module: &str) -> Option<(&'static KeyDoc, Option<String>)> {
    KEYS.iter().find_map(|doc| {
        let pattern = doc.module?;
        match pattern.split_once("{}") {
            Some((before, after)) => module
                .strip_prefix(before)
                .and_then(|rest| rest.strip_suffix(after))
                .filter(|v| !v.is_empty() && !v.contains('.'))
                .map(|v| (doc, Some(v.to_owned()))),
            None => (module == pattern).then_some((doc, None)),
        }
    })
}

/// The `nixosModules` path key `key` imports for `value` (`("testSuites", "ltp")` ->
/// `testSuites.ltp`); `None` for a key that imports no module.
pub fn module_of(key: &str, value: &str) -> Option<String> {
    let pattern = KEYS.iter().find(|d| d.key == key)?.module?;
    Some(pattern.replace("{}", value))
}

/// Every option path the table owns, with its key; `<user>` is replaced by `user` (the account
/// the description creates), or the path is left out when there is none.
pub fn owned_options(user: Option<&str>) -> Vec<(&'static str, Owned, Vec<String>)> {
    let mut out = Vec::new();
    for doc in KEYS {
        for owned in doc.owns {
            let path: Option<Vec<String>> = owned
                .path()
                .iter()
                .map(|seg| match *seg {
                    "<user>" => user.map(str::to_owned),
                    s => Some(s.to_owned()),
                })
                .collect();
            if let Some(path) = path {
                out.push((doc.key, *owned, path));
            }
        }
    }
    out
}

/// The valid field names below a YAML key (`storage` -> `device`, `fsType`, ...), from the
/// table's dotted entries.
pub fn fields_of(key: &str) -> Vec<&'static str> {
    KEYS.iter()
        .filter_map(|d| d.key.strip_prefix(key)?.strip_prefix('.'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::plan_for;
    use crate::model::load;
    use std::path::Path;

    /// A host that uses every key that sets options.
    const EVERY_KEY: &str = "name: vm\nbackend: libvirt\nhostName: vm\n\
        profiles: [devel, monitoring, controller]\ntestSuites: [ltp]\n\
        user: { name: kdevops, extraGroups: [wheel] }\n\
        sshKeys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyExampleKey me@x\"]\n\
        shares: { /mnt/home: { tag: home } }\n\
        storage: { /mnt/x: { device: /dev/vdb, fsType: xfs, mkfsArgs: [-f] } }\n\
        monitoring: { outputDir: /x, sysstat: { interval: 3 } }\n\
        settings: { time.timeZone: UTC }\nimage: { diskSize: 100 }\n";

    #[test]
    fn every_option_generation_sets_is_owned_by_a_key_or_settings() {
        let doc = load::parse(Path::new("/nonexistent/host.yaml"), EVERY_KEY.into()).unwrap();
        let hosts = load::hosts(&doc).unwrap();
        let plan = plan_for(&hosts[0].host);
        let cp = &plan.configurations[0];
        let owned = owned_options(cp.user.as_deref());
        let settings = vec![(
            "time.timeZone".to_owned(),
            vec!["time".into(), "timeZone".into()],
        )];
        for setting in &cp.settings {
            let by_table = owned.iter().any(|(_, _, p)| setting.path.starts_with(p));
            let by_settings = yaml_path_of_option(&setting.path, &settings).is_some();
            assert!(
                by_table || by_settings,
                "`{}` is generated but no key of the table owns it",
                setting.path.join(".")
            );
        }
        // Every module generation imports is recognised by the table too.
        for module in &cp.modules {
            let text = module.print();
            if let Some(m) = text.strip_prefix("nixos-flake.nixosModules.") {
                assert!(key_of_module(m).is_some(), "{m} has no key");
            }
        }
    }

    #[test]
    fn options_map_back_to_their_keys() {
        let o = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            yaml_path_of_option(&o("nixos-flake.monitoring.biolatency.disk"), &[]),
            Some(o("monitoring.biolatency.disk"))
        );
        assert_eq!(
            yaml_path_of_option(&o("users.users.kdevops.openssh.authorizedKeys.keys"), &[]),
            Some(o("sshKeys"))
        );
        let settings = vec![("boot.kernelParams".to_owned(), o("boot.kernelParams"))];
        assert_eq!(
            yaml_path_of_option(&o("boot.kernelParams"), &settings),
            Some(vec!["settings".into(), "boot.kernelParams".into()])
        );
        assert_eq!(yaml_path_of_option(&o("services.foo"), &settings), None);
        let (doc, value) = key_of_module("testSuites.ltp").unwrap();
        assert_eq!((doc.key, value.as_deref()), ("testSuites", Some("ltp")));
        assert_eq!(key_of_module("mounts.storage").unwrap().0.key, "storage");
        assert!(key_of_module("testSuites.ltp.x").is_none());
        assert_eq!(
            fields_of("storage"),
            ["device", "fsType", "options", "mkfsArgs", "autoFormat"]
        );
    }
}
