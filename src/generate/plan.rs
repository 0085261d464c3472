//! The plan: everything nixgen owns in a flake, derived from a validated host.
//!
//! [`plan_for`] is the one place that decides what each key becomes: module references in
//! the key table's order, and [`inline_settings`], the one function that builds the inline
//! module's options. What each key owns is declared in [`crate::keys`].

use crate::model::validate::{ResolvedOverlay, ValidHost};
use crate::model::{settings_leaves, settings_path, Backend, InputSource, OverlaySource, Profile};
use crate::nix::ast::{Entry, Expr, Item, Param, Part};

/// What a generated flake consists of.
#[derive(Debug, Clone, PartialEq)]
pub struct FlakePlan {
    /// The flake's `description`.
    pub description: String,
    /// Its inputs, in order.
    pub inputs: Vec<InputPlan>,
    /// Its configurations (one for a host description).
    pub configurations: Vec<ConfigPlan>,
}

/// One flake input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPlan {
    /// The input's name.
    pub name: String,
    /// Where it points (`None` for an input that only follows another).
    pub source: Option<InputSource>,
    /// `follows = "..."`.
    pub follows: Option<String>,
    /// `Some(false)` for source-only inputs.
    pub flake: Option<bool>,
}

/// The attributes that say where an input points; an existing input's location is made of
/// these, whichever the file uses.
pub const LOCATION_FIELDS: [&str; 9] = [
    "url", "type", "path", "ref", "rev", "owner", "repo", "host", "dir",
];

impl InputPlan {
    /// The input's attributes in the order they are written.
    pub fn fields(&self) -> Vec<(&'static str, Expr)> {
        let mut fields = self.location_fields();
        if let Some(follows) = &self.follows {
            fields.push(("follows", Expr::str(follows)));
        }
        if let Some(flake) = self.flake {
            fields.push(("flake", Expr::Bool(flake)));
        }
        fields
    }

    /// The attributes that say where the input points.
    pub fn location_fields(&self) -> Vec<(&'static str, Expr)> {
        match &self.source {
            Some(InputSource::Path(p)) => vec![("type", Expr::str("path")), ("path", Expr::str(p))],
            Some(InputSource::Url(u)) => vec![("url", Expr::str(u))],
            None => Vec::new(),
        }
    }
}

/// One `nixosConfigurations.<name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigPlan {
    /// The configuration's name: its key under `nixosConfigurations`.
    pub name: String,
    /// The Nix system, such as `x86_64-linux`: `nixosSystem`'s `system` and the key under
    /// `packages`.
    pub system: String,
    /// Module references, in order: backend, profiles, test suites, user, mounts, extra files.
    pub modules: Vec<Expr>,
    /// Options set in the inline module, in order.
    pub settings: Vec<Setting>,
    /// Entries of the `final: prev:` overlay.
    pub overlays: Vec<OverlayEntry>,
    /// `environment.systemPackages`, by attribute name in `pkgs`.
    pub packages: Vec<String>,
    /// The package output the library's template for the backend has.
    pub output: OutputPlan,
    /// The account nixos-flake's user module creates, when the description has a user.
    pub user: Option<String>,
    /// True when the description gives no SSH key (the generated flake says so).
    pub no_ssh_keys: bool,
    /// The option paths the description's `settings` set (also in `settings`): the flake
    /// records them in a comment, so that a path later removed from `settings` is known to
    /// be nixgen's (see [`settings_marker`]).
    pub custom_settings: Vec<Vec<String>>,
}

/// The first line of the comment that lists the options a flake's `settings` own.
pub const SETTINGS_MARKER: &str = "nixgen owns these options (host.yaml `settings`):";

/// The comment text listing `paths` (one `#   a.b.c` line each), or `None` for no paths.
pub fn settings_marker(paths: &[Vec<String>]) -> Option<String> {
    if paths.is_empty() {
        return None;
    }
    let mut text = SETTINGS_MARKER.to_owned();
    for path in paths {
        let names: Vec<String> = path
            .iter()
            .map(|p| crate::nix::escape::attr_name(p))
            .collect();
        text.push_str(&format!("\n  {}", names.join(".")));
    }
    Some(text)
}

