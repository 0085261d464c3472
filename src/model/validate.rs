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
use super::{Host, Overlay, OverlaySource};
use crate::diag::{Diagnostic, Failure};
use crate::nix::escape::{is_identifier, is_path_literal};
use crate::yaml::Node;

/// A host that passed every rule, with its paths resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidHost {
    pub host: Host,
    /// The nixos-flake input URL, with a local path made absolute.
    pub nixos_flake_url: String,
    /// Each overlay's package, resolved source and `clearPatches`, in file order.
    pub overlays: Vec<ResolvedOverlay>,
}

/// One overlay entry, ready to emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedOverlay {
    pub package: String,
    pub source: OverlaySource,
    pub clear_patches: bool,
}

/// Input names nixgen's generated flakes use for themselves.
const RESERVED_INPUTS: [&str; 3] = ["self", "nixpkgs", "nixos-flake"];

struct Checker<'a> {
    doc: &'a Document,
    node: &'a Node,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, path: &[&str], message: impl Into<String>, help: impl Into<String>) {
        let position = self.node.key_position(path);
        self.errors
            .push(self.doc.error_at(position, message).with_help(help));
    }

    fn warn(&mut self, path: &[&str], message: impl Into<String>, help: impl Into<String>) {
        let position = self.node.key_position(path);
        self.warnings.push(
            self.doc
                .error_at(position, message)
                .with_help(help)
                .warning(),
        );
    }
}

