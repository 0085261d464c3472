//! Generation: from a validated host to the flake that builds it.
//!
//! A host is first turned into a [`FlakePlan`]: the inputs, module references, inline-module
//! settings, overlay entries and packages that nixgen owns, each already a Nix [`Expr`]. The
//! plan is the single source of truth for both ways of producing a flake: [`emit`] prints a
//! whole new file, and the editor brings an existing file in line with the same plan, touching
//! only what the plan owns. The mapping follows nixos-flake's usage guide: the backend, profiles,
//! test suites, user, shares and storage import `nixos-flake.nixosModules.*`; overlays go after
//! `nixos-flake.overlays.default`; `nixpkgs.follows = "nixos-flake/nixpkgs"` always.

pub mod plan;

pub use plan::{
    inline_settings, plan_for, value_expr, ConfigPlan, FlakePlan, InputPlan, OutputPlan,
    OverlayEntry, OverlayScope, Setting, SourceExpr,
};

use std::path::Path;

use crate::diag::{Diagnostic, Result};
use crate::nix::ast::{Entry, Expr, Item, Param};
use crate::nix::{self, SyntaxError};

/// A flake's new text, and what happened to owned items the plan no longer has: what the
/// editor's reconcile gives, and a new file's text with nothing stale.
pub use crate::edit::Reconciled as FlakeText;

/// The flake text for `plan`, given what the file at `path` holds now.
///
/// A new file (or `force`) is emitted whole. An existing file is edited through the syntax
/// tree so that everything nixgen does not own stays byte for byte; owned items that the plan
/// no longer has are listed in [`FlakeText::stale`] and removed only when `prune` is set.
pub fn flake_text(
    path: &Path,
    plan: &FlakePlan,
    existing: Option<&str>,
    force: bool,
    prune: bool,
    examples: &Examples,
) -> Result<FlakeText> {
    match existing {
        Some(old) if !force => crate::edit::reconcile(path, old, plan, prune),
        _ => {
            let text = emit(plan, examples).map_err(|e| {
                Diagnostic::in_file(
                    path,
                    format!("internal error: generated Nix does not parse: {e}"),
                )
                .with_help("please report this with the host description")
            })?;
            Ok(FlakeText {
                text,
                stale: Vec::new(),
                pruned: false,
                module_files: Vec::new(),
                notes: Vec::new(),
            })
        }
    }
}

/// Commented-out examples carried into a fresh flake (by `nixgen init`), as nixos-flake's own
/// template does: text for the inputs block and for the overlay list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Examples {
    /// Comment text (lines without the `#`) written after the generated inputs; `None` for
    /// no comment.
    pub inputs: Option<String>,
    /// Comment text (lines without the `#`) written at the end of each configuration's
    /// `nixpkgs.overlays` list; `None` for no comment.
    pub overlays: Option<String>,
}

/// The comment a flake without authorized keys carries.
pub const NO_SSH_KEYS: &str = "No SSH keys: nixos-flake's backends allow key logins only, so this VM accepts no SSH\nlogin (serial console only). Add `sshKeys:` to host.yaml and run `nixgen generate`.";

/// The whole flake for a plan, laid out as nixfmt lays it out.
pub fn emit(plan: &FlakePlan, examples: &Examples) -> Result<String, SyntaxError> {
    let expr = flake_expr(plan, examples);
    let text = nix::format(&expr.print())?;
    nix::check_syntax(&text)?;
    Ok(text)
}

