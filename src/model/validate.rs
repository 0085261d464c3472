//! The rules of a host description that its types cannot express.
//!
//! Each rule reports the line and column of the offending key, found by path in the located
//! tree the host was read from, and says how to fix it. All rule violations of a host are
//! collected, not just the first. Validation also resolves what depends on the file's place on
//! disk: local `src` paths and a local `nixosFlake` become absolute `path:` URLs.

use std::collections::HashMap;
use std::path::Path;

use super::load::Document;
use super::paths::{home_dir, looks_local, resolve_local};
use super::{Backend, Host, InputSource, Overlay, OverlaySource, Profile};
use crate::diag::{Diagnostic, Failure};
use crate::nix::escape::{is_identifier, is_path_literal};
use crate::yaml::Node;

/// A host that passed every rule, with its paths resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidHost {
    /// The description as written (defaults filled in).
    pub host: Host,
    /// The nixos-flake input URL, with a local path made absolute.
    pub nixos_flake_url: String,
    /// Each overlay's package, resolved source and `clearPatches`, in file order.
    pub overlays: Vec<ResolvedOverlay>,
    /// The authorized SSH keys: `sshKeys` entries, with the keys of each `.pub` file read in.
    pub ssh_keys: Vec<String>,
}

impl ValidHost {
    /// The account `user` creates (nixos-flake's default name is `user`).
    pub fn user_name(&self) -> Option<&str> {
        self.host
            .user
            .as_ref()
            .map(|u| u.name.as_deref().unwrap_or(DEFAULT_USER))
    }
}

/// nixos-flake's default account name.
pub const DEFAULT_USER: &str = "user";

/// One overlay entry, ready to emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedOverlay {
    /// The package's attribute name.
    pub package: String,
    /// Where its source comes from.
    pub source: OverlaySource,
    /// `patches = [ ];`
    pub clear_patches: bool,
}

/// Names an input may not take: the generated flake and its overlays bind them themselves.
pub const RESERVED_INPUTS: [&str; 12] = [
    "self",
    "nixpkgs",
    "nixos-flake",
    "inputs",
    "final",
    "prev",
    "pkgs",
    "lib",
    "config",
    "system",
    "options",
    "modulesPath",
];

/// A broken rule, located by its field path in the description (`["storage", "/mnt/x",
/// "device"]`). The YAML layer turns the path into a line and column; `overlay add` turns it
/// into the flag that set the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field path of the offending key.
    pub path: Vec<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// True for a warning (the description is still usable).
    pub warning: bool,
}

/// Collects violations while the rules run.
#[derive(Debug, Default)]
pub struct Rules {
    /// Every violation found, in the order the rules ran.
    pub violations: Vec<Violation>,
}

impl Rules {
    fn push(&mut self, path: &[&str], message: String, help: String, warning: bool) {
        self.violations.push(Violation {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            message,
            help,
            warning,
        });
    }

    /// Records an error at `path`.
    pub fn error(&mut self, path: &[&str], message: impl Into<String>, help: impl Into<String>) {
        self.push(path, message.into(), help.into(), false);
    }

    /// Records a warning at `path`.
    pub fn warn(&mut self, path: &[&str], message: impl Into<String>, help: impl Into<String>) {
        self.push(path, message.into(), help.into(), true);
    }

    /// True when an error (not a warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.violations.iter().any(|v| !v.warning)
    }
}

/// Checks every rule; returns the resolved host and warnings, or all the errors, located in
/// the tree the host was read from.
pub fn validate(
    doc: &Document,
    node: &Node,
    host: Host,
) -> Result<(ValidHost, Vec<Diagnostic>), Failure> {
    let mut rules = Rules::default();
    nul_bytes(&mut rules, node, &mut Vec::new());
    let valid = check_host(&mut rules, host, &doc.base_dir(), home_dir().as_deref());
    let locate = |v: &Violation| {
        let path: Vec<&str> = v.path.iter().map(String::as_str).collect();
        let d = doc
            .error_at(node.key_position(&path), v.message.clone())
            .with_help(v.help.clone());
        if v.warning {
            d.warning()
        } else {
            d
        }
    };
    let (warnings, errors): (Vec<&Violation>, Vec<&Violation>) =
        rules.violations.iter().partition(|v| v.warning);
    if errors.is_empty() {
        Ok((valid, warnings.into_iter().map(locate).collect()))
    } else {
        Err(Failure::new(errors.into_iter().map(locate).collect()))
    }
}