/// Checks every rule; returns the resolved host and warnings, or all the errors.
pub fn validate(
    doc: &Document,
    node: &Node,
    host: Host,
) -> Result<(ValidHost, Vec<Diagnostic>), Failure> {
    let mut c = Checker {
        doc,
        node,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let base = doc.base_dir();
    let home = home_dir();

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
    let nixos_flake_url = resolve_flake_url(&mut c, &host.nixos_flake, &base, home.as_deref());

    check_unique(&mut c, "profiles", host.profiles.iter().map(|p| p.as_str()));
    check_unique(
        &mut c,
        "testSuites",
        host.test_suites.iter().map(|p| p.as_str()),
    );

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
            check_unique(
                &mut c,
                "user.extraGroups",
                groups.iter().map(String::as_str),
            );
        }
    }

    check_mounts(&mut c, &host);
    let overlays = check_overlays(&mut c, &host, &base, home.as_deref());

    for (i, p) in host.packages.iter().enumerate() {
        if !p.split('.').all(is_identifier) {
            c.error(
                &["packages", &i.to_string()],
                format!("`{p}` is not a package attribute name"),
                "write the attribute name in `pkgs`, such as `gdb` or `python3Packages.numpy`",
            );
        }
    }
    check_unique(&mut c, "packages", host.packages.iter().map(String::as_str));

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
    check_unique(&mut c, "modules", host.modules.iter().map(String::as_str));

    if c.errors.is_empty() {
        Ok((
            ValidHost {
                host,
                nixos_flake_url,
                overlays,
            },
            c.warnings,
        ))
    } else {
        Err(Failure::new(c.errors))
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

fn check_unique<'a>(c: &mut Checker, key: &str, items: impl Iterator<Item = &'a str>) {
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

fn resolve_flake_url(c: &mut Checker, raw: &str, base: &Path, home: Option<&Path>) -> String {
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

fn check_mount_point(c: &mut Checker, section: &str, mp: &str) {
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

fn check_mounts(c: &mut Checker, host: &Host) {
    let mut tags: HashMap<&str, &str> = HashMap::new();
    for (mp, share) in &host.shares {
        check_mount_point(c, "shares", mp);
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
        if storage.mkfs_args.is_some() && storage.auto_format == Some(true) {
            c.error(
                &["storage", mp, "autoFormat"],
                format!("`mkfsArgs` and `autoFormat` are mutually exclusive (on `{mp}`)"),
                "keep `mkfsArgs` for a custom mkfs, or `autoFormat: true` for NixOS's default \
                 first-mount format, not both (nixos-flake asserts the same)",
            );
        }
    }
}

fn check_overlays(
    c: &mut Checker,
    host: &Host,
    base: &Path,
    home: Option<&Path>,
) -> Vec<ResolvedOverlay> {
    let mut resolved = Vec::new();
    let mut inputs: HashMap<String, String> = HashMap::new();
    for (pkg, overlay) in &host.overlays {
        if !is_identifier(pkg) {
            c.error(
                &["overlays", pkg],
                format!("`{pkg}` is not a package attribute name"),
                "use the package's attribute name in nixpkgs, such as `fio` or `xfstests`",
            );
            continue;
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
                "give exactly one of `src` (a local checkout), `github` or `git`",
            );
            continue;
        }
        if input.is_some() && src.is_none() {
            c.error(
                &["overlays", pkg, "input"],
                "`input` only applies to a local `src`",
                "remove `input`; `github` and `git` sources are fetched in the overlay",
            );
            continue;
        }
        let source = if let Some(src) = src {
            let name = input.clone().unwrap_or_else(|| format!("{pkg}-src"));
            if !is_identifier(&name) {
                c.error(
                    &[
                        "overlays",
                        pkg,
                        if input.is_some() { "input" } else { "src" },
                    ],
                    format!("input name `{name}` is not a valid Nix identifier"),
                    "use letters, digits, `_`, `-` and `'`, starting with a letter",
                );
                continue;
            }
            if RESERVED_INPUTS.contains(&name.as_str()) {
                c.error(
                    &["overlays", pkg, "input"],
                    format!("input name `{name}` is taken by the flake itself"),
                    "choose another name, such as `<package>-src`",
                );
                continue;
            }
            if let Some(first) = inputs.insert(name.clone(), pkg.clone()) {
                c.error(
                    &[
                        "overlays",
                        pkg,
                        if input.is_some() { "input" } else { "src" },
                    ],
                    format!("input `{name}` is already used by overlay `{first}`"),
                    "input names must be unique: set `input:` to another name",
                );
                continue;
            }
            let Some(abs) = resolve_local(src, base, home) else {
                c.error(
                    &["overlays", pkg, "src"],
                    "`~` or `$HOME` is used but HOME is not set",
                    "write an absolute path",
                );
                continue;
            };
            if !abs.exists() {
                c.warn(
                    &["overlays", pkg, "src"],
                    format!("local source `{}` does not exist", abs.display()),
                    "Nix will fail to fetch it until the checkout is there",
                );
            }
            OverlaySource::Input {
                input: name,
                url: format!("path:{}", abs.display()),
            }
        } else if let Some(g) = github {
            for (key, value) in [("owner", &g.owner), ("repo", &g.repo), ("rev", &g.rev)] {
                if value.is_empty() {
                    c.error(
                        &["overlays", pkg, "github", key],
                        format!("`github.{key}` is empty"),
                        "fill it in",
                    );
                }
            }
            check_hash(c, pkg, "github", &g.hash);
            OverlaySource::GitHub {
                owner: g.owner.clone(),
                repo: g.repo.clone(),
                rev: g.rev.clone(),
                hash: g.hash.clone(),
            }
        } else if let Some(g) = git {
            for (key, value) in [("url", &g.url), ("rev", &g.rev)] {
                if value.is_empty() {
                    c.error(
                        &["overlays", pkg, "git", key],
                        format!("`git.{key}` is empty"),
                        "fill it in",
                    );
                }
            }
            check_hash(c, pkg, "git", &g.hash);
            OverlaySource::Git {
                url: g.url.clone(),
                rev: g.rev.clone(),
                hash: g.hash.clone(),
            }
        } else {
            unreachable!("exactly one form was checked above")
        };
        resolved.push(ResolvedOverlay {
            package: pkg.clone(),
            source,
            clear_patches: *clear_patches,
        });
    }
    resolved
}

fn check_hash(c: &mut Checker, pkg: &str, form: &str, hash: &str) {
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
