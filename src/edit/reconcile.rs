//! `generate` over an existing flake: bring what the plan owns in line, touch nothing else.
//!
//! What nixgen owns in a configuration flake is exactly what a plan describes: the inputs it
//! declares, `system`, the `nixos-flake.nixosModules.*` references and extra module paths, the
//! inline-module options it sets (`networking.hostName`, `nixos-flake.user`, `.shares."<mp>"`,
//! `.storage."<mp>"`, `.controller.enable`), the overlay entries (`pkg = prev.pkg.overrideAttrs
//! ...`) and `environment.systemPackages` entries. Each is found wherever the author put it
//! (any inline module, nested or dotted) and compared by code, not layout: an equal value keeps
//! its bytes. Missing items are inserted in the file's style, different ones replaced. Owned
//! items that the plan no longer has are reported, and removed only with `--prune`.
//! Comments, hand-written modules and options, and formatting elsewhere stay byte for byte.

use std::path::{Path, PathBuf};

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxNode, TextRange};
use rowan::ast::AstNode;

use super::editor::Editor;
use super::flake::{override_body, unwrap_parens, Config, Flake, InlineModule};
use super::inputs::{ensure_input, reach_input, unused_input};
use super::insert_setting;
use crate::diag::{Diagnostic, Result};
use crate::generate::{ConfigPlan, FlakePlan, OverlayEntry, OverlayScope, SourceExpr};
use crate::keys::Owned;
use crate::nix::ast::{Entry, Expr, Item};
use crate::nix::resolve::{
    binding_keys, canonical_reference, input_spellings, lookup, same_code, unwrap, Lookup,
};

/// The result of bringing a flake in line with a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// The flake's new text; byte for byte the old text when nothing needed to change.
    pub text: String,
    /// Owned items the plan no longer has (kept unless pruning).
    pub stale: Vec<String>,
    /// True when `stale` items were removed (`--prune`).
    pub pruned: bool,
    /// The configuration's local module files that changed too.
    pub module_files: Vec<FileEdit>,
    /// Where the edit went, when the user should know (see [`super::helper_note`]).
    pub notes: Vec<crate::diag::Diagnostic>,
}

/// A file an edit changes (a configuration's local module file, or the flake itself): its
/// text before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// The file, as reached from the flake (`<dir>/default.nix`).
    pub path: PathBuf,
    /// What it held when read.
    pub old: String,
    /// Its new text.
    pub new: String,
}

struct Run<'f> {
    /// The flake, with the configuration's local module files read
    /// ([`Flake::load_module_files`]).
    flake: &'f Flake,
    /// One editor per file of [`Flake::files`], in that order: an edit goes to the editor
    /// of the file its node belongs to.
    eds: Vec<Editor<'f>>,
    prune: bool,
    /// The account nixos-flake's user module creates, when the plan has one.
    user: Option<String>,
    stale: Vec<String>,
    /// Stale overlay entries (their uses of inputs do not keep an input alive).
    stale_overlays: Vec<SyntaxNode>,
    /// Owned option bindings to remove (with `--prune`), removed together at the end so that
    /// a set emptied by them goes too.
    pruned: Vec<SyntaxNode>,
}

/// Brings `old` in line with `plan` (its first configuration), together with the local
/// module files the configuration imports (the template's `./default.nix`): an owned item
/// is found and edited in whichever file holds it.
pub fn reconcile(path: &Path, old: &str, plan: &FlakePlan, prune: bool) -> Result<Reconciled> {
    let cp = &plan.configurations[0];
    let loaded = (|| {
        let mut flake = Flake::parse_for_edit(path, old)?;
        if !flake.is_flake() {
            return Err(
                Diagnostic::in_file(path, "this is not a flake (it has no `outputs`)")
                    .with_help("write the flake with -o FILE, or move this file away")
                    .into(),
            );
        }
        let (mut config, rename) = select_config(&flake, cp)?;
        flake.load_module_files(&mut config)?;
        Ok((flake, config, rename))
    })();
    let (flake, config, rename) = match loaded {
        Ok(loaded) => loaded,
        Err(failure) => return Err(super::planning_failed(failure, path, old)),
    };
    let (eds, stale) = match plan_edits(&flake, &config, rename, plan, prune) {
        Ok(planned) => planned,
        Err(failure) => return Err(super::planning_failed(failure, path, old)),
    };
    let edited = super::finish_all(&flake, eds)?;
    let changed = edited.text != old || !edited.module_files.is_empty();
    Ok(Reconciled {
        text: edited.text,
        stale,
        pruned: prune,
        module_files: edited.module_files,
        notes: if changed {
            super::helper_note(&flake, &config).into_iter().collect()
        } else {
            Vec::new()
        },
    })
}

/// The configuration `cp` names, or the flake's only one (the host was renamed: its key is
/// returned, to be renamed).
fn select_config(flake: &Flake, cp: &ConfigPlan) -> Result<(Config, Option<ast::Attr>)> {
    let configs = flake.configurations()?;
    if let Some(c) = configs.iter().find(|c| c.name == cp.name) {
        return Ok((c.clone(), None));
    }
    if let [only] = configs.as_slice() {
        // The binding's last name is the configuration's (not, say, `nixosConfigurations`
        // when the configurations are computed): that is the key to rename.
        if let Some(attr) = only
            .binding
            .as_ref()
            .and_then(|b| b.attrpath())
            .and_then(|p| p.attrs().last())
            .filter(|a| crate::nix::resolve::attr_name(a).as_deref() == Some(only.name.as_str()))
        {
            return Ok((only.clone(), Some(attr)));
        }
    }
    let names: Vec<String> = configs
        .iter()
        .map(|c| match c.name.as_str() {
            super::flake::EVERY => {
                "(names computed in `nixosConfigurations`, which nixgen cannot list)".to_owned()
            }
            name => name.to_owned(),
        })
        .collect();
    Err(Diagnostic::in_file(
        &flake.path,
        format!("the flake has no configuration `{}`", cp.name),
    )
    .with_help(format!(
        "configurations here: {}; set `name:` to one of them, or write to another file with -o",
        names.join(", ")
    ))
    .into())
}

