//! Reading host and fleet files: bytes to validated hosts, or diagnostics with positions.
//!
//! A file is a fleet when it has a top-level `configurations` key, and a single host otherwise.
//! For a fleet, `defaults` is merged into each configuration on the located tree (so an error
//! in a default points into `defaults`), the configuration's key becomes its `name`, and each
//! result goes through the same deserialization and validation as a single host file. The
//! errors of all configurations are collected, and one that every configuration inherits from
//! `defaults` is reported once.

use std::path::{Path, PathBuf};

use super::validate::{validate, ValidHost};
use super::{Fleet, Host};
use crate::diag::{Diagnostic, Failure, Position, Result};
use crate::yaml::{self, de, Node, Value};

/// Largest description file read, in bytes (16 MiB; a fleet of thousands of hosts is far below
/// this). Larger files are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A description file as read: its path, text and located tree.
#[derive(Debug, Clone)]
pub struct Document {
    /// The path as the caller gave it (relative or absolute); diagnostics name the file by it.
    pub path: PathBuf,
    /// The whole file, decoded as UTF-8; diagnostics quote their source line from it.
    pub text: String,
    /// The parsed document: always a map with at least one key ([`parse`] refuses the rest).
    pub root: Node,
}

impl Document {
    /// A diagnostic at `position` of this file.
    pub fn error_at(&self, position: Position, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(&self.path, &self.text, position, message)
    }

    /// True for a fleet file (a top-level `configurations` key).
    pub fn is_fleet(&self) -> bool {
        self.root.get("configurations").is_some()
    }

    /// The directory local paths in this file are relative to: the file's directory (`.` for
    /// a bare file name), made absolute but with symlinks left unresolved.
    pub fn base_dir(&self) -> PathBuf {
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
    }
}

/// Reads and parses a description file. Files larger than [`MAX_FILE_BYTES`] are refused
/// without being read; see [`parse`] for what else is refused.
pub fn read(path: &Path) -> Result<Document> {
    if path == Path::new("-") {
        // Standard input: named `<stdin>` in messages; relative paths resolve against the
        // current directory.
        use std::io::Read;
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Diagnostic::error(format!("cannot read standard input: {e}")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(Diagnostic::error(format!(
                "standard input holds more than {MAX_FILE_BYTES} bytes; descriptions that large are refused"
            ))
            .into());
        }
        return parse(Path::new("<stdin>"), bytes);
    }
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostic::in_file(path, format!("cannot read the file: {e}"))
            .with_help("check the path; `nixgen init` writes a host.yaml to start from")
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::in_file(
            path,
            format!(
                "the file is {} bytes; descriptions larger than {MAX_FILE_BYTES} bytes are refused",
                meta.len()
            ),
        )
        .into());
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::in_file(path, format!("cannot read the file: {e}")))?;
    parse(path, bytes)
}

/// Parses description bytes that were read from `path` (which only names the file in
/// diagnostics). Refuses bytes that are not UTF-8, invalid YAML, a document with no keys and a
/// top level that is not a map, each with a diagnostic at the offending position.
pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Document> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        Diagnostic::at(
            path,
            &prefix,
            Position::of_offset(&prefix, valid),
            "the file is not valid UTF-8",
        )
        .with_help("save the file as UTF-8 text")
    })?;
    let root = yaml::parse(&text).map_err(|e| {
        Diagnostic::at(
            path,
            &text,
            e.position,
            format!("invalid YAML: {}", e.message),
        )
    })?;
    if root.is_null() || root.as_map().is_some_and(|m| m.is_empty()) {
        // An empty file, a file of comments, `---` or `{}`: "missing key `name`" would send
        // the user looking for a map that is not there.
        return Err(Diagnostic::at(
            path,
            &text,
            Position { line: 1, column: 1 },
            "the file describes nothing: it has no keys",
        )
        .with_help(
            "a host needs at least `name:` and `backend:`; `nixgen init` writes a commented \
             one, and `nixgen schema` lists every key",
        )
        .into());
    }
    if root.as_map().is_none() {
        return Err(Diagnostic::at(
            path,
            &text,
            root.position,
            format!(
                "expected a map of keys at the top level, found {}",
                root.kind()
            ),
        )
        .with_help("start with `name:` and `backend:` (see `nixgen schema`)")
        .into());
    }
    Ok(Document {
        path: path.to_path_buf(),
        text,
        root,
    })
}

fn de_error(doc: &Document, e: de::Error) -> Diagnostic {
    let d = doc.error_at(e.position.unwrap_or(doc.root.position), e.message);
    match e.help {
        Some(help) => d.with_help(help),
        None => d,
    }
}