/// A NUL byte cannot be written into Nix (a Nix string ends at it): every string of the
/// description, keys included, is checked where it was written.
fn nul_bytes(rules: &mut Rules, node: &Node, path: &mut Vec<String>) {
    let refuse = |rules: &mut Rules, path: &[String]| {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        rules.error(
            &p,
            "the value contains a NUL byte, which Nix cannot hold",
            "remove the NUL character (a Nix string would end at it)",
        );
    };
    match &node.value {
        crate::yaml::Value::Scalar { text, .. } if text.contains('\0') => refuse(rules, path),
        crate::yaml::Value::Scalar { .. } => {}
        crate::yaml::Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                nul_bytes(rules, item, path);
                path.pop();
            }
        }
        crate::yaml::Value::Map(entries) => {
            for (k, v) in entries {
                let key = k.as_str().unwrap_or_default().to_owned();
                path.push(key.clone());
                if key.contains('\0') {
                    refuse(rules, path);
                } else {
                    nul_bytes(rules, v, path);
                }
                path.pop();
            }
        }
    }
}

/// Runs every rule of the contract on `host`; `base` is the directory relative paths are
/// resolved against and `home` the home directory for `~`. The result is meaningful only
/// when `rules` has no errors.
pub fn check_host(rules: &mut Rules, host: Host, base: &Path, home: Option<&Path>) -> ValidHost {
    let c = rules;
    if !is_config_name(&host.name) {
        c.error(
            &["name"],
            format!("`{}` is not a usable configuration name", host.name),
            "use letters, digits, `_` and `-`, starting with a letter or `_` (it becomes \
             `nixosConfigurations.<name>` and a directory name)",
        );
    }
    if let Some(h) = &host.host_name {
        if !is_host_name(h) {
            c.error(
                &["hostName"],
                format!("`{h}` is not a valid host name"),
                "use letters, digits and `-` (not first or last), at most 63 characters",
            );
        }
    }
    let nixos_flake_url = resolve_flake_url(c, &host.nixos_flake, base, home);

    check_unique(c, "profiles", host.profiles.iter().map(|p| p.as_str()));
    check_unique(c, "testSuites", host.test_suites.iter().map(|p| p.as_str()));

    if let Some(user) = &host.user {
        if let Some(name) = &user.name {
            if !is_user_name(name) {
                c.error(
                    &["user", "name"],
                    format!("`{name}` is not a valid user name"),
                    "use lower-case letters, digits, `_` and `-`, starting with a letter or `_`, \
                     at most 32 characters",
                );
            }
        }
        check_user_name(c, &host, user.name.as_deref().unwrap_or(DEFAULT_USER));
        if let Some(groups) = &user.extra_groups {
            for (i, g) in groups.iter().enumerate() {
                if !is_user_name(g) {
                    c.error(
                        &["user", "extraGroups", &i.to_string()],
                        format!("`{g}` is not a valid group name"),
                        "use lower-case letters, digits, `_` and `-`",
                    );
                }
            }
            check_unique(c, "user.extraGroups", groups.iter().map(String::as_str));
        }
    }

    check_mounts(c, &host);
    let overlays = check_overlays(c, &host, base, home);
    let ssh_keys = check_ssh_keys(c, &host, base, home);
    check_monitoring(c, &host);
    check_settings(c, &host);
    check_image(c, &host);

    for (i, p) in host.packages.iter().enumerate() {
        if !p.split('.').all(is_identifier) {
            c.error(
                &["packages", &i.to_string()],
                format!("`{p}` is not a package attribute name"),
                "write the attribute name in `pkgs`, such as `gdb` or `python3Packages.numpy`",
            );
        }
    }
    check_unique(c, "packages", host.packages.iter().map(String::as_str));

    for (i, m) in host.modules.iter().enumerate() {
        if !is_path_literal(m) {
            c.error(
                &["modules", &i.to_string()],
                format!("`{m}` cannot be written as a Nix path"),
                "write a path relative to the flake, starting with `./` or `../`, without \
                 spaces or quotes (such as `./extra.nix`)",
            );
        } else if m.starts_with('/') {
            // Flakes are evaluated purely: Nix refuses to read a path outside the flake
            // ("access to absolute path ... is forbidden in pure eval mode").
            c.error(
                &["modules", &i.to_string()],
                format!("`{m}` is an absolute path, which a flake cannot read"),
                "Nix evaluates flakes purely and refuses absolute paths: copy the file next to \
                 the flake (and `git add` it), then write it as `./name.nix`",
            );
        }
        // Whether the file exists depends on where the flake is written, which the host
        // description does not know: `load::missing_modules` checks it for the command.
    }
    check_unique(c, "modules", host.modules.iter().map(String::as_str));

    ValidHost {
        host,
        nixos_flake_url,
        overlays,
        ssh_keys,
    }
}

