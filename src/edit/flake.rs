//! A read-only view of a configuration flake (or a NixOS module file): where its inputs, its
//! outputs function, its `nixosConfigurations`, their `modules` lists, inline modules,
//! `nixpkgs.overlays` and overlay entries are, whichever way the author wrote them.
//!
//! Configurations are found where Nix would find them: written out, merged with `//` or
//! `recursiveUpdate`, under flake-parts' `flake`, inherited from a `let`, built by a helper
//! function of the file (its call's arguments mapped onto its parameters), or computed from
//! names (`genAttrs`, `mapAttrs`, `listToAttrs (map ...)`) that [`crate::nix::eval`] works out;
//! names it cannot work out stand as one configuration, [`EVERY`]. A configuration's module
//! files (`./default.nix`, a host module a helper names) are read with it.
//!
//! Every locator returns nodes of one parse of the file; what cannot be seen through comes back
//! as a [`Diagnostic`] with the line and column of the offending node and what to do instead.

use std::path::{Path, PathBuf};

use rnix::ast::{self, HasEntry};
use rnix::SyntaxNode;
use rowan::ast::AstNode;

use crate::diag::{Diagnostic, Position, Result};
use crate::fsio::dir_of;
pub use crate::nix::resolve::unwrap_parens;
use crate::nix::resolve::{self, binding_keys, lookup, static_string, unwrap, Lookup};

/// A parsed file and where it came from.
pub struct Flake {
    /// The file's path as the caller gave it: diagnostics name the file by it, and a module
    /// file's one configuration is named after its stem.
    pub path: PathBuf,
    /// The source the tree was parsed from; node offsets index into it.
    pub text: String,
    /// The whole parse (rnix keeps every byte, comments included).
    pub root: ast::Root,
    /// The top-level attribute set (through parentheses, `let ... in`, a module function or
    /// `mkIf`).
    pub top: ast::AttrSet,
    /// The local module files a configuration of this flake imports (the library template's
    /// `./default.nix`), once [`Flake::load_module_files`] has read them: their options are
    /// the configuration's as much as the flake's own inline modules are.
    pub module_files: Vec<Flake>,
    /// Local module files the configuration names that were not read, with why (missing,
    /// outside the flake's directory, or not a module written as an attribute set).
    pub unread_module_files: Vec<(PathBuf, String)>,
    /// The strict check of a large file's text, running on a thread of its own since the
    /// file was read for an edit ([`crate::nix::spawn_strict_check`]); the file's editor
    /// takes it ([`super::editors`]).
    pub input_check: std::cell::RefCell<Option<crate::edit::editor::InputCheck>>,
}

/// One `nixosConfigurations.<name>` (or, for a module file, the module itself).
#[derive(Clone)]
pub struct Config {
    /// The configuration's name: its key under `nixosConfigurations`, or a module file's
    /// name without extension.
    pub name: String,
    /// The `name = nixosSystem { ... };` binding (written `nixosConfigurations.name = ...` or
    /// inside the set); the last attribute of its path is the key to rename. `None` for a
    /// module file.
    pub binding: Option<ast::AttrpathValue>,
    /// The `nixosSystem { ... }` argument; `None` for a module file.
    pub args: Option<ast::AttrSet>,
    /// The literal lists making up `modules` (several with `++`), in file order; empty when
    /// the configuration has no `modules` or is a module file.
    pub module_lists: Vec<ast::List>,
    /// Modules that come from a `let`-bound list shared with other configurations
    /// (`modules = shared ++ [ ... ];`): seen, never edited.
    pub shared_modules: Vec<ast::Expr>,
    /// The lists `shared_modules` come from (a helper's own `modules`, a `let`-bound
    /// `common`): where a new module goes only when the configuration has no module of its
    /// own written in the files read ([`Config::shared_fallback`]).
    pub shared_lists: Vec<ast::List>,
    /// What to call `shared_lists` in messages (`` `mkHost`'s own `modules` ``).
    pub shared_by: Option<String>,
    /// The inline modules (list elements that are attribute sets, possibly behind a module
    /// function, `let` or `mkIf`) of `module_lists`, in order; imported module paths are not
    /// here. A module file has exactly one: the file itself.
    pub inline_modules: Vec<InlineModule>,
    /// Parts of modules' `imports` that are not literal lists (`map (...) suites`): module
    /// references nixgen cannot read.
    pub opaque_imports: Vec<SyntaxNode>,
    /// Modules whose `config` nixgen cannot see through (`config = lib.mkMerge [ ... ];`):
    /// left as they are, and no option goes beside them.
    pub opaque_modules: Vec<SyntaxNode>,
    /// The helper function the configuration is built by (`mkHost`), when it is: its
    /// `modules` list arguments are edited at the call.
    pub helper: Option<String>,
    /// The arguments of the `nixosSystem` call inside a helper (shared by its calls): read,
    /// never edited.
    pub system_args: Option<ast::AttrSet>,
    /// Module files a helper's call passes as a path (`mkConfig ./hosts/a.nix`): read with
    /// the configuration ([`Flake::load_module_files`]).
    pub passed_modules: Vec<SyntaxNode>,
    /// The module files read for the configuration that are its own by construction: the
    /// ones a helper's call passes or names from the configuration's name (another
    /// configuration built the same way gets the same `specialArgs`).
    pub own_files: Vec<PathBuf>,
    /// Module files a helper names from a known argument (`./hosts/${name}` for the name
    /// `genAttrs` passes): the path worked out, and where it is written.
    pub named_modules: Vec<(String, SyntaxNode)>,
}

impl Config {
    /// A configuration with nothing read yet.
    fn new(
        name: String,
        binding: Option<ast::AttrpathValue>,
        args: Option<ast::AttrSet>,
    ) -> Config {
        Config {
            name,
            binding,
            args,
            module_lists: Vec::new(),
            shared_modules: Vec::new(),
            shared_lists: Vec::new(),
            shared_by: None,
            inline_modules: Vec::new(),
            opaque_imports: Vec::new(),
            opaque_modules: Vec::new(),
            helper: None,
            system_args: None,
            passed_modules: Vec::new(),
            named_modules: Vec::new(),
            own_files: Vec::new(),
        }
    }

    /// Takes in the inline modules of a module list (`modules`, or an `imports` list), and
    /// the `imports` lists of those modules in turn: a module reference or an option is
    /// nixgen's wherever the configuration's modules put it.
    fn add_list_modules(&mut self, list: &ast::List) {
        for item in list.items() {
            self.add_item(&item, false);
        }
    }

    /// Takes in one module list element when it is an inline module; `shared` for one of a
    /// `let`-bound list that other configurations use too.
    fn add_item(&mut self, item: &ast::Expr, shared: bool) {
        // `modules = [ hostModule ];` with `hostModule = { ... }: { ... };` in a `let`: the
        // module is read where it is written, and is shared when anything else names it.
        if let ast::Expr::Ident(ident) = unwrap_parens(item.clone()) {
            let name = ident.syntax().text().to_string();
            if let Some(binding) = resolve::let_bound(ident.syntax(), &name) {
                if let Some(value) = binding.value().filter(|v| {
                    matches!(
                        unwrap_parens(v.clone()),
                        ast::Expr::Lambda(_) | ast::Expr::AttrSet(_)
                    )
                }) {
                    let scope = binding.syntax().parent();
                    let uses = scope
                        .iter()
                        .flat_map(|s| s.descendants())
                        .filter(|n| {
                            n.kind() == rnix::SyntaxKind::NODE_IDENT
                                && n.text() == name.as_str()
                                && n.parent()
                                    .is_some_and(|p| p.kind() != rnix::SyntaxKind::NODE_ATTRPATH)
                        })
                        .count();
                    self.add_item(&value, shared || uses > 1);
                }
            }
            return;
        }
        let lambda = match unwrap_parens(item.clone()) {
            ast::Expr::Lambda(l) => Some(l),
            _ => None,
        };
        let conditional = contains_mk_if(item);
        if let ast::Expr::AttrSet(set) = unwrap(item.clone(), true) {
            self.add_module(InlineModule {
                item: item.syntax().clone(),
                set,
                lambda,
                conditional,
                declares_options: false,
                shared,
            });
        }
    }

    /// Takes in one module and the literal lists of its `imports` (several with `++`); what
    /// is not a literal list there is noted in [`Config::opaque_imports`]. A module in the
    /// full form (`config = { ... };`, maybe under `mkIf`) has its options in that set; one
    /// whose `config` cannot be seen through (`mkMerge [ ... ]`) is left out: nixgen may not
    /// put options beside it.
    fn add_module(&mut self, mut module: InlineModule) {
        let mut lists = Vec::new();
        if let Lookup::Found { value, .. } = lookup(&module.set, &["imports"]) {
            collect_lists(value, &mut lists, &mut self.opaque_imports);
        }
        module.declares_options =
            !matches!(lookup(&module.set, &["options"]), Lookup::Missing { .. });
        let mut readable = true;
        if let Lookup::Found { value, .. } = lookup(&module.set, &["config"]) {
            let under_mk_if = matches!(
                unwrap_parens(value.clone()),
                ast::Expr::Apply(a) if resolve::is_mk_if(&a)
            );
            match unwrap(value, true) {
                ast::Expr::AttrSet(config) => {
                    module.set = config;
                    module.conditional |= under_mk_if;
                }
                _ => readable = false,
            }
        }
        if readable {
            self.inline_modules.push(module);
        } else {
            self.opaque_modules.push(module.item.clone());
        }
        for list in lists {
            if !self.module_lists.contains(&list) {
                self.module_lists.push(list.clone());
                self.add_list_modules(&list);
            }
        }
    }

    /// The local module files the configuration's module lists name (`./default.nix`,
    /// `../common`), as written, with the node naming each. A path with interpolation or one
    /// that is not relative is not followed.
    pub fn local_module_paths(&self) -> Vec<(String, SyntaxNode)> {
        let mut out = Vec::new();
        let paths = self
            .module_lists
            .iter()
            .flat_map(|l| l.items())
            .filter_map(|item| match unwrap_parens(item) {
                ast::Expr::PathRel(p) => Some(p.syntax().clone()),
                _ => None,
            })
            .chain(self.passed_modules.iter().cloned());
        for p in paths {
            let text = p.text().to_string();
            if (text.starts_with("./") || text.starts_with("../")) && !text.contains("${") {
                out.push((text, p));
            }
        }
        out.extend(self.named_modules.iter().cloned());
        out
    }

    /// Adds a module file (parsed as [`Flake`] with no `outputs`) to the configuration: its
    /// module, and the module lists its `imports` has.
    pub fn attach_module_file(&mut self, file: &Flake) {
        let item = file
            .root
            .expr()
            .map(|e| e.syntax().clone())
            .unwrap_or_else(|| file.top.syntax().clone());
        let lambda = file.module_lambda();
        let conditional = file.root.expr().is_some_and(|e| contains_mk_if(&e));
        self.add_module(InlineModule {
            item,
            set: file.top.clone(),
            lambda,
            conditional,
            declares_options: false,
            shared: false,
        });
    }

    /// The inline module new settings go into: the first one that is not under `mkIf` and is
    /// written over several lines (so that an insertion adds lines instead of rewriting a
    /// one-line module), else the first one not under `mkIf`.
    pub fn main_module(&self) -> Option<&InlineModule> {
        let unconditional = || {
            self.inline_modules
                .iter()
                .filter(|m| !m.conditional && !m.shared)
        };
        unconditional()
            .find(|m| m.set.syntax().text().contains_char('\n'))
            .or_else(|| unconditional().next())
    }

