//! Running Nix on a configuration flake and mapping its errors back to the host description.
//!
//! `nixgen check` asks a real `nix` for `nixosConfigurations.<name>.config.system.build.toplevel.drvPath`
//! of every configuration: that forces the module system, every assertion and every input, but
//! builds nothing. The flake is addressed as `path:<absolute dir>` (a bare `.` in a git work
//! tree would only see tracked files), evaluated `--offline` (Nix then uses what it has cached
//! and downloads only what is missing) and with `--no-write-lock-file` (a check writes
//! nothing). A `flake.lock` is trusted for what it pins, except `path:` inputs: Nix re-uses the
//! store copy that a lock's `narHash` names even after the directory changed, so a stale lock
//! would silently evaluate an old checkout. Every `path:` input of the lock is therefore passed
//! to `--update-input`, and a note says when the lock was behind. (Nix itself re-locks inputs
//! whose URL changed in `flake.nix`, so a lock older than `flake.nix` needs nothing more.)
//! Nix's own error text is kept as Nix printed it; known failures (nixos-flake's storage
//! assertion, an undeclared input, a missing local source, an unknown option, a missing
//! backend) are also turned into [`Diagnostic`]s that point at the key of the `host.yaml`
//! beside the flake, when there is one.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::diag::{did_you_mean, Diagnostic, Failure, Position, Result};
use crate::model::load::{self, Document};
use crate::model::paths::{home_dir, looks_local, normalize, resolve_local};
use crate::nix::escape;
use crate::yaml::Node;

/// The attribute evaluated for each configuration, below `nixosConfigurations.<name>`.
pub const TOPLEVEL: &str = "config.system.build.toplevel.drvPath";

/// What `nixgen check` says when Nix is missing.
pub fn nix_missing() -> Diagnostic {
    Diagnostic::error("nixgen check needs Nix, and `nix` is not on PATH").with_help(
        "install Nix 2.8 or later (Debian: `apt-get install nix-bin`) and run the check again",
    )
}