/// One host of a document, validated; `node` is the (merged) tree it came from.
#[derive(Debug, Clone)]
pub struct LoadedHost {
    /// The host after deserialization and validation.
    pub host: ValidHost,
    /// The tree the host was read from, kept for positions of later diagnostics. For a fleet
    /// configuration it is the merge of `defaults` and the entry, with a `name` key added (its
    /// position is the configuration's key); for a host file, the document's root.
    pub node: Node,
    /// Non-fatal findings (a local source that does not exist yet, ...). In a fleet, a
    /// warning an earlier configuration already carries is not repeated.
    pub warnings: Vec<Diagnostic>,
}

/// Warnings for `modules` entries that do not exist yet relative to `flake_dir`, where the flake
/// that imports them is written (module paths are relative to the flake, not to the YAML).
pub fn missing_modules(doc: &Document, host: &LoadedHost, flake_dir: &Path) -> Vec<Diagnostic> {
    host.host
        .host
        .modules
        .iter()
        .enumerate()
        // (Absolute paths never get here: validation refuses them.)
        .filter(|(_, m)| !flake_dir.join(m).exists())
        .map(|(i, m)| {
            doc.error_at(
                host.node.key_position(&["modules", &i.to_string()]),
                format!("module file `{m}` does not exist yet"),
            )
            .with_help(format!(
                "create it next to the flake (in {}) and `git add` it before building",
                flake_dir.display()
            ))
            .warning()
        })
        .collect()
}

/// Every host a document describes: one for a host file, one per configuration for a fleet.
/// All errors of all hosts are collected before failing.
pub fn hosts(doc: &Document) -> Result<Vec<LoadedHost>> {
    let nodes = if doc.is_fleet() {
        fleet_nodes(doc)?
    } else {
        vec![doc.root.clone()]
    };
    let mut loaded: Vec<LoadedHost> = Vec::new();
    let mut errors = Vec::new();
    for node in nodes {
        // A mistake in a fleet's `defaults` is inherited by every configuration: report it
        // once, at the default, not once per configuration (warnings too).
        match host_from_node(doc, node) {
            Ok(mut h) => {
                h.warnings
                    .retain(|w| !loaded.iter().any(|prev| prev.warnings.contains(w)));
                loaded.push(h);
            }
            Err(f) => {
                for d in f.diagnostics {
                    if !errors.contains(&d) {
                        errors.push(d);
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(Failure::new(errors))
    }
}

fn host_from_node(doc: &Document, node: Node) -> Result<LoadedHost> {
    let host: Host = de::from_node(&node).map_err(|e| de_error(doc, e))?;
    let (host, warnings) = validate(doc, &node, host)?;
    Ok(LoadedHost {
        host,
        node,
        warnings,
    })
}

/// The merged, named tree of each configuration of a fleet.
fn fleet_nodes(doc: &Document) -> Result<Vec<Node>> {
    // The fleet's own shape (no unknown top-level keys) is checked by its type.
    let _: Fleet = de::from_node(&doc.root).map_err(|e| de_error(doc, e))?;
    let defaults = doc.root.get("defaults").filter(|d| !d.is_null());
    if let Some((key, _)) = defaults.and_then(|d| d.entry("name")) {
        return Err(doc
            .error_at(key.position, "`defaults` cannot set `name`")
            .with_help("each configuration is named by its key under `configurations`")
            .into());
    }
    let configurations = doc.root.get("configurations").expect("is_fleet checked it");
    let entries = configurations.as_map().unwrap_or(&[]);
    if entries.is_empty() {
        return Err(doc
            .error_at(configurations.position, "`configurations` is empty")
            .with_help("add a configuration: `configurations: { devel: {} }`")
            .into());
    }
    let mut nodes = Vec::new();
    for (key, entry) in entries {
        if let Some((name_key, _)) = entry.entry("name") {
            return Err(doc
                .error_at(name_key.position, "a fleet configuration cannot set `name`")
                .with_help(format!(
                    "the configuration's key (`{}`) is its name",
                    key.as_str().unwrap_or_default()
                ))
                .into());
        }
        let empty = Node {
            value: Value::Map(Vec::new()),
            position: entry.position,
        };
        let entry = if entry.is_null() { &empty } else { entry };
        let mut merged = match defaults {
            Some(d) => yaml::merge(d, entry),
            None => entry.clone(),
        };
        merged.position = key.position;
        if let Value::Map(items) = &mut merged.value {
            items.insert(
                0,
                (
                    Node {
                        value: Value::Scalar {
                            text: "name".into(),
                            quoted: false,
                        },
                        position: key.position,
                    },
                    key.clone(),
                ),
            );
        }
        nodes.push(merged);
    }
    Ok(nodes)
}
