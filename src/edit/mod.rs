//! Editing existing flakes through the syntax tree.
//!
//! [`editor`] is the single place where source text changes (layout decided there);
//! [`flake`] locates what a configuration flake is made of, across the local module files it
//! imports; [`inputs`] declares, reaches and
//! retires flake inputs; [`overlay`] implements `overlay add|remove|list`; [`mod@reconcile`] is
//! `generate` over an existing flake; [`insert_setting`] and [`finish`] serve them all. Every edit
//! keeps comments and code nixgen does not own byte for byte, and nothing is returned that
//! does not parse.

pub mod editor;
pub mod flake;
pub mod inputs;
pub mod overlay;
pub mod reconcile;

pub use reconcile::{reconcile, FileEdit, Reconciled};

use std::path::Path;

use crate::diag::{Diagnostic, Result};
use crate::nix::ast::Expr;
use crate::nix::resolve::{lookup, Lookup};
use editor::Editor;
use flake::Flake;
use rnix::ast;
use rowan::ast::AstNode;

/// Plans an edit of `input` with `plan` and applies it, checked as Nix's parser would check
/// it (see [`editor::Editor::finish_checked`]). A file that does not pass the strict parser is
/// refused with its own error whatever the outcome (planning refused, nothing to change, or
/// an edit), never edited or called up to date.
pub fn finish<'t>(
    plan: impl FnOnce() -> Result<Editor<'t>>,
    path: &Path,
    input: &'t str,
) -> Result<String> {
    let input_diag = |e: &crate::nix::SyntaxError| flake::syntax_diagnostic(path, input, e);
    let mut ed = match plan() {
        Ok(ed) => ed,
        Err(failure) => return Err(planning_failed(failure, path, input)),
    };
    if ed.is_empty() {
        let verdict = ed
            .take_input_verdict()
            .unwrap_or_else(|| crate::nix::check_strict(input));
        return match verdict {
            Err(e) => Err(input_diag(&e).into()),
            Ok(()) => Ok(input.to_owned()),
        };
    }
    match ed.finish_checked() {
        editor::Checked::Ok(out) => Ok(out),
        editor::Checked::InvalidInput(e) => Err(input_diag(&e).into()),
        editor::Checked::Refused(e) => Err(Diagnostic::in_file(
            path,
            format!("the edit would give a file Nix refuses ({}); nothing was written", e.message),
        )
        .with_help("make the change by hand where the name is in scope, or tell nixgen's maintainers the flake's shape")
        .into()),
        editor::Checked::InvalidOutput(e) => Err(Diagnostic::in_file(
            path,
            format!("internal error: the edit would not parse ({e}); nothing was written"),
        )
        .with_help("please report this with the file")
        .into()),
    }
}

/// A flake's new text, and the configuration's local module files that changed with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The flake's new text; byte for byte the old text when nothing needed to change.
    pub text: String,
    /// The module files (the template's `./default.nix`) whose text changes.
    pub module_files: Vec<FileEdit>,
    /// What the user should know about where the edit went (a configuration built by a
    /// helper function is edited at its call).
    pub notes: Vec<Diagnostic>,
}

/// The note for an edit of a configuration built by a helper function: it lands in the list
/// the call passes, which is this configuration's alone.
pub fn helper_note(flake: &Flake, config: &flake::Config) -> Option<Diagnostic> {
    if let (Some(list), Some(by)) = (config.shared_fallback(), config.shared_by.as_ref()) {
        return Some(
            flake
                .error_at(
                    list.syntax(),
                    if config.name == flake::EVERY {
                        format!("the configurations computed here (nixgen cannot list them) have no module of their own in the files read: the edit went into {by}, so every one of them gets it")
                    } else {
                        format!("configuration `{}` has no module of its own in the files read: the edit went into {by}, which other configurations may share", config.name)
                    },
                )
                .note(),
        );
    }
    let (helper, binding) = (config.helper.as_ref()?, config.binding.as_ref()?);
    Some(
        flake
            .error_at(
                binding.syntax(),
                format!(
                    "configuration `{}` is built by `{helper}`: the edit went into the modules this call passes to it (a list, or a module file)",
                    config.name
                ),
            )
            .note(),
    )
}

/// One editor for each file of [`Flake::files`], in that order: an edit of a node goes to
/// `eds[flake.file_index(node)]`.
pub fn editors(flake: &Flake) -> Vec<Editor<'_>> {
    flake
        .files()
        .map(|f| {
            Editor::new(&f.text)
                .with_tree(f.root.syntax().clone())
                .with_input_check(f.input_check.borrow_mut().take())
        })
        .collect()
}

