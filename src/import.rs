//! `nixgen import`: an existing configuration read back into a host description.
//!
//! The flake is read the way `generate` reads it ([`crate::edit::flake`]): the configuration's
//! `modules` and the `imports` of its modules, the local module files it imports (the library
//! template's `./default.nix`), and every inline module, with the library named however the
//! file names it. What the key table owns becomes YAML keys; plain option values become
//! `settings`; everything else (code, `lib.mkForce` values, helpers, an overlay entry's
//! `version`) stays in the files as hand-written code, and is listed as a note with its place.
//! Before anything is written the result is proved: the description is loaded and validated
//! as `generate` would load it, and `generate`'s edit of the same files must change nothing.
//! An import that cannot keep that promise is refused with what `generate` would change.

use std::path::{Path, PathBuf};

use rnix::ast::{self, HasEntry};
use rnix::SyntaxNode;
use rowan::ast::AstNode;
use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Result};
use crate::edit::flake::{
    fetch_call, override_body, package_reference, unwrap_parens, Config, EntrySource, Flake,
};
use crate::edit::FileEdit;
use crate::keys::Owned;
use crate::model::Host;
use crate::nix::resolve::{
    binding_keys, data_value, insert_json_path, lookup, priority_wrapper, static_string, unwrap,
    Lookup,
};

/// A configuration read back into a host description.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The description.
    pub host: Host,
    /// The files that were read (the flake first).
    pub files: Vec<PathBuf>,
    /// What stays in the files as hand-written code, each at its place with why.
    pub kept: Vec<Diagnostic>,
}

/// Reads configuration `name` (or the only one) of the flake at `flake_path`.
pub fn import(flake_path: &Path, name: Option<&str>) -> Result<Imported> {
    let text = std::fs::read_to_string(flake_path).map_err(|e| {
        Diagnostic::in_file(flake_path, format!("cannot read the flake: {e}"))
            .with_help("give the configuration's directory or its flake.nix")
    })?;
    let mut flake = Flake::parse(flake_path, &text)?;
    if !flake.is_flake() {
        return Err(
            Diagnostic::in_file(flake_path, "this is not a flake (it has no `outputs`)")
                .with_help("import reads a configuration flake: the directory holding flake.nix")
                .into(),
        );
    }
    let as_import = |mut failure: crate::diag::Failure| {
        for d in &mut failure.diagnostics {
            d.message = d
                .message
                .replace("nixgen cannot edit this", "nixgen cannot import this");
        }
        failure
    };
    let mut config = flake.select(name).map_err(as_import)?;
    flake.load_module_files(&mut config).map_err(as_import)?;
    if let (Some(helper), Some(binding)) = (&config.helper, &config.binding) {
        return Err(flake
            .error_at(binding.syntax(), format!("nixgen cannot import this: {} built by the function `{helper}`", config.described()))
            .with_help("host.yaml describes one configuration written out; write it as `nixpkgs.lib.nixosSystem { ... }` to import it (`generate` and `overlay add` do edit the lists passed to the function)")
            .into());
    }
    if let Some(node) = config.opaque_imports.first() {
        return Err(flake
            .error_at(node, "nixgen cannot import this: the modules are computed here, not listed")
            .with_help("write the imports as a list of module references (`[ nixos-flake.nixosModules.testSuites.fstests ... ]`), then import again")
            .into());
    }
    let unread: Vec<Diagnostic> = flake
        .unread_module_files
        .iter()
        .map(|(path, why)| {
            Diagnostic::in_file(
                path,
                "kept as hand-written code: this module file was not read",
            )
            .with_help(format!("{why}; what it sets is not in host.yaml"))
            .note()
        })
        .collect();
    let mut reader = Reader {
        flake: &flake,
        config: &config,
        host: Map::new(),
        kept: Vec::new(),
    };
    reader.read()?;
    let Reader { host, mut kept, .. } = reader;
    kept.extend(unread);
    for node in &config.opaque_modules {
        kept.push(
            flake
                .error_at(node, "kept as hand-written code: a module whose `config` is computed")
                .with_help("its options are not in host.yaml (write `config = { ... };` to have them read)")
                .note(),
        );
    }
    let host: Host = serde_json::from_value(Value::Object(host)).map_err(|e| {
        Diagnostic::in_file(
            flake_path,
            format!("internal error: the imported description does not fit the model: {e}"),
        )
        .with_help("please report this with the flake")
    })?;
    Ok(Imported {
        host,
        files: flake.files().map(|f| f.path.clone()).collect(),
        kept,
    })
}