    /// The configuration in words, for messages: "configuration `vm` is", or, for the ones
    /// computed from names nixgen cannot list ([`EVERY`]), "the computed configurations are".
    pub fn described(&self) -> String {
        if self.name == EVERY {
            "the configurations computed in `nixosConfigurations` are".to_owned()
        } else {
            format!("configuration `{}` is", self.name)
        }
    }

    /// True when `file` (one of the flake's module files) is one of the configuration's own
    /// ([`Config::own_files`]).
    pub fn owns_file(&self, file: &Flake) -> bool {
        self.own_files.contains(&file.path)
    }

    /// True when the configuration's `nixosSystem` call passes the flake's inputs to its
    /// modules as `inputs` (`specialArgs = { inherit inputs; };`, also merged with `//`).
    pub fn passes_inputs(&self) -> bool {
        let has_inputs =
            |set: &ast::AttrSet| !matches!(lookup(set, &["inputs"]), Lookup::Missing { .. });
        [self.args.as_ref(), self.system_args.as_ref()]
            .into_iter()
            .flatten()
            .any(|args| match lookup(args, &["specialArgs"]) {
                Lookup::Found { value, .. } => {
                    let mut sets = Vec::new();
                    let mut rest = Vec::new();
                    collect_sets(value, &mut sets, &mut rest);
                    sets.iter().any(has_inputs)
                }
                Lookup::Scattered(list) => list.iter().any(|b| {
                    binding_keys(b).is_some_and(|k| k.get(1).is_some_and(|k| k == "inputs"))
                }),
                _ => false,
            })
    }

    /// The shared list a new module goes into when the configuration has no module list and
    /// no module of its own in the files read (`a = mkHost "a";` with `hosts/a` missing, or
    /// `modules = common;`): other configurations get what goes there too, which the edit's
    /// note says.
    pub fn shared_fallback(&self) -> Option<&ast::List> {
        if !self.module_lists.is_empty() || self.main_module().is_some() {
            return None;
        }
        self.shared_lists.last()
    }
}

/// An inline module in a `modules` list.
#[derive(Clone)]
pub struct InlineModule {
    /// The list element (with its parentheses); for a module file, the file's whole
    /// expression.
    pub item: SyntaxNode,
    /// The module's attribute set.
    pub set: ast::AttrSet,
    /// The module function (`{ config, pkgs, ... }: { ... }`); `None` when the module is a
    /// plain attribute set.
    pub lambda: Option<ast::Lambda>,
    /// True when the module as a whole is under `mkIf` (an `mkIf` on one of its options does
    /// not count): settings added there would be conditional too.
    pub conditional: bool,
    /// True when the module declares options (`options = { ... };`): a module of its own,
    /// whose settings are in `set` (its `config`).
    pub declares_options: bool,
    /// True for a module of a `let`-bound list other configurations use too
    /// (`modules = common ++ [ ... ];`): seen, but new settings never go there.
    pub shared: bool,
}

impl InlineModule {
    /// nixgen's settings marker in this module: the comment `# nixgen owns these options
    /// (host.yaml `settings`):` and the `#   path` comments that follow it, in order; empty
    /// when the module has none.
    pub fn settings_marker(&self) -> Vec<rnix::SyntaxToken> {
        use rnix::SyntaxKind as K;
        let tokens: Vec<rnix::SyntaxToken> = self
            .set
            .syntax()
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() != K::TOKEN_WHITESPACE)
            .collect();
        let Some(start) = tokens.iter().position(|t| {
            t.kind() == K::TOKEN_COMMENT
                && t.text().trim_start_matches('#').trim() == crate::generate::plan::SETTINGS_MARKER
        }) else {
            return Vec::new();
        };
        let listed = tokens[start + 1..]
            .iter()
            .take_while(|t| t.kind() == K::TOKEN_COMMENT && t.text().starts_with("#  "));
        std::iter::once(&tokens[start])
            .chain(listed)
            .cloned()
            .collect()
    }

    /// The option paths [`InlineModule::settings_marker`] lists.
    pub fn settings_marked(&self) -> Vec<Vec<String>> {
        self.settings_marker()
            .iter()
            .skip(1)
            .map(|t| crate::model::settings_path(t.text().trim_start_matches('#').trim()))
            .collect()
    }

    /// True when `pkgs` is in scope in the module's body: the module is a function whose
    /// argument pattern names `pkgs` (`{ pkgs, ... }: ...`). A function taking a single
    /// identifier (`args: ...`) does not count.
    pub fn has_pkgs(&self) -> bool {
        match self.lambda.as_ref().and_then(|l| l.param()) {
            Some(ast::Param::Pattern(p)) => p
                .pat_entries()
                .any(|e| e.ident().is_some_and(|i| i.syntax().text() == "pkgs")),
            _ => false,
        }
    }
}

/// Where an overlay entry's source comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EntrySource {
    /// A flake input (usually `flake = false`): `src = name;`, `src = inputs.name;` or
    /// `src = inputs.name.outPath;`.
    Input {
        /// The input's name.
        input: String,
        /// The input's `url` when this file's `inputs` write it as a plain string; `None` when
        /// it is computed, written elsewhere, or the file is a module with no `inputs`.
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// A `fetchFromGitHub { ... }` call. Each field is the string's value when it is a
    /// literal, the expression's text when it is not, and empty when it is missing.
    Github {
        /// The GitHub user or organization.
        owner: String,
        /// The repository name.
        repo: String,
        /// The commit, branch or tag to fetch.
        rev: String,
    },
    /// A `fetchgit { ... }` or `builtins.fetchGit { ... }` call; fields read as for `Github`.
    Git {
        /// The repository URL.
        url: String,
        /// The commit or ref to fetch.
        rev: String,
    },
    /// Something else.
    Other {
        /// The source text of the `src` value, or of the whole binding value when it is not an
        /// `overrideAttrs` call; as written, so it may span lines.
        expr: String,
    },
    /// No `src` is overridden.
    None,
}

/// One `pkg = ...;` binding of an overlay function in `nixpkgs.overlays`.
#[derive(Clone)]
pub struct OverlayBinding {
    /// The attribute the binding sets: the package being overridden.
    pub package: String,
    /// The whole `pkg = ...;` binding.
    pub binding: ast::AttrpathValue,
    /// The overlay function's body set (which may bind other packages too).
    pub body: ast::AttrSet,
    /// The `nixpkgs.overlays` list element holding the overlay function (with its
    /// parentheses): what to remove when this binding is the function's last.
    pub element: SyntaxNode,
    /// Where the overridden `src` comes from.
    pub source: EntrySource,
    /// True when the override sets `patches = [ ];`, dropping the package's own patches
    /// (which rarely apply to another source).
    pub clears_patches: bool,
}

impl Flake {
    /// A diagnostic at the start of `node`, a node of this file's parse or of one of its
    /// [`Flake::module_files`] (the diagnostic names that file).
    pub fn error_at(&self, node: &SyntaxNode, message: impl Into<String>) -> Diagnostic {
        let file = self.file_of(node);
        let position = Position::of_offset(&file.text, node.text_range().start().into());
        Diagnostic::at(&file.path, &file.text, position, message)
    }

    /// This file, then the module files read for it, in the order they were read.
    pub fn files(&self) -> impl Iterator<Item = &Flake> {
        std::iter::once(self).chain(self.module_files.iter())
    }

    /// The index in [`Flake::files`] of the file `node` belongs to (0 for a node of no file
    /// read here).
    pub fn file_index(&self, node: &SyntaxNode) -> usize {
        let root = node.ancestors().last();
        self.files()
            .position(|f| root.as_ref() == Some(f.root.syntax()))
            .unwrap_or(0)
    }

    /// The file `node` belongs to.
    pub fn file_of(&self, node: &SyntaxNode) -> &Flake {
        self.files().nth(self.file_index(node)).unwrap_or(self)
    }

    /// Reads the local module files `config` names (`./default.nix` in `modules`, and files
    /// those name in `imports`, transitively) that lie inside the flake's directory, and
    /// attaches each to `config` (see [`Config::attach_module_file`]). A file outside the
    /// directory (`../common.nix`, likely shared with other configurations), a missing file
    /// and a file that is not a module written as an attribute set stay unread: they are
    /// hand-written code nixgen neither owns nor edits. A file that does not parse is an
    /// error.
    pub fn load_module_files(&mut self, config: &mut Config) -> Result<()> {
        let Ok(base) = std::fs::canonicalize(dir_of(&self.path)) else {
            return Ok(());
        };
        let mut seen: Vec<PathBuf> = std::fs::canonicalize(&self.path).into_iter().collect();
        loop {
            let mut added = false;
            for (literal, node) in config.local_module_paths() {
                let mut path = crate::model::paths::normalize(
                    &dir_of(&self.file_of(&node).path).join(&literal),
                );
                if path.is_dir() {
                    path = path.join("default.nix");
                }
                let mut unread = |path: &Path, why: &str| {
                    if !self.unread_module_files.iter().any(|(p, _)| p == path) {
                        self.unread_module_files
                            .push((path.to_path_buf(), why.to_owned()));
                    }
                };
                let Ok(real) = std::fs::canonicalize(&path) else {
                    unread(&path, "it does not exist");
                    continue;
                };
                if seen.contains(&real) {
                    continue;
                }
                if !real.starts_with(&base) {
                    unread(&path, "it is outside the flake's directory (shared with other configurations, likely)");
                    continue;
                }
                seen.push(real);
                let Ok(text) = std::fs::read_to_string(&path) else {
                    unread(&path, "it cannot be read");
                    continue;
                };
                let file = match crate::nix::parse_lenient(&text) {
                    Ok(root) => match Flake::from_root(&path, &text, root) {
                        Ok(file) if !file.is_flake() => file,
                        _ => {
                            unread(&path, "it is not a module written as an attribute set");
                            continue;
                        }
                    },
                    Err(e) => return fail(syntax_diagnostic(&path, &text, &e)),
                };
                let own = config.passed_modules.contains(&node)
                    || config.named_modules.iter().any(|(_, n)| *n == node);
                if own {
                    config.own_files.push(path.clone());
                }
                config.attach_module_file(&file);
                self.module_files.push(file);
                added = true;
            }
            if !added {
                return Ok(());
            }
        }
    }

    /// Parses `text`, the content of `path`, with both parsers (rnix and the strict one);
    /// refuses files with syntax errors, empty files and files that are not an attribute set.
    pub fn parse(path: &Path, text: &str) -> Result<Flake> {
        match crate::nix::parse_checked(text) {
            Ok(root) => Flake::from_root(path, text, root),
            Err(e) => fail(syntax_diagnostic(path, text, &e)),
        }
    }

    /// Parses `text` with rnix only, for an edit: the edit's result gets the strict check,
    /// and [`super::finish`] reports the input's own error when the result fails it.
    pub fn parse_for_edit(path: &Path, text: &str) -> Result<Flake> {
        // A large file's strict check runs while rnix parses it and the edit is planned.
        let check = crate::nix::spawn_strict_check(text);
        match crate::nix::parse_lenient(text) {
            Ok(root) => {
                let flake = Flake::from_root(path, text, root)?;
                *flake.input_check.borrow_mut() = check;
                Ok(flake)
            }
            Err(e) => fail(syntax_diagnostic(path, text, &e)),
        }
    }