/// Plans the edits that bring the flake and its module files in line with `plan`: one
/// editor per file of [`Flake::files`], and the stale owned items.
fn plan_edits<'f>(
    flake: &'f Flake,
    config: &Config,
    rename: Option<ast::Attr>,
    plan: &FlakePlan,
    prune: bool,
) -> Result<(Vec<Editor<'f>>, Vec<String>)> {
    let cp = &plan.configurations[0];
    let mut run = Run {
        flake,
        eds: super::editors(flake),
        prune,
        user: cp.user.clone(),
        stale: Vec::new(),
        stale_overlays: Vec::new(),
        pruned: Vec::new(),
    };
    if let Some(attr) = rename {
        let name = crate::nix::escape::attr_name(&cp.name);
        run.ed(attr.syntax())
            .replace(attr.syntax().text_range(), name);
    }

    for input in &plan.inputs {
        ensure_input(flake, &mut run.eds[0], input, true)?;
    }
    let mut scope = OverlayScope::default();
    for entry in &cp.overlays {
        if let Some(input) = entry.input() {
            scope.inputs_name = reach_input(flake, &mut run.eds[0], input)?;
        }
    }
    if !cp.overlays.is_empty() {
        flake.refuse_own_pkgs(config)?;
    }
    run.system(config, cp)?;
    run.modules(config, cp)?;
    match config.main_module() {
        Some(main) => {
            let main = main.clone();
            run.settings(config, &main, cp)?;
            run.overlays(config, &main, cp, &scope)?;
            run.packages(config, &main, cp)?;
        }
        None => run.new_inline_module(config, cp, &scope)?,
    }
    run.output(config, cp)?;
    run.stale_inputs(plan, cp)?;

    let Run {
        mut eds,
        stale,
        pruned,
        ..
    } = run;
    for (i, ed) in eds.iter_mut().enumerate() {
        let mine: Vec<SyntaxNode> = pruned
            .iter()
            .filter(|n| flake.file_index(n) == i)
            .cloned()
            .collect();
        ed.remove_all(&mine);
    }
    Ok((eds, stale))
}

impl<'f> Run<'f> {
    /// How many changes the editors have recorded so far.
    fn changes(&self) -> usize {
        self.eds.iter().map(Editor::change_count).sum()
    }