/// Applies one editor per file of [`Flake::files`] (see [`editors`]), each checked as
/// [`finish`] checks it; the flake's text, and the module files that changed.
pub fn finish_all<'f>(flake: &'f Flake, eds: Vec<Editor<'f>>) -> Result<Edited> {
    let mut eds = eds.into_iter();
    let main = eds.next().unwrap_or_else(|| Editor::new(&flake.text));
    let text = finish(|| Ok(main), &flake.path, &flake.text)?;
    let mut module_files = Vec::new();
    for (file, ed) in flake.module_files.iter().zip(eds) {
        let new = finish(|| Ok(ed), &file.path, &file.text)?;
        if new != file.text {
            module_files.push(FileEdit {
                path: file.path.clone(),
                old: file.text.clone(),
                new,
            });
        }
    }
    Ok(Edited {
        text,
        module_files,
        notes: Vec::new(),
    })
}

/// `base` with `inputs_name` as code in `node`'s file reaches input `input`: a module file
/// reaches the flake's inputs through its own arguments (`{ inputs, ... }:` from
/// `specialArgs`), not through the outputs function's.
pub fn scope_in_file(
    flake: &Flake,
    node: &rnix::SyntaxNode,
    base: &crate::generate::OverlayScope,
    input: Option<&str>,
) -> crate::generate::OverlayScope {
    let mut scope = base.clone();
    let (Some(input), true) = (input, flake.file_index(node) > 0) else {
        return scope;
    };
    if let Some(name) = module_inputs_name(flake.file_of(node), input) {
        scope.inputs_name = Some(name);
    }
    scope
}

/// How a module file names the flake's inputs at its body (`inputs` from its argument
/// pattern, or a `let` alias): the name before `.<input>`. An overlay function's own
/// arguments are not the inputs, and neither is the module's `@args` binding (the module
/// arguments, not the inputs).
fn module_inputs_name(file: &Flake, input: &str) -> Option<String> {
    let body = file.top.syntax().clone();
    let module_bind = file.module_args_name();
    crate::nix::resolve::input_spellings(&body, input)
        .into_iter()
        .filter(|s| {
            module_bind
                .as_ref()
                .is_none_or(|b| !s.starts_with(&format!("{b}.")))
        })
        .find_map(|s| s.strip_suffix(&format!(".{input}")).map(str::to_owned))
}

/// How code at `node` reaches the flake's input `input`.
enum InputsAccess {
    /// Through this name (`inputs` in `inputs.<input>`), or the input's own name (`None`):
    /// in the flake itself, or in a module file that names the inputs already.
    Named,
    /// Through `inputs` once it is added to the module file's argument pattern: a module
    /// file that is the configuration's own (a helper passes or names it), of a
    /// configuration that passes `inputs` through `specialArgs`, where nothing else is
    /// called `inputs`.
    AddToPattern(ast::Lambda),
    /// Not at all: a new entry must go elsewhere.
    Unreachable,
}

fn inputs_access(
    flake: &Flake,
    config: &flake::Config,
    node: &rnix::SyntaxNode,
    input: &str,
) -> InputsAccess {
    let file = flake.file_of(node);
    if flake.file_index(node) == 0 || module_inputs_name(file, input).is_some() {
        return InputsAccess::Named;
    }
    let own = config.owns_file(file);
    let shadowed = crate::nix::resolve::let_bound(node, "inputs").is_some();
    // `{ pkgs, ... }@inputs:` names the module arguments `inputs`: no second one.
    let bound_otherwise = file.module_args_name().as_deref() == Some("inputs");
    match file.module_lambda() {
        // Only a pattern takes one more name (`args: ...` takes them all already).
        Some(l)
            if matches!(l.param(), Some(ast::Param::Pattern(_)))
                && own
                && !shadowed
                && !bound_otherwise
                && config.passes_inputs() =>
        {
            InputsAccess::AddToPattern(l)
        }
        _ => InputsAccess::Unreachable,
    }
}

/// True when a new entry at `node` can name the flake's input `input` (see
/// [`reach_inputs_at`]).
pub fn inputs_reachable(
    flake: &Flake,
    config: &flake::Config,
    node: &rnix::SyntaxNode,
    input: &str,
) -> bool {
    !matches!(
        inputs_access(flake, config, node, input),
        InputsAccess::Unreachable
    )
}