/// `packages.<system>.<name>` of a configuration, as the library's templates export it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputPlan {
    /// `toplevel`: the closure QEMU boots (imageless).
    Toplevel,
    /// `image`: the disk image libvirt boots, from make-disk-image.
    Image {
        /// Size in MiB.
        disk_size: i64,
        /// make-disk-image's `format`.
        format: String,
    },
}

impl OutputPlan {
    /// The attribute name under `packages.<system>`.
    pub fn name(&self) -> &'static str {
        match self {
            OutputPlan::Toplevel => "toplevel",
            OutputPlan::Image { .. } => "image",
        }
    }

    /// The output's value for configuration `config` of `system`.
    pub fn value(&self, config: &str, system: &str) -> Expr {
        self.value_with(config, system, "self", "nixpkgs")
    }

    /// [`OutputPlan::value`] with the flake itself and nixpkgs named as the outputs function
    /// can reach them (`self`, or `inputs.self` when only `inputs` is bound).
    pub fn value_with(&self, config: &str, system: &str, this: &str, nixpkgs: &str) -> Expr {
        let configuration = || {
            Expr::Select(
                Box::new(Expr::path_of(this)),
                vec!["nixosConfigurations".into(), config.into(), "config".into()],
            )
        };
        match self {
            OutputPlan::Toplevel => Expr::Select(
                Box::new(Expr::path_of(this)),
                vec![
                    "nixosConfigurations".into(),
                    config.into(),
                    "config".into(),
                    "system".into(),
                    "build".into(),
                    "toplevel".into(),
                ],
            ),
            OutputPlan::Image { disk_size, format } => {
                let field = |k: &str, v: Expr| Entry::Binding(vec![k.to_owned()], v);
                Expr::apply(
                    Expr::apply(
                        Expr::var("import"),
                        Expr::Interpolated(vec![
                            Part::Code(Expr::path_of(nixpkgs)),
                            Part::Text("/nixos/lib/make-disk-image.nix".into()),
                        ]),
                    ),
                    Expr::Attrs(vec![
                        field(
                            "pkgs",
                            Expr::Select(
                                Box::new(Expr::path_of(nixpkgs)),
                                vec!["legacyPackages".into(), system.into()],
                            ),
                        ),
                        field("lib", Expr::path_of(&format!("{nixpkgs}.lib"))),
                        field("config", configuration()),
                        field("diskSize", Expr::Int(*disk_size)),
                        field("format", Expr::str(format)),
                        field("partitionTableType", Expr::str("legacy")),
                        field("installBootLoader", Expr::Bool(true)),
                    ]),
                )
            }
        }
    }
}

/// `path = value;` in the inline module.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The option path.
    pub path: Vec<String>,
    /// Its value.
    pub value: Expr,
}

/// `package = prev.package.overrideAttrs { src = ...; patches = [ ]; };`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayEntry {
    /// The attribute name of the package in `pkgs`, which the entry overrides.
    pub package: String,
    /// Where the overridden `src` comes from.
    pub source: SourceExpr,
    /// True to also set `patches = [ ];`, dropping the package's own patches.
    pub clear_patches: bool,
}

/// Where an overlay entry takes `src` from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceExpr {
    /// A flake input, by name.
    Input(String),
    /// `final.<fetcher> { field = "value"; ... }`
    Fetch {
        /// The fetcher's attribute name in `final`: `fetchFromGitHub` or `fetchgit`.
        fetcher: &'static str,
        /// The call's attributes in the order written, each a name and a string value.
        fields: Vec<(&'static str, String)>,
    },
}

/// The names an overlay entry is written with: the overlay function's arguments and how the
/// flake's inputs are reached from the outputs function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayScope {
    /// The overlay function's first argument (`final` by default), through which fetchers
    /// are called.
    pub final_name: String,
    /// The overlay function's second argument (`prev` by default), through which the
    /// package being overridden is reached.
    pub prev_name: String,
    /// `Some("inputs")` for `inputs.<name>`; `None` when inputs are bound by name.
    pub inputs_name: Option<String>,
}

impl Default for OverlayScope {
    fn default() -> Self {
        OverlayScope {
            final_name: "final".into(),
            prev_name: "prev".into(),
            inputs_name: Some("inputs".into()),
        }
    }
}