    fn from_root(path: &Path, text: &str, root: ast::Root) -> Result<Flake> {
        let expr = root
            .expr()
            .ok_or_else(|| Diagnostic::in_file(path, "the file is empty"))?;
        let top = match unwrap(expr.clone(), true) {
            ast::Expr::AttrSet(s) => s,
            other => {
                let position =
                    Position::of_offset(text, other.syntax().text_range().start().into());
                return fail(Diagnostic::at(path, text, position, "the file is not an attribute set")
                    .with_help("nixgen edits flakes (`{ inputs = ...; outputs = ...; }`) and NixOS module files"));
            }
        };
        Ok(Flake {
            path: path.to_path_buf(),
            text: text.to_owned(),
            root,
            top,
            module_files: Vec::new(),
            unread_module_files: Vec::new(),
            input_check: std::cell::RefCell::new(None),
        })
    }

    /// The module function a module file is (`{ pkgs, ... }: { ... }`); `None` for a plain
    /// set.
    pub fn module_lambda(&self) -> Option<ast::Lambda> {
        match unwrap_parens(self.root.expr()?) {
            ast::Expr::Lambda(l) => Some(l),
            _ => None,
        }
    }

    /// The name the module function gives its whole argument set (`@args`), if any.
    pub fn module_args_name(&self) -> Option<String> {
        match self.module_lambda()?.param()? {
            ast::Param::Pattern(p) => Some(p.pat_bind()?.ident()?.syntax().text().to_string()),
            ast::Param::IdentParam(_) => None,
        }
    }

    /// True for a flake (it has `outputs`, or something opaque stands where it would be),
    /// false for a module file.
    pub fn is_flake(&self) -> bool {
        !matches!(lookup(&self.top, &["outputs"]), Lookup::Missing { .. })
    }

    fn opaque(&self, node: &SyntaxNode, reason: &str, help: &str) -> Diagnostic {
        self.error_at(node, format!("nixgen cannot edit this: {reason}"))
            .with_help(help.to_owned())
    }

    /// The refusal for a lookup that met something opaque, naming `what` was looked for
    /// (such as "`nixpkgs.overlays`"); any other lookup gives a plain "cannot find" error.
    pub fn refuse(&self, lookup: &Lookup, what: &str) -> Diagnostic {
        match lookup {
            Lookup::Opaque { node, reason } => self.opaque(
                node,
                reason,
                &format!(
                    "write {what} literally in this file (an attribute set or list nixgen can \
                     see), or make the change by hand; the file was not touched"
                ),
            ),
            _ => Diagnostic::in_file(&self.path, format!("cannot find {what}")),
        }
    }

    /// The `outputs` function; an error when there is no `outputs` or it is not written as a
    /// function.
    pub fn outputs(&self) -> Result<ast::Lambda> {
        match lookup(&self.top, &["outputs"]) {
            Lookup::Found { value, .. } => match unwrap(value.clone(), false) {
                ast::Expr::Lambda(l) => Ok(l),
                other => fail(self.opaque(
                    other.syntax(),
                    "`outputs` is not written as a function here",
                    "write `outputs = { self, nixpkgs, nixos-flake, ... }@inputs: { ... };`",
                )),
            },
            l @ Lookup::Opaque { .. } => fail(self.refuse(&l, "`outputs`")),
            _ => fail(
                Diagnostic::in_file(&self.path, "the flake has no `outputs`").with_help(
                    "a configuration flake needs `outputs = { self, nixpkgs, ... }: { ... };`",
                ),
            ),
        }
    }

    /// A module file as a configuration of its own, named after the file.
    fn module_file_config(&self) -> Config {
        let name = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut config = Config::new(name, None, None);
        config.attach_module_file(self);
        config
    }

    /// Each `nixosConfigurations.<name>` binding: the name, the binding and its value, in
    /// file order (from every set the outputs are made of; `nixosConfigurations` written
    /// several times, which Nix merges, included).
    fn configuration_bindings(&self) -> Result<Vec<(String, ast::AttrpathValue, ast::Expr)>> {
        let outputs = self.outputs()?;
        let mut bindings: Vec<(String, ast::AttrpathValue, ast::Expr)> = Vec::new();
        for (body, prefix) in self.output_sets(&outputs)? {
            let mut path = prefix.clone();
            path.push("nixosConfigurations");
            let found = lookup(&body, &path);
            // `inherit nixosConfigurations;` with the set bound by a `let`.
            let found = match &found {
                Lookup::Opaque { node, .. } => inherited_from_let(node, "nixosConfigurations")
                    .and_then(|binding| {
                        Some(Lookup::Found {
                            value: binding.value()?,
                            binding,
                        })
                    })
                    .unwrap_or(found),
                _ => found,
            };
            // `nixosConfigurations = { ... };` written again further down: Nix merges them.
            let again: Vec<ast::Expr> = match &found {
                Lookup::Found { binding, .. } => body
                    .attrpath_values()
                    .filter(|b| b.syntax() != binding.syntax())
                    .filter(|b| binding_keys(b).is_some_and(|k| k == path))
                    .filter_map(|b| b.value())
                    .collect(),
                _ => Vec::new(),
            };
            let sets = std::iter::once(found).chain(again.into_iter().map(|value| {
                Lookup::Found {
                    binding: ast::AttrpathValue::cast(
                        value.syntax().parent().expect("a value has a binding"),
                    )
                    .expect("the parent of a binding's value is the binding"),
                    value,
                }
            }));
            for found in sets {
                match found {
                Lookup::Found { value, .. } => match without_with(unwrap(value.clone(), false)) {
                    ast::Expr::AttrSet(set) => {
                        // `inherit a b;`: configurations a `let` binds.
                        for i in set.inherits() {
                            for attr in i.attrs() {
                                let name = resolve::attr_name(&attr).unwrap_or_default();
                                match inherited_from_let(i.syntax(), &name).and_then(|b| Some((b.value()?, b))) {
                                    Some((value, binding)) => bindings.push((name, binding, value)),
                                    None => return fail(self.opaque(i.syntax(), "a configuration comes from an `inherit` nixgen cannot follow", "write each configuration as `name = nixpkgs.lib.nixosSystem { ... };` (or bind it in a `let` of this file)")),
                                }
                            }
                        }
                        for b in set.attrpath_values() {
                            let keys = binding_keys(&b).ok_or_else(|| {
                                self.opaque(b.syntax(), "a configuration's name is computed (`${...}`)", "write the name literally")
                            })?;
                            if let (Some(v), [name]) = (b.value(), keys.as_slice()) {
                                bindings.push((name.clone(), b.clone(), v));
                            }
                        }
                    }
                    other => match self.mapped_hosts(&other) {
                        Some(hosts) => bindings.extend(hosts),
                        None => {
                            return fail(self.opaque(
                                other.syntax(),
                                "`nixosConfigurations` is not written as an attribute set here",
                                "write `nixosConfigurations.<name> = nixpkgs.lib.nixosSystem { ... };` in this file (or `mapAttrs f hosts` with `hosts` a set written in it)",
                            ))
                        }
                    },
                },
                Lookup::Scattered(list) => {
                    for b in list {
                        let keys = binding_keys(&b).unwrap_or_default();
                        // `[flake.]nixosConfigurations.<name>`, wherever the binding's own
                        // path starts.
                        let at = keys.iter().position(|k| k == "nixosConfigurations");
                        if let (Some(v), Some(at)) = (b.value(), at) {
                            if let [name] = &keys[at + 1..] {
                                bindings.push((name.clone(), b.clone(), v));
                            }
                        }
                    }
                }
                l @ Lookup::Opaque { .. } => return fail(self.refuse(&l, "`nixosConfigurations`")),
                Lookup::Missing { .. } => {
                    // A dynamic first key may hide the configurations (`${name}.x` may not:
                    // `devShells.${system}` is beside them).
                    let dynamic_first = |b: &ast::AttrpathValue| {
                        b.attrpath()
                            .and_then(|p| p.attrs().next())
                            .is_some_and(|a| resolve::attr_name(&a).is_none())
                    };
                    if let Some(b) = body.attrpath_values().find(dynamic_first) {
                        return fail(self.opaque(b.syntax(), "a configuration's name is computed (`${...}`)", "write the name literally"));
                    }
                }
            }
            }
        }
        if bindings.is_empty() {
            // Where they may come from instead: a part of the outputs nixgen cannot read
            // (`lib.mkHosts [ ... ] // { ... }`), else the outputs' body.
            let mut sets = Vec::new();
            let mut opaque = Vec::new();
            if let Some(body) = outputs.body() {
                collect_output_sets(body, &mut sets, &mut opaque, 0);
            }
            return fail(match (opaque.first(), outputs.body()) {
                (Some(part), _) => self
                    .error_at(part, "the flake writes no `nixosConfigurations`; they may come from this expression, which nixgen cannot read")
                    .with_help("write `nixosConfigurations.<name> = nixpkgs.lib.nixosSystem { ... };` in the outputs, or run nixgen on the file that holds the configurations (--flake FILE)"),
                (None, Some(body)) => self
                    .error_at(body.syntax(), "the flake has no `nixosConfigurations`")
                    .with_help("add `nixosConfigurations.<name> = nixpkgs.lib.nixosSystem { ... };`, or run `nixgen generate`"),
                (None, None) => Diagnostic::in_file(&self.path, "the flake has no `nixosConfigurations`")
                    .with_help("add `nixosConfigurations.<name> = nixpkgs.lib.nixosSystem { ... };`, or run `nixgen generate`"),
            });
        }
        Ok(bindings)
    }

    /// The directory the file is in (for the relative paths written in it).
    fn dir(&self) -> PathBuf {
        dir_of(&self.path)
    }

    /// Every configuration, in file order. A module file is one configuration named after
    /// the file.
    pub fn configurations(&self) -> Result<Vec<Config>> {
        if !self.is_flake() {
            return Ok(vec![self.module_file_config()]);
        }
        self.configuration_bindings()?
            .into_iter()
            .map(|(name, binding, value)| self.config(name, binding, value))
            .collect()
    }

    /// The attribute sets the outputs function's result is made of, each with the path under
    /// which configurations sit in it: the body itself; each side of `//` and of
    /// `lib.recursiveUpdate a b`; the body of `with inputs; ...`; flake-parts'
    /// `mkFlake { ... } { flake = { ... }; }` (configurations under `flake`). An operand that
    /// is not written in the file (`import ./x.nix`) is skipped; when nothing is left, the
    /// body is refused.
    pub fn output_sets(
        &self,
        outputs: &ast::Lambda,
    ) -> Result<Vec<(ast::AttrSet, Vec<&'static str>)>> {
        let Some(body) = outputs.body() else {
            return fail(self.opaque(
                outputs.syntax(),
                "`outputs` has no body",
                "write `outputs = { ... }: { ... };`",
            ));
        };
        let mut sets = Vec::new();
        let mut opaque = Vec::new();
        collect_output_sets(body, &mut sets, &mut opaque, 0);
        if sets.is_empty() {
            let node = opaque
                .first()
                .cloned()
                .unwrap_or_else(|| outputs.syntax().clone());
            return fail(self.opaque(
                &node,
                "the body of `outputs` is not an attribute set",
                "nixgen edits `outputs = { ... }: { nixosConfigurations.<name> = ...; }` (also merged with `//` or `recursiveUpdate`, or flake-parts' `flake.nixosConfigurations`)",
            ));
        }
        Ok(sets)
    }