/// A usable configuration name: it becomes `nixosConfigurations.<name>` and a directory.
pub fn is_config_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A user (or group) name as nixos-flake and NixOS accept it.
pub fn is_user_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 32
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn check_unique<'a>(c: &mut Rules, key: &str, items: impl Iterator<Item = &'a str>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let path: Vec<&str> = key.split('.').collect();
    for (i, item) in items.enumerate() {
        if let Some(first) = seen.insert(item, i) {
            let index = i.to_string();
            let mut at = path.clone();
            at.push(&index);
            c.error(
                &at,
                format!("`{item}` is listed twice in `{key}`"),
                format!("remove one of them (the first is item {})", first + 1),
            );
        }
    }
}

fn resolve_flake_url(c: &mut Rules, raw: &str, base: &Path, home: Option<&Path>) -> String {
    let (local, path_part) = match raw.strip_prefix("path:") {
        Some(rest) => (true, rest),
        None => (looks_local(raw), raw),
    };
    if !local {
        if !raw.contains(':') {
            c.error(
                &["nixosFlake"],
                format!("`{raw}` is not a flake URL"),
                "write a URL such as `github:linux-kdevops/nixos-flake` or \
                 `path:/home/user/src/nixos-flake`",
            );
        }
        return raw.to_owned();
    }
    // Split off `?query` and `#fragment`; only the path part is resolved.
    let cut = path_part.find(['?', '#']).unwrap_or(path_part.len());
    let (path, rest) = path_part.split_at(cut);
    match resolve_local(path, base, home) {
        Some(abs) => format!("path:{}{rest}", abs.display()),
        None => {
            c.error(
                &["nixosFlake"],
                "`~` or `$HOME` is used but HOME is not set",
                "write an absolute path",
            );
            raw.to_owned()
        }
    }
}

fn check_mount_point(c: &mut Rules, section: &str, mp: &str) {
    let clean = mp.starts_with('/')
        && mp.len() > 1
        && !mp.ends_with('/')
        && !mp.contains("//")
        && !mp.split('/').any(|s| s == "." || s == "..");
    if !clean {
        c.error(
            &[section, mp],
            format!("mount point `{mp}` must be a clean absolute path other than `/`"),
            "write it like `/mnt/nvme0` (no trailing `/`, no `.` or `..`)",
        );
    }
}

/// Mount points the backend mounts itself.
fn backend_mounts(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Imageless => &["/nix/store", "/lib/modules"],
        Backend::Libvirt => &[],
    }
}

/// virtiofs tags the backend uses itself.
fn backend_tags(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Imageless => &["store", "modules"],
        Backend::Libvirt => &[],
    }
}

