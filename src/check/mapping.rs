//! Mapping Nix's failures to the host description: each [`Finding`] becomes a diagnostic at
//! the key of the `host.yaml` (or fleet file) beside the flake that caused it, through the key
//! table for options and modules.

use std::path::{Path, PathBuf};

use super::messages::Finding;
use crate::diag::{did_you_mean, Diagnostic, Failure, Position};
use crate::model::load::{self, Document};
use crate::model::paths::{home_dir, looks_local, normalize, resolve_local};
use crate::nix::escape;
use crate::yaml::Node;

/// The host description beside a flake, with one located tree per configuration.
#[derive(Debug, Clone)]
pub struct Described {
    /// The loaded `host.yaml`, used to place diagnostics in its text.
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

/// The YAML key path an option of nixos-flake (or NixOS) comes from, by the key table and
/// the description's own `settings` keys.
fn yaml_path_of_option(node: &Node, option: &[String]) -> Option<Vec<String>> {
    let settings: Vec<(String, Vec<String>)> = node
        .get("settings")
        .and_then(Node::as_map)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|(k, _)| k.as_str())
                .map(|k| (k.to_owned(), crate::model::settings_path(k)))
                .collect()
        })
        .unwrap_or_default();
    crate::keys::yaml_path_of_option(option, &settings)
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
            Finding::MissingModule { module } => self.missing_module(node, module),
            Finding::Download { .. } => None,
        }
    }

    fn missing_module(&self, node: &Node, module: &str) -> Option<Diagnostic> {
        let (doc, value) = crate::keys::key_of_module(module)?;
        let position = match &value {
            Some(v) => node
                .get(doc.key)
                .and_then(|list| match &list.value {
                    crate::yaml::Value::Seq(items) => items.iter().find(|i| i.as_str() == Some(v)),
                    _ => None,
                })
                .map(|n| n.position)
                .or_else(|| nearest(node, &[doc.key])),
            None => nearest(node, &[doc.key]),
        }?;
        let message = format!("the nixos-flake that Nix evaluated has no `nixosModules.{module}`");
        let help = format!(
            "this nixos-flake is older or newer than nixgen's; update it (`nix flake lock --update-input nixos-flake`), point `nixosFlake` at a checkout that has it, or remove it from `{}`",
            doc.key
        );
        Some(self.doc.error_at(position, message).with_help(help))
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
        let yaml_path = yaml_path_of_option(node, option)?;
        let refs: Vec<&str> = yaml_path.iter().map(String::as_str).collect();
        let position = nearest(node, &refs)?;
        let shown = option_text(option);
        let last = option.last().map(String::as_str).unwrap_or("");
        if refs.first() == Some(&"settings") {
            let message = format!("`{shown}` is not a NixOS option (no module declares it)");
            let help = "check the option's name (search.nixos.org lists them); an option of a module that is not imported does not exist either".to_owned();
            return Some(self.doc.error_at(position, message).with_help(help));
        }
        let message = format!("flake.nix sets `{shown}`, which no module declares");
        let fields = crate::keys::fields_of(refs[0]);
        let help = match did_you_mean(last, &fields) {
            Some(s) if s != last => format!("did you mean `{s}`? {REGENERATE}"),
            _ => REGENERATE.to_owned(),
        };
        Some(self.doc.error_at(position, message).with_help(help))
    }

    fn wrong_type(&self, node: &Node, option: &[String]) -> Option<Diagnostic> {
        let yaml_path = yaml_path_of_option(node, option)?;
        let refs: Vec<&str> = yaml_path.iter().map(String::as_str).collect();
        let position = nearest(node, &refs)?;
        let shown = option_text(option);
        if refs.first() == Some(&"settings") {
            let message = format!("`{shown}` does not take a value of this type");
            let help = "Nix's message above names the type the option wants; change the YAML value to match (a string in quotes, a number, true/false, a list)".to_owned();
            return Some(self.doc.error_at(position, message).with_help(help));
        }
        let message = format!("flake.nix gives `{shown}` a value of the wrong type");
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