    fn config(
        &self,
        name: String,
        binding: ast::AttrpathValue,
        value: ast::Expr,
    ) -> Result<Config> {
        let call = without_with(unwrap(value.clone(), false));
        // A name of `genAttrs names mkHost`: `mkHost "<name>"`.
        let known_name = (name != EVERY).then(|| name.clone());
        // An element of `listToAttrs (map f list)`: `f` applied to it (a string the names
        // are made from, or a set written in the list).
        if let Some((function, list)) = list_to_attrs_of(&call) {
            if let Some((function, helper)) = mapped_function(function.clone(), "listToAttrs") {
                let names = crate::nix::eval::mapped_names(&function, &list, &self.dir())
                    .unwrap_or_default();
                let index = names.iter().position(|(n, _)| *n == name);
                let given = index.and_then(|i| names[i].1.clone());
                let element = match (index, written_value(list)) {
                    (Some(i), ast::Expr::List(l)) => l.items().nth(i),
                    _ => None,
                };
                return self.built_by(HelperCall {
                    name: &name,
                    binding: &binding,
                    at: call.syntax(),
                    helper: &helper,
                    function,
                    args: vec![element],
                    known: vec![given],
                });
            }
        }
        if let Some((function, helper)) = self.generator_of(&call) {
            return self.built_by(HelperCall {
                name: &name,
                binding: &binding,
                at: call.syntax(),
                helper: &helper,
                function,
                args: vec![None],
                known: vec![known_name],
            });
        }
        // A host of `mapAttrs mkHost hosts`: its value goes to `mkHost` as the second argument.
        if let Some((function, helper)) = self.mapper_of(&call, &binding) {
            // The host's value, when the mapped set is written in the file.
            let host = binding.value().filter(|v| {
                !v.syntax()
                    .text_range()
                    .contains_range(call.syntax().text_range())
            });
            return self.built_by(HelperCall {
                name: &name,
                binding: &binding,
                at: binding.syntax(),
                helper: &helper,
                function,
                args: vec![None, host],
                known: vec![known_name],
            });
        }
        // `forHosts (path: nixosSystem { ... })`: the function given builds it.
        if let Some((function, helper)) = function_argument(&call) {
            let call = HelperCall {
                name: &name,
                binding: &binding,
                at: call.syntax(),
                helper: &helper,
                function,
                args: Vec::new(),
                known: Vec::new(),
            };
            if let Some(config) = self.helper_config_in(call, &|_| None, 4)? {
                return Ok(config);
            }
        }
        if let Some(config) = self.helper_config(&name, &binding, &call)? {
            return Ok(config);
        }
        let ast::Expr::Apply(apply) = &call else {
            return fail(self.opaque(
                value.syntax(),
                &format!("configuration `{name}` is not a `nixosSystem {{ ... }}` call"),
                "write `nixpkgs.lib.nixosSystem { system = ...; modules = [ ... ]; }`",
            ));
        };
        // `nixosSystem (common // { modules = [ ... ]; })`: the set written last is this
        // configuration's.
        let args = apply.argument().map(|a| match unwrap(a, false) {
            ast::Expr::BinOp(op) if op.operator() == Some(rnix::ast::BinOpKind::Update) => op
                .rhs()
                .map(|r| unwrap(r, false))
                .unwrap_or(ast::Expr::BinOp(op)),
            other => other,
        });
        let Some(ast::Expr::AttrSet(args)) = args else {
            return fail(self.opaque(
                apply.syntax(),
                &format!("the arguments of configuration `{name}` are not an attribute set"),
                "write `nixpkgs.lib.nixosSystem { system = ...; modules = [ ... ]; }`",
            ));
        };
        let mut config = Config::new(name, Some(binding), Some(args.clone()));
        let modules = match lookup(&args, &["modules"]) {
            // `inherit modules;` with `modules = [ ... ];` in an enclosing `let`.
            Lookup::Opaque { node, .. }
                if ast::Inherit::cast(node.clone()).is_some_and(|i| {
                    i.from().is_none()
                        && i.attrs()
                            .any(|a| resolve::attr_name(&a).as_deref() == Some("modules"))
                }) =>
            {
                match resolve::let_bound(&node, "modules").and_then(|b| b.value()) {
                    Some(value) => Lookup::Found {
                        binding: resolve::let_bound(&node, "modules").expect("just found"),
                        value,
                    },
                    None => lookup(&args, &["modules"]),
                }
            }
            other => other,
        };
        match modules {
            Lookup::Found { value, .. } => {
                let mut opaque = Vec::new();
                collect_lists(value, &mut config.module_lists, &mut opaque);
                for node in &opaque {
                    if let Some(ident) = ast::Ident::cast(node.clone()) {
                        if let Some(list) = let_bound_list(&ident) {
                            config.shared_modules.extend(list.items());
                            config.shared_by = Some(format!("`{}`", ident.syntax().text()));
                            config.shared_lists.push(list);
                        }
                    }
                }
                for item in config.shared_modules.clone() {
                    config.add_item(&item, true);
                }
                if config.module_lists.is_empty() && config.shared_lists.is_empty() {
                    let node = opaque
                        .first()
                        .cloned()
                        .unwrap_or_else(|| args.syntax().clone());
                    return fail(self.opaque(
                        &node,
                        "`modules` is not a list written in this file",
                        "write `modules = [ ... ];` (or `shared ++ [ ... ]`) so nixgen has a list to edit",
                    ));
                }
            }
            l @ Lookup::Opaque { .. } => return fail(self.refuse(&l, "`modules`")),
            _ => {}
        }
        let lists = config.module_lists.clone();
        for list in &lists {
            config.add_list_modules(list);
        }
        Ok(config)
    }

    /// For a name of `genAttrs names f`: the function `f` and its name for messages.
    fn generator_of(&self, call: &ast::Expr) -> Option<(ast::Expr, String)> {
        let (name, _, _, function) = call_of_two(call)?;
        (name == "genAttrs").then(|| mapped_function(function, "genAttrs"))?
    }

    /// For a host of `mapAttrs f hosts` (`call` is that application, `binding` the host's
    /// binding inside `hosts`): the function `f` (a lambda, or one bound by a `let`) and its
    /// name for messages.
    fn mapper_of(
        &self,
        call: &ast::Expr,
        binding: &ast::AttrpathValue,
    ) -> Option<(ast::Expr, String)> {
        let (name, apply, function, hosts) = call_of_two(call)?;
        // The host's binding lies in the mapped set, not elsewhere in the call.
        let range = binding.syntax().text_range();
        if apply.syntax().text_range().contains_range(range)
            && !hosts.syntax().text_range().contains_range(range)
        {
            return None;
        }
        (name == "mapAttrs").then(|| mapped_function(function, "mapAttrs"))?
    }

    /// `nixosConfigurations = mapAttrs mkHost hosts;` with `hosts` a set written in this file
    /// (directly or bound by a `let`): one configuration per host, each the value of `mkHost
    /// <name> <host>` (see [`Flake::helper_config`]), its binding the host's binding in
    /// `hosts`. Likewise `genAttrs [ "a" "b" ] mkHost`: one configuration per name, all at the
    /// `nixosConfigurations` binding. `None` for any other shape.
    fn mapped_hosts(
        &self,
        expr: &ast::Expr,
    ) -> Option<Vec<(String, ast::AttrpathValue, ast::Expr)>> {
        let dir = self.dir();
        // `listToAttrs (map f list)`: the names `f` gives the elements.
        if let Some((function, list)) = list_to_attrs_of(expr) {
            let binding = expr
                .syntax()
                .ancestors()
                .find_map(ast::AttrpathValue::cast)?;
            mapped_function(function.clone(), "listToAttrs")?;
            let call = unwrap_parens(expr.clone());
            return Some(
                match crate::nix::eval::mapped_names(&written_value(function), &list, &dir) {
                    Some(names) => names
                        .into_iter()
                        .map(|(n, _)| (n, binding.clone(), call.clone()))
                        .collect(),
                    None => vec![(EVERY.to_owned(), binding, call)],
                },
            );
        }
        // `forHosts (path: nixosSystem { ... })`: a function written here builds every
        // configuration, for names nixgen cannot list.
        let every_by_function = || {
            function_argument(expr)?;
            let binding = expr
                .syntax()
                .ancestors()
                .find_map(ast::AttrpathValue::cast)?;
            Some(vec![(
                EVERY.to_owned(),
                binding,
                unwrap_parens(expr.clone()),
            )])
        };
        let Some((name, apply, first, second)) = call_of_two(expr) else {
            return every_by_function();
        };
        // Each configuration's value is the call itself: `config` reads it per name.
        let call: ast::Expr = apply.into();
        let mut out = Vec::new();
        let at_binding = || expr.syntax().ancestors().find_map(ast::AttrpathValue::cast);
        match (
            name.as_str(),
            written_value(first.clone()),
            written_value(second),
        ) {
            ("mapAttrs", _, ast::Expr::AttrSet(hosts)) if hosts.inherits().next().is_none() => {
                for b in hosts.attrpath_values() {
                    let keys = binding_keys(&b)?;
                    let [name] = keys.as_slice() else {
                        return None;
                    };
                    out.push((name.clone(), b.clone(), call.clone()));
                }
            }
            // Names computed from a list or a directory (`readDir ./hosts`), all at the
            // `nixosConfigurations` binding; when they cannot be worked out, one entry
            // stands for every configuration the function builds.
            ("genAttrs" | "mapAttrs", _, mapped) => {
                let binding = at_binding()?;
                let names = if name == "genAttrs" {
                    crate::nix::eval::string_list(&first, &dir)
                } else {
                    crate::nix::eval::attr_names(&mapped, &dir)
                };
                match names {
                    Some(names) => {
                        for n in names {
                            out.push((n, binding.clone(), call.clone()));
                        }
                    }
                    None => out.push((EVERY.to_owned(), binding, call)),
                }
            }
            _ => return every_by_function(),
        }
        Some(out)
    }

    /// A configuration built by a helper defined in the same file (`mkHost = name: extra:
    /// nixpkgs.lib.nixosSystem { modules = common ++ extra; };`, called `mkHost "a" [ ... ]`
    /// or `mkHost { name = "b"; modules = [ ... ]; }`): the lists the call passes into
    /// `modules` are this configuration's own (edited there); the helper's own lists are
    /// shared by every call (seen, never edited), and so are its other arguments. `None` when
    /// the call is not to such a helper.
    fn helper_config(
        &self,
        name: &str,
        binding: &ast::AttrpathValue,
        call: &ast::Expr,
    ) -> Result<Option<Config>> {
        let mut args = Vec::new();
        let mut head = call.clone();
        while let ast::Expr::Apply(a) = unwrap_parens(head.clone()) {
            match (a.lambda(), a.argument()) {
                (Some(f), Some(arg)) => {
                    args.push(arg);
                    head = f;
                }
                _ => return Ok(None),
            }
        }
        args.reverse();
        let ast::Expr::Ident(ident) = unwrap_parens(head) else {
            return Ok(None);
        };
        let helper = ident.syntax().text().to_string();
        let Some(function) = resolve::let_bound(ident.syntax(), &helper).and_then(|b| b.value())
        else {
            return Ok(None);
        };
        let call = HelperCall {
            name,
            binding,
            at: call.syntax(),
            helper: &helper,
            function,
            args: args.into_iter().map(Some).collect(),
            known: Vec::new(),
        };
        self.helper_config_in(call, &|_| None, 4)
    }