fn check_mounts(c: &mut Rules, host: &Host) {
    let owned = backend_mounts(host.backend);
    for (section, mps) in [
        ("shares", host.shares.keys().collect::<Vec<_>>()),
        ("storage", host.storage.keys().collect()),
    ] {
        for mp in mps {
            if owned.contains(&mp.as_str()) {
                c.error(
                    &[section, mp],
                    format!(
                        "`{mp}` is mounted by the {} backend itself",
                        host.backend.as_str()
                    ),
                    format!(
                        "choose another mount point; the backend owns {}",
                        owned.join(", ")
                    ),
                );
            }
        }
    }
    let mut tags: HashMap<&str, &str> = HashMap::new();
    for (mp, share) in &host.shares {
        check_mount_point(c, "shares", mp);
        if backend_tags(host.backend).contains(&share.tag.as_str()) {
            c.error(
                &["shares", mp, "tag"],
                format!(
                    "tag `{}` is used by the {} backend itself",
                    share.tag,
                    host.backend.as_str()
                ),
                format!(
                    "choose another tag; the backend serves {} over virtiofs",
                    backend_tags(host.backend).join(" and ")
                ),
            );
        }
        if share.tag.is_empty() {
            c.error(
                &["shares", mp, "tag"],
                "the virtiofs tag is empty",
                "give the tag the host's virtiofsd announces",
            );
        } else if let Some(first) = tags.insert(&share.tag, mp) {
            c.error(
                &["shares", mp, "tag"],
                format!("tag `{}` is already used by share `{first}`", share.tag),
                "each virtiofs share needs its own tag",
            );
        }
    }
    let mut devices: HashMap<&str, &str> = HashMap::new();
    for (mp, storage) in &host.storage {
        check_mount_point(c, "storage", mp);
        if host.shares.contains_key(mp) {
            c.error(
                &["storage", mp],
                format!("mount point `{mp}` is also a share"),
                "mount points must be unique across `shares` and `storage`",
            );
        }
        if !storage.device.starts_with('/') {
            c.error(
                &["storage", mp, "device"],
                format!("device `{}` is not an absolute path", storage.device),
                "name the block device by path, such as `/dev/nvme0n1` or `/dev/disk/by-id/...`",
            );
        } else if let Some(first) = devices.insert(&storage.device, mp) {
            c.error(
                &["storage", mp, "device"],
                format!(
                    "device `{}` is already mounted at `{first}`",
                    storage.device
                ),
                "a block device can back one mount point only",
            );
        }
        let fs_ok = !storage.fs_type.is_empty()
            && storage
                .fs_type
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'));
        if !fs_ok {
            c.error(
                &["storage", mp, "fsType"],
                format!("`{}` is not a filesystem type", storage.fs_type),
                "use a type such as `xfs`, `ext4` or `btrfs`",
            );
        }
        let mkfs = storage.mkfs_args.as_ref().is_some_and(|a| !a.is_empty());
        if mkfs && storage.auto_format == Some(true) {
            c.error(
                &["storage", mp, "autoFormat"],
                format!("`mkfsArgs` and `autoFormat` are mutually exclusive (on `{mp}`)"),
                "keep `mkfsArgs` for a custom mkfs, or `autoFormat: true` for NixOS's default \
                 first-mount format, not both (nixos-flake asserts the same; an empty \
                 `mkfsArgs: []` is fine)",
            );
        }
    }
}

fn check_overlays(
    c: &mut Rules,
    host: &Host,
    base: &Path,
    home: Option<&Path>,
) -> Vec<ResolvedOverlay> {
    let mut resolved = Vec::new();
    let mut inputs: HashMap<String, String> = HashMap::new();
    for (pkg, overlay) in &host.overlays {
        if let Some(r) = check_overlay(c, pkg, overlay, base, home) {
            if let OverlaySource::Input { input, .. } = &r.source {
                if let Some(first) = inputs.insert(input.clone(), pkg.clone()) {
                    c.error(
                        &[
                            "overlays",
                            pkg,
                            if overlay.input.is_some() {
                                "input"
                            } else {
                                "src"
                            },
                        ],
                        format!("input `{input}` is already used by overlay `{first}`"),
                        "input names must be unique: set `input:` to another name",
                    );
                    continue;
                }
            }
            resolved.push(r);
        }
    }
    resolved
}