fn flake_expr(plan: &FlakePlan, examples: &Examples) -> Expr {
    let mut inputs: Vec<Entry> = plan.inputs.iter().map(InputPlan::entry).collect();
    if let Some(text) = &examples.inputs {
        inputs.push(Entry::Comment(text.clone()));
    }
    let mut configs: Vec<Entry> = plan
        .configurations
        .iter()
        .map(|c| {
            Entry::Binding(
                vec!["nixosConfigurations".into(), c.name.clone()],
                c.system_expr(examples),
            )
        })
        .collect();
    for c in &plan.configurations {
        configs.push(Entry::Binding(
            c.output_path(),
            c.output.value(&c.name, &c.system),
        ));
    }
    let outputs = Expr::Lambda(
        Param::Pattern {
            names: vec!["self".into(), "nixpkgs".into(), "nixos-flake".into()],
            ellipsis: true,
            at: Some("inputs".into()),
        },
        Box::new(Expr::Attrs(configs)),
    );
    Expr::Attrs(vec![
        Entry::Binding(vec!["description".into()], Expr::str(&plan.description)),
        Entry::Blank,
        Entry::Binding(vec!["inputs".into()], Expr::Attrs(inputs)),
        Entry::Blank,
        Entry::Binding(vec!["outputs".into()], outputs),
    ])
}

impl InputPlan {
    /// `name.url = "...";` or `name = { url = "..."; flake = false; };`
    fn entry(&self) -> Entry {
        let fields = self.fields();
        if fields.len() == 1 {
            let (key, value) = fields.into_iter().next().expect("one field");
            Entry::Binding(vec![self.name.clone(), key.into()], value)
        } else {
            Entry::Binding(
                vec![self.name.clone()],
                Expr::Attrs(
                    fields
                        .into_iter()
                        .map(|(k, v)| Entry::Binding(vec![k.into()], v))
                        .collect(),
                ),
            )
        }
    }
}

impl ConfigPlan {
    /// `packages.<system>.<toplevel|image>`: where the configuration's output goes.
    pub fn output_path(&self) -> Vec<String> {
        vec![
            "packages".into(),
            self.system.clone(),
            self.output.name().into(),
        ]
    }

    /// `nixpkgs.lib.nixosSystem { system = ...; modules = [ ... ]; }`
    fn system_expr(&self, examples: &Examples) -> Expr {
        let mut modules: Vec<Item> = self.modules.iter().cloned().map(Item::Expr).collect();
        modules.push(Item::Expr(self.inline_module(examples)));
        Expr::apply(
            Expr::path_of("nixpkgs.lib.nixosSystem"),
            Expr::Attrs(vec![
                Entry::Binding(vec!["system".into()], Expr::str(&self.system)),
                Entry::Binding(vec!["modules".into()], Expr::List(modules)),
            ]),
        )
    }

    /// `({ pkgs, ... }: { <settings> nixpkgs.overlays = [...]; environment.systemPackages = ...; })`
    fn inline_module(&self, examples: &Examples) -> Expr {
        let mut body: Vec<Entry> = Vec::new();
        if self.no_ssh_keys {
            body.push(Entry::Comment(NO_SSH_KEYS.to_owned()));
        }
        if let Some(marker) = plan::settings_marker(&self.custom_settings) {
            body.push(Entry::Comment(marker));
        }
        body.extend(
            self.settings
                .iter()
                .map(|s| Entry::Binding(s.path.clone(), s.value.clone())),
        );
        let mut overlays = vec![Item::Expr(Expr::path_of("nixos-flake.overlays.default"))];
        if !self.overlays.is_empty() {
            overlays.push(Item::Expr(OverlayEntry::overlay_of(
                &self.overlays,
                &OverlayScope::default(),
            )));
        }
        if let Some(text) = &examples.overlays {
            overlays.push(Item::Comment(text.clone()));
        }
        body.push(Entry::Binding(
            vec!["nixpkgs".into(), "overlays".into()],
            Expr::List(overlays),
        ));
        if !self.packages.is_empty() {
            body.push(Entry::Binding(
                vec!["environment".into(), "systemPackages".into()],
                self.packages_expr(),
            ));
        }
        Expr::Lambda(
            Param::Pattern {
                names: vec!["pkgs".into()],
                ellipsis: true,
                at: None,
            },
            Box::new(Expr::Attrs(body)),
        )
    }
}