    /// The editor of the file `node` belongs to.
    fn ed(&mut self, node: &SyntaxNode) -> &mut Editor<'f> {
        let i = self.flake.file_index(node);
        &mut self.eds[i]
    }

    /// Inserts `path = value;` into `set` where it is missing, in `set`'s file.
    fn insert_setting(&mut self, set: &ast::AttrSet, path: &[&str], value: &Expr) -> Result<()> {
        let i = self.flake.file_index(set.syntax());
        insert_setting(self.flake, &mut self.eds[i], set, path, value)
    }

    /// See [`super::scope_in_file`].
    fn scope_at(
        &self,
        node: &SyntaxNode,
        base: &OverlayScope,
        input: Option<&str>,
    ) -> OverlayScope {
        super::scope_in_file(self.flake, node, base, input)
    }

    fn system(&mut self, config: &Config, cp: &ConfigPlan) -> Result<()> {
        let Some(args) = &config.args else {
            return Ok(());
        };
        let wanted = Expr::str(&cp.system);
        match lookup(args, &["system"]) {
            Lookup::Found { value, .. } => {
                if !same_code(&value.syntax().text().to_string(), &wanted.print()) {
                    self.ed(value.syntax()).replace_expr(value.syntax(), &wanted);
                }
                Ok(())
            }
            Lookup::Missing { .. } => {
                // `nixpkgs.hostPlatform = "aarch64-linux";` in a module says it instead.
                if let Some((_, Lookup::Found { value, .. })) =
                    self.find(config, &["nixpkgs", "hostPlatform"])?
                {
                    if !crate::nix::resolve::same_value(&value, &wanted) {
                        self.ed(value.syntax()).replace_expr(value.syntax(), &wanted);
                    }
                    return Ok(());
                }
                self.insert_setting(args, &["system"], &wanted)
            }
            // `inherit system;` (the library's template): the variable it names, bound by an
            // enclosing `let`, is the value; a different system is written there.
            Lookup::Opaque { node, .. } if inherits_plain(&node, "system") => {
                match crate::nix::resolve::let_bound(&node, "system") {
                    Some(binding) => {
                        if let Some(value) = binding.value() {
                            if !same_code(&value.syntax().text().to_string(), &wanted.print()) {
                                self.ed(value.syntax()).replace_expr(value.syntax(), &wanted);
                            }
                        }
                        Ok(())
                    }
                    None => Err(self
                        .flake
                        .error_at(&node, "`inherit system;` names a variable nixgen cannot find")
                        .with_help("bind it with `let system = \"x86_64-linux\"; in`, or write `system = \"...\";`")
                        .into()),
                }
            }
            l => Err(self.flake.refuse(&l, "`system`").into()),
        }
    }

    fn note(&mut self, what: String) {
        self.stale.push(what);
    }

    fn modules(&mut self, config: &Config, cp: &ConfigPlan) -> Result<()> {
        let items: Vec<(ast::List, ast::Expr)> = config
            .module_lists
            .iter()
            .flat_map(|l| l.items().map(move |i| (l.clone(), i)))
            .collect();
        let Some(first_list) = config.module_lists.first() else {
            // A list other configurations share (a helper's own `modules`, `common`) is never
            // given one host's description.
            let (message, help) = match (&config.shared_by, &config.binding) {
                (Some(by), _) => (
                    format!("configuration `{}` has no `modules` list of its own: its modules are {by}, which other configurations share", cp.name),
                    "give it a list of its own (`modules = common ++ [ ];`, or a list argument of the helper's call), or generate into another file with -o".to_owned(),
                ),
                _ => (
                    format!("configuration `{}` has no `modules` list", cp.name),
                    "add `modules = [ ];` to its nixosSystem call".to_owned(),
                ),
            };
            return Err(match &config.binding {
                Some(b) => self.flake.error_at(b.syntax(), message),
                None => Diagnostic::in_file(&self.flake.path, message),
            }
            .with_help(help)
            .into());
        };
        // The library may be named `nixos-flake`, `inputs.nixos-flake` or a `let` alias:
        // references are compared by what they name, and new ones spelled the way their list
        // (in flake.nix, or an `imports` list of a module file) reaches it.
        let mut spellings: Vec<Vec<String>> = Vec::with_capacity(config.module_lists.len());
        for (i, list) in config.module_lists.iter().enumerate() {
            let mut names = if i == 0 {
                self.library_spellings(list.syntax())?
            } else {
                input_spellings(list.syntax(), "nixos-flake")
            };
            // New references use the spelling the list's own references use.
            if let Some(used) = names.iter().position(|s| {
                list.items().any(|i| {
                    i.syntax()
                        .text()
                        .to_string()
                        .starts_with(&format!("{s}.nixosModules."))
                })
            }) {
                let used = names.remove(used);
                names.insert(0, used);
            }
            spellings.push(names);
        }
        let spellings_of = |list: &ast::List| {
            let i = config
                .module_lists
                .iter()
                .position(|l| l == list)
                .unwrap_or(0);
            &spellings[i]
        };
        let canon_in =
            |_: &ast::List, item: &ast::Expr| crate::nix::resolve::module_reference(item.syntax());
        let shared_spellings = &spellings[0];
        let mut anchor: Option<(ast::List, SyntaxNode)> = None;
        for module in &cp.modules {
            let printed = module.print();
            if config.shared_modules.iter().any(|i| {
                same_code(
                    &canonical_reference(
                        &i.syntax().text().to_string(),
                        shared_spellings,
                        "nixos-flake",
                    ),
                    &printed,
                )
            }) {
                // Already there through a shared list (which other configurations use too).
                continue;
            }
            match items
                .iter()
                .find(|(list, i)| same_code(&canon_in(list, i), &printed))
            {
                Some((list, item)) => anchor = Some((list.clone(), item.syntax().clone())),
                None => match &anchor {
                    // After the module before it, in that list's spelling; a list whose
                    // scope does not name the library cannot take a reference.
                    Some((list, node)) if !spellings_of(list).is_empty() => {
                        let spelled = respell(module, spellings_of(list));
                        self.ed(list.syntax())
                            .insert_item(list, Some(Some(node)), &spelled)
                    }
                    Some(_) => {
                        let spelled = respell(module, spellings_of(first_list));
                        self.ed(first_list.syntax())
                            .insert_item(first_list, None, &spelled)
                    }
                    None => {
                        let spelled = respell(module, spellings_of(first_list));
                        self.ed(first_list.syntax())
                            .insert_item(first_list, Some(None), &spelled)
                    }
                },
            }
        }
        for (list, item) in &items {
            let text = canon_in(list, item);
            // Only nixos-flake's modules are nixgen's. A module file (`./hardware.nix`) may
            // have been added by hand, and nothing in the file tells it apart from one that
            // an earlier `modules:` listed: module files are never reported nor pruned.
            let owned = text.starts_with("nixos-flake.nixosModules.");
            let planned = cp.modules.iter().any(|m| same_code(&text, &m.print()));
            if owned && !planned && !text.contains(char::is_whitespace) {
                // The backend is single-valued: a new one replaces the old, prune or not.
                if text.starts_with("nixos-flake.nixosModules.backends.") {
                    self.ed(item.syntax()).remove(item.syntax());
                    continue;
                }
                self.note(format!("module `{text}`"));
                if self.prune {
                    self.ed(item.syntax()).remove(item.syntax());
                }
            }
        }
        Ok(())
    }

    /// The spellings of the library at `node` (see [`input_spellings`]), the one new code uses
    /// first; when nothing there names it, the input is made reachable from `outputs`.
    fn library_spellings(&mut self, node: &SyntaxNode) -> Result<Vec<String>> {
        let spellings = input_spellings(node, "nixos-flake");
        if !spellings.is_empty() {
            return Ok(spellings);
        }
        Ok(
            match reach_input(self.flake, &mut self.eds[0], "nixos-flake")? {
                Some(inputs) => vec![format!("{inputs}.nixos-flake")],
                None => vec!["nixos-flake".to_owned()],
            },
        )
    }

    /// Finds `path` in the configuration's inline modules; the user's options
    /// (`users.users.<user>...`) also where they are written
    /// `users.users.${config.nixos-flake.user.name}...`.
    fn find(&self, config: &Config, path: &[&str]) -> Result<Option<(InlineModule, Lookup)>> {
        let found = self.find_exactly(config, path)?;
        match (found, path) {
            (None, ["users", "users", user, rest @ ..]) if Some(*user) == self.user.as_deref() => {
                let mut other = vec!["users", "users", crate::nix::resolve::USER_NAME_KEY];
                other.extend_from_slice(rest);
                self.find_exactly(config, &other)
            }
            (found, _) => Ok(found),
        }
    }

    fn find_exactly(
        &self,
        config: &Config,
        path: &[&str],
    ) -> Result<Option<(InlineModule, Lookup)>> {
        for module in &config.inline_modules {
            match lookup(&module.set, path) {
                Lookup::Missing { .. } => continue,
                l @ Lookup::Opaque { .. } => {
                    return Err(self
                        .flake
                        .refuse(&l, &format!("`{}`", path.join(".")))
                        .into())
                }
                l => return Ok(Some((module.clone(), l))),
            }
        }
        Ok(None)
    }

    fn settings(&mut self, config: &Config, main: &InlineModule, cp: &ConfigPlan) -> Result<()> {
        let before = self.changes();
        for setting in &cp.settings {
            let path: Vec<&str> = setting.path.iter().map(String::as_str).collect();
            match self.find(config, &path)? {
                Some((module, found)) => {
                    self.reconcile_value(&module, &path, found, &setting.value)?
                }
                None => self.insert_setting(&main.set, &path, &setting.value)?,
            }
        }
        // A flake whose options already are what the description says needs no marker
        // added (an imported flake stays byte for byte); the next change of an option adds it.
        let changed = self.changes() != before;
        self.settings_marker(config, main, cp, changed)?;
        // Owned options the plan no longer sets, as the key table declares them.
        let planned = |path: &[String]| cp.settings.iter().any(|s| s.path == path);
        let covered = |path: &[String]| {
            cp.settings
                .iter()
                .any(|s| s.path.starts_with(path) || path.starts_with(&s.path))
        };
        self.former_users_keys(config, cp)?;
        for (_, owned, path) in crate::keys::owned_options(cp.user.as_deref()) {
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            if matches!(
                p.as_slice(),
                ["nixpkgs", "overlays"] | ["environment", "systemPackages"]
            ) {
                continue; // Their elements are reconciled one by one below.
            }
            match owned {
                Owned::Value(_) => {
                    if !planned(&path) {
                        if let Some((_, found)) = self.find(config, &p)? {
                            self.stale_lookup(&path.join("."), found);
                        }
                    }
                }
                Owned::Entries(_) => {
                    for module in &config.inline_modules {
                        for (name, node) in entries_under(&module.set, &p) {
                            let mut entry = path.clone();
                            entry.push(name.clone());
                            if !covered(&entry) {
                                self.note(format!("{}.{}", path.join("."), attr_shown(&name)));
                                if self.prune {
                                    self.pruned.push(node);
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The authorized keys nixgen wrote for a user the description no longer has (the user
    /// was renamed or removed): `users.users.<old>.openssh.authorizedKeys.keys` holding
    /// exactly root's keys, as `sshKeys` writes them. Keys a person gave another account
    /// differ from root's and are not touched.
    fn former_users_keys(&mut self, config: &Config, cp: &ConfigPlan) -> Result<()> {
        let keys_path = ["openssh", "authorizedKeys", "keys"];
        let root: Vec<&str> = ["users", "users", "root"]
            .into_iter()
            .chain(keys_path)
            .collect();
        let Some((
            _,
            Lookup::Found {
                value: root_keys, ..
            },
        )) = self.find_exactly(config, &root)?
        else {
            return Ok(());
        };
        for module in &config.inline_modules {
            for (name, _) in entries_under(&module.set, &["users", "users"]) {
                if name == "root" || Some(&name) == cp.user.as_ref() {
                    continue;
                }
                if name == crate::nix::resolve::USER_NAME_KEY {
                    continue;
                }
                let path: Vec<&str> = ["users", "users", name.as_str()]
                    .into_iter()
                    .chain(keys_path)
                    .collect();
                if let Lookup::Found { value, binding } = lookup(&module.set, &path) {
                    if same_code(
                        &value.syntax().text().to_string(),
                        &root_keys.syntax().text().to_string(),
                    ) {
                        self.stale_lookup(&path.join("."), Lookup::Found { value, binding });
                    }
                }
            }
        }
        Ok(())
    }

    /// Brings a multi-line list in line element by element (mkfsArgs, extraGroups, options):
    /// the elements both have stay with their comments, the others are removed or inserted
    /// where the plan's order puts them.
    fn list_elements(&mut self, list: &ast::List, wanted: &[Item]) {
        let have: Vec<ast::Expr> = list.items().collect();
        let want: Vec<&Expr> = wanted
            .iter()
            .filter_map(|i| match i {
                Item::Expr(e) => Some(e),
                _ => None,
            })
            .collect();
        let same = |h: &ast::Expr, w: &Expr| crate::nix::resolve::same_value(h, w);
        // The longest common subsequence keeps the most elements (and their comments).
        let (n, m) = (have.len(), want.len());
        let mut lcs = vec![vec![0usize; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if same(&have[i], want[j]) {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        let mut anchor: Option<SyntaxNode> = None;
        let mut removed: Vec<SyntaxNode> = Vec::new();
        while i < n || j < m {
            if i < n && j < m && same(&have[i], want[j]) {
                anchor = Some(have[i].syntax().clone());
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
                removed.push(have[i].syntax().clone());
                i += 1;
            } else {
                self.ed(list.syntax())
                    .insert_item(list, Some(anchor.as_ref()), want[j]);
                j += 1;
            }
        }
        for node in &removed {
            self.ed(node).remove(node);
        }
    }

    /// Brings `src` and `patches` of an existing overlay entry's attribute set in line.
    fn entry_fields(&mut self, body: &ast::AttrSet, entry: &OverlayEntry, scope: &OverlayScope) {
        let src = entry.src_expr(scope);
        // The same fetch written another way (`pkgs.fetchFromGitHub`, fields in another
        // order, `sha256` for `hash`) is the same source.
        let same_fetch = |value: &ast::Expr| match (&entry.source, super::flake::fetch_call(value))
        {
            (SourceExpr::Fetch { fetcher, fields }, Some((name, mut have))) => {
                let mut want: Vec<(String, String)> = fields
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect();
                want.sort();
                have.sort();
                name == *fetcher && want == have
            }
            _ => false,
        };
        match lookup(body, &["src"]) {
            Lookup::Found { value, .. }
                if !same_code(&value.syntax().text().to_string(), &src.print())
                    && !same_fetch(&value) =>
            {
                self.ed(value.syntax()).replace_expr(value.syntax(), &src);
            }
            Lookup::Missing { set, anchor, .. } => self.ed(set.syntax()).insert_binding(
                &set,
                anchor.as_ref().map(|a| a.syntax()),
                &["src".to_owned()],
                &src,
            ),
            _ => {}
        }
        let empty = Expr::List(Vec::new());
        match lookup(body, &["patches"]) {
            Lookup::Found { value, binding } => {
                let is_empty = same_code(&value.syntax().text().to_string(), &empty.print());
                if entry.clear_patches && !is_empty {
                    self.ed(value.syntax()).replace_expr(value.syntax(), &empty);
                } else if !entry.clear_patches && is_empty {
                    // `patches = [ ];` is what clearPatches wrote; a list of patches a person
                    // wrote is theirs.
                    self.pruned.push(binding.syntax().clone());
                }
            }
            Lookup::Missing { set, .. } if entry.clear_patches => {
                let anchor = match lookup(&set, &["src"]) {
                    Lookup::Found { binding, .. } => Some(binding),
                    _ => None,
                };
                self.ed(set.syntax()).insert_binding(
                    &set,
                    anchor.as_ref().map(|a| a.syntax()),
                    &["patches".to_owned()],
                    &empty,
                );
            }
            _ => {}
        }
    }

    /// The options `settings` owned at the last generate, as the marker comment in the main
    /// inline module lists them: those the plan no longer sets are stale (reported, removed
    /// with `--prune`), and the comment is brought in line with the plan.
    fn settings_marker(
        &mut self,
        config: &Config,
        main: &InlineModule,
        cp: &ConfigPlan,
        add_new: bool,
    ) -> Result<()> {
        let set = main.set.syntax();
        // The marker: its first comment, and the `#   path` comments that follow it.
        let marker = main.settings_marker();
        let previous = main.settings_marked();
        // Stale paths stay listed until they are pruned: the next `--prune` still knows them.
        let mut listed = cp.custom_settings.clone();
        for path in &previous {
            if cp.custom_settings.contains(path) {
                continue;
            }
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            if let Some((_, found)) = self.find(config, &p)? {
                self.stale_lookup(&path.join("."), found);
                if !self.prune {
                    listed.push(path.clone());
                }
            }
        }
        let wanted = crate::generate::plan::settings_marker(&listed);
        match (marker.first(), marker.last(), wanted) {
            (Some(first), Some(last), wanted) => {
                // A line comment's token holds the `\r` of a CRLF line end: it stays, and
                // the lines compare without it.
                let (from, to) = (
                    usize::from(first.text_range().start()),
                    usize::from(last.text_range().end()) - usize::from(last.text().ends_with('\r')),
                );
                let indent = self.ed(set).line_indent(from).to_owned();
                let text = wanted.map(|w| comment_lines(&w, &indent));
                let now = self.ed(set).source()[from..to].replace("\r\n", "\n");
                match text {
                    Some(t) if t == now => {}
                    Some(t) => self.ed(set).replace(
                        TextRange::new(first.text_range().start(), (to as u32).into()),
                        t,
                    ),
                    None => {
                        // The whole lines the marker stood on.
                        let line_start = self.ed(set).source()[..from]
                            .rfind('\n')
                            .map_or(0, |i| i + 1);
                        let line_end = self.ed(set).source()[to..]
                            .find('\n')
                            .map_or(self.ed(set).source().len(), |i| to + i + 1);
                        let range =
                            TextRange::new((line_start as u32).into(), (line_end as u32).into());
                        self.ed(set).replace(range, String::new());
                    }
                }
            }
            (_, _, Some(wanted)) if add_new => {
                // A new marker, before the module's first binding.
                if let Some(first) = main.set.attrpath_values().next() {
                    let at = usize::from(first.syntax().text_range().start());
                    let indent = self.ed(set).line_indent(at).to_owned();
                    let source = self.ed(set).source();
                    let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
                    if line_start > 0 && source[line_start..at].trim().is_empty() {
                        // At the end of the line before: a removal of that first binding
                        // (which takes the line break before it) does not meet the insertion.
                        let text = format!("\n{indent}{}", comment_lines(&wanted, &indent));
                        self.ed(set).insert(line_start - 1, text);
                    } else {
                        self.ed(set)
                            .insert(at, format!("{}\n{indent}", comment_lines(&wanted, &indent)));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Brings `packages.<system>.<toplevel|image>` in line: the output the library's template
    /// for the backend has. The other one, when it is exactly what nixgen writes for this
    /// configuration, goes (the backend changed); anything else there is the author's.
    fn output(&mut self, config: &Config, cp: &ConfigPlan) -> Result<()> {
        if config.binding.is_none() {
            return Ok(()); // A module file has no outputs.
        }
        let outputs = self.flake.outputs()?;
        let Some(ast::Expr::AttrSet(body)) = outputs.body().map(|b| unwrap(b, false)) else {
            return Ok(());
        };
        // `self` and `nixpkgs` as the outputs function reaches them (`outputs = inputs: ...`
        // has only `inputs.self`). Made reachable only when the output is written: a flake
        // whose output needs no change keeps its argument pattern.
        let reach = |run: &mut Self, name: &str| -> Result<String> {
            if let Some(first) = input_spellings(body.syntax(), name).into_iter().next() {
                return Ok(first);
            }
            Ok(match reach_input(run.flake, &mut run.eds[0], name)? {
                Some(inputs) => format!("{inputs}.{name}"),
                None => name.to_owned(),
            })
        };
        let spelled = |name: &str| {
            input_spellings(body.syntax(), name)
                .into_iter()
                .next()
                .unwrap_or_else(|| name.to_owned())
        };
        let wanted =
            cp.output
                .value_with(&cp.name, &cp.system, &spelled("self"), &spelled("nixpkgs"));
        let written = |run: &mut Self| -> Result<Expr> {
            let this = reach(run, "self")?;
            let nixpkgs = match cp.output {
                crate::generate::OutputPlan::Image { .. } => reach(run, "nixpkgs")?,
                crate::generate::OutputPlan::Toplevel => "nixpkgs".to_owned(),
            };
            Ok(cp.output.value_with(&cp.name, &cp.system, &this, &nixpkgs))
        };
        let path = cp.output_path();
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let mentions_config = |text: &str| {
            text.contains(&format!("nixosConfigurations.{}.", cp.name))
                || text.contains(&format!(
                    "nixosConfigurations.{}.",
                    crate::nix::escape::attr_name(&cp.name)
                ))
        };
        // `packages.${system}.<name>`: the system is a variable (the library's template), whose
        // value may be changing in this very edit; the binding is the output either way.
        let by_variable = body.attrpath_values().find(|b| {
            b.attrpath().is_some_and(|ap| {
                let attrs: Vec<ast::Attr> = ap.attrs().collect();
                attrs.len() == 3
                    && crate::nix::resolve::attr_name(&attrs[0]).as_deref() == Some("packages")
                    && matches!(attrs[1], ast::Attr::Dynamic(_))
                    && crate::nix::resolve::attr_name(&attrs[2]).as_deref()
                        == Some(cp.output.name())
            })
        });
        let other_name = match cp.output {
            crate::generate::OutputPlan::Toplevel => "image",
            crate::generate::OutputPlan::Image { .. } => "toplevel",
        };
        let found = match by_variable {
            Some(binding) => match binding.value() {
                Some(value) => Lookup::Found { binding, value },
                None => lookup(&body, &p),
            },
            None => lookup(&body, &p),
        };
        match found {
            // The library template's image: nixgen owns its size and format; how it gets
            // `pkgs` and `lib` (`inherit pkgs;` from a `let`) and the other arguments are the
            // author's.
            Lookup::Found { value, .. }
                if matches!(cp.output, crate::generate::OutputPlan::Image { .. })
                    && value
                        .syntax()
                        .text()
                        .to_string()
                        .contains("make-disk-image.nix")
                    && mentions_config(&value.syntax().text().to_string())
                    && disk_image_args(&value).is_some() =>
            {
                let args = disk_image_args(&value).expect("checked");
                if let crate::generate::OutputPlan::Image { disk_size, format } = &cp.output {
                    for (field, wanted) in [
                        ("diskSize", Expr::Int(*disk_size)),
                        ("format", Expr::str(format)),
                    ] {
                        match lookup(&args, &[field]) {
                            Lookup::Found { value, .. }
                                if !same_code(
                                    &value.syntax().text().to_string(),
                                    &wanted.print(),
                                ) =>
                            {
                                self.ed(value.syntax())
                                    .replace_expr(value.syntax(), &wanted);
                            }
                            Lookup::Missing { .. } => {
                                self.insert_setting(&args, &[field], &wanted)?
                            }
                            _ => {}
                        }
                    }
                }
            }
            Lookup::Found { value, .. } => {
                let text = value.syntax().text().to_string();
                if !same_code(&text, &wanted.print()) && mentions_config(&text) {
                    let wanted = written(self)?;
                    self.ed(value.syntax())
                        .replace_expr(value.syntax(), &wanted);
                }
            }
            // A flake with no `packages` at all was written without them (by hand, or
            // before nixgen wrote outputs): that stays the author's call.
            // Nor does one whose packages already export this configuration under another
            // name (`packages.${system}.xfs = self.nixosConfigurations.xfs...`).
            Lookup::Missing { .. }
                if !matches!(lookup(&body, &["packages"]), Lookup::Missing { .. })
                    && !packages_mention(&body, &mentions_config, other_name) =>
            {
                let wanted = written(self)?;
                self.insert_setting(&body, &p, &wanted)?
            }
            Lookup::Missing { .. } => {}
            Lookup::Scattered(_) => {}
            // `packages = forAllSystems (...)`: computed by the author, left as it is.
            Lookup::Opaque { .. } => return Ok(()),
        }
        let other = match cp.output {
            crate::generate::OutputPlan::Toplevel => crate::generate::OutputPlan::Image {
                disk_size: 20480,
                format: "qcow2".into(),
            },
            crate::generate::OutputPlan::Image { .. } => crate::generate::OutputPlan::Toplevel,
        };
        let other_path = ["packages", cp.system.as_str(), other.name()];
        if let Lookup::Found { binding, value } = lookup(&body, &other_path) {
            let text = value.syntax().text().to_string();
            let ours = match other {
                crate::generate::OutputPlan::Toplevel => same_code(
                    &text,
                    &other
                        .value_with(&cp.name, &cp.system, &spelled("self"), &spelled("nixpkgs"))
                        .print(),
                ),
                crate::generate::OutputPlan::Image { .. } => {
                    text.contains("make-disk-image.nix") && mentions_config(&text)
                }
            };
            if ours {
                self.pruned.push(binding.syntax().clone());
            } else {
                self.note(format!("`{}`", other_path.join(".")));
            }
        }
        Ok(())
    }

    fn stale_lookup(&mut self, what: &str, found: Lookup) {
        self.note(format!("`{what}`"));
        if !self.prune {
            return;
        }
        match found {
            Lookup::Found { binding, .. } => self.pruned.push(binding.syntax().clone()),
            Lookup::Scattered(bindings) => self
                .pruned
                .extend(bindings.iter().map(|b| b.syntax().clone())),
            _ => {}
        }
    }

    /// Brings one found value in line: attribute sets field by field, anything else whole.
    fn reconcile_value(
        &mut self,
        module: &InlineModule,
        path: &[&str],
        found: Lookup,
        wanted: &Expr,
    ) -> Result<()> {
        match (found, wanted) {
            (found @ (Lookup::Found { .. } | Lookup::Scattered(_)), Expr::Attrs(fields))
                if is_set_like(&found) =>
            {
                let mut planned: Vec<&str> = Vec::new();
                for entry in fields {
                    let Entry::Binding(keys, value) = entry else {
                        continue;
                    };
                    let mut sub: Vec<&str> = path.to_vec();
                    sub.extend(keys.iter().map(String::as_str));
                    planned.push(keys[0].as_str());
                    match lookup(&module.set, &sub) {
                        Lookup::Missing { set, depth, anchor } => {
                            let rest: Vec<String> =
                                sub[depth..].iter().map(|s| (*s).to_owned()).collect();
                            self.ed(set.syntax()).insert_binding(
                                &set,
                                anchor.as_ref().map(|a| a.syntax()),
                                &rest,
                                value,
                            );
                        }
                        l @ Lookup::Opaque { .. } => {
                            return Err(self
                                .flake
                                .refuse(&l, &format!("`{}`", sub.join(".")))
                                .into())
                        }
                        l => self.reconcile_value(module, &sub, l, value)?,
                    }
                }
                // Fields of an owned set that the plan does not have.
                for (key, node) in entries_under(&module.set, path) {
                    if !planned.contains(&key.as_str()) {
                        self.note(format!("`{}.{key}`", path.join(".")));
                        if self.prune {
                            self.pruned.push(node);
                        }
                    }
                }
                Ok(())
            }
            (Lookup::Found { value, .. }, Expr::List(items)) if is_multi_line_list(&value) => {
                if let ast::Expr::List(list) = unwrap_parens(value.clone()) {
                    self.list_elements(&list, items);
                }
                Ok(())
            }
            (Lookup::Found { value, .. }, wanted) => {
                // A priority wrapper (`lib.mkForce "x"`) is the author's: the value inside
                // it is what nixgen owns.
                let value = crate::nix::resolve::priority_wrapper(&value)
                    .map(|(_, inner)| inner)
                    .unwrap_or(value);
                if !crate::nix::resolve::same_value(&value, wanted) {
                    self.ed(value.syntax()).replace_expr(value.syntax(), wanted);
                }
                Ok(())
            }
            (Lookup::Scattered(bindings), wanted) => {
                // Written piecewise but planned whole: replace the pieces with one binding.
                let first = bindings[0].clone();
                let keys: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
                let set = first.syntax().parent().and_then(ast::AttrSet::cast);
                if let Some(set) = set {
                    self.ed(set.syntax()).insert_binding(
                        &set,
                        Some(first.syntax()),
                        &keys[keys.len() - path.len()..],
                        wanted,
                    );
                    bindings
                        .iter()
                        .for_each(|b| self.ed(b.syntax()).remove(b.syntax()));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn overlays(
        &mut self,
        config: &Config,
        main: &InlineModule,
        cp: &ConfigPlan,
        scope: &OverlayScope,
    ) -> Result<()> {
        // Every `nixpkgs.overlays` list of the configuration counts (the template's one in
        // flake.nix, kdevops' `lib.mkAfter [ ... ]` in default.nix); new overlays go into the
        // first unconditional one.
        let lists = self.flake.overlays_lists(config)?;
        // Every planned entry already in one list (a module under `mkIf` too): that list is
        // the one brought in line; nothing goes beside it.
        let holds_all = |l: &ast::List| {
            let here = self.flake.overlay_bindings(l);
            !cp.overlays.is_empty()
                && cp
                    .overlays
                    .iter()
                    .all(|e| here.iter().any(|b| b.package == e.package))
        };
        let Some((_, _, list)) = lists
            .iter()
            .find(|(m, _, _)| !m.conditional && !m.shared)
            .or_else(|| lists.iter().find(|(_, _, l)| holds_all(l)))
            .cloned()
        else {
            // A configuration written without any overlay keeps it that way until the
            // description has one: adding the library's overlay alone would change the
            // system (its fio, spdk, ...) without being asked.
            if cp.overlays.is_empty() {
                return Ok(());
            }
            // The main module sets overlays nixgen cannot read (`import ./overlays.nix`, an
            // inherited list): a second binding beside it would be a duplicate.
            if let Some(node) = match lookup(&main.set, &["nixpkgs", "overlays"]) {
                Lookup::Found { value, .. } => Some(value.syntax().clone()),
                Lookup::Opaque { node, .. } => Some(node),
                _ => None,
            } {
                return Err(self
                    .flake
                    .error_at(&node, "`nixpkgs.overlays` is not a list nixgen can edit (it is imported, inherited or computed)")
                    .with_help("make it `nixpkgs.overlays = [ ... ];` (`[ ... ] ++ import ./overlays.nix` works too), or add the overlays by hand")
                    .into());
            }
            let spellings = self.library_spellings(main.set.syntax())?;
            let default = respell(&Expr::path_of("nixos-flake.overlays.default"), &spellings);
            let mut items = vec![Item::Expr(default)];
            if !cp.overlays.is_empty() {
                items.push(Item::Expr(OverlayEntry::overlay_of(&cp.overlays, scope)));
            }
            return self.insert_setting(&main.set, &["nixpkgs", "overlays"], &Expr::List(items));
        };
        let canonical_default = "nixos-flake.overlays.default";
        let has_default = lists.iter().any(|(_, _, l)| {
            let spellings = input_spellings(l.syntax(), "nixos-flake");
            l.items().any(|i| {
                same_code(
                    &canonical_reference(&i.syntax().text().to_string(), &spellings, "nixos-flake"),
                    canonical_default,
                )
            })
        });
        let bindings: Vec<_> = lists
            .iter()
            .flat_map(|(_, _, l)| self.flake.overlay_bindings(l))
            .collect();
        // The library's overlay goes first when an entry is added (the entries build on it);
        // a list the author wrote without it, holding every planned entry, stays as it is.
        let adds = cp
            .overlays
            .iter()
            .any(|e| !bindings.iter().any(|b| b.package == e.package));
        if !has_default && adds {
            let spellings = self.library_spellings(list.syntax())?;
            let default = respell(&Expr::path_of(canonical_default), &spellings);
            self.ed(list.syntax())
                .insert_item(&list, Some(None), &default);
        }
        let mut missing: Vec<OverlayEntry> = Vec::new();
        for entry in &cp.overlays {
            match bindings.iter().find(|b| b.package == entry.package) {
                Some(existing) => {
                    let value = existing.binding.value().expect("bindings have values");
                    let entry_scope = self.scope_at(
                        existing.binding.syntax(),
                        &super::overlay::scope_of(existing, scope),
                        entry.input(),
                    );
                    match override_body(&value) {
                        // Inside the entry only `src` and `patches` are nixgen's: a
                        // `version`, `configureFlags` or comment a person added stays.
                        Some(body) => self.entry_fields(&body, entry, &entry_scope),
                        None => {
                            let wanted = entry.value(&entry_scope);
                            if !same_code(&value.syntax().text().to_string(), &wanted.print()) {
                                self.ed(value.syntax())
                                    .replace_expr(value.syntax(), &wanted);
                            }
                        }
                    }
                }
                None => missing.push(entry.clone()),
            }
        }
        if !missing.is_empty() {
            // Into nixgen's own overlay function (one whose entries are all planned), else a
            // new `final: prev:` element with all the new entries.
            let own = bindings
                .iter()
                .filter(|b| cp.overlays.iter().any(|e| e.package == b.package))
                .map(|b| b.body.clone())
                .find(|body| {
                    body.attrpath_values().all(|bv| {
                        binding_keys(&bv)
                            .is_some_and(|k| cp.overlays.iter().any(|e| e.package == k[0]))
                    })
                });
            match own {
                Some(body) => {
                    for entry in &missing {
                        let scope = self.scope_at(body.syntax(), scope, entry.input());
                        self.ed(body.syntax()).insert_binding(
                            &body,
                            None,
                            std::slice::from_ref(&entry.package),
                            &entry.value(&scope),
                        );
                    }
                }
                None => {
                    let input = missing.iter().find_map(|e| e.input());
                    match super::overlay_target(self.flake, config)? {
                        Some(super::OverlayTarget::Module(m)) => {
                            let scope = self.scope_at(m.set.syntax(), scope, input);
                            let value = Expr::List(vec![Item::Expr(OverlayEntry::overlay_of(
                                &missing, &scope,
                            ))]);
                            self.insert_setting(&m.set, &["nixpkgs", "overlays"], &value)?
                        }
                        Some(super::OverlayTarget::List(l)) => {
                            let scope = self.scope_at(l.syntax(), scope, input);
                            self.ed(l.syntax()).insert_item(
                                &l,
                                None,
                                &OverlayEntry::overlay_of(&missing, &scope),
                            )
                        }
                        None => {
                            let scope = self.scope_at(list.syntax(), scope, input);
                            self.ed(list.syntax()).insert_item(
                                &list,
                                None,
                                &OverlayEntry::overlay_of(&missing, &scope),
                            )
                        }
                    }
                }
            }
        }
        // Owned entries (`pkg = prev.pkg.overrideAttrs ...`) that the plan no longer has.
        let stale: Vec<_> = bindings
            .iter()
            .filter(|b| !cp.overlays.iter().any(|e| e.package == b.package))
            .filter(|b| {
                b.binding
                    .value()
                    .is_some_and(|v| v.syntax().text().to_string().contains(".overrideAttrs"))
            })
            .collect();
        for b in &stale {
            self.note(format!("overlay for `{}`", b.package));
            self.stale_overlays.push(b.binding.syntax().clone());
        }
        if self.prune {
            let mut handled: Vec<SyntaxNode> = Vec::new();
            for b in &stale {
                if handled.contains(&b.element) {
                    continue;
                }
                let all_stale = b
                    .body
                    .attrpath_values()
                    .all(|bv| stale.iter().any(|s| s.binding.syntax() == bv.syntax()));
                if all_stale {
                    self.ed(&b.element).remove(&b.element);
                    handled.push(b.element.clone());
                } else {
                    self.ed(b.binding.syntax()).remove(b.binding.syntax());
                }
            }
        }
        Ok(())
    }

    fn packages(&mut self, config: &Config, main: &InlineModule, cp: &ConfigPlan) -> Result<()> {
        let path = ["environment", "systemPackages"];
        let Some((_, found)) = self.find(config, &path)? else {
            if cp.packages.is_empty() {
                return Ok(());
            }
            self.ensure_pkgs(main);
            return self.insert_setting(&main.set, &path, &cp.packages_expr());
        };
        let Lookup::Found { value, .. } = found else {
            return Ok(());
        };
        let readable = super::flake::package_list(&value);
        if readable.is_none() && cp.packages.is_empty() {
            // Written as code (`[ ... ] ++ lib.optionals ...`), and nothing to add: the
            // author's.
            return Ok(());
        }
        let (list, with_form) = match unwrap_parens(value.clone()) {
            ast::Expr::With(w) => match w.body().map(unwrap_parens) {
                Some(ast::Expr::List(l)) => (l, true),
                _ => return Err(self.unsupported_packages(&value)),
            },
            ast::Expr::List(l) => (l, false),
            _ => return Err(self.unsupported_packages(&value)),
        };
        let names: Vec<(String, ast::Expr)> = list
            .items()
            .map(|i| {
                let t = i.syntax().text().to_string();
                (super::flake::package_reference(&t).unwrap_or(t), i)
            })
            .collect();
        // New packages go where the description's order puts them: after the package
        // before them (the order is part of the system a configuration builds).
        let mut anchor: Option<SyntaxNode> = None;
        for p in &cp.packages {
            match names.iter().find(|(n, _)| n == p) {
                Some((_, item)) => anchor = Some(item.syntax().clone()),
                None => {
                    let item = if with_form {
                        Expr::path_of(p)
                    } else {
                        Expr::path_of(&format!("pkgs.{p}"))
                    };
                    self.ed(list.syntax())
                        .insert_item(&list, Some(anchor.as_ref()), &item);
                }
            }
        }
        for (name, item) in &names {
            if !cp.packages.contains(name) {
                self.note(format!("package `{name}`"));
                if self.prune {
                    self.ed(item.syntax()).remove(item.syntax());
                }
            }
        }
        Ok(())
    }

    fn unsupported_packages(&self, value: &ast::Expr) -> crate::diag::Failure {
        self.flake
            .error_at(value.syntax(), "nixgen cannot edit `environment.systemPackages` written this way")
            .with_help("write it as `with pkgs; [ ... ]` or `[ pkgs.a pkgs.b ]`, or keep packages out of host.yaml")
            .into()
    }

    /// Makes `pkgs` available in the main inline module's body.
    fn ensure_pkgs(&mut self, main: &InlineModule) {
        if main.has_pkgs() {
            return;
        }
        match main.lambda.as_ref().and_then(|l| l.param()) {
            Some(ast::Param::Pattern(p)) => self.ed(p.syntax()).insert_pattern_entry(&p, "pkgs"),
            Some(ast::Param::IdentParam(_)) => {}
            None => self
                .ed(&main.item)
                .wrap(&main.item, "({ pkgs, ... }: ", ")"),
        }
    }

    fn new_inline_module(
        &mut self,
        config: &Config,
        cp: &ConfigPlan,
        scope: &OverlayScope,
    ) -> Result<()> {
        let list = config
            .module_lists
            .last()
            .expect("modules() checked a list exists");
        // Only what no module of the configuration has yet (its modules may all be
        // conditional, or in a shared list).
        let mut body: Vec<Entry> = Vec::new();
        for setting in &cp.settings {
            let path: Vec<&str> = setting.path.iter().map(String::as_str).collect();
            if self.find(config, &path)?.is_none() {
                body.push(Entry::Binding(setting.path.clone(), setting.value.clone()));
            }
        }
        // Overlays the configuration's modules already have (under `mkIf` too) are not
        // added again: only the planned entries no list holds yet.
        let held: Vec<String> = self
            .flake
            .overlays_lists(config)?
            .iter()
            .flat_map(|(_, _, l)| self.flake.overlay_bindings(l))
            .map(|b| b.package)
            .collect();
        let missing: Vec<OverlayEntry> = cp
            .overlays
            .iter()
            .filter(|e| !held.contains(&e.package))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let overlays = vec![
                Item::Expr(Expr::path_of("nixos-flake.overlays.default")),
                Item::Expr(OverlayEntry::overlay_of(&missing, scope)),
            ];
            body.push(Entry::Binding(
                vec!["nixpkgs".into(), "overlays".into()],
                Expr::List(overlays),
            ));
        }
        if !cp.packages.is_empty()
            && self
                .find(config, &["environment", "systemPackages"])?
                .is_none()
        {
            body.push(Entry::Binding(
                vec!["environment".into(), "systemPackages".into()],
                cp.packages_expr(),
            ));
        }
        if body.is_empty() {
            return Ok(());
        }
        let module = Expr::Lambda(
            crate::nix::ast::Param::Pattern {
                names: vec!["pkgs".into()],
                ellipsis: true,
                at: None,
            },
            Box::new(Expr::Attrs(body)),
        );
        self.ed(list.syntax()).insert_item(list, None, &module);
        Ok(())
    }

    /// `flake = false` inputs the plan does not declare and nothing but stale overlay
    /// entries uses; removed with `--prune`.
    fn stale_inputs(&mut self, plan: &FlakePlan, _cp: &ConfigPlan) -> Result<()> {
        for name in self.flake.input_names() {
            if plan.inputs.iter().any(|i| i.name == name) {
                continue;
            }
            let source_only = matches!(
                lookup(&self.flake.top, &["inputs", &name, "flake"]),
                Lookup::Found { value, .. } if value.syntax().text() == "false"
            );
            if !source_only {
                continue;
            }
            let removed = std::mem::take(&mut self.stale_overlays);
            let unused = if self.prune {
                unused_input(self.flake, Some(&mut self.eds[0]), &name, &removed)?
            } else {
                unused_input(self.flake, None, &name, &removed)?
            };
            self.stale_overlays = removed;
            if unused {
                self.note(format!("input `{name}`"));
            }
        }
        Ok(())
    }
}

fn is_set_like(found: &Lookup) -> bool {
    match found {
        Lookup::Found { value, .. } => {
            matches!(unwrap(value.clone(), false), ast::Expr::AttrSet(_))
        }
        Lookup::Scattered(_) => true,
        _ => false,
    }
}

/// The first keys below `path` in `set`, with the binding that spells each out (for a nested
/// set, its bindings; for dotted paths, the deeper bindings).
fn entries_under(set: &ast::AttrSet, path: &[&str]) -> Vec<(String, SyntaxNode)> {
    match lookup(set, path) {
        Lookup::Found { value, .. } => match unwrap(value, false) {
            ast::Expr::AttrSet(s) => s
                .attrpath_values()
                .filter_map(|b| binding_keys(&b).map(|k| (k[0].clone(), b.syntax().clone())))
                .collect(),
            _ => Vec::new(),
        },
        Lookup::Scattered(bindings) => bindings
            .iter()
            .filter_map(|b| {
                let keys = binding_keys(b)?;
                // The key right after `path`, wherever the binding's own path starts (it
                // spells the end of `path`, `users.users.x` below `users`, then more).
                (0..path.len()).find_map(|o| {
                    let rest = &path[o..];
                    let spelled =
                        keys.len() > rest.len() && keys.iter().zip(rest).all(|(k, p)| k == p);
                    spelled.then(|| (keys[rest.len()].clone(), b.syntax().clone()))
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An attribute name as the user would write it in a message (`"/mnt/x"` quoted).
fn attr_shown(name: &str) -> String {
    crate::nix::escape::attr_name(name)
}

/// `text` as `#` comment lines, every line after the first at `indent`.
fn comment_lines(text: &str, indent: &str) -> String {
    text.lines()
        .map(|l| format!("# {l}"))
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

/// True when `node` is an `inherit` (without `(from)`) that names `name`.
fn inherits_plain(node: &SyntaxNode, name: &str) -> bool {
    ast::Inherit::cast(node.clone()).is_some_and(|i| {
        i.from().is_none()
            && i.attrs()
                .any(|a| crate::nix::resolve::attr_name(&a).as_deref() == Some(name))
    })
}

/// True when a `packages` binding of the outputs body mentions the configuration.
/// (The other owned output, `skip`, which a backend change replaces, does not count.)
fn packages_mention(body: &ast::AttrSet, mentions: &dyn Fn(&str) -> bool, skip: &str) -> bool {
    body.attrpath_values().any(|b| {
        let names: Vec<Option<String>> = b
            .attrpath()
            .map(|p| {
                p.attrs()
                    .map(|a| crate::nix::resolve::attr_name(&a))
                    .collect()
            })
            .unwrap_or_default();
        names.first().and_then(|n| n.as_deref()) == Some("packages")
            && names.last().and_then(|n| n.as_deref()) != Some(skip)
            && mentions(&b.syntax().text().to_string())
    })
}

/// The argument set of `import ".../make-disk-image.nix" { ... }`.
fn disk_image_args(value: &ast::Expr) -> Option<ast::AttrSet> {
    let ast::Expr::Apply(apply) = unwrap_parens(value.clone()) else {
        return None;
    };
    match unwrap_parens(apply.argument()?) {
        ast::Expr::AttrSet(set) => Some(set),
        _ => None,
    }
}

/// True for a list written over several lines (element-wise edits keep its comments; an
/// inline list is replaced whole).
fn is_multi_line_list(value: &ast::Expr) -> bool {
    matches!(unwrap_parens(value.clone()), ast::Expr::List(l) if l.syntax().text().contains_char('\n'))
}

/// `expr` (a reference `nixos-flake.<...>`) with the library spelled as `spellings[0]`.
fn respell(expr: &Expr, spellings: &[String]) -> Expr {
    let printed = expr.print();
    match (spellings.first(), printed.strip_prefix("nixos-flake")) {
        (Some(first), Some(rest)) if first != "nixos-flake" && rest.starts_with('.') => {
            Expr::path_of(&format!("{first}{rest}"))
        }
        _ => expr.clone(),
    }
}