/// The URL schemes a `src` may use as a flake reference (a non-flake input).
const FLAKE_REF_SCHEMES: [&str; 10] = [
    "git+https://",
    "git+http://",
    "git+ssh://",
    "git+file:",
    "github:",
    "gitlab:",
    "sourcehut:",
    "path:",
    "tarball+",
    "file+",
];

/// True when `src` is written as a flake reference rather than a local path.
pub fn is_flake_ref(src: &str) -> bool {
    FLAKE_REF_SCHEMES.iter().any(|s| src.starts_with(s))
}

/// Checks one overlay (the rules `overlay add`'s flags share with the YAML) and resolves its
/// source. Violations are recorded at `["overlays", pkg, ...]`.
pub fn check_overlay(
    c: &mut Rules,
    pkg: &str,
    overlay: &Overlay,
    base: &Path,
    home: Option<&Path>,
) -> Option<ResolvedOverlay> {
    if !is_identifier(pkg) {
        c.error(
            &["overlays", pkg],
            format!("`{pkg}` is not a package attribute name"),
            "use the package's attribute name in nixpkgs, such as `fio` or `xfstests`",
        );
        return None;
    }
    let Overlay {
        src,
        input,
        github,
        git,
        clear_patches,
    } = overlay;
    let forms = [src.is_some(), github.is_some(), git.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if forms != 1 {
        let what = if forms == 0 {
            "no source"
        } else {
            "more than one source"
        };
        c.error(
            &["overlays", pkg],
            format!("overlay `{pkg}` has {what}"),
            "give exactly one of `src` (a local checkout or a flake reference), `github` or `git`",
        );
        return None;
    }
    if input.is_some() && src.is_none() {
        c.error(
            &["overlays", pkg, "input"],
            "`input` only applies to `src`",
            "remove `input`; `github` and `git` sources are fetched in the overlay",
        );
        return None;
    }
    let source = if let Some(src) = src {
        let name = input.clone().unwrap_or_else(|| format!("{pkg}-src"));
        let at = if input.is_some() { "input" } else { "src" };
        if !is_identifier(&name) {
            c.error(
                &["overlays", pkg, at],
                format!("input name `{name}` is not a valid Nix identifier"),
                "use letters, digits, `_`, `-` and `'`, starting with a letter",
            );
            return None;
        }
        if RESERVED_INPUTS.contains(&name.as_str()) {
            c.error(
                &["overlays", pkg, at],
                format!("input name `{name}` is a name the generated flake binds itself"),
                format!(
                    "choose another name with `input:`, such as `{pkg}-src` (not one of {})",
                    RESERVED_INPUTS.join(", ")
                ),
            );
            return None;
        }
        let location = source_location(c, pkg, src, base, home)?;
        OverlaySource::Input {
            input: name,
            source: location,
        }
    } else if let Some(g) = github {
        check_filled(
            c,
            pkg,
            "github",
            &[("owner", &g.owner), ("repo", &g.repo), ("rev", &g.rev)],
        );
        for (key, value) in [("owner", &g.owner), ("repo", &g.repo)] {
            if value.contains(['/', ' ', '\t']) {
                c.error(
                    &["overlays", pkg, "github", key],
                    format!("`{value}` is not a GitHub {key} name"),
                    "write the owner and the repository separately, such as `damonitor` and `damo`",
                );
            }
        }
        check_rev(c, pkg, "github", &g.rev);
        check_hash(c, pkg, "github", &g.hash);
        OverlaySource::GitHub {
            owner: g.owner.clone(),
            repo: g.repo.clone(),
            rev: g.rev.clone(),
            hash: g.hash.clone(),
        }
    } else if let Some(g) = git {
        if !is_git_url(&g.url) {
            c.error(
                &["overlays", pkg, "git", "url"],
                format!("`{}` is not a git URL", g.url),
                "write a URL such as `https://git.kernel.org/pub/scm/utils/kernel/kmod/kmod.git` \
                 or `git://...`",
            );
        }
        check_filled(c, pkg, "git", &[("rev", &g.rev)]);
        check_rev(c, pkg, "git", &g.rev);
        check_hash(c, pkg, "git", &g.hash);
        OverlaySource::Git {
            url: g.url.clone(),
            rev: g.rev.clone(),
            hash: g.hash.clone(),
        }
    } else {
        unreachable!("exactly one form was checked above")
    };
    Some(ResolvedOverlay {
        package: pkg.to_owned(),
        source,
        clear_patches: *clear_patches,
    })
}

/// A URL `fetchgit` can clone.
fn is_git_url(url: &str) -> bool {
    let schemes = ["https://", "http://", "git://", "ssh://", "file://"];
    let scp_like = url.contains('@') && url.contains(':') && !url.contains("://");
    let rest = schemes.iter().find_map(|s| url.strip_prefix(s));
    let well_formed = rest.is_some_and(|r| {
        !r.is_empty() && !r.starts_with('/') || r.starts_with('/') && url.starts_with("file://")
    });
    (well_formed || scp_like) && !url.contains(char::is_whitespace)
}

/// Fields of a fetched source that may not be empty.
fn check_filled(c: &mut Rules, pkg: &str, form: &str, fields: &[(&str, &String)]) {
    for (key, value) in fields {
        if value.trim().is_empty() {
            c.error(
                &["overlays", pkg, form, key],
                format!("`{form}.{key}` is empty"),
                "fill it in",
            );
        }
    }
}

/// A commit or tag: no white space.
fn check_rev(c: &mut Rules, pkg: &str, form: &str, rev: &str) {
    if !rev.trim().is_empty() && rev.contains(char::is_whitespace) {
        c.error(
            &["overlays", pkg, form, "rev"],
            format!("`{rev}` is not a commit or tag"),
            "write the commit hash (or a tag) without spaces",
        );
    }
}

/// Where a `src` points: a flake reference as written (a `path:` one made absolute), or a
/// local tree made absolute for the attribute form.
fn source_location(
    c: &mut Rules,
    pkg: &str,
    src: &str,
    base: &Path,
    home: Option<&Path>,
) -> Option<InputSource> {
    let at = ["overlays", pkg, "src"];
    if src.trim().is_empty() {
        c.error(
            &at,
            "`src` is empty",
            "give a local checkout's path or a flake reference",
        );
        return None;
    }
    if is_flake_ref(src) {
        if src.contains(char::is_whitespace) {
            c.error(
                &at,
                format!("`{src}` is not a flake reference: it contains white space"),
                "percent-encode the space (`%20`), or give a local path instead of a `path:` URL",
            );
            return None;
        }
        if let Some(rest) = src.strip_prefix("path:") {
            let cut = rest.find(['?', '#']).unwrap_or(rest.len());
            let (path, query) = rest.split_at(cut);
            let abs = local_source(c, pkg, path, base, home)?;
            return Some(InputSource::Url(format!("path:{}{query}", abs.display())));
        }
        let after = src
            .split_once(':')
            .map_or("", |(_, r)| r)
            .trim_start_matches('/');
        if after.is_empty() {
            c.error(
                &at,
                format!("`{src}` names no repository"),
                "write a full reference such as `git+https://host/repo.git?ref=master` or \
                 `github:owner/repo`",
            );
            return None;
        }
        return Some(InputSource::Url(src.to_owned()));
    }
    if src.contains("://") || (src.contains(':') && !looks_local(src)) {
        c.error(
            &at,
            format!("`{src}` is neither a local path nor a flake reference nixgen knows"),
            format!(
                "write a local path (`~/src/fio`, `/abs/path`, `./rel`) or a reference starting \
                 with one of {}",
                FLAKE_REF_SCHEMES.join(", ")
            ),
        );
        return None;
    }
    let abs = local_source(c, pkg, src, base, home)?;
    Some(InputSource::Path(abs.display().to_string()))
}

/// A local source made absolute (`~`, `$HOME`, relative to `base`), with a warning when it
/// does not exist yet.
fn local_source(
    c: &mut Rules,
    pkg: &str,
    path: &str,
    base: &Path,
    home: Option<&Path>,
) -> Option<std::path::PathBuf> {
    let Some(abs) = resolve_local(path, base, home) else {
        c.error(
            &["overlays", pkg, "src"],
            "`~` or `$HOME` is used but HOME is not set",
            "write an absolute path",
        );
        return None;
    };
    warn_missing(c, pkg, &abs);
    Some(abs)
}

fn warn_missing(c: &mut Rules, pkg: &str, abs: &Path) {
    if !abs.exists() {
        c.warn(
            &["overlays", pkg, "src"],
            format!("local source `{}` does not exist", abs.display()),
            "Nix will fail to fetch it until the checkout is there",
        );
    }
}

/// The account may not be root, nor an account a selected test suite creates.
fn check_user_name(c: &mut Rules, host: &Host, name: &str) {
    let at: &[&str] = if host.user.as_ref().is_some_and(|u| u.name.is_some()) {
        &["user", "name"]
    } else {
        &["user"]
    };
    if matches!(name, "root" | "nobody") {
        c.error(
            at,
            format!("the user cannot be `{name}`"),
            "nixos-flake's user is an unprivileged account with sudo: pick another name, such \
             as `kdevops`",
        );
    }
    for suite in &host.test_suites {
        if suite.accounts().contains(&name) {
            c.error(
                at,
                format!(
                    "the {} test suite creates an account named `{name}` itself",
                    suite.as_str()
                ),
                format!(
                    "pick another name; {} creates {}",
                    suite.as_str(),
                    suite.accounts().join(", ")
                ),
            );
        }
    }
}

/// Key types OpenSSH accepts in authorized_keys.
const SSH_KEY_TYPES: [&str; 8] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// True when `line` is an authorized_keys line: options, a key type, base64 key data and an
/// optional comment.
pub fn is_ssh_key(line: &str) -> bool {
    if line.contains(['\n', '\r']) {
        return false;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(at) = words.iter().position(|w| SSH_KEY_TYPES.contains(w)) else {
        return false;
    };
    words.get(at + 1).is_some_and(|data| {
        data.len() >= 16
            && data
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '/' | '='))
    })
}