/// The executable `nix` in a PATH-like list of directories. Looked up here, not left to the
/// OS, so that a missing Nix gets a plain message instead of an I/O error.
pub fn find_nix(path_var: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .map(|dir| dir.join("nix"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// True for characters Nix 2.8 accepts, undecoded, in a `path:` URL. It neither decodes
/// `%XX` in such paths nor accepts spaces, `#`, `?` or non-ASCII, so a directory whose
/// path needs them cannot be evaluated through a URL at all (and a symlink does not help:
/// Nix refuses a `flake.nix` that escapes the copied source).
fn url_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/".contains(c)
}

/// The directory of the flake to check: `dir` itself, or the parent of a `flake.nix` given
/// directly; absolute and with symlinks resolved so the URL is stable.
pub fn flake_dir(dir: &Path) -> Result<PathBuf> {
    let dir = if dir.file_name() == Some(OsStr::new("flake.nix")) && dir.is_file() {
        dir.parent().unwrap_or(Path::new("."))
    } else {
        dir
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let absolute = dir.canonicalize().map_err(|e| {
        Diagnostic::in_file(dir, format!("cannot open the flake directory: {e}"))
            .with_help("give the directory that holds flake.nix")
    })?;
    if !absolute.join("flake.nix").is_file() {
        return Err(Diagnostic::in_file(dir, "there is no flake.nix in this directory")
            .with_help("run `nixgen generate` to write one from host.yaml, or give the flake's directory")
            .into());
    }
    Ok(absolute)
}

/// `path:<dir>`, or a diagnostic when Nix could not parse that URL.
pub fn flake_url(dir: &Path) -> Result<String> {
    let text = dir.to_string_lossy();
    if let Some(bad) = text.chars().find(|c| !url_safe(*c)) {
        return Err(Diagnostic::in_file(
            dir,
            format!("Nix cannot address this directory as a `path:` URL: it contains {bad:?}"),
        )
        .with_help("move or copy the flake to a path of ASCII letters, digits and `-._~/`")
        .into());
    }
    Ok(format!("path:{text}"))
}

/// The input paths (`fio-src`, `nixos-flake/nixpkgs`) of every `path:` input a `flake.lock`
/// pins. Anything unreadable yields nothing: Nix reports a broken lock better than we can.
pub fn path_inputs_in_lock(lock_json: &str) -> Vec<String> {
    let Ok(lock) = serde_json::from_str::<serde_json::Value>(lock_json) else {
        return Vec::new();
    };
    let nodes = &lock["nodes"];
    let root = lock["root"].as_str().unwrap_or("root");
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    walk_lock(nodes, root, "", &mut seen, &mut found);
    found
}

/// Depth-first over the inputs of lock node `key`; `follows` entries (lists) are someone
/// else's input and are skipped, and each node is visited once, so cycles end.
fn walk_lock(
    nodes: &serde_json::Value,
    key: &str,
    prefix: &str,
    seen: &mut HashSet<String>,
    found: &mut Vec<String>,
) {
    let Some(inputs) = nodes[key]["inputs"].as_object() else {
        return;
    };
    for (name, target) in inputs {
        let Some(child) = target.as_str() else {
            continue;
        };
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let node = &nodes[child];
        let is_path = ["original", "locked"]
            .iter()
            .any(|k| node[k]["type"].as_str() == Some("path"));
        if is_path {
            found.push(path.clone());
        }
        if seen.insert(child.to_owned()) {
            walk_lock(nodes, child, &path, seen, found);
        }
    }
}

/// What one Nix run printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NixRun {
    pub success: bool,
    pub stdout: String,
    /// Nix's stderr without the lock-file report that `--no-write-lock-file` causes.
    pub stderr: String,
    /// Inputs whose lock entry Nix had to update (the `• Updated input 'x'` lines).
    pub updated_inputs: Vec<String>,
}

/// Drops the "not writing modified lock file" block (it only restates what the check
/// deliberately does) and remembers which inputs it says were updated.
pub fn tidy_stderr(stderr: &str) -> (String, Vec<String>) {
    let mut kept = Vec::new();
    let mut updated = Vec::new();
    let mut in_block = false;
    for line in stderr.lines() {
        if line.starts_with("warning: not writing modified lock file") {
            in_block = true;
            continue;
        }
        if in_block && (line.starts_with("• ") || line.starts_with("  ")) {
            if let Some(rest) = line.strip_prefix("• Updated input '") {
                if let Some(name) = rest.split('\'').next() {
                    updated.push(name.to_owned());
                }
            }
            continue;
        }
        in_block = false;
        kept.push(line);
    }
    let mut text = kept.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    (text, updated)
}

/// How to run Nix on one flake.
#[derive(Debug, Clone)]
pub struct Evaluator {
    pub nix: PathBuf,
    pub flake_url: String,
    /// `--override-input INPUT URL` pairs, passed as they are.
    pub overrides: Vec<(String, String)>,
    /// `path:` inputs of the lock, refreshed with `--update-input`.
    pub refresh: Vec<String>,
}

impl Evaluator {
    /// The arguments after `nix`, for `nix eval --json <flake>#<attr> [--apply <apply>]`.
    pub fn args(&self, attr: &str, apply: Option<&str>) -> Vec<String> {
        let mut args: Vec<String> = [
            "--extra-experimental-features",
            "nix-command flakes",
            "eval",
            "--json",
            "--offline",
            "--no-write-lock-file",
            "--option",
            "eval-cache",
            "false",
        ]
        .map(str::to_owned)
        .to_vec();
        for input in &self.refresh {
            args.extend(["--update-input".to_owned(), input.clone()]);
        }
        for (input, url) in &self.overrides {
            args.extend(["--override-input".to_owned(), input.clone(), url.clone()]);
        }
        if let Some(apply) = apply {
            args.extend(["--apply".to_owned(), apply.to_owned()]);
        }
        args.push(format!("{}#{attr}", self.flake_url));
        args
    }

    /// Runs `nix eval`; only failing to start Nix at all is an error here, Nix's own
    /// failures are a [`NixRun`] with `success == false`.
    pub fn eval(&self, attr: &str, apply: Option<&str>) -> Result<NixRun> {
        let output = Command::new(&self.nix)
            .args(self.args(attr, apply))
            .output()
            .map_err(|e| {
                Diagnostic::error(format!("cannot run {}: {e}", self.nix.display()))
                    .with_help("check the Nix installation (`nix --version`)")
            })?;
        let (stderr, updated_inputs) = tidy_stderr(&String::from_utf8_lossy(&output.stderr));
        Ok(NixRun {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
            updated_inputs,
        })
    }

    /// The names of `nixosConfigurations`, or Nix's failure.
    pub fn configurations(&self) -> Result<std::result::Result<(Vec<String>, NixRun), NixRun>> {
        let run = self.eval("nixosConfigurations", Some("builtins.attrNames"))?;
        if !run.success {
            return Ok(Err(run));
        }
        match serde_json::from_str::<Vec<String>>(run.stdout.trim()) {
            Ok(names) => Ok(Ok((names, run))),
            Err(e) => Err(Diagnostic::error(format!(
                "Nix printed something other than a list of names ({e}): {}",
                run.stdout.trim()
            ))
            .into()),
        }
    }

    /// The toplevel drvPath of configuration `name`, or Nix's failure. The name goes through
    /// `--apply` as a Nix string, so names with dots or quotes need no attribute-path quoting.
    pub fn toplevel(&self, name: &str) -> Result<std::result::Result<(String, NixRun), NixRun>> {
        let apply = format!(
            "cs: (builtins.getAttr {} cs).{TOPLEVEL}",
            escape::string(name)
        );
        let run = self.eval("nixosConfigurations", Some(&apply))?;
        if !run.success {
            return Ok(Err(run));
        }
        match serde_json::from_str::<String>(run.stdout.trim()) {
            Ok(drv) => Ok(Ok((drv, run))),
            Err(e) => Err(Diagnostic::error(format!(
                "Nix printed something other than a store path ({e}): {}",
                run.stdout.trim()
            ))
            .into()),
        }
    }
}

/// A failure that nixgen recognises in Nix's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// nixos-flake's assertion: `mkfsArgs` and `autoFormat` on one mount point.
    StorageExclusive { mount_point: String },
    /// `inputs.<name>` used but not declared (`attribute '<name>' missing`).
    UndeclaredInput {
        name: String,
        suggestions: Vec<String>,
    },
    /// The outputs function lacks a required argument: an input that is not declared.
    MissingArgument { name: String },
    /// A `path:` input (or other local path) that does not exist.
    MissingPath { path: PathBuf },
    /// An option that no module declares, as a path of names.
    UnknownOption { option: Vec<String> },
    /// An option given a value of the wrong type.
    WrongType { option: Vec<String> },
    /// No backend: the stand-in's / nixos-flake's stateVersion assertion.
    NoBackend,
    /// Nix needed the network for an input.
    Download { url: String },
}

/// Every known failure in Nix's error text, in the order Nix printed them.
pub fn findings(stderr: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, line) in stderr.lines().enumerate() {
        if let Some(f) = line_finding(line, stderr, i) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

/// The finding on one line of Nix's stderr (`all` and `index` give context for the
/// "Did you mean" line and the source excerpt of an undeclared input).
fn line_finding(line: &str, all: &str, index: usize) -> Option<Finding> {
    if let Some(at) = line.find(": mkfsArgs and autoFormat are mutually exclusive") {
        let head = &line[..at];
        let start = head.find("nixos-flake.storage.")? + "nixos-flake.storage.".len();
        let (mount_point, _) = unquote(&head[start..])?;
        return Some(Finding::StorageExclusive { mount_point });
    }
    if line.contains("system.stateVersion is not set") {
        return Some(Finding::NoBackend);
    }
    if let Some(rest) = after(line, "getting status of '") {
        let path = rest.split("': No such file or directory").next()?;
        if rest.contains("': No such file or directory") {
            return Some(Finding::MissingPath {
                path: PathBuf::from(path),
            });
        }
    }
    if let Some(rest) = after(line, "The option `") {
        if rest.contains("' does not exist") {
            let option = option_path(rest.split("' does not exist").next()?)?;
            return Some(Finding::UnknownOption { option });
        }
    }
    if let Some(rest) = after(line, "A definition for option `") {
        let option = option_path(rest.split("' is not of type").next()?)?;
        return Some(Finding::WrongType { option });
    }
    if let Some(rest) = after(line, "called without required argument '") {
        let name = rest.split('\'').next()?.to_owned();
        return Some(Finding::MissingArgument { name });
    }
    if let Some(rest) = after(line, "attribute '") {
        let name = rest.strip_suffix("' missing")?;
        if !mentions_input(all, name) {
            return None;
        }
        let suggestions = all
            .lines()
            .skip(index + 1)
            .find_map(|l| after(l.trim_start(), "Did you mean "))
            .map(split_suggestions)
            .unwrap_or_default();
        return Some(Finding::UndeclaredInput {
            name: name.to_owned(),
            suggestions,
        });
    }
    if let Some(rest) = after(line, "unable to download '") {
        if !line.starts_with("warning:") {
            return Some(Finding::Download {
                url: rest.split('\'').next()?.to_owned(),
            });
        }
    }
    None
}

/// True when `text` reads `inputs.<name>` (bare or quoted) with `name` ending there: Nix's
/// source excerpt shows it for an undeclared input, and not for a missing package.
fn mentions_input(text: &str, name: &str) -> bool {
    let quoted = format!("inputs.{}", escape::string(name));
    let bare = format!("inputs.{name}");
    text.contains(&quoted)
        || text.match_indices(&bare).any(|(i, m)| {
            !text[i + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || "_'-".contains(c))
        })
}

/// The text after the first `marker` in `line`.
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|i| &line[i + marker.len()..])
}