impl OverlayEntry {
    /// Builds the entry for one resolved overlay.
    pub fn new(overlay: &ResolvedOverlay) -> OverlayEntry {
        let source = match &overlay.source {
            OverlaySource::Input { input, .. } => SourceExpr::Input(input.clone()),
            OverlaySource::GitHub {
                owner,
                repo,
                rev,
                hash,
            } => SourceExpr::Fetch {
                fetcher: "fetchFromGitHub",
                fields: vec![
                    ("owner", owner.clone()),
                    ("repo", repo.clone()),
                    ("rev", rev.clone()),
                    ("hash", hash.clone()),
                ],
            },
            OverlaySource::Git { url, rev, hash } => SourceExpr::Fetch {
                fetcher: "fetchgit",
                fields: vec![
                    ("url", url.clone()),
                    ("rev", rev.clone()),
                    ("hash", hash.clone()),
                ],
            },
        };
        OverlayEntry {
            package: overlay.package.clone(),
            source,
            clear_patches: overlay.clear_patches,
        }
    }

    /// The input the entry reads its source from, for `src` overlays.
    pub fn input(&self) -> Option<&str> {
        match &self.source {
            SourceExpr::Input(name) => Some(name),
            SourceExpr::Fetch { .. } => None,
        }
    }

    /// `prev.<pkg>.overrideAttrs { src = ...; }` written with `scope`'s names.
    pub fn value(&self, scope: &OverlayScope) -> Expr {
        let src = self.src_expr(scope);
        let mut attrs = vec![Entry::Binding(vec!["src".into()], src)];
        if self.clear_patches {
            attrs.push(Entry::Binding(vec!["patches".into()], Expr::List(vec![])));
        }
        Expr::apply(
            Expr::Select(
                Box::new(Expr::var(&scope.prev_name)),
                vec![self.package.clone(), "overrideAttrs".into()],
            ),
            Expr::Attrs(attrs),
        )
    }

    /// The value of the entry's `src`, written with `scope`'s names.
    pub fn src_expr(&self, scope: &OverlayScope) -> Expr {
        match &self.source {
            SourceExpr::Input(name) => match &scope.inputs_name {
                Some(inputs) => Expr::Select(Box::new(Expr::var(inputs)), vec![name.clone()]),
                None => Expr::var(name),
            },
            SourceExpr::Fetch { fetcher, fields } => Expr::apply(
                Expr::Select(
                    Box::new(Expr::var(&scope.final_name)),
                    vec![(*fetcher).into()],
                ),
                Expr::Attrs(
                    fields
                        .iter()
                        .map(|(k, v)| Entry::Binding(vec![(*k).into()], Expr::str(v)))
                        .collect(),
                ),
            ),
        }
    }

    /// `(final: prev: { <entries> })`
    pub fn overlay_of(entries: &[OverlayEntry], scope: &OverlayScope) -> Expr {
        Expr::Lambda(
            Param::Ident(scope.final_name.clone()),
            Box::new(Expr::Lambda(
                Param::Ident(scope.prev_name.clone()),
                Box::new(Expr::Attrs(
                    entries
                        .iter()
                        .map(|e| Entry::Binding(vec![e.package.clone()], e.value(scope)))
                        .collect(),
                )),
            )),
        )
    }
}

impl ConfigPlan {
    /// `with pkgs; [ a b ]`
    pub fn packages_expr(&self) -> Expr {
        Expr::With(
            Box::new(Expr::var("pkgs")),
            Box::new(Expr::List(
                self.packages
                    .iter()
                    .map(|p| Item::Expr(Expr::path_of(p)))
                    .collect(),
            )),
        )
    }
}