/// Resolves `sshKeys`: key lines as written, and the keys of each `.pub` file.
fn check_ssh_keys(c: &mut Rules, host: &Host, base: &Path, home: Option<&Path>) -> Vec<String> {
    let mut keys = Vec::new();
    for (i, entry) in host.ssh_keys.iter().enumerate() {
        let index = i.to_string();
        let at = ["sshKeys", index.as_str()];
        let entry = entry.trim();
        if is_ssh_key(entry) {
            keys.push(entry.to_owned());
            continue;
        }
        if !looks_local(entry) {
            c.error(
                &at,
                "this is neither an SSH public key nor a path to one",
                "paste the line of your `~/.ssh/id_ed25519.pub` (`ssh-ed25519 AAAA... you@host`), \
                 or give the file's path",
            );
            continue;
        }
        let Some(path) = resolve_local(entry, base, home) else {
            c.error(
                &at,
                "`~` or `$HOME` is used but HOME is not set",
                "write an absolute path",
            );
            continue;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                c.error(
                    &at,
                    format!("cannot read `{}`: {e}", path.display()),
                    "give the path of a public key file (`ssh-keygen -t ed25519` creates \
                     `~/.ssh/id_ed25519.pub`), or paste the key itself",
                );
                continue;
            }
        };
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if lines.is_empty() {
            c.error(
                &at,
                format!("`{}` holds no key", path.display()),
                "give a public key file with one key a line",
            );
        }
        for (n, line) in lines.iter().enumerate() {
            if is_ssh_key(line) {
                keys.push((*line).to_owned());
            } else {
                c.error(
                    &at,
                    format!(
                        "line {} of `{}` is not an SSH public key",
                        n + 1,
                        path.display()
                    ),
                    "name the public key (`.pub`), never the private key",
                );
            }
        }
    }
    check_unique(c, "sshKeys", host.ssh_keys.iter().map(String::as_str));
    keys
}