/// `fio-src?` / `one of a, b or c?` as names.
fn split_suggestions(text: &str) -> Vec<String> {
    let text = text.trim().trim_end_matches('?');
    let text = text.strip_prefix("one of ").unwrap_or(text);
    text.split([',', ' '])
        .filter(|w| !w.is_empty() && *w != "or")
        .map(str::to_owned)
        .collect()
}

/// A quoted attribute name at the start of `text` (JSON quoting, as nixpkgs' `showOption`
/// and nixos-flake's messages use, or Nix quoting with `\$`): its value and the rest.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 2..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    'u' => {
                        let hex: String =
                            (0..4).filter_map(|_| chars.next().map(|x| x.1)).collect();
                        value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => value.push(other),
                }
            }
            c => value.push(c),
        }
    }
    None
}

/// `nixos-flake.storage."/mnt/x".fstype` as `["nixos-flake", "storage", "/mnt/x", "fstype"]`.
fn option_path(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with('"') {
            let (name, tail) = unquote(rest)?;
            parts.push(name);
            rest = tail;
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            parts.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    (!parts.is_empty()).then_some(parts)
}

/// The host description beside a flake, with one located tree per configuration.
#[derive(Debug, Clone)]
pub struct Described {
    pub doc: Document,
    /// Configuration name and its tree (merged with `defaults` for a fleet when it is valid).
    pub hosts: Vec<(String, Node)>,
}

/// Reads `<dir>/host.yaml` when it exists. A description that does not validate still maps:
/// the raw tree has the keys, only fleet defaults are then not merged in.
pub fn describe(dir: &Path) -> std::result::Result<Option<Described>, Failure> {
    let path = dir.join("host.yaml");
    if !path.is_file() {
        return Ok(None);
    }
    let doc = load::read(&path)?;
    let hosts = if doc.is_fleet() {
        match load::hosts(&doc) {
            Ok(hosts) => hosts
                .into_iter()
                .map(|h| (h.host.host.name.clone(), h.node))
                .collect(),
            Err(_) => raw_fleet_entries(&doc),
        }
    } else {
        let name = doc.root.get("name").and_then(Node::as_str).unwrap_or("");
        vec![(name.to_owned(), doc.root.clone())]
    };
    Ok(Some(Described { doc, hosts }))
}

fn raw_fleet_entries(doc: &Document) -> Vec<(String, Node)> {
    doc.root
        .get("configurations")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.clone())))
        .collect()
}