/// The plan for one validated host: one input set and one configuration.
pub fn plan_for(valid: &ValidHost) -> FlakePlan {
    let host = &valid.host;
    let mut inputs = vec![
        InputPlan {
            name: "nixos-flake".into(),
            source: Some(InputSource::Url(valid.nixos_flake_url.clone())),
            follows: None,
            flake: None,
        },
        InputPlan {
            name: "nixpkgs".into(),
            source: None,
            follows: Some("nixos-flake/nixpkgs".into()),
            flake: None,
        },
    ];
    for overlay in &valid.overlays {
        if let OverlaySource::Input { input, source } = &overlay.source {
            inputs.push(InputPlan {
                name: input.clone(),
                source: Some(source.clone()),
                follows: None,
                flake: Some(false),
            });
        }
    }

    // Module references, in the key table's order, spelled by its module patterns.
    let module = |key: &str, value: &str| {
        let path = crate::keys::module_of(key, value).expect("every module key is in the table");
        Expr::path_of(&format!("nixos-flake.nixosModules.{path}"))
    };
    let mut modules = vec![module("backend", host.backend.as_str())];
    modules.extend(host.profiles.iter().map(|p| module("profiles", p.as_str())));
    modules.extend(
        host.test_suites
            .iter()
            .map(|t| module("testSuites", t.as_str())),
    );
    if host.user.is_some() {
        modules.push(module("user", ""));
    }
    if !host.shares.is_empty() {
        modules.push(module("shares", ""));
    }
    if !host.storage.is_empty() {
        modules.push(module("storage", ""));
    }
    modules.extend(host.modules.iter().map(|m| Expr::Path(m.clone())));

    let settings = inline_settings(valid);
    let output = match host.backend {
        Backend::Imageless => OutputPlan::Toplevel,
        Backend::Libvirt => {
            let image = host.image.clone().unwrap_or_default();
            OutputPlan::Image {
                disk_size: image.disk_size,
                format: image.format.as_str().to_owned(),
            }
        }
    };

    FlakePlan {
        description: format!(
            "{}: nixos-flake configuration generated by nixgen",
            host.name
        ),
        inputs,
        configurations: vec![ConfigPlan {
            name: host.name.clone(),
            system: host.system.as_str().to_owned(),
            modules,
            settings,
            overlays: valid.overlays.iter().map(OverlayEntry::new).collect(),
            packages: host.packages.clone(),
            output,
            user: valid.user_name().map(str::to_owned),
            no_ssh_keys: valid.ssh_keys.is_empty(),
            custom_settings: host
                .settings
                .iter()
                .flat_map(|(k, v)| settings_leaves(&settings_path(k), v))
                .map(|(p, _)| p)
                .collect(),
        }],
    }
}