fn check_monitoring(c: &mut Rules, host: &Host) {
    let Some(m) = &host.monitoring else {
        return;
    };
    if !host.profiles.contains(&Profile::Monitoring) {
        c.error(
            &["monitoring"],
            "`monitoring` needs the monitoring profile",
            "add `monitoring` to `profiles` (the options are declared by that profile)",
        );
    }
    let positive = [
        (
            ["monitoring", "sysstat", "interval"],
            m.sysstat.as_ref().and_then(|s| s.interval),
        ),
        (
            ["monitoring", "sysstat", "maxSamples"],
            m.sysstat.as_ref().and_then(|s| s.max_samples),
        ),
        (
            ["monitoring", "biolatency", "interval"],
            m.biolatency.as_ref().and_then(|b| b.interval),
        ),
    ];
    for (at, value) in positive {
        if let Some(v) = value.filter(|v| *v < 1) {
            c.error(
                &at,
                format!(
                    "`{}` must be a positive integer, not {v}",
                    at[1..].join(".")
                ),
                "the library declares it as a positive integer",
            );
        }
    }
}

/// Option paths other keys own: `settings` may not set them behind those keys' backs.
const OWNED_ELSEWHERE: [(&str, &str); 5] = [
    ("networking.hostName", "hostName"),
    (
        "nixos-flake",
        "the keys user, shares, storage, monitoring and profiles",
    ),
    ("nixpkgs.overlays", "overlays"),
    ("environment.systemPackages", "packages"),
    ("users.users.root.openssh.authorizedKeys", "sshKeys"),
];