/// Where `path` is written in `node`, only when every key of it exists.
fn exact(node: &Node, path: &[&str]) -> Option<Position> {
    let mut current = node;
    let mut position = None;
    for key in path {
        let (k, v) = current.entry(key)?;
        position = Some(k.position);
        current = v;
    }
    position
}

/// Where `path` is written, or its closest existing ancestor, but never the file's root:
/// a key the description does not have at all is not a place to point at.
fn nearest(node: &Node, path: &[&str]) -> Option<Position> {
    node.entry(path.first()?)?;
    Some(node.key_position(path))
}

/// One `src` overlay of a tree: package, input name and the directory it resolves to.
struct LocalOverlay {
    package: String,
    input: String,
    explicit_input: bool,
    dir: Option<PathBuf>,
}

fn local_overlays(doc: &Document, node: &Node) -> Vec<LocalOverlay> {
    let home = home_dir();
    let base = doc.base_dir();
    node.get("overlays")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| {
            let package = k.as_str()?.to_owned();
            let src = v.get("src")?.as_str()?;
            let explicit = v.get("input").and_then(Node::as_str);
            Some(LocalOverlay {
                input: explicit.map_or_else(|| format!("{package}-src"), str::to_owned),
                explicit_input: explicit.is_some(),
                dir: resolve_local(src, &base, home.as_deref()),
                package,
            })
        })
        .collect()
}