/// [`scope_in_file`] for a new overlay entry at `node`, making the flake's inputs reachable
/// there when they are not and may be: a host module file of the configuration's own
/// (`./hosts/${name}`) that takes `inputs` from `specialArgs` gets it in its argument pattern
/// (`{ pkgs, ... }:` becomes `{ pkgs, inputs, ... }:`). Callers check
/// [`inputs_reachable`] first.
pub fn reach_inputs_at(
    flake: &Flake,
    config: &flake::Config,
    eds: &mut [editor::Editor],
    node: &rnix::SyntaxNode,
    base: &crate::generate::OverlayScope,
    input: Option<&str>,
) -> crate::generate::OverlayScope {
    let mut scope = scope_in_file(flake, node, base, input);
    let Some(input) = input else {
        return scope;
    };
    if let InputsAccess::AddToPattern(lambda) = inputs_access(flake, config, node, input) {
        if let Some(ast::Param::Pattern(p)) = lambda.param() {
            let named = p
                .pat_entries()
                .any(|e| e.ident().is_some_and(|i| i.syntax().text() == "inputs"));
            if !named {
                eds[flake.file_index(node)].insert_pattern_entry(&p, "inputs");
            }
            scope.inputs_name = Some("inputs".to_owned());
        }
    }
    scope
}

/// Where a new overlay entry of a configuration goes.
pub enum OverlayTarget {
    /// Into this `nixpkgs.overlays` list.
    List(ast::List),
    /// Into a new `nixpkgs.overlays` binding of this module (the host's own module, when
    /// the only list is the library template's one-line `{ nixpkgs.overlays = [
    /// nixos-flake.overlays.default ]; }`, which comes first and so stays first).
    Module(flake::InlineModule),
}

/// Where a new overlay entry goes: the main module's own list, else the template's case
/// above, else the first unconditional list; `None` when the configuration has no
/// unconditional list.
pub fn overlay_target(flake: &Flake, config: &flake::Config) -> Result<Option<OverlayTarget>> {
    let lists = flake.overlays_lists(config)?;
    // With no module of its own, the configuration's lists are the shared ones. A list in a
    // module file that another module file imports (`../common.nix`) may be other
    // configurations' too: the entry goes into the configuration's own module instead.
    let shared_ok = config.shared_fallback().is_some();
    let main = config.main_module();
    let main_file = main.map(|m| flake.file_index(m.set.syntax()));
    let own_file = |l: &ast::List| {
        let file = flake.file_index(l.syntax());
        file == 0 || main_file.is_none_or(|m| m == file)
    };
    let Some((first, _, list)) = lists
        .iter()
        .find(|(m, _, l)| !m.conditional && (shared_ok || !m.shared) && own_file(l))
    else {
        return Ok(None);
    };
    let one_line = |m: &flake::InlineModule| !m.set.syntax().text().contains_char('\n');
    let Some(main) = main else {
        // A one-line module such as the template's `{ nixpkgs.overlays = [ ... ]; }` stays
        // as written: the entry goes into a module of its own after it.
        if one_line(first) {
            return Ok(None);
        }
        return Ok(Some(OverlayTarget::List(list.clone())));
    };
    if let Some((_, _, own)) = lists
        .iter()
        .find(|(m, _, _)| !m.conditional && !m.shared && m.item == main.item)
    {
        return Ok(Some(OverlayTarget::List(own.clone())));
    }
    if one_line(first) && !one_line(main) {
        return Ok(Some(OverlayTarget::Module(main.clone())));
    }
    Ok(Some(OverlayTarget::List(list.clone())))
}

/// What to report when planning an edit of `input` failed: the file's own syntax error when
/// Nix's parser refuses it (the real problem), else the planning failure.
pub fn planning_failed(
    failure: crate::diag::Failure,
    path: &Path,
    input: &str,
) -> crate::diag::Failure {
    match crate::nix::check_strict(input) {
        Err(e) => flake::syntax_diagnostic(path, input, &e).into(),
        Ok(()) => failure,
    }
}

/// Inserts `path = value;` into `set` where the path is missing (following nested sets the
/// path already has).
pub fn insert_setting(
    flake: &Flake,
    ed: &mut Editor,
    set: &ast::AttrSet,
    path: &[&str],
    value: &Expr,
) -> Result<()> {
    match lookup(set, path) {
        Lookup::Missing { set, depth, anchor } => {
            let keys: Vec<String> = path[depth..].iter().map(|s| (*s).to_owned()).collect();
            ed.insert_binding(&set, anchor.as_ref().map(|a| a.syntax()), &keys, value);
            Ok(())
        }
        l @ Lookup::Opaque { .. } => Err(flake.refuse(&l, &format!("`{}`", path.join("."))).into()),
        _ => Ok(()),
    }
}