fn check_settings(c: &mut Rules, host: &Host) {
    let mut seen: Vec<(Vec<String>, String)> = Vec::new();
    for (key, value) in &host.settings {
        let path = super::settings_path(key);
        if path.iter().any(|s| s.is_empty()) {
            c.error(
                &["settings", key],
                format!("`{key}` is not an option path"),
                "write the option's path with dots, such as `boot.kernelParams`",
            );
            continue;
        }
        let dotted = path.join(".");
        for (owned, by) in OWNED_ELSEWHERE {
            if dotted == owned
                || dotted.starts_with(&format!("{owned}."))
                || owned.starts_with(&format!("{dotted}."))
            {
                c.error(
                    &["settings", key],
                    format!("`{dotted}` is set through {by}, not `settings`"),
                    format!("use {by}; `nixgen explain` shows what each key sets"),
                );
            }
        }
        for leaf in super::settings_leaves(&path, value) {
            if let Some((_, other)) = seen
                .iter()
                .find(|(p, _)| p.starts_with(&leaf.0) || leaf.0.starts_with(p))
            {
                c.error(
                    &["settings", key],
                    format!("`{}` is also set by `settings.{other}`", leaf.0.join(".")),
                    "set each option once",
                );
            } else {
                seen.push((leaf.0, key.clone()));
            }
        }
    }
}

fn check_image(c: &mut Rules, host: &Host) {
    let Some(image) = &host.image else {
        return;
    };
    if host.backend != Backend::Libvirt {
        c.error(
            &["image"],
            "`image` applies to the libvirt backend only",
            "remove `image`; an imageless host exports `packages.<system>.toplevel` instead",
        );
    }
    if image.disk_size < 1 {
        c.error(
            &["image", "diskSize"],
            format!(
                "the disk size must be a positive number of MiB, not {}",
                image.disk_size
            ),
            "the library's template uses 20480 (20 GiB)",
        );
    }
}

fn check_hash(c: &mut Rules, pkg: &str, form: &str, hash: &str) {
    let sri = ["sha256-", "sha512-", "sha1-"].iter().any(|p| {
        hash.strip_prefix(p).is_some_and(|b64| {
            !b64.is_empty()
                && b64
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '/' | '='))
        })
    });
    if !hash.is_empty() && !sri {
        c.error(
            &["overlays", pkg, form, "hash"],
            format!("`{hash}` is not an SRI hash"),
            "write `sha256-…` as Nix prints it, or leave `hash` out: the first build then \
             fails and prints the right one",
        );
    }
}