/// The directory a local `nixosFlake` names, if it is local.
fn local_nixos_flake(doc: &Document, node: &Node) -> Option<PathBuf> {
    let raw = node.get("nixosFlake")?.as_str()?;
    let rest = raw.strip_prefix("path:");
    let path = rest.unwrap_or(raw).split('?').next()?;
    if rest.is_none() && !looks_local(path) {
        return None;
    }
    resolve_local(path, &doc.base_dir(), home_dir().as_deref())
}

/// The YAML key path an option of nixos-flake (or NixOS) comes from.
fn yaml_path_of_option(option: &[String]) -> Option<Vec<&str>> {
    let parts: Vec<&str> = option.iter().map(String::as_str).collect();
    match parts.as_slice() {
        ["nixos-flake", "storage", rest @ ..] => Some([&["storage"], rest].concat()),
        ["nixos-flake", "shares", rest @ ..] => Some([&["shares"], rest].concat()),
        ["nixos-flake", "user", rest @ ..] => Some([&["user"], rest].concat()),
        ["nixos-flake", "controller", ..] => Some(vec!["profiles"]),
        ["networking", "hostName", ..] => Some(vec!["hostName"]),
        ["environment", "systemPackages", ..] => Some(vec!["packages"]),
        ["nixpkgs", "overlays", ..] => Some(vec!["overlays"]),
        _ => None,
    }
}

/// The option names the YAML can set at the level of `yaml_path` (for "did you mean").
fn known_keys(yaml_path: &[&str]) -> &'static [&'static str] {
    match yaml_path {
        ["storage", _, ..] => &["device", "fsType", "options", "mkfsArgs", "autoFormat"],
        ["shares", _, ..] => &["tag", "options"],
        ["user", ..] => &["name", "extraGroups"],
        _ => &[],
    }
}

