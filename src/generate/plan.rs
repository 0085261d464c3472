//! The plan: everything nixgen owns in a flake, derived from a validated host.

use crate::model::validate::{ResolvedOverlay, ValidHost};
use crate::model::{OverlaySource, Profile};
use crate::nix::ast::{Entry, Expr, Item, Param};

/// What a generated flake consists of.
#[derive(Debug, Clone, PartialEq)]
pub struct FlakePlan {
    pub description: String,
    pub inputs: Vec<InputPlan>,
    pub configurations: Vec<ConfigPlan>,
}

/// One flake input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPlan {
    pub name: String,
    pub url: Option<String>,
    pub follows: Option<String>,
    /// `Some(false)` for source-only inputs.
    pub flake: Option<bool>,
}

impl InputPlan {
    /// The input's attributes in the order they are written.
    pub fn fields(&self) -> Vec<(&'static str, Expr)> {
        let mut fields = Vec::new();
        if let Some(url) = &self.url {
            fields.push(("url", Expr::str(url)));
        }
        if let Some(follows) = &self.follows {
            fields.push(("follows", Expr::str(follows)));
        }
        if let Some(flake) = self.flake {
            fields.push(("flake", Expr::Bool(flake)));
        }
        fields
    }
}

/// One `nixosConfigurations.<name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigPlan {
    pub name: String,
    pub system: String,
    /// Module references, in order: backend, profiles, test suites, user, mounts, extra files.
    pub modules: Vec<Expr>,
    /// Options set in the inline module, in order.
    pub settings: Vec<Setting>,
    /// Entries of the `final: prev:` overlay.
    pub overlays: Vec<OverlayEntry>,
    /// `environment.systemPackages`, by attribute name in `pkgs`.
    pub packages: Vec<String>,
}

/// `path = value;` in the inline module.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub path: Vec<String>,
    pub value: Expr,
}

/// `package = prev.package.overrideAttrs { src = ...; patches = [ ]; };`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayEntry {
    pub package: String,
    pub source: SourceExpr,
    pub clear_patches: bool,
}

/// Where an overlay entry takes `src` from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceExpr {
    /// A flake input, by name.
    Input(String),
    /// `final.<fetcher> { field = "value"; ... }`
    Fetch {
        fetcher: &'static str,
        fields: Vec<(&'static str, String)>,
    },
}

/// The names an overlay entry is written with: the overlay function's arguments and how the
/// flake's inputs are reached from the outputs function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayScope {
    pub final_name: String,
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
        let src = match &self.source {
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
        };
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

fn module(path: &str) -> Expr {
    Expr::path_of(&format!("nixos-flake.nixosModules.{path}"))
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
            url: Some(valid.nixos_flake_url.clone()),
            follows: None,
            flake: None,
        },
        InputPlan {
            name: "nixpkgs".into(),
            url: None,
            follows: Some("nixos-flake/nixpkgs".into()),
            flake: None,
        },
    ];
    for overlay in &valid.overlays {
        if let OverlaySource::Input { input, url } = &overlay.source {
            inputs.push(InputPlan {
                name: input.clone(),
                url: Some(url.clone()),
                follows: None,
                flake: Some(false),
            });
        }
    }

    let mut modules = vec![module(&format!("backends.{}", host.backend.as_str()))];
    modules.extend(
        host.profiles
            .iter()
            .map(|p| module(&format!("profiles.{}", p.as_str()))),
    );
    modules.extend(
        host.test_suites
            .iter()
            .map(|t| module(&format!("testSuites.{}", t.as_str()))),
    );
    if host.user.is_some() {
        modules.push(module("user"));
    }
    if !host.shares.is_empty() {
        modules.push(module("mounts.shares"));
    }
    if !host.storage.is_empty() {
        modules.push(module("mounts.storage"));
    }
    modules.extend(host.modules.iter().map(|m| Expr::Path(m.clone())));

    let mut settings = Vec::new();
    let mut set = |path: &[&str], value: Expr| {
        settings.push(Setting {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            value,
        })
    };
    if let Some(h) = &host.host_name {
        set(&["networking", "hostName"], Expr::str(h));
    }
    if let Some(user) = &host.user {
        let mut fields = Vec::new();
        if let Some(name) = &user.name {
            fields.push(Entry::Binding(vec!["name".into()], Expr::str(name)));
        }
        if let Some(groups) = &user.extra_groups {
            fields.push(Entry::Binding(
                vec!["extraGroups".into()],
                Expr::strings(groups.iter().map(String::as_str)),
            ));
        }
        if !fields.is_empty() {
            set(&["nixos-flake", "user"], Expr::Attrs(fields));
        }
    }
    if host.profiles.contains(&Profile::Controller) {
        set(&["nixos-flake", "controller", "enable"], Expr::Bool(true));
    }
    for (mp, share) in &host.shares {
        let mut fields = vec![Entry::Binding(vec!["tag".into()], Expr::str(&share.tag))];
        if let Some(options) = &share.options {
            fields.push(Entry::Binding(
                vec!["options".into()],
                Expr::strings(options.iter().map(String::as_str)),
            ));
        }
        set(&["nixos-flake", "shares", mp], Expr::Attrs(fields));
    }
    for (mp, storage) in &host.storage {
        let mut fields = vec![
            Entry::Binding(vec!["device".into()], Expr::str(&storage.device)),
            Entry::Binding(vec!["fsType".into()], Expr::str(&storage.fs_type)),
        ];
        if let Some(options) = &storage.options {
            fields.push(Entry::Binding(
                vec!["options".into()],
                Expr::strings(options.iter().map(String::as_str)),
            ));
        }
        if let Some(args) = &storage.mkfs_args {
            fields.push(Entry::Binding(
                vec!["mkfsArgs".into()],
                Expr::strings(args.iter().map(String::as_str)),
            ));
        }
        if let Some(auto) = storage.auto_format {
            fields.push(Entry::Binding(vec!["autoFormat".into()], Expr::Bool(auto)));
        }
        set(&["nixos-flake", "storage", mp], Expr::Attrs(fields));
    }

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
        }],
    }
}