/// The options of the inline module, in order: what each key of [`crate::keys`] that owns
/// options sets.
pub fn inline_settings(valid: &ValidHost) -> Vec<Setting> {
    let host = &valid.host;
    let mut settings = Vec::new();
    let mut set = |path: &[&str], value: Expr| {
        settings.push(Setting {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            value,
        })
    };
    let field = |k: &str, v: Expr| Entry::Binding(vec![k.to_owned()], v);
    let strings = |xs: &[String]| Expr::strings(xs.iter().map(String::as_str));
    if let Some(h) = &host.host_name {
        set(&["networking", "hostName"], Expr::str(h));
    }
    if let Some(user) = &host.user {
        let mut fields = Vec::new();
        if let Some(name) = &user.name {
            fields.push(field("name", Expr::str(name)));
        }
        if let Some(groups) = &user.extra_groups {
            fields.push(field("extraGroups", strings(groups)));
        }
        if !fields.is_empty() {
            set(&["nixos-flake", "user"], Expr::Attrs(fields));
        }
    }
    if host.profiles.contains(&Profile::Controller) {
        set(&["nixos-flake", "controller", "enable"], Expr::Bool(true));
    }
    if host.profiles.contains(&Profile::Monitoring) {
        let m = host.monitoring.clone().unwrap_or_default();
        let mut fields = vec![field("enable", Expr::Bool(m.enable.unwrap_or(true)))];
        let opt_bool = |fields: &mut Vec<Entry>, k: &str, v: Option<bool>| {
            if let Some(v) = v {
                fields.push(field(k, Expr::Bool(v)));
            }
        };
        let opt_str = |fields: &mut Vec<Entry>, k: &str, v: &Option<String>| {
            if let Some(v) = v {
                fields.push(field(k, Expr::str(v)));
            }
        };
        let opt_int = |fields: &mut Vec<Entry>, k: &str, v: Option<i64>| {
            if let Some(v) = v {
                fields.push(field(k, Expr::Int(v)));
            }
        };
        opt_str(&mut fields, "outputDir", &m.output_dir);
        let group = |fields: &mut Vec<Entry>, k: &str, sub: Vec<Entry>| {
            if !sub.is_empty() {
                fields.push(field(k, Expr::Attrs(sub)));
            }
        };
        if let Some(s) = &m.sysstat {
            let mut sub = Vec::new();
            opt_bool(&mut sub, "enable", s.enable);
            opt_int(&mut sub, "interval", s.interval);
            opt_int(&mut sub, "maxSamples", s.max_samples);
            group(&mut fields, "sysstat", sub);
        }
        if let Some(g) = &m.cpu_governor {
            let mut sub = Vec::new();
            opt_bool(&mut sub, "enable", g.enable);
            group(&mut fields, "cpuGovernor", sub);
        }
        if let Some(b) = &m.blkalgn {
            let mut sub = Vec::new();
            opt_bool(&mut sub, "enable", b.enable);
            opt_str(&mut sub, "disk", &b.disk);
            opt_str(&mut sub, "ops", &b.ops);
            group(&mut fields, "blkalgn", sub);
        }
        if let Some(b) = &m.biolatency {
            let mut sub = Vec::new();
            opt_bool(&mut sub, "enable", b.enable);
            opt_bool(&mut sub, "milliseconds", b.milliseconds);
            opt_bool(&mut sub, "queued", b.queued);
            opt_bool(&mut sub, "perDisk", b.per_disk);
            opt_bool(&mut sub, "perFlag", b.per_flag);
            opt_str(&mut sub, "disk", &b.disk);
            opt_int(&mut sub, "interval", b.interval);
            group(&mut fields, "biolatency", sub);
        }
        if fields.len() == 1 {
            set(
                &["nixos-flake", "monitoring", "enable"],
                Expr::Bool(m.enable.unwrap_or(true)),
            );
        } else {
            set(&["nixos-flake", "monitoring"], Expr::Attrs(fields));
        }
    }
    for (mp, share) in &host.shares {
        let mut fields = vec![field("tag", Expr::str(&share.tag))];
        if let Some(options) = &share.options {
            fields.push(field("options", strings(options)));
        }
        set(&["nixos-flake", "shares", mp], Expr::Attrs(fields));
    }
    for (mp, storage) in &host.storage {
        let mut fields = vec![
            field("device", Expr::str(&storage.device)),
            field("fsType", Expr::str(&storage.fs_type)),
        ];
        if let Some(options) = &storage.options {
            fields.push(field("options", strings(options)));
        }
        if let Some(args) = &storage.mkfs_args {
            fields.push(field("mkfsArgs", strings(args)));
        }
        if let Some(auto) = storage.auto_format {
            fields.push(field("autoFormat", Expr::Bool(auto)));
        }
        set(&["nixos-flake", "storage", mp], Expr::Attrs(fields));
    }
    if !valid.ssh_keys.is_empty() {
        let keys = strings(&valid.ssh_keys);
        set(
            &[
                "users",
                "users",
                "root",
                "openssh",
                "authorizedKeys",
                "keys",
            ],
            keys.clone(),
        );
        if let Some(user) = valid.user_name() {
            set(
                &["users", "users", user, "openssh", "authorizedKeys", "keys"],
                keys,
            );
        }
    }
    for (key, value) in &host.settings {
        for (path, leaf) in settings_leaves(&settings_path(key), value) {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            set(&path, value_expr(&leaf));
        }
    }
    settings
}

/// A `settings` value as Nix data: strings are strings, never code.
pub fn value_expr(value: &serde_json::Value) -> Expr {
    use serde_json::Value as V;
    match value {
        V::Null => Expr::Null,
        V::Bool(b) => Expr::Bool(*b),
        V::Number(n) => match n.as_i64() {
            Some(i) => Expr::Int(i),
            None => Expr::Float(n.as_f64().unwrap_or_default()),
        },
        V::String(s) => Expr::str(s),
        V::Array(items) => Expr::List(items.iter().map(|v| Item::Expr(value_expr(v))).collect()),
        V::Object(map) => Expr::Attrs(
            map.iter()
                .map(|(k, v)| Entry::Binding(vec![k.clone()], value_expr(v)))
                .collect(),
        ),
    }
}