    /// The configuration `call` builds, or a refusal at the call when nixgen cannot read the
    /// helper.
    fn built_by(&self, call: HelperCall<'_>) -> Result<Config> {
        let (name, helper, at) = (
            call.name.to_owned(),
            call.helper.to_owned(),
            call.at.clone(),
        );
        match self.helper_config_in(call, &|_| None, 4)? {
            Some(config) => Ok(config),
            None => fail(self.opaque(
                &at,
                &format!("configuration `{name}` is built by `{helper}`, which nixgen cannot read"),
                "write the configuration as `nixpkgs.lib.nixosSystem { ... }`",
            )),
        }
    }

    /// The configuration a helper call builds (see [`Flake::helper_config`]); `None` when the
    /// helper is not a function nixgen can read. A helper called from another function's
    /// body (`name: _: mkHost name`) is read in that function's terms: `outer` gives the
    /// string value of its parameters, and `depth` bounds how many such calls are followed.
    fn helper_config_in(
        &self,
        call: HelperCall<'_>,
        outer: &dyn Fn(&str) -> Option<String>,
        depth: usize,
    ) -> Result<Option<Config>> {
        let HelperCall {
            name,
            binding,
            at: call,
            helper,
            function,
            args,
            known,
        } = call;
        let mut params = Vec::new();
        // A function written where it is given (`forHosts (path: ...)`), not bound by name.
        let anonymous = function
            .syntax()
            .parent()
            .is_none_or(|p| ast::AttrpathValue::cast(p).is_none());
        let mut body = unwrap_parens(function);
        while let ast::Expr::Lambda(l) = body {
            params.push(l.param());
            match l.body() {
                Some(b) => body = unwrap(b, false),
                None => return Ok(None),
            }
        }
        // `x: { name = x; value = nixosSystem { ... }; }` (for `listToAttrs`): the value.
        if let ast::Expr::AttrSet(set) = without_with(body.clone()) {
            if let Lookup::Found { value, .. } = lookup(&set, &["value"]) {
                body = without_with(unwrap(value, false));
            }
        }
        if params.is_empty() {
            return Ok(None); // `let sys = nixpkgs.lib.nixosSystem;`: a plain call.
        }
        let refuse = |what: &str| {
            fail(self.opaque(
                call,
                &format!(
                    "{} built by `{helper}`, and {what}",
                    if name == EVERY {
                        "the configurations computed here are".to_owned()
                    } else {
                        format!("configuration `{name}` is")
                    }
                ),
                &format!("pass the modules to `{helper}` as a list written in the call (`{helper} ... [ ... ]`), or give the configuration its own `nixpkgs.lib.nixosSystem {{ ... }}`"),
            ))
        };
        // What the call passes for each parameter that flows into `modules`.
        let passed = |param: &str, field: Option<&str>| -> Option<ast::Expr> {
            params.iter().enumerate().find_map(|(i, p)| {
                let arg = args.get(i)?.as_ref()?;
                match (p, field) {
                    (Some(ast::Param::IdentParam(ip)), None) if ip.syntax().text() == param => {
                        Some(arg.clone())
                    }
                    (Some(ast::Param::IdentParam(ip)), Some(f)) if ip.syntax().text() == param => {
                        match unwrap(arg.clone(), false) {
                            ast::Expr::AttrSet(set) => field_of(&set, f),
                            _ => None,
                        }
                    }
                    (Some(ast::Param::Pattern(pat)), None)
                        if pat
                            .pat_entries()
                            .any(|e| e.ident().is_some_and(|i| i.syntax().text() == param)) =>
                    {
                        match unwrap(arg.clone(), false) {
                            ast::Expr::AttrSet(set) => field_of(&set, param),
                            _ => None,
                        }
                    }
                    _ => None,
                }
            })
        };
        // A name's string value: the one `genAttrs` passes, or a string the call writes
        // (`mkHost "a"`, `mkHost { hostname = "a"; }`).
        let known_value = |param: &str| -> Option<String> {
            let given = params.iter().enumerate().find_map(|(i, p)| match p {
                Some(ast::Param::IdentParam(ip)) if ip.syntax().text() == param => {
                    known.get(i).cloned().flatten()
                }
                _ => None,
            });
            given.or_else(|| match passed(param, None).map(unwrap_parens) {
                Some(ast::Expr::Str(s)) => static_string(&s),
                Some(ast::Expr::Ident(i)) => outer(&i.syntax().text().to_string()),
                _ => None,
            })
        };
        // `name: _: mkHost name`: a function whose body calls a helper; the helper's
        // arguments are read in this function's terms.
        if let Some((inner, inner_helper, inner_args)) = let_bound_call(&body) {
            if depth == 0 {
                return Ok(None);
            }
            let in_outer = |arg: &ast::Expr| match unwrap_parens(arg.clone()) {
                ast::Expr::Ident(i) => {
                    let text = i.syntax().text().to_string();
                    let is_param = params.iter().any(|p| match p {
                        Some(ast::Param::IdentParam(ip)) => ip.syntax().text() == text.as_str(),
                        Some(ast::Param::Pattern(pat)) => pat.pat_entries().any(|e| {
                            e.ident()
                                .is_some_and(|n| n.syntax().text() == text.as_str())
                        }),
                        None => false,
                    });
                    if is_param {
                        passed(&text, None)
                    } else {
                        Some(arg.clone())
                    }
                }
                _ => Some(arg.clone()),
            };
            let mapped: Vec<Option<ast::Expr>> = inner_args.iter().map(in_outer).collect();
            let inner_known: Vec<Option<String>> = inner_args
                .iter()
                .map(|arg| match unwrap_parens(arg.clone()) {
                    ast::Expr::Ident(i) => known_value(&i.syntax().text().to_string()),
                    ast::Expr::Str(s) => static_string(&s),
                    _ => None,
                })
                .collect();
            let outer_names = |n: &str| known_value(n);
            return self.helper_config_in(
                HelperCall {
                    name,
                    binding,
                    at: call,
                    helper: &inner_helper,
                    function: inner,
                    args: mapped,
                    known: inner_known,
                },
                &outer_names,
                depth - 1,
            );
        }
        let ast::Expr::Apply(system) = body else {
            return refuse("its body is not a `nixosSystem { ... }` call");
        };
        let Some(ast::Expr::AttrSet(system_args)) = system.argument().map(|a| unwrap(a, false))
        else {
            // `myLib.mkSystem name`: most likely a function from another file.
            let mut head = system.lambda();
            while let Some(ast::Expr::Apply(a)) = head.clone().map(unwrap_parens) {
                head = a.lambda();
            }
            let head = head
                .map(|h| h.syntax().text().to_string())
                .unwrap_or_default();
            if !head.ends_with("nixosSystem") {
                return refuse(&format!(
                    "its body calls `{head}`, which nixgen cannot read (not a `nixosSystem {{ ... }}` call written here)"
                ));
            }
            return refuse("the arguments of its `nixosSystem` call are not an attribute set");
        };
        let mut config = Config::new(name.to_owned(), Some(binding.clone()), None);
        let mut own = Vec::new();
        let mut opaque = Vec::new();
        // `inherit modules;`: the helper's parameter, or a list a `let` binds.
        let mut inherited_modules = false;
        match lookup(&system_args, &["modules"]) {
            Lookup::Found { value, .. } => collect_lists(value, &mut own, &mut opaque),
            Lookup::Opaque { node, .. } => match inherited_from_let(&node, "modules")
                .and_then(|b| b.value())
            {
                Some(value) => collect_lists(value, &mut own, &mut opaque),
                None => {
                    inherited_modules = ast::Inherit::cast(node).is_some_and(|i| i.from().is_none())
                }
            },
            _ => {}
        }
        for list in &own {
            config.shared_modules.extend(list.items());
        }
        config.shared_lists = own.clone();
        config.shared_by = Some(if anonymous {
            format!("the `modules` of the function given to `{helper}`")
        } else {
            format!("`{helper}`'s own `modules`")
        });
        // A parameter written as an element of the helper's own list
        // (`modules = [ common path ];`): a module path passed by the call is read too.
        // A module the call writes (`mkHost { systemConfig = { ... }; }` into `modules = [
        // systemConfig ... ]`) is this configuration's own.
        let mut own_inline = Vec::new();
        for item in own.iter().flat_map(|l| l.items()) {
            match unwrap_parens(item) {
                ast::Expr::Ident(i) => {
                    let arg = passed(&i.syntax().text().to_string(), None);
                    match arg.clone().map(unwrap_parens) {
                        Some(ast::Expr::PathRel(p)) => {
                            config.passed_modules.push(p.syntax().clone())
                        }
                        Some(ast::Expr::AttrSet(_) | ast::Expr::Lambda(_)) => {
                            own_inline.extend(arg)
                        }
                        _ => {}
                    }
                }
                // `./hosts/${name}` or `./hosts + "/${name}"`, with the name known.
                other => {
                    if let Some(path) = named_path(&other, &known_value) {
                        config.named_modules.push((path, other.syntax().clone()));
                    }
                }
            }
        }
        let inherited_arg = inherited_modules.then(|| passed("modules", None)).flatten();
        let opaque_args = opaque
            .iter()
            .map(|node| ast::Expr::cast(node.clone()))
            .chain(inherited_arg.map(|_| None));
        for expr in opaque_args {
            let arg = match expr.as_ref().map(|e| unwrap_parens(e.clone())) {
                None if inherited_modules => passed("modules", None),
                Some(ast::Expr::Ident(i)) => {
                    let text = i.syntax().text().to_string();
                    match let_bound_list(&i) {
                        Some(list) => {
                            config.shared_modules.extend(list.items());
                            config.shared_lists.push(list);
                            continue;
                        }
                        None => passed(&text, None),
                    }
                }
                // `args.modules`
                Some(ast::Expr::Select(sel)) => {
                    let keys: Vec<String> = sel
                        .attrpath()
                        .map(|p| p.attrs().filter_map(|a| resolve::attr_name(&a)).collect())
                        .unwrap_or_default();
                    match (sel.expr().map(unwrap_parens), keys.as_slice()) {
                        (Some(ast::Expr::Ident(i)), [field]) => {
                            passed(&i.syntax().text().to_string(), Some(field))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some(arg) = arg {
                // `mkConfig ./hosts/a/configuration.nix`: a module file of its own.
                if let ast::Expr::PathRel(p) = unwrap_parens(arg.clone()) {
                    config.passed_modules.push(p.syntax().clone());
                    continue;
                }
                let mut lists = Vec::new();
                let mut rest = Vec::new();
                collect_lists(arg, &mut lists, &mut rest);
                config.module_lists.extend(lists);
            }
        }
        if config.module_lists.is_empty()
            && config.passed_modules.is_empty()
            && config.named_modules.is_empty()
            && config.shared_lists.is_empty()
            && own_inline.is_empty()
        {
            return refuse("this call passes no list of modules to it");
        }
        config.helper = Some(helper.to_owned());
        config.system_args = Some(system_args.clone());
        for item in config.shared_modules.clone() {
            config.add_item(&item, true);
        }
        for module in &own_inline {
            config.add_item(module, false);
        }
        let lists = config.module_lists.clone();
        for list in &lists {
            config.add_list_modules(list);
        }
        Ok(Some(config))
    }

    /// The configuration called `wanted`, or the only one; with several and no name, an error
    /// that lists them.
    pub fn select(&self, wanted: Option<&str>) -> Result<Config> {
        if !self.is_flake() {
            return Ok(self.module_file_config());
        }
        // Only the configuration asked for is read: another one nixgen cannot see through
        // does not stand in its way.
        let bindings = self.configuration_bindings()?;
        let names: Vec<String> = bindings.iter().map(|(n, _, _)| n.clone()).collect();
        let names: Vec<String> = names
            .into_iter()
            .map(|n| {
                if n == EVERY {
                    "(the names computed in `nixosConfigurations`)".to_owned()
                } else {
                    n
                }
            })
            .collect();
        // A name asked for among computed ones nixgen cannot list is taken at its word.
        let computed = bindings.iter().find(|(n, _, _)| n == EVERY).cloned();
        // Where the configurations are written: what an error about picking one points at.
        let at = bindings.first().map(|(_, b, _)| b.syntax().clone());
        let located = |message: String| match &at {
            Some(node) => self.error_at(node, message),
            None => Diagnostic::in_file(&self.path, message),
        };
        match wanted {
            Some(w) => match bindings
                .into_iter()
                .find(|(n, _, _)| n == w)
                .or_else(|| computed.map(|(_, binding, value)| (w.to_owned(), binding, value)))
            {
                Some((name, binding, value)) => self.config(name, binding, value),
                None => fail(
                    located(format!("there is no configuration `{w}`"))
                        .with_help(format!("configurations here: {}", names.join(", "))),
                ),
            },
            None if bindings.len() == 1 => {
                let (name, binding, value) = bindings.into_iter().next().expect("one");
                self.config(name, binding, value)
            }
            None => fail(
                located(format!("the flake has {} configurations", bindings.len()))
                    .with_help(format!("pick one with --config: {}", names.join(", "))),
            ),
        }
    }

    /// The `nixpkgs.overlays` list a new overlay goes into, and the module holding it: the
    /// first one in a module that is not under `mkIf` (an overlay added there would become
    /// conditional too). `None` when no unconditional module sets `nixpkgs.overlays`.
    pub fn overlays_list(
        &self,
        config: &Config,
    ) -> Result<Option<(InlineModule, ast::AttrpathValue, ast::List)>> {
        Ok(self
            .overlays_lists(config)?
            .into_iter()
            .find(|(module, _, _)| !module.conditional))
    }

    /// Every `nixpkgs.overlays` list of a configuration's inline modules, in file order, with
    /// the module and the binding holding each.
    pub fn overlays_lists(
        &self,
        config: &Config,
    ) -> Result<Vec<(InlineModule, ast::AttrpathValue, ast::List)>> {
        let mut out = Vec::new();
        // `inherit (shared) overlays;` or `nixpkgs = import ./x.nix;` (not found as a
        // binding) is left alone, like overlays nixgen cannot read below.
        for module in &config.inline_modules {
            if let Lookup::Found { value, binding } = lookup(&module.set, &["nixpkgs", "overlays"])
            {
                // Through `lib.mkAfter [ ... ]` (kdevops), whose order is kept.
                let value = resolve::priority_wrapper(&value)
                    .map(|(_, inner)| inner)
                    .unwrap_or(value);
                // A list, or the lists of `[ ... ] ++ import ./overlays`. Overlays nixgen
                // cannot read (imported, computed, a `let`-bound list other configurations
                // may use too) are left alone: a new entry goes into a module of its own
                // beside them, and the module system joins the lists.
                let mut lists = Vec::new();
                let mut rest = Vec::new();
                collect_lists(value, &mut lists, &mut rest);
                for list in lists {
                    out.push((module.clone(), binding.clone(), list));
                }
            }
        }
        Ok(out)
    }

    /// Every `pkg = ...;` binding in the overlay functions (`final: prev: { ... }`) of `list`,
    /// in file order. Bindings with a dotted or dynamic path, and list elements of any other
    /// shape, are skipped.
    pub fn overlay_bindings(&self, list: &ast::List) -> Vec<OverlayBinding> {
        self.overlay_bindings_of(list, None)
    }

    /// Like [`Flake::overlay_bindings`], only `package`'s when given (describing an entry's
    /// source is most of the work, and `add` needs one entry of thousands).
    pub fn overlay_bindings_of(
        &self,
        list: &ast::List,
        package: Option<&str>,
    ) -> Vec<OverlayBinding> {
        let mut out = Vec::new();
        let source = &self.file_of(list.syntax()).text;
        for item in list.items() {
            // One package's entry is looked for among thousands: an element whose text does
            // not name it is skipped before it is read.
            if let Some(p) = package {
                let range = item.syntax().text_range();
                let text = source.get(usize::from(range.start())..usize::from(range.end()));
                if text.is_some_and(|t| !t.contains(p)) && !matches!(item, ast::Expr::Ident(_)) {
                    continue;
                }
            }
            // `[ nixos-flake.overlays.default myOverlay ]` with `myOverlay = final: prev:
            // { ... };` in a `let`: the entries are read (and edited) where it is bound.
            let body = overlay_body(&item).or_else(|| match unwrap_parens(item.clone()) {
                ast::Expr::Ident(i) => {
                    resolve::let_bound(i.syntax(), &i.syntax().text().to_string())
                        .and_then(|b| b.value())
                        .and_then(|v| overlay_body(&v))
                }
                _ => None,
            });
            let Some(body) = body else {
                continue;
            };
            for binding in body.attrpath_values() {
                let Some(keys) = binding_keys(&binding) else {
                    continue;
                };
                let [name] = keys.as_slice() else {
                    continue;
                };
                if package.is_some_and(|p| p != name) {
                    continue;
                }
                let package = name;
                let (source, clears_patches) = binding
                    .value()
                    .map(|v| self.describe_override(&v))
                    .unwrap_or((EntrySource::None, false));
                out.push(OverlayBinding {
                    package: package.clone(),
                    binding: binding.clone(),
                    body: body.clone(),
                    element: item.syntax().clone(),
                    source,
                    clears_patches,
                });
            }
        }
        out
    }

    /// Reads `prev.pkg.overrideAttrs { src = ...; patches = [ ]; }` (or the `old: { ... }`
    /// form).
    fn describe_override(&self, value: &ast::Expr) -> (EntrySource, bool) {
        let ast::Expr::Apply(apply) = unwrap_parens(value.clone()) else {
            return (
                EntrySource::Other {
                    expr: value.syntax().text().to_string(),
                },
                false,
            );
        };
        let is_override = apply
            .lambda()
            .is_some_and(|f| f.syntax().text().to_string().ends_with("overrideAttrs"));
        let Some(arg) = apply.argument().filter(|_| is_override) else {
            return (
                EntrySource::Other {
                    expr: value.syntax().text().to_string(),
                },
                false,
            );
        };
        let set = match unwrap(arg, true) {
            ast::Expr::AttrSet(s) => s,
            // `finalAttrs: prev: { ... }` unwraps through both lambdas above.
            other => {
                return (
                    EntrySource::Other {
                        expr: other.syntax().text().to_string(),
                    },
                    false,
                )
            }
        };
        let clears = match lookup(&set, &["patches"]) {
            Lookup::Found { value, .. } => {
                matches!(unwrap_parens(value), ast::Expr::List(l) if l.items().next().is_none())
            }
            _ => false,
        };
        let source = match lookup(&set, &["src"]) {
            Lookup::Found { value, .. } => self.describe_src(&value),
            _ => EntrySource::None,
        };
        (source, clears)
    }

    fn describe_src(&self, value: &ast::Expr) -> EntrySource {
        let value = unwrap_parens(value.clone());
        match &value {
            ast::Expr::Ident(i) => {
                let name = i.syntax().text().to_string();
                EntrySource::Input {
                    url: self.input_url(&name),
                    input: name,
                }
            }
            ast::Expr::Select(s) => {
                let keys: Vec<String> = s
                    .attrpath()
                    .map(|p| p.attrs().filter_map(|a| resolve::attr_name(&a)).collect())
                    .unwrap_or_default();
                match (s.expr(), keys.as_slice()) {
                    (Some(ast::Expr::Ident(_)), [input])
                    | (Some(ast::Expr::Ident(_)), [input, _])
                        if keys.len() == 1 || keys[1] == "outPath" =>
                    {
                        EntrySource::Input {
                            url: self.input_url(input),
                            input: input.clone(),
                        }
                    }
                    _ => EntrySource::Other {
                        expr: value.syntax().text().to_string(),
                    },
                }
            }
            ast::Expr::Apply(apply) => {
                let f = apply
                    .lambda()
                    .map(|f| f.syntax().text().to_string())
                    .unwrap_or_default();
                let args = apply.argument().map(|a| unwrap(a, false));
                let field = |name: &str| -> String {
                    match &args {
                        Some(ast::Expr::AttrSet(set)) => match lookup(set, &[name]) {
                            Lookup::Found { value, .. } => match unwrap_parens(value) {
                                ast::Expr::Str(s) => static_string(&s).unwrap_or_default(),
                                other => other.syntax().text().to_string(),
                            },
                            _ => String::new(),
                        },
                        _ => String::new(),
                    }
                };
                if f.ends_with("fetchFromGitHub") {
                    EntrySource::Github {
                        owner: field("owner"),
                        repo: field("repo"),
                        rev: field("rev"),
                    }
                } else if f.ends_with("fetchgit") || f.ends_with("fetchGit") {
                    EntrySource::Git {
                        url: field("url"),
                        rev: field("rev"),
                    }
                } else {
                    EntrySource::Other {
                        expr: value.syntax().text().to_string(),
                    }
                }
            }
            _ => EntrySource::Other {
                expr: value.syntax().text().to_string(),
            },
        }
    }

    /// The `url` of input `name`, when it is written as a plain string.
    pub fn input_url(&self, name: &str) -> Option<String> {
        let field = |f: &str| match lookup(&self.top, &["inputs", name, f]) {
            Lookup::Found { value, .. } => match unwrap_parens(value) {
                ast::Expr::Str(s) => static_string(&s),
                _ => None,
            },
            _ => None,
        };
        // The attribute forms (`type = "path"; path = "/x";`, `type = "git"; url = ...;
        // ref = ...;`) read as the URL they are equivalent to.
        super::inputs::location_url(field)
    }

    /// The names of the flake's inputs, in file order, each once (nested `inputs = { x = ...; }`
    /// or dotted `inputs.x.url = ...;`).
    pub fn input_names(&self) -> Vec<String> {
        let names: Vec<String> = match lookup(&self.top, &["inputs"]) {
            Lookup::Found { value, .. } => match unwrap(value, false) {
                ast::Expr::AttrSet(s) => s
                    .attrpath_values()
                    .filter_map(|b| binding_keys(&b).map(|k| k[0].clone()))
                    .collect(),
                _ => Vec::new(),
            },
            Lookup::Scattered(b) => b
                .iter()
                .filter_map(|b| binding_keys(b).and_then(|k| k.get(1).cloned()))
                .collect(),
            _ => Vec::new(),
        };
        let mut unique: Vec<String> = Vec::new();
        for name in names {
            if !unique.contains(&name) {
                unique.push(name);
            }
        }
        unique
    }

    /// Refuses an overlay edit of a configuration that passes its own `pkgs` to `nixosSystem`
    /// (`pkgs = import nixpkgs { ... };` or `specialArgs.pkgs`): NixOS then ignores
    /// `nixpkgs.overlays`, and an edit there would have no effect.
    pub fn refuse_own_pkgs(&self, config: &Config) -> Result<()> {
        // A module setting `nixpkgs.pkgs` (an instance built elsewhere) makes NixOS ignore
        // `nixpkgs.overlays` just the same.
        for module in &config.inline_modules {
            if let Lookup::Found { binding, .. } = lookup(&module.set, &["nixpkgs", "pkgs"]) {
                return fail(
                    self.error_at(
                        binding.syntax(),
                        format!(
                            "{} given its packages by `nixpkgs.pkgs`, so NixOS ignores `nixpkgs.overlays`: an overlay added there would change nothing",
                            config.described()
                        ),
                    )
                    .with_help("add the overlay to the `overlays` of the `import nixpkgs { ... }` that builds that pkgs, or drop `nixpkgs.pkgs` and let nixpkgs.overlays apply"),
                );
            }
        }
        let Some(args) = config.args.as_ref().or(config.system_args.as_ref()) else {
            return Ok(());
        };
        for path in [&["pkgs"][..], &["specialArgs", "pkgs"]] {
            let node = match lookup(args, path) {
                Lookup::Found { binding, .. } => Some(binding.syntax().clone()),
                // `specialArgs = { inherit pkgs; };`
                Lookup::Opaque { node, .. }
                    if ast::Inherit::cast(node.clone()).is_some_and(|i| {
                        i.attrs()
                            .any(|a| crate::nix::resolve::attr_name(&a).as_deref() == Some("pkgs"))
                    }) =>
                {
                    Some(node)
                }
                _ => None,
            };
            if let Some(node) = node {
                return fail(
                    self.error_at(
                        &node,
                        format!(
                            "configuration `{}` passes its own `{}`, so NixOS ignores `nixpkgs.overlays`: an overlay added there would change nothing",
                            config.name,
                            path.join(".")
                        ),
                    )
                    .with_help("add the overlay to the `overlays` of the `import nixpkgs { ... }` that builds that pkgs, or stop passing pkgs and let nixpkgs.overlays apply"),
                );
            }
        }
        Ok(())
    }

    /// The text of every comment in the file, in order (for reports and tests).
    pub fn comments(&self) -> Vec<String> {
        self.root
            .syntax()
            .descendants_with_tokens()
            .filter_map(|t| t.into_token())
            .filter(|t| t.kind() == rnix::SyntaxKind::TOKEN_COMMENT)
            .map(|t| t.text().to_owned())
            .collect()
    }
}

/// The refusal for a file that does not parse, at the error's position when the parser gave
/// one.
pub fn syntax_diagnostic(path: &Path, text: &str, e: &crate::nix::SyntaxError) -> Diagnostic {
    let message = format!("the file does not parse: {}", e.message);
    match e.position {
        Some(p) => Diagnostic::at(path, text, p, message),
        None => Diagnostic::in_file(path, message),
    }
    .with_help("fix the syntax error first; nixgen edits only files that parse")
}

/// Errors as values: a diagnostic becomes the crate's failure type.
fn fail<T>(d: Diagnostic) -> Result<T> {
    Err(d.into())
}

/// The body set of `final: prev: { ... }` (any argument names; the functions may be in
/// parentheses and the body under `let`), or `None` for anything else.
pub fn overlay_body(item: &ast::Expr) -> Option<ast::AttrSet> {
    let ast::Expr::Lambda(outer) = unwrap_parens(item.clone()) else {
        return None;
    };
    let ast::Expr::Lambda(inner) = unwrap_parens(outer.body()?) else {
        return None;
    };
    match unwrap(inner.body()?, false) {
        ast::Expr::AttrSet(s) => Some(s),
        _ => None,
    }
}

/// A fetcher call as data: `final.fetchFromGitHub { owner = "a"; ... }` (any path ending in
/// the fetcher's name, parentheses allowed) gives the fetcher's name and each field whose
/// value is a plain string, in order (`sha256` reads as `hash`, and a hash reads in its SRI
/// form).
/// `None` when the expression is not such a call or a field is not a plain string.
pub fn fetch_call(expr: &ast::Expr) -> Option<(String, Vec<(String, String)>)> {
    let ast::Expr::Apply(apply) = unwrap_parens(expr.clone()) else {
        return None;
    };
    let function = apply.lambda()?.syntax().text().to_string();
    let name = function.rsplit('.').next()?.to_owned();
    if !matches!(name.as_str(), "fetchFromGitHub" | "fetchgit") {
        return None;
    }
    let ast::Expr::AttrSet(set) = unwrap_parens(apply.argument()?) else {
        return None;
    };
    if set.inherits().next().is_some() || set.rec_token().is_some() {
        return None;
    }
    let mut fields = Vec::new();
    for binding in set.attrpath_values() {
        let keys = binding_keys(&binding)?;
        let [key] = keys.as_slice() else {
            return None;
        };
        let ast::Expr::Str(value) = unwrap_parens(binding.value()?) else {
            return None;
        };
        let key = if key == "sha256" {
            "hash"
        } else {
            key.as_str()
        };
        let mut value = static_string(&value)?;
        if key == "hash" {
            // Hexadecimal and Nix's base-32 are the same hash as its SRI form.
            value = crate::nix::hash::to_sri(&value).unwrap_or(value);
        }
        fields.push((key.to_owned(), value));
    }
    Some((name, fields))
}

/// The list of an `environment.systemPackages` value nixgen can edit (`with pkgs; [ ... ]`
/// or `[ pkgs.a ... ]`), and whether it is the `with` form; `None` for anything else.
pub fn package_list(value: &ast::Expr) -> Option<(ast::List, bool)> {
    match unwrap_parens(value.clone()) {
        ast::Expr::With(w) => match w.body().map(unwrap_parens) {
            Some(ast::Expr::List(l)) => Some((l, true)),
            _ => None,
        },
        ast::Expr::List(l) => Some((l, false)),
        _ => None,
    }
}

/// The package a `environment.systemPackages` element names: `fio` (under `with pkgs;`),
/// `pkgs.fio`, or `nixpkgs.legacyPackages.<system>.fio` (also through `inputs.` or
/// `${system}`); `None` for anything else (a call, a package set's member, code).
pub fn package_reference(text: &str) -> Option<String> {
    let text = text.trim();
    let name = if let Some(rest) = text.strip_prefix("pkgs.") {
        rest
    } else if let Some(rest) = text
        .strip_prefix("inputs.")
        .unwrap_or(text)
        .strip_prefix("nixpkgs.legacyPackages.")
    {
        // The system: a plain name or `${system}`.
        let (_, name) = if rest.starts_with("${") {
            let end = rest.find('}')?;
            (&rest[..=end], rest[end + 1..].strip_prefix('.')?)
        } else {
            rest.split_once('.')?
        };
        name
    } else {
        text
    };
    // `python3Packages.numpy`: each segment a plain identifier.
    let simple = name.split('.').all(|segment| {
        segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\''))
            && segment
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    });
    simple.then(|| name.to_owned())
}

/// The attribute set of an overlay entry `prev.<pkg>.overrideAttrs ARG`, where ARG is a set
/// or a function returning one (`old: { ... }`, `_: { ... }`, `final: prev: { ... }`).
pub fn override_body(value: &ast::Expr) -> Option<ast::AttrSet> {
    let ast::Expr::Apply(apply) = unwrap_parens(value.clone()) else {
        return None;
    };
    let function = apply.lambda()?.syntax().text().to_string();
    if !function.ends_with(".overrideAttrs") {
        return None;
    }
    let mut arg = unwrap_parens(apply.argument()?);
    for _ in 0..2 {
        if let ast::Expr::Lambda(l) = &arg {
            arg = unwrap_parens(l.body()?);
        }
    }
    match arg {
        ast::Expr::AttrSet(set) => Some(set),
        _ => None,
    }
}

/// True when the module itself is under `mkIf` (`cond: mkIf c { ... }` through parentheses,
/// module functions and `let`); an `mkIf` on one of its options does not count.
fn contains_mk_if(item: &ast::Expr) -> bool {
    let mut expr = item.clone();
    for _ in 0..64 {
        expr = match &expr {
            ast::Expr::Paren(p) => match p.expr() {
                Some(e) => e,
                None => return false,
            },
            ast::Expr::Lambda(l) => match l.body() {
                Some(e) => e,
                None => return false,
            },
            ast::Expr::LetIn(l) => match l.body() {
                Some(e) => e,
                None => return false,
            },
            ast::Expr::Apply(a) => return resolve::is_mk_if(a),
            _ => return false,
        };
    }
    false
}

/// The list literal a variable is bound to by an enclosing `let` (`let shared = [ ... ]; in`).
fn let_bound_list(ident: &ast::Ident) -> Option<ast::List> {
    let name = ident.syntax().text().to_string();
    for node in ident.syntax().ancestors() {
        let Some(let_in) = ast::LetIn::cast(node) else {
            continue;
        };
        let found = let_in
            .attrpath_values()
            .find(|b| binding_keys(b).is_some_and(|k| k.len() == 1 && k[0] == name));
        if let Some(binding) = found {
            return match unwrap(binding.value()?, false) {
                ast::Expr::List(l) => Some(l),
                _ => None,
            };
        }
    }
    None
}

/// A relative path literal whose interpolations each name a parameter with a known string
/// value (`./hosts/${name}`), worked out; `None` when one is anything else.
fn interpolated_path(
    path: &ast::PathRel,
    known: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut out = String::new();
    for element in path.syntax().children_with_tokens() {
        match element {
            rowan::NodeOrToken::Token(t) => out.push_str(t.text()),
            rowan::NodeOrToken::Node(n) => {
                let interpol = ast::Interpol::cast(n)?;
                match interpol.expr().map(unwrap_parens) {
                    Some(ast::Expr::Ident(i)) => {
                        out.push_str(&known(&i.syntax().text().to_string())?)
                    }
                    _ => return None,
                }
            }
        }
    }
    (out.starts_with("./") && !out.contains("${")).then_some(out)
}

/// A module path a helper writes from its parameters, worked out with their `known` values:
/// `./hosts/${name}`, `./hosts + "/${name}"` or `./hosts + "/${name}/default.nix"`. `None`
/// for a path without interpolation (an ordinary module path, read as one) and any other
/// expression.
fn named_path(expr: &ast::Expr, known: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    match expr {
        ast::Expr::PathRel(p) if p.syntax().text().to_string().contains("${") => {
            interpolated_path(p, known)
        }
        ast::Expr::BinOp(op) if op.operator() == Some(rnix::ast::BinOpKind::Add) => {
            let ast::Expr::PathRel(dir) = unwrap_parens(op.lhs()?) else {
                return None;
            };
            let ast::Expr::Str(rest) = unwrap_parens(op.rhs()?) else {
                return None;
            };
            let mut tail = String::new();
            for part in rest.normalized_parts() {
                match part {
                    ast::InterpolPart::Literal(text) => tail.push_str(&text),
                    ast::InterpolPart::Interpolation(i) => match i.expr().map(unwrap_parens) {
                        Some(ast::Expr::Ident(name)) => {
                            tail.push_str(&known(&name.syntax().text().to_string())?)
                        }
                        _ => return None,
                    },
                }
            }
            let dir = interpolated_path(&dir, known)?;
            // `./hosts + "/a"` is `./hosts/a`; without the slash Nix joins the names.
            (tail.starts_with('/') && !tail.contains("..")).then(|| format!("{dir}{tail}"))
        }
        _ => None,
    }
}

/// The value of `name` in a set a call passes: `name = value;`, or the name itself for
/// `inherit name;` (an expression in the caller's scope).
fn field_of(set: &ast::AttrSet, name: &str) -> Option<ast::Expr> {
    match lookup(set, &[name]) {
        Lookup::Found { value, .. } => Some(value),
        Lookup::Opaque { node, .. } => {
            let inherit = ast::Inherit::cast(node)?;
            if inherit.from().is_some() {
                return None;
            }
            inherit
                .attrs()
                .find(|a| resolve::attr_name(a).as_deref() == Some(name))
                .and_then(|a| ast::Expr::cast(a.syntax().clone()))
        }
        _ => None,
    }
}

/// The `let` binding an `inherit name;` (without `(from)`) at `node` takes `name` from.
fn inherited_from_let(node: &SyntaxNode, name: &str) -> Option<ast::AttrpathValue> {
    let inherit = ast::Inherit::cast(node.clone())?;
    if inherit.from().is_some()
        || !inherit
            .attrs()
            .any(|a| resolve::attr_name(&a).as_deref() == Some(name))
    {
        return None;
    }
    // The inherit's own set is not a scope (unless `rec`): look from outside it.
    resolve::let_bound(node.parent()?.parent().as_ref()?, name)
}

/// A call of a helper function that builds a configuration, as [`Flake::helper_config_in`]
/// reads it.
struct HelperCall<'a> {
    /// The configuration's name.
    name: &'a str,
    /// Its binding.
    binding: &'a ast::AttrpathValue,
    /// Where a refusal points.
    at: &'a SyntaxNode,
    /// The helper's name, for messages.
    helper: &'a str,
    /// The helper (a lambda).
    function: ast::Expr,
    /// What the call passes for each parameter, in order (`None`: not written in the file,
    /// such as the name `mapAttrs` passes).
    args: Vec<Option<ast::Expr>>,
    /// The string values known for some parameters (the name `genAttrs` passes): a module
    /// path the helper writes with them (`./hosts/${name}`) is a module file of the
    /// configuration.
    known: Vec<Option<String>>,
}

/// The name standing for every configuration of `genAttrs names f` or `mapAttrs f hosts`
/// when the names cannot be worked out (`readDir` of a directory that is not there).
pub const EVERY: &str = "*";

/// `body` as a call of a function a `let` binds to a lambda (`mkHost name`, `mkHost {
/// hostname = name; }`): the function, its name and the arguments, in order.
fn let_bound_call(body: &ast::Expr) -> Option<(ast::Expr, String, Vec<ast::Expr>)> {
    let mut args = Vec::new();
    let mut head = body.clone();
    while let ast::Expr::Apply(a) = unwrap_parens(head.clone()) {
        args.push(a.argument()?);
        head = a.lambda()?;
    }
    args.reverse();
    let ast::Expr::Ident(ident) = unwrap_parens(head) else {
        return None;
    };
    let name = ident.syntax().text().to_string();
    let function = resolve::let_bound(ident.syntax(), &name)?.value()?;
    matches!(unwrap_parens(function.clone()), ast::Expr::Lambda(_))
        .then_some((function, name, args))
        .filter(|(_, _, args)| !args.is_empty())
}

/// The attribute sets an expression is made of through `//` (and parentheses); what is not
/// a set written in the file goes to `rest`.
fn collect_sets(expr: ast::Expr, sets: &mut Vec<ast::AttrSet>, rest: &mut Vec<SyntaxNode>) {
    match unwrap(expr, false) {
        ast::Expr::AttrSet(set) => sets.push(set),
        ast::Expr::BinOp(op) if op.operator() == Some(rnix::ast::BinOpKind::Update) => {
            for side in [op.lhs(), op.rhs()].into_iter().flatten() {
                collect_sets(side, sets, rest);
            }
        }
        other => rest.push(other.syntax().clone()),
    }
}

/// A call of a function nixgen cannot read (`lib'.forHosts`) given a function written here
/// that returns a `nixosSystem { ... }` call: that function, and the called one's name (for
/// messages).
fn function_argument(expr: &ast::Expr) -> Option<(ast::Expr, String)> {
    let mut head = unwrap_parens(expr.clone());
    let mut found = None;
    while let ast::Expr::Apply(a) = head {
        if let Some(arg) = a.argument() {
            if let ast::Expr::Lambda(l) = unwrap_parens(arg.clone()) {
                let mut body = l.body();
                while let Some(ast::Expr::Lambda(inner)) = body.clone().map(|b| unwrap(b, false)) {
                    body = inner.body();
                }
                let system = body.map(|b| without_with(unwrap(b, false)));
                if let Some(ast::Expr::Apply(call)) = system {
                    let callee = call.lambda()?.syntax().text().to_string();
                    if callee.ends_with("nixosSystem") {
                        found = Some(arg);
                    }
                }
            }
        }
        head = unwrap_parens(a.lambda()?);
    }
    let name = head.syntax().text().to_string();
    found.map(|f| (f, name))
}

/// `listToAttrs (map f list)` (any spelling of both names): `f` and `list`.
fn list_to_attrs_of(expr: &ast::Expr) -> Option<(ast::Expr, ast::Expr)> {
    let ast::Expr::Apply(apply) = unwrap_parens(expr.clone()) else {
        return None;
    };
    let head = apply.lambda()?.syntax().text().to_string();
    if head.rsplit('.').next()? != "listToAttrs" {
        return None;
    }
    let (name, _, function, list) = call_of_two(&apply.argument()?)?;
    (name == "map").then_some((function, list))
}

/// `f a b` (through parentheses): the last name of `f` (`mapAttrs` for
/// `nixpkgs.lib.mapAttrs`), the application, and its two arguments.
fn call_of_two(expr: &ast::Expr) -> Option<(String, ast::Apply, ast::Expr, ast::Expr)> {
    let ast::Expr::Apply(outer) = unwrap_parens(expr.clone()) else {
        return None;
    };
    let ast::Expr::Apply(inner) = unwrap_parens(outer.lambda()?) else {
        return None;
    };
    let function = inner.lambda()?.syntax().text().to_string();
    let name = function.rsplit('.').next()?.to_owned();
    Some((name, outer.clone(), inner.argument()?, outer.argument()?))
}

/// `expr` as written, through parentheses and `let ... in`, or the value a `let` binds it to
/// when it is a name.
fn written_value(expr: ast::Expr) -> ast::Expr {
    match unwrap(expr, false) {
        ast::Expr::Ident(i) => resolve::let_bound(i.syntax(), &i.syntax().text().to_string())
            .and_then(|b| b.value())
            .map(|v| unwrap(v, false))
            .unwrap_or(ast::Expr::Ident(i)),
        other => other,
    }
}

/// The function given to `mapAttrs` or `genAttrs`: a lambda (named `label` in messages), or
/// a name a `let` binds (named by it).
fn mapped_function(arg: ast::Expr, label: &str) -> Option<(ast::Expr, String)> {
    match unwrap_parens(arg) {
        ast::Expr::Ident(i) => {
            let helper = i.syntax().text().to_string();
            let function = resolve::let_bound(i.syntax(), &helper)?.value()?;
            Some((function, helper))
        }
        lambda @ ast::Expr::Lambda(_) => Some((lambda, label.to_owned())),
        _ => None,
    }
}

/// `expr` without the `with x;` around it (the names it brings stay resolvable: an editor
/// only inserts names bound outside it).
fn without_with(expr: ast::Expr) -> ast::Expr {
    let mut e = expr;
    for _ in 0..16 {
        match e {
            ast::Expr::With(ref w) => match w.body() {
                Some(body) => e = unwrap(body, false),
                None => return e,
            },
            _ => return e,
        }
    }
    e
}

/// See [`Flake::output_sets`].
fn collect_output_sets(
    expr: ast::Expr,
    sets: &mut Vec<(ast::AttrSet, Vec<&'static str>)>,
    opaque: &mut Vec<SyntaxNode>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match unwrap(expr, false) {
        ast::Expr::AttrSet(set) => sets.push((set, Vec::new())),
        ast::Expr::With(w) => {
            if let Some(body) = w.body() {
                collect_output_sets(body, sets, opaque, depth + 1);
            }
        }
        ast::Expr::BinOp(op) if op.operator() == Some(rnix::ast::BinOpKind::Update) => {
            for side in [op.lhs(), op.rhs()].into_iter().flatten() {
                collect_output_sets(side, sets, opaque, depth + 1);
            }
        }
        ast::Expr::Apply(outer) => {
            // One argument: `recursiveMerge [ a b ]` (a list of sets merged).
            if let (Some(f), Some(ast::Expr::List(list))) = (
                outer.lambda().map(unwrap_parens),
                outer.argument().map(|a| unwrap(a, false)),
            ) {
                let name = f.syntax().text().to_string();
                if matches!(
                    name.rsplit('.').next(),
                    Some("recursiveMerge" | "mergeAttrsList")
                ) {
                    for item in list.items() {
                        collect_output_sets(item, sets, opaque, depth + 1);
                    }
                    return;
                }
            }
            // Two arguments: `f a b` is `(f a) b`.
            match call_of_two(&outer.clone().into()) {
                Some((name, _, a, b)) if name == "recursiveUpdate" => {
                    collect_output_sets(a, sets, opaque, depth + 1);
                    collect_output_sets(b, sets, opaque, depth + 1);
                }
                // flake-parts: the module (maybe a function of `withSystem` and friends) sets
                // `flake.nixosConfigurations`.
                Some((name, _, _, module)) if name == "mkFlake" => match unwrap(module, true) {
                    ast::Expr::AttrSet(module) => sets.push((module, vec!["flake"])),
                    _ => opaque.push(outer.syntax().clone()),
                },
                _ => opaque.push(outer.syntax().clone()),
            }
        }
        other => opaque.push(other.syntax().clone()),
    }
}

/// The literal lists of a `modules` value: `[ ... ]`, or the list operands of `++`.
fn collect_lists(expr: ast::Expr, lists: &mut Vec<ast::List>, opaque: &mut Vec<SyntaxNode>) {
    match unwrap(expr, false) {
        ast::Expr::List(l) => lists.push(l),
        // `with nf.nixosModules; [ ... ]`: elements are read through the namespace
        // ([`resolve::module_reference`]).
        ast::Expr::With(w) => match w.body() {
            Some(body) => collect_lists(body, lists, opaque),
            None => opaque.push(w.syntax().clone()),
        },
        ast::Expr::BinOp(op) if op.operator() == Some(rnix::ast::BinOpKind::Concat) => {
            if let Some(l) = op.lhs() {
                collect_lists(l, lists, opaque);
            }
            if let Some(r) = op.rhs() {
                collect_lists(r, lists, opaque);
            }
        }
        other => opaque.push(other.syntax().clone()),
    }
}