/// One option binding of an inline module, flattened to its full path.
struct Leaf {
    path: Vec<String>,
    value: ast::Expr,
    binding: SyntaxNode,
    /// The module's top-level binding the leaf is written under: a binding is taken into
    /// `settings` whole or kept whole.
    top: SyntaxNode,
}

struct Reader<'f> {
    flake: &'f Flake,
    config: &'f Config,
    host: Map<String, Value>,
    kept: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn keep(&mut self, node: &SyntaxNode, what: impl Into<String>, why: impl Into<String>) {
        self.kept.push(
            self.flake
                .error_at(node, format!("kept as hand-written code: {}", what.into()))
                .with_help(why.into())
                .note(),
        );
    }

    fn set(&mut self, key: &str, value: Value) {
        self.host.insert(key.to_owned(), value);
    }

    fn read(&mut self) -> Result<()> {
        self.set("name", Value::String(self.config.name.clone()));
        self.system()?;
        if let Some(url) = self.flake.input_url("nixos-flake") {
            self.set("nixosFlake", Value::String(home_relative(&url)));
        }
        let user_module = self.modules()?;
        let leaves = self.leaves();
        self.options(leaves, user_module)?;
        self.overlays()?;
        self.image();
        Ok(())
    }

    /// `system = "..."` of the nixosSystem call, or the variable `inherit system;` names.
    fn system(&mut self) -> Result<()> {
        let Some(args) = &self.config.args else {
            return Ok(());
        };
        let value = match lookup(args, &["system"]) {
            Lookup::Found { value, .. } => Some(value),
            Lookup::Opaque { node, .. } => crate::nix::resolve::let_bound(&node, "system")
                .and_then(|b| b.value())
                .or_else(|| {
                    // A refusal would be harsher than needed: report and go on.
                    None
                }),
            _ => None,
        };
        match value.map(unwrap_parens) {
            Some(ast::Expr::Str(s)) => match static_string(&s) {
                Some(system) => self.set("system", Value::String(system)),
                None => return Err(self.refusal(s.syntax(), "the system is computed")),
            },
            Some(other) => return Err(self.refusal(other.syntax(), "the system is computed")),
            None if self.host_platform().is_some() => {
                let system = self.host_platform().expect("checked");
                self.set("system", Value::String(system));
            }
            None => return Err(self
                .flake
                .error_at(args.syntax(), "the configuration does not say its `system`")
                .with_help(
                    "add `system = \"x86_64-linux\";` to the nixosSystem call, then import again",
                )
                .into()),
        }
        Ok(())
    }

    /// `nixpkgs.hostPlatform = "<system>";` in one of the configuration's modules.
    fn host_platform(&self) -> Option<String> {
        self.config.inline_modules.iter().find_map(|m| {
            match lookup(&m.set, &["nixpkgs", "hostPlatform"]) {
                Lookup::Found { value, .. } => match data_value(&value) {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                },
                _ => None,
            }
        })
    }

    fn refusal(&self, node: &SyntaxNode, reason: &str) -> crate::diag::Failure {
        self.flake
            .error_at(node, format!("nixgen cannot import this: {reason}"))
            .with_help("write it literally (a string, a list, an attribute set nixgen can read), or keep this configuration out of nixgen")
            .into()
    }

    /// Module references: backend, profiles, test suites, user, mounts, local module files.
    /// Returns true when the user module is imported.
    fn modules(&mut self) -> Result<bool> {
        let mut backend: Option<(String, SyntaxNode)> = None;
        let (mut profiles, mut suites, mut modules) = (Vec::new(), Vec::new(), Vec::new());
        let mut user = false;
        let first = self.config.module_lists.first().cloned();
        let mut items: Vec<(ast::Expr, bool)> = Vec::new();
        for list in &self.config.module_lists {
            let in_flake_modules = Some(list) == first.as_ref();
            items.extend(list.items().map(|i| (i, in_flake_modules)));
        }
        items.extend(
            self.config
                .shared_modules
                .iter()
                .map(|i| (i.clone(), false)),
        );
        for (item, in_flake_modules) in items {
            let text = item.syntax().text().to_string();
            let canon = crate::nix::resolve::module_reference(item.syntax());
            if let Some(module) = canon.strip_prefix("nixos-flake.nixosModules.") {
                match crate::keys::key_of_module(module) {
                    Some((doc, value)) => match (doc.key, value) {
                        ("backend", Some(v)) => {
                            if let Some((old, _)) = &backend {
                                return Err(self
                                    .flake
                                    .error_at(item.syntax(), format!("a second backend (`{v}` after `{old}`)"))
                                    .with_help("a configuration has one backend; remove one, then import again")
                                    .into());
                            }
                            backend = Some((v, item.syntax().clone()));
                        }
                        ("profiles", Some(v)) => profiles.push(Value::String(v)),
                        ("testSuites", Some(v)) => suites.push(Value::String(v)),
                        ("user", _) => user = true,
                        // The mount modules come with their entries (`shares`, `storage`).
                        ("shares", _) => {
                            self.host
                                .entry("shares")
                                .or_insert_with(|| Value::Object(Map::new()));
                        }
                        ("storage", _) => {
                            self.host
                                .entry("storage")
                                .or_insert_with(|| Value::Object(Map::new()));
                        }
                        _ => self.keep(
                            item.syntax(),
                            format!("module `{text}`"),
                            "no key of host.yaml imports it",
                        ),
                    },
                    None => self.keep(
                        item.syntax(),
                        format!("module `{text}`"),
                        "no key of host.yaml imports this nixos-flake module",
                    ),
                }
                continue;
            }
            match unwrap_parens(item.clone()) {
                ast::Expr::PathRel(p) if in_flake_modules && !text.contains("${") => {
                    modules.push(Value::String(p.syntax().text().to_string()))
                }
                // Inline modules are read option by option; module files imported from a
                // module file stay where they are.
                ast::Expr::PathRel(_) => {}
                _ if unwrap(item.clone(), true).syntax().kind()
                    == rnix::SyntaxKind::NODE_ATTR_SET => {}
                _ => self.keep(
                    item.syntax(),
                    format!("module `{}`", first_line(&text)),
                    "it is not a nixos-flake module or a local module file",
                ),
            }
        }
        let Some((backend, _)) = backend else {
            let bundled = self
                .kept
                .iter()
                .any(|k| k.message.contains("nixosModules.default"));
            let node = first
                .map(|l| l.syntax().clone())
                .or_else(|| self.config.args.as_ref().map(|a| a.syntax().clone()))
                .unwrap_or_else(|| self.flake.top.syntax().clone());
            return Err(self
                .flake
                .error_at(&node, "the configuration imports no nixos-flake backend")
                .with_help(if bundled {
                    "`nixosModules.default` bundles the imageless backend and the user: write `nixos-flake.nixosModules.backends.imageless` and `nixos-flake.nixosModules.user` instead (the same system), then import again"
                } else {
                    "nixgen describes configurations built on nixos-flake.nixosModules.backends.imageless or .libvirt; add one, then import again"
                })
                .into());
        };
        self.set("backend", Value::String(backend));
        if !profiles.is_empty() {
            self.set("profiles", Value::Array(profiles));
        }
        if !suites.is_empty() {
            self.set("testSuites", Value::Array(suites));
        }
        if !modules.is_empty() {
            self.set("modules", Value::Array(modules));
        }
        if user {
            self.set("user", Value::Object(Map::new()));
        }
        Ok(user)
    }

    /// Every option binding of the configuration's inline modules, flattened to full paths
    /// (nested sets and dotted paths alike), in module order. Modules written with
    /// `config = { ... }` or `options`, `inherit`s and computed names are kept whole.
    fn leaves(&mut self) -> Vec<Leaf> {
        let mut out = Vec::new();
        let modules = self.config.inline_modules.clone();
        for module in &modules {
            if module.conditional {
                self.keep(
                    &module.item,
                    "a module under `mkIf`",
                    "its values hold only when the condition does; host.yaml's are unconditional",
                );
                continue;
            }
            if module.declares_options {
                self.keep(
                    module.set.syntax(),
                    "a module that declares options",
                    "it is a module of its own; host.yaml describes option values",
                );
                continue;
            }
            let mut leaves = Vec::new();
            self.flatten(&module.set, &mut Vec::new(), &mut leaves);
            // A module file that sets nothing nixgen owns and imports no nixos-flake module
            // (`./hardware.nix`) is the author's: listed under `modules`, not read.
            let in_module_file = self.flake.file_index(module.set.syntax()) > 0;
            let owns_something = leaves.iter().any(|l| {
                let p: Vec<&str> = l.path.iter().map(String::as_str).collect();
                owned_by(&p).is_some() && p.first() != Some(&"imports")
            }) || self.imports_library(&module.set);
            if in_module_file && !owns_something {
                let file = self
                    .flake
                    .file_of(module.set.syntax())
                    .path
                    .display()
                    .to_string();
                self.kept.retain(|k| {
                    k.file.as_ref().map(|f| f.display().to_string()) != Some(file.clone())
                });
                self.keep(
                    module.set.syntax(),
                    format!("module file {file}"),
                    "it sets nothing host.yaml owns; `modules` lists it and it stays as written",
                );
                continue;
            }
            out.extend(leaves);
        }
        out
    }

    /// True when `set`'s `imports` list names a nixos-flake module.
    fn imports_library(&self, set: &ast::AttrSet) -> bool {
        let Lookup::Found { value, .. } = lookup(set, &["imports"]) else {
            return false;
        };
        let ast::Expr::List(list) = unwrap(value, false) else {
            return false;
        };
        list.items().any(|i| {
            crate::nix::resolve::module_reference(i.syntax())
                .starts_with("nixos-flake.nixosModules.")
        })
    }

    fn flatten(&mut self, set: &ast::AttrSet, prefix: &mut Vec<String>, out: &mut Vec<Leaf>) {
        for inherit in set.inherits() {
            self.keep(
                inherit.syntax(),
                first_line(&inherit.syntax().text().to_string()),
                "an `inherit` is code",
            );
        }
        for binding in set.attrpath_values() {
            let (Some(keys), Some(value)) = (binding_keys(&binding), binding.value()) else {
                self.keep(
                    binding.syntax(),
                    first_line(&binding.syntax().text().to_string()),
                    "its name is computed",
                );
                continue;
            };
            let depth = prefix.len();
            prefix.extend(keys);
            match unwrap_parens(value.clone()) {
                ast::Expr::AttrSet(inner)
                    if inner.rec_token().is_none() && prefix.as_slice() != ["imports"] =>
                {
                    if inner.attrpath_values().next().is_none() && inner.inherits().next().is_none()
                    {
                        out.push(Leaf {
                            path: prefix.clone(),
                            value,
                            binding: binding.syntax().clone(),
                            top: top_binding(binding.syntax()),
                        });
                    } else {
                        self.flatten(&inner, prefix, out);
                    }
                }
                _ => out.push(Leaf {
                    path: prefix.clone(),
                    value,
                    binding: binding.syntax().clone(),
                    top: top_binding(binding.syntax()),
                }),
            }
            prefix.truncate(depth);
        }
    }

    /// What the options set: owned keys, then `settings` for plain data.
    fn options(&mut self, leaves: Vec<Leaf>, user_module: bool) -> Result<()> {
        // Top-level bindings holding code: their plain values stay with the code, so that
        // `systemd.services.x = { ... ExecStart = "${pkgs.y}/bin/z"; }` is kept whole.
        let with_code: Vec<SyntaxNode> = leaves
            .iter()
            .filter(|l| {
                let p: Vec<&str> = l.path.iter().map(String::as_str).collect();
                owned_by(&p).is_none()
                    && !matches!(
                        p.as_slice(),
                        ["imports"] | ["nixpkgs", "overlays"] | ["environment", "systemPackages"]
                    )
                    && data_value(&l.value).is_none()
            })
            .map(|l| l.top.clone())
            .collect();
        let mut user: Map<String, Value> = Map::new();
        let mut keys_by_user: Vec<(String, Vec<Value>, SyntaxNode)> = Vec::new();
        let mut monitoring: Map<String, Value> = Map::new();
        let mut settings: Map<String, Value> = Map::new();
        let mut packages_seen = false;
        // A module nixgen generated lists the options `settings` owns in its marker comment:
        // a plain option beside them that the comment does not list was added by hand and
        // stays hand-written (a `settings` entry would make `generate` claim it).
        let marked = self.settings_marked();
        for leaf in leaves {
            let p: Vec<&str> = leaf.path.iter().map(String::as_str).collect();
            // An owned value under a priority wrapper (`networking.hostName = lib.mkForce
            // "x";`) is read through it: `generate` edits the value inside and keeps the
            // wrapper, which is noted.
            let data = match priority_wrapper(&leaf.value) {
                Some((wrapper, inner)) if owned_by(&p).is_some() => {
                    let data = data_value(&inner);
                    if data.is_some() {
                        self.keep(
                            &leaf.binding,
                            format!("the `{wrapper}` around `{}`", p.join(".")),
                            "host.yaml holds the value; `generate` edits it inside the wrapper",
                        );
                    }
                    data
                }
                _ => data_value(&leaf.value),
            };
            match (p.as_slice(), &data) {
                (["imports"] | ["nixpkgs", "overlays"], _) => {}
                // What `system` says (read from it when the call has no `system`).
                (["nixpkgs", "hostPlatform"], Some(Value::String(s)))
                    if self.host.get("system").and_then(Value::as_str) == Some(s) => {}
                (["environment", "systemPackages"], _) if !packages_seen => {
                    packages_seen = true;
                    self.packages(&leaf);
                }
                (["networking", "hostName"], Some(v @ Value::String(_))) => {
                    self.set("hostName", v.clone())
                }
                (["nixos-flake", "user", field @ ("name" | "extraGroups")], Some(v)) => {
                    user.insert((*field).to_owned(), v.clone());
                }
                (["nixos-flake", "controller", "enable"], Some(Value::Bool(true)))
                    if self.has_profile("controller") => {}
                (["nixos-flake", "monitoring", rest @ ..], Some(v))
                    if self.has_profile("monitoring") && !rest.is_empty() =>
                {
                    insert_json_path(&mut monitoring, rest, v.clone());
                }
                (["nixos-flake", kind @ ("shares" | "storage"), mp, field], Some(v)) => {
                    let entry = self
                        .host
                        .entry(*kind)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(map) = entry {
                        insert_json_path(map, &[mp, field], v.clone());
                    }
                }
                (
                    ["users", "users", name, "openssh", "authorizedKeys", "keys"],
                    Some(Value::Array(keys)),
                ) if keys.iter().all(Value::is_string) => {
                    keys_by_user.push(((*name).to_owned(), keys.clone(), leaf.binding.clone()));
                }
                (path, data) => {
                    if let Some(key) = owned_by(path) {
                        self.keep(
                            &leaf.binding,
                            format!("`{}`", path.join(".")),
                            format!("`{key}` owns this option, and this value is not what `{key}` writes"),
                        );
                        continue;
                    }
                    if data.is_some() && with_code.contains(&leaf.top) {
                        continue; // Kept with the code beside it (noted there).
                    }
                    let unlisted = marked.as_ref().is_some_and(|listed| {
                        !listed.iter().any(|l| {
                            path.len() >= l.len() && path.iter().zip(l).all(|(a, b)| *a == b)
                        })
                    });
                    if data.is_some() && unlisted {
                        self.keep(
                            &leaf.binding,
                            format!("`{}`", path.join(".")),
                            "the module's `settings` comment does not list it: written by hand",
                        );
                        continue;
                    }
                    match data {
                        Some(v) => match settings_key(path) {
                            // A name with a dot (`boot.kernel.sysctl."vm.swappiness"`) is a
                            // map key below the path before it.
                            Some((key, rest)) if !rest.is_empty() => {
                                let entry = settings
                                    .entry(key)
                                    .or_insert_with(|| Value::Object(Map::new()));
                                if let Value::Object(map) = entry {
                                    insert_json_path(map, &rest, v.clone());
                                }
                            }
                            Some((key, _)) => {
                                settings.insert(key, v.clone());
                            }
                            None => self.keep(
                                &leaf.binding,
                                format!("`{}`", path.join(".")),
                                "a name holds a `\"` or is empty",
                            ),
                        },
                        None => {
                            let mut why = match priority_wrapper(&leaf.value) {
                                Some((name, _)) => format!("its value has a priority (`{name}`), which host.yaml does not express"),
                                None => "its value is code, not data (settings hold data only)".to_owned(),
                            };
                            if leaf.top != leaf.binding {
                                why.push_str("; the plain values written with it stay with it");
                            }
                            self.keep(&leaf.binding, format!("`{}`", path.join(".")), why);
                        }
                    }
                }
            }
        }
        if !user.is_empty() {
            if !user_module {
                // `nixos-flake.user.*` without the user module creates no account.
                for (k, v) in user {
                    settings.insert(format!("nixos-flake.user.{k}"), v);
                }
            } else {
                self.set("user", Value::Object(user));
            }
        }
        self.ssh_keys(keys_by_user);
        // The profile's `enable = true` is what the key writes when it is not given.
        if monitoring.get("enable") == Some(&Value::Bool(true)) {
            monitoring.remove("enable");
        }
        if !monitoring.is_empty() {
            self.set("monitoring", Value::Object(monitoring));
        }
        if !settings.is_empty() {
            self.set("settings", Value::Object(settings));
        }
        Ok(())
    }

    /// The option paths the settings marker comment of the configuration's modules lists
    /// (`# nixgen owns these options (host.yaml `settings`):` then `#   path` lines); `None`
    /// when no module has the marker.
    fn settings_marked(&self) -> Option<Vec<Vec<String>>> {
        self.config
            .inline_modules
            .iter()
            .find(|m| !m.settings_marker().is_empty())
            .map(|m| m.settings_marked())
    }

    fn has_profile(&self, name: &str) -> bool {
        self.host
            .get("profiles")
            .and_then(Value::as_array)
            .is_some_and(|p| p.iter().any(|v| v == name))
    }

    /// Root's keys, when the user's (if there is a user) are the same: `sshKeys`.
    fn ssh_keys(&mut self, keys_by_user: Vec<(String, Vec<Value>, SyntaxNode)>) {
        let user_name = self
            .host
            .get("user")
            .and_then(|u| u.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| self.host.contains_key("user").then(|| "user".to_owned()));
        let root = keys_by_user.iter().find(|(n, _, _)| n == "root");
        let of_user = user_name.as_ref().and_then(|u| {
            keys_by_user
                .iter()
                .find(|(n, _, _)| n == u || n == crate::nix::resolve::USER_NAME_KEY)
        });
        let usable = match (root, &user_name, of_user) {
            (Some((_, keys, _)), Some(_), Some((_, theirs, _))) => (keys == theirs).then_some(keys),
            (Some((_, keys, _)), None, None) => Some(keys),
            _ => None,
        };
        match usable {
            Some(keys) => {
                let keys = keys.clone();
                self.set("sshKeys", Value::Array(keys));
                for (name, _, node) in &keys_by_user {
                    if name != "root"
                        && Some(name) != user_name.as_ref()
                        && name != crate::nix::resolve::USER_NAME_KEY
                    {
                        self.keep(
                            node,
                            format!("authorized keys of `{name}`"),
                            "sshKeys are root's and the user's",
                        );
                    }
                }
            }
            None => {
                for (name, _, node) in &keys_by_user {
                    self.keep(
                        node,
                        format!("authorized keys of `{name}`"),
                        "sshKeys gives root and the user the same keys; these differ",
                    );
                }
            }
        }
    }

    /// `environment.systemPackages` as `packages`, when every element names a package.
    fn packages(&mut self, leaf: &Leaf) {
        let list = match unwrap_parens(leaf.value.clone()) {
            ast::Expr::With(w) if w.namespace().is_some_and(|n| n.syntax().text() == "pkgs") => {
                w.body().map(unwrap_parens)
            }
            other => Some(other),
        };
        let names: Option<Vec<Value>> = match list {
            Some(ast::Expr::List(list)) => list
                .items()
                .map(|i| package_reference(&i.syntax().text().to_string()).map(Value::String))
                .collect(),
            _ => None,
        };
        match names {
            Some(names) if !names.is_empty() => self.set("packages", Value::Array(names)),
            Some(_) => {}
            None => self.keep(
                &leaf.binding,
                "`environment.systemPackages`",
                "an element is not a package name (`with pkgs; [ a b ]` and `pkgs.a` are)",
            ),
        }
    }

    /// Overlay entries, by their source.
    fn overlays(&mut self) -> Result<()> {
        let lists = self.flake.overlays_lists(self.config)?;
        let mut overlays = Map::new();
        for (_, _, list) in &lists {
            for entry in self.flake.overlay_bindings(list) {
                let node = entry.binding.syntax().clone();
                let Some(body) = entry.binding.value().as_ref().and_then(override_body) else {
                    self.keep(
                        &node,
                        format!("overlay entry `{}`", entry.package),
                        "it is not `prev.<pkg>.overrideAttrs ...`",
                    );
                    continue;
                };
                let mut overlay = Map::new();
                let source = match &entry.source {
                    EntrySource::Input { input, .. } => self.input_source(input, &entry.package),
                    EntrySource::Github { .. } | EntrySource::Git { .. } => {
                        match lookup(&body, &["src"]) {
                            Lookup::Found { value, .. } => fetch_source(&value),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                let Some(source) = source else {
                    self.keep(
                        &node,
                        format!("overlay entry `{}`", entry.package),
                        "its `src` is not a flake input, fetchFromGitHub or fetchgit with literal fields",
                    );
                    continue;
                };
                overlay.extend(source);
                if entry.clears_patches {
                    overlay.insert("clearPatches".into(), Value::Bool(true));
                }
                for other in body.attrpath_values() {
                    let key = binding_keys(&other).unwrap_or_default();
                    if !matches!(key.first().map(String::as_str), Some("src" | "patches")) {
                        self.keep(
                            other.syntax(),
                            format!(
                                "`{}` in the overlay entry of `{}`",
                                key.join("."),
                                entry.package
                            ),
                            "nixgen owns an entry's `src` and `patches` only; the rest stays",
                        );
                    }
                }
                overlays.insert(entry.package.clone(), Value::Object(overlay));
            }
        }
        if !overlays.is_empty() {
            self.set("overlays", Value::Object(overlays));
        }
        Ok(())
    }

    /// `src` (and `input` when it is not `<pkg>-src`) for an overlay reading input `input`.
    fn input_source(&self, input: &str, package: &str) -> Option<Map<String, Value>> {
        let url = self.flake.input_url(input)?;
        let not_a_flake = matches!(
            lookup(&self.flake.top, &["inputs", input, "flake"]),
            Lookup::Found { value, .. } if value.syntax().text() == "false"
        );
        if !not_a_flake {
            return None;
        }
        let src = match url.strip_prefix("path:") {
            Some(path) if path.starts_with('/') && !path.contains(['?', '#']) => path.to_owned(),
            _ => url,
        };
        let mut out = Map::new();
        out.insert("src".into(), Value::String(home_relative(&src)));
        if input != format!("{package}-src") {
            out.insert("input".into(), Value::String(input.to_owned()));
        }
        Some(out)
    }

    /// `image: { diskSize, format }` from the libvirt template's make-disk-image output.
    fn image(&mut self) {
        if self.host.get("backend").and_then(Value::as_str) != Some("libvirt") {
            return;
        }
        let Ok(outputs) = self.flake.outputs() else {
            return;
        };
        let Some(call) = outputs.syntax().descendants().find(|n| {
            n.kind() == rnix::SyntaxKind::NODE_APPLY
                && n.text().to_string().contains("make-disk-image.nix")
                && n.text()
                    .to_string()
                    .contains(&format!("nixosConfigurations.{}", self.config.name))
        }) else {
            return;
        };
        let Some(args) = ast::Apply::cast(call)
            .and_then(|a| a.argument())
            .and_then(|a| match unwrap_parens(a) {
                ast::Expr::AttrSet(s) => Some(s),
                _ => None,
            })
        else {
            return;
        };
        let mut image = Map::new();
        for (field, key) in [("diskSize", "diskSize"), ("format", "format")] {
            if let Lookup::Found { value, .. } = lookup(&args, &[field]) {
                match data_value(&value) {
                    Some(v @ Value::Number(_)) if field == "diskSize" && v.is_i64() => {
                        image.insert(key.into(), v);
                    }
                    Some(v @ Value::String(_)) if field == "format" => {
                        image.insert(key.into(), v);
                    }
                    // `diskSize = "auto"` or code: host.yaml takes a size in MiB; the proof
                    // then shows what `generate` would write.
                    _ => self.keep(
                        value.syntax(),
                        format!("the image's `{field}`"),
                        "host.yaml's `image` takes a literal size in MiB and a format",
                    ),
                }
            }
        }
        // The other arguments are the author's; the template's usual ones go unmentioned.
        for binding in args.attrpath_values() {
            let key = binding_keys(&binding).unwrap_or_default().join(".");
            let usual = match key.as_str() {
                "diskSize" | "format" | "config" | "pkgs" | "lib" => true,
                "partitionTableType" => {
                    binding.value().and_then(|v| data_value(&v)) == Some(Value::from("legacy"))
                }
                "installBootLoader" => {
                    binding.value().and_then(|v| data_value(&v)) == Some(Value::Bool(true))
                }
                _ => false,
            };
            if !usual {
                self.keep(
                    binding.syntax(),
                    format!("`{key}` of the disk image"),
                    "nixgen owns the image's size and format; its other arguments stay",
                );
            }
        }
        let defaults = image.get("diskSize") == Some(&Value::from(20480))
            && image.get("format").and_then(Value::as_str) == Some("qcow2");
        if !image.is_empty() && !defaults {
            self.set("image", Value::Object(image));
        }
    }
}

/// The outermost binding of a module's set that `binding` is written in (itself at the top).
fn top_binding(binding: &SyntaxNode) -> SyntaxNode {
    let mut top = binding.clone();
    for ancestor in binding.ancestors().skip(1) {
        if ast::AttrpathValue::can_cast(ancestor.kind()) {
            top = ancestor;
        } else if !ast::AttrSet::can_cast(ancestor.kind()) && !ast::Paren::can_cast(ancestor.kind())
        {
            break;
        }
    }
    top
}

/// The YAML key that owns option `path` (or a path below or above it), if any.
fn owned_by(path: &[&str]) -> Option<&'static str> {
    let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
    crate::keys::owned_options(None)
        .into_iter()
        .chain(
            // The user's own options, whatever the user is called.
            crate::keys::owned_options(path.get(2).map(String::as_str))
                .into_iter()
                .filter(|(_, _, p)| p.first().map(String::as_str) == Some("users")),
        )
        .find(|(_, owned, p)| match owned {
            Owned::Value(_) | Owned::Entries(_) => path.starts_with(p) || p.starts_with(&path),
        })
        .map(|(key, _, _)| key)
}

/// The `settings` key for an option path: the segments before the first one that holds a
/// `.` joined by `.`, and the rest (a map below that key, one attribute name per level);
/// `None` when a segment holds a `"` or is empty, or the path starts with a dotted name.
fn settings_key<'p>(path: &[&'p str]) -> Option<(String, Vec<&'p str>)> {
    if path.iter().any(|s| s.contains('"') || s.is_empty()) {
        return None;
    }
    let split = path
        .iter()
        .position(|s| s.contains('.'))
        .unwrap_or(path.len());
    if split == 0 {
        return None;
    }
    Some((path[..split].join("."), path[split..].to_vec()))
}