const REGENERATE: &str =
    "`nixgen generate --dry-run` shows how flake.nix differs from host.yaml; `nixgen generate` brings it back in line";

impl Described {
    /// The tree of configuration `name`, if the description has it.
    pub fn host(&self, name: &str) -> Option<&Node> {
        self.hosts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node)
    }

    /// Diagnostics at the YAML keys behind Nix's failure, for configuration `name` (or, when
    /// `None`, a failure of the whole flake: any configuration of the description may apply).
    pub fn map(&self, name: Option<&str>, findings: &[Finding]) -> Vec<Diagnostic> {
        let nodes: Vec<&Node> = match name {
            Some(n) => self.host(n).into_iter().collect(),
            None => self.hosts.iter().map(|(_, node)| node).collect(),
        };
        let mut out: Vec<Diagnostic> = Vec::new();
        for finding in findings {
            if let Some(d) = nodes.iter().find_map(|node| self.map_one(node, finding)) {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
        out
    }

    fn map_one(&self, node: &Node, finding: &Finding) -> Option<Diagnostic> {
        match finding {
            Finding::StorageExclusive { mount_point } => self.storage_exclusive(node, mount_point),
            Finding::UndeclaredInput { name, suggestions } => {
                self.undeclared_input(node, name, suggestions)
            }
            Finding::MissingArgument { name } => self.missing_argument(node, name),
            Finding::MissingPath { path } => self.missing_path(node, path),
            Finding::UnknownOption { option } => self.unknown_option(node, option),
            Finding::WrongType { option } => self.wrong_type(node, option),
            Finding::NoBackend => self.no_backend(node),
            Finding::Download { .. } => None,
        }
    }

    fn storage_exclusive(&self, node: &Node, mount_point: &str) -> Option<Diagnostic> {
        let mkfs = exact(node, &["storage", mount_point, "mkfsArgs"]);
        let auto = exact(node, &["storage", mount_point, "autoFormat"]);
        let position = mkfs
            .or(auto)
            .or_else(|| nearest(node, &["storage", mount_point]))?;
        let message = format!(
            "storage `{mount_point}`: nixos-flake refuses `mkfsArgs` together with `autoFormat`"
        );
        let help = if mkfs.is_some() && auto.is_some() {
            "keep `mkfsArgs` for a custom pre-mount mkfs, or `autoFormat: true` for NixOS's own formatting, not both".to_owned()
        } else {
            format!("host.yaml does not set both, so flake.nix was edited by hand; {REGENERATE}")
        };
        Some(self.doc.error_at(position, message).with_help(help))
    }

    fn undeclared_input(
        &self,
        node: &Node,
        name: &str,
        suggestions: &[String],
    ) -> Option<Diagnostic> {
        let overlays = local_overlays(&self.doc, node);
        if let Some(o) = overlays.iter().find(|o| o.input == name) {
            let message = format!(
                "flake.nix uses input `{name}` for overlay `{}` but does not declare it",
                o.package
            );
            let help = format!(
                "run `nixgen generate` to add `inputs.{name}` (a `flake = false` input for the local source)"
            );
            return Some(
                self.doc
                    .error_at(self.overlay_key(node, o)?, message)
                    .with_help(help),
            );
        }
        let names: Vec<&str> = overlays.iter().map(|o| o.input.as_str()).collect();
        let close = suggestions
            .iter()
            .find(|s| names.contains(&s.as_str()))
            .map(String::as_str)
            .or_else(|| did_you_mean(name, &names))?;
        let o = overlays.iter().find(|o| o.input == close)?;
        let message = format!(
            "flake.nix uses an undeclared input `{name}`; overlay `{}` of host.yaml uses `{close}`",
            o.package
        );
        let help = format!("correct `inputs.{name}` in flake.nix; {REGENERATE}");
        Some(
            self.doc
                .error_at(self.overlay_key(node, o)?, message)
                .with_help(help),
        )
    }

    /// The key that names an overlay's input: `input:` when written, else `src:`.
    fn overlay_key(&self, node: &Node, o: &LocalOverlay) -> Option<Position> {
        let key = if o.explicit_input { "input" } else { "src" };
        exact(node, &["overlays", &o.package, key])
            .or_else(|| nearest(node, &["overlays", &o.package]))
    }

    fn missing_argument(&self, node: &Node, name: &str) -> Option<Diagnostic> {
        if name == "nixos-flake" {
            let position =
                nearest(node, &["nixosFlake"]).or_else(|| nearest(node, &["backend"]))?;
            return Some(
                self.doc
                    .error_at(
                        position,
                        "flake.nix does not declare the `nixos-flake` input",
                    )
                    .with_help(format!(
                        "every configuration needs `inputs.nixos-flake.url`; {REGENERATE}"
                    )),
            );
        }
        self.undeclared_input(node, name, &[])
    }

    fn missing_path(&self, node: &Node, path: &Path) -> Option<Diagnostic> {
        let wanted = normalize(path);
        let overlays = local_overlays(&self.doc, node);
        if let Some(o) = overlays.iter().find(|o| o.dir.as_deref() == Some(&wanted)) {
            let position = exact(node, &["overlays", &o.package, "src"])?;
            let message = format!(
                "the local source of overlay `{}` does not exist: {}",
                o.package,
                wanted.display()
            );
            return Some(self.doc.error_at(position, message).with_help(
                "check the source out there, or point `src` at the checkout (Nix reads `path:` inputs from disk)",
            ));
        }
        if local_nixos_flake(&self.doc, node).as_deref() == Some(&wanted) {
            let position = exact(node, &["nixosFlake"])?;
            let message = format!("the local nixos-flake does not exist: {}", wanted.display());
            return Some(self.doc.error_at(position, message).with_help(
                "clone linux-kdevops/nixos-flake there, or point `nixosFlake` at your checkout",
            ));
        }
        None
    }

    fn unknown_option(&self, node: &Node, option: &[String]) -> Option<Diagnostic> {
        let yaml_path = yaml_path_of_option(option)?;
        let position = nearest(node, &yaml_path)?;
        let shown = option_text(option);
        let message = format!("flake.nix sets `{shown}`, which no module declares");
        let last = option.last().map(String::as_str).unwrap_or("");
        let help = match did_you_mean(last, known_keys(&yaml_path)) {
            Some(s) if s != last => format!("did you mean `{s}`? {REGENERATE}"),
            _ => REGENERATE.to_owned(),
        };
        Some(self.doc.error_at(position, message).with_help(help))
    }

    fn wrong_type(&self, node: &Node, option: &[String]) -> Option<Diagnostic> {
        let yaml_path = yaml_path_of_option(option)?;
        let position = nearest(node, &yaml_path)?;
        let message = format!(
            "flake.nix gives `{}` a value of the wrong type",
            option_text(option)
        );
        Some(self.doc.error_at(position, message).with_help(REGENERATE))
    }

    fn no_backend(&self, node: &Node) -> Option<Diagnostic> {
        let position = nearest(node, &["backend"])?;
        let backend = node
            .get("backend")
            .and_then(Node::as_str)
            .unwrap_or("imageless");
        let message =
            format!("flake.nix does not import a nixos-flake backend (host.yaml says `{backend}`)");
        let help = format!(
            "add `nixos-flake.nixosModules.backends.{backend}` to the configuration's modules; {REGENERATE}"
        );
        Some(self.doc.error_at(position, message).with_help(help))
    }
}

/// An option path written the way NixOS writes it.
fn option_text(option: &[String]) -> String {
    option
        .iter()
        .map(|p| escape::attr_name(p))
        .collect::<Vec<_>>()
        .join(".")
}

/// Advice that needs no host description: Nix could not reach the network.
pub fn generic_advice(findings: &[Finding]) -> Vec<Diagnostic> {
    findings
        .iter()
        .filter_map(|f| match f {
            Finding::Download { url } => Some(
                Diagnostic::error(format!("Nix could not download {url}"))
                    .with_help("nixgen check runs Nix --offline: it uses what Nix has cached. Fetch the input once with the network, or point it at a local checkout with `--override-input INPUT path:/abs/dir`"),
            ),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_assertion_is_recognised() {
        let err = "error:\n       Failed assertions:\n       - nixos-flake.storage.\"/mnt/nvme0\": mkfsArgs and autoFormat are mutually exclusive; set ...\n";
        assert_eq!(
            findings(err),
            vec![Finding::StorageExclusive {
                mount_point: "/mnt/nvme0".into()
            }]
        );
    }

    #[test]
    fn option_paths_unquote_names() {
        assert_eq!(
            option_path(r#"nixos-flake.storage."/mnt/a.b \"q\"".fstype"#).unwrap(),
            vec!["nixos-flake", "storage", "/mnt/a.b \"q\"", "fstype"]
        );
        assert_eq!(
            option_path("networking.hostname").unwrap(),
            vec!["networking", "hostname"]
        );
    }

    #[test]
    fn undeclared_input_needs_an_inputs_reference() {
        let err = "error: attribute 'fio-srcx' missing\n\n       at /nix/store/x-source/flake.nix:75:25:\n\n           75|   src = inputs.fio-srcx;\n       Did you mean fio-src?\n";
        assert_eq!(
            findings(err),
            vec![Finding::UndeclaredInput {
                name: "fio-srcx".into(),
                suggestions: vec!["fio-src".into()]
            }]
        );
        assert!(findings("error: attribute 'gdbx' missing\n  at pkgs.gdbx\n").is_empty());
    }

    #[test]
    fn lock_path_inputs_are_found_through_nesting() {
        let lock = r#"{"nodes":{"root":{"inputs":{"fio-src":"fio-src","nixos-flake":"nf","nixpkgs":["nixos-flake","nixpkgs"]}},
          "fio-src":{"locked":{"type":"path","path":"/x"},"original":{"type":"path","path":"/x"},"flake":false},
          "nf":{"inputs":{"nixpkgs":"np"},"locked":{"type":"github"},"original":{"type":"github"}},
          "np":{"locked":{"type":"path"},"original":{"type":"path"}}},"root":"root","version":7}"#;
        assert_eq!(
            path_inputs_in_lock(lock),
            vec!["fio-src", "nixos-flake/nixpkgs"]
        );
        assert!(path_inputs_in_lock("not json").is_empty());
    }

    #[test]
    fn lock_file_report_is_dropped_and_updates_remembered() {
        let stderr = "warning: not writing modified lock file of flake 'path:/x':\n• Updated input 'fio-src':\n    'path:/a' (2026)\n  → 'path:/a' (2026)\n• Added input 'nixpkgs':\n    follows 'nixos-flake/nixpkgs'\nerror: boom\n";
        let (text, updated) = tidy_stderr(stderr);
        assert_eq!(text, "error: boom\n");
        assert_eq!(updated, vec!["fio-src"]);
    }

    #[test]
    fn urls_refuse_what_nix_cannot_parse() {
        for (dir, bad) in [("/tmp/a b", "' '"), ("/tmp/é", "'é'")] {
            let e = flake_url(Path::new(dir)).unwrap_err().to_string();
            assert!(
                e.contains(&format!(
                    "cannot address this directory as a `path:` URL: it contains {bad}"
                )),
                "{e}"
            );
        }
        assert_eq!(
            flake_url(Path::new("/tmp/a-b_c.d")).unwrap(),
            "path:/tmp/a-b_c.d"
        );
    }
}