/// `github:` / `git:` of an overlay from a fetcher call with literal fields.
fn fetch_source(value: &ast::Expr) -> Option<Map<String, Value>> {
    let (fetcher, fields) = fetch_call(value)?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| Value::String(v.clone()))
    };
    let (key, wanted): (&str, &[&str]) = match fetcher.as_str() {
        "fetchFromGitHub" => ("github", &["owner", "repo", "rev", "hash"]),
        _ => ("git", &["url", "rev", "hash"]),
    };
    if fields.iter().any(|(f, _)| !wanted.contains(&f.as_str())) {
        return None;
    }
    let mut source = Map::new();
    for field in wanted {
        source.insert((*field).to_owned(), get(field)?);
    }
    let mut out = Map::new();
    out.insert(key.to_owned(), Value::Object(source));
    Some(out)
}

/// `path` with the user's home directory written `~` (host.yaml expands it back).
fn home_relative(path: &str) -> String {
    let Some(home) = crate::model::paths::home_dir() else {
        return path.to_owned();
    };
    let home = home.to_string_lossy().trim_end_matches('/').to_owned();
    if home.is_empty() {
        return path.to_owned();
    }
    let (prefix, rest) = match path.strip_prefix("path:") {
        Some(rest) => ("path:", rest),
        None => ("", path),
    };
    match rest.strip_prefix(&home) {
        Some(tail) if tail.starts_with('/') => format!("{prefix}~{tail}"),
        _ => path.to_owned(),
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if text.trim().contains('\n') {
        format!("{line} ...")
    } else {
        line.to_owned()
    }
}

/// The description as host.yaml text: a header like `nixgen init`'s, and each key under a
/// comment saying what it becomes (the key table's summary, as `nixgen explain` says it).
pub fn host_yaml(imported: &Imported) -> String {
    let value = serde_json::to_value(&imported.host).expect("hosts serialize");
    let mut out = format!(
        "# yaml-language-server: $schema=./host.schema.json\n\
         # (editor completion: `nixgen schema > host.schema.json`)\n\
         #\n\
         # nixgen host description, imported from {} by `nixgen import`.\n\
         # `nixgen generate` brings the flake in line with this file; `nixgen explain KEY`\n\
         # shows what a key becomes in Nix. Code the description cannot hold stays in the\n\
         # Nix files as it is: `import` listed it.\n",
        imported.files[0]
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    if let Value::Object(map) = value {
        for (key, value) in map {
            if let Some(doc) = crate::keys::KEYS.iter().find(|d| d.key == key) {
                out.push_str(&format!("\n# {key}: {}\n", doc.summary));
            }
            let mut one = Map::new();
            one.insert(key, value);
            out.push_str(&crate::yaml::emit::to_yaml(&Value::Object(one)));
        }
    }
    out
}

/// Proves an import: `yaml` (the description, as if written beside the flake) is loaded and
/// validated as `generate` loads it, and `generate`'s edit of the flake (and its module files)
/// is computed. Returns what that edit would change: nothing, when the flake already is what
/// the description says.
pub fn prove(flake_path: &Path, yaml: &str) -> Result<Vec<FileEdit>> {
    let dir = crate::fsio::dir_of(flake_path);
    let doc = crate::model::load::parse(&dir.join("host.yaml"), yaml.as_bytes().to_vec())?;
    let hosts = crate::model::load::hosts(&doc)?;
    let host = hosts.into_iter().next().expect("a host file has one host");
    let plan = crate::generate::plan_for(&host.host);
    let old = std::fs::read_to_string(flake_path).map_err(|e| {
        Diagnostic::in_file(flake_path, format!("cannot read the flake again: {e}"))
    })?;
    let done = crate::edit::reconcile(flake_path, &old, &plan, false)?;
    let mut changes = Vec::new();
    if done.text != old {
        changes.push(FileEdit {
            path: flake_path.to_path_buf(),
            old,
            new: done.text,
        });
    }
    changes.extend(done.module_files);
    Ok(changes)
}
