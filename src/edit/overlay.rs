//! `overlay add`, `overlay remove` and `overlay list` on an existing flake or module file.
//!
//! `add` puts the `flake = false` input (for a local source) into `inputs` in the file's own
//! style, makes it reachable from `outputs`, and adds the entry after the existing overlays
//! (creating `nixpkgs.overlays` when there is none). `remove` is its exact inverse: add then
//! remove gives back the original bytes. Both are no-ops when there is nothing to do.

use std::path::Path;

use rnix::ast::{self, HasEntry};
use rnix::SyntaxNode;
use rowan::ast::AstNode;

use super::editor::Editor;
use super::flake::{
    overlay_body, unwrap_parens, Config, EntrySource, Flake, InlineModule, OverlayBinding,
};
use super::inputs::{ensure_input, reach_input, remove_unused_input};
use super::insert_setting;
use crate::diag::{Diagnostic, Result};
use crate::generate::{InputPlan, OverlayEntry, OverlayScope, SourceExpr};
use crate::model::InputSource;
use crate::nix::ast::{Entry, Expr, Item};
use crate::nix::resolve::{binding_keys, same_code};

/// One overlay to add: the entry, and the input it needs (for a local source).
#[derive(Debug, Clone)]
pub struct OverlayRequest {
    /// The `package = prev.package.overrideAttrs { ... };` binding to add or bring in line.
    pub entry: OverlayEntry,
    /// The `flake = false` input to declare when the entry takes `src` from an input (a
    /// local source); `None` when it needs none (a fetcher call such as `fetchFromGitHub`).
    pub input: Option<InputPlan>,
}

/// Adds `request` to configuration `config` of the file; an entry kept in a module file the
/// configuration imports (the template's `./default.nix`) is edited there.
pub fn add(
    path: &Path,
    text: &str,
    config: Option<&str>,
    request: &OverlayRequest,
) -> Result<super::Edited> {
    let (flake, config) = loaded(path, text, config)?;
    let mut notes = Vec::new();
    let eds = plan_add(&flake, &config, request, &mut notes)
        .map_err(|f| super::planning_failed(f, path, text))?;
    let mut edited = super::finish_all(&flake, eds)?;
    if edited.text != text || !edited.module_files.is_empty() {
        if notes.is_empty() {
            edited.notes.extend(super::helper_note(&flake, &config));
        } else {
            edited.notes.extend(notes);
        }
    }
    Ok(edited)
}

/// The file parsed for an edit, its configuration `config`, and (for a flake) the module
/// files that configuration imports.
fn loaded(path: &Path, text: &str, config: Option<&str>) -> Result<(Flake, Config)> {
    let load = || {
        let mut flake = Flake::parse_for_edit(path, text)?;
        let mut config = flake.select(config)?;
        if flake.is_flake() {
            flake.load_module_files(&mut config)?;
        }
        Ok((flake, config))
    };
    load().map_err(|f| super::planning_failed(f, path, text))
}

fn plan_add<'f>(
    flake: &'f Flake,
    config: &Config,
    request: &OverlayRequest,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Editor<'f>>> {
    flake.refuse_own_pkgs(config)?;
    if request.input.is_some() && !flake.is_flake() {
        return Err(Diagnostic::in_file(&flake.path, "a module file cannot declare flake inputs")
            .with_help("run `overlay add --src` on the flake (--flake FILE), or use --github / --git here")
            .into());
    }
    let mut eds = super::editors(flake);
    let mut scope = OverlayScope::default();
    let input = request.input.as_ref().map(|i| i.name.as_str());
    if let Some(plan) = &request.input {
        ensure_input(flake, &mut eds[0], plan, false)?;
        scope.inputs_name = reach_input(flake, &mut eds[0], &plan.name)?;
    }
    // The package may already have an entry in any of the configuration's overlay lists
    // (one under `mkIf` too): it is brought in line there.
    let lists = flake.overlays_lists(config)?;
    let existing = lists.iter().find_map(|(_, _, list)| {
        flake
            .overlay_bindings_of(list, Some(&request.entry.package))
            .into_iter()
            .next()
    });
    if let Some(existing) = existing {
        let node = existing.binding.syntax();
        let scope = super::scope_in_file(flake, node, &scope_of(&existing, &scope), input);
        let wanted = request.entry.value(&scope);
        let value = existing.binding.value().expect("bindings have values");
        let same = same_code(&value.syntax().text().to_string(), &wanted.print())
            || (existing.source == entry_source(flake, &request.entry)
                && existing.clears_patches == request.entry.clear_patches);
        if !same {
            eds[flake.file_index(node)].replace_expr(value.syntax(), &wanted);
        }
        return Ok(eds);
    }
    let target = super::overlay_target(flake, config)?;
    // A module file that cannot reach the flake's inputs (no `specialArgs` passes them, or
    // other configurations use it too): the entry goes into a module of its own in the
    // configuration's list in the flake, else in the list it shares with others (and a note
    // says so), else nowhere.
    if let Some(input) = input {
        let node = match &target {
            Some(super::OverlayTarget::List(list)) => Some(list.syntax().clone()),
            Some(super::OverlayTarget::Module(m)) => Some(m.set.syntax().clone()),
            None => config.main_module().map(|m| m.set.syntax().clone()),
        };
        if let Some(node) = node.filter(|n| !super::inputs_reachable(flake, config, n, input)) {
            let in_flake = |l: &&ast::List| flake.file_index(l.syntax()) == 0;
            let own = config.module_lists.iter().rev().find(in_flake);
            let shared = config.shared_lists.iter().rev().find(in_flake);
            let Some(list) = own.or(shared) else {
                return Err(flake
                    .error_at(&node, format!("this module file cannot name the flake's inputs, so the `{}` input cannot be used here", input))
                    .with_help("pass the inputs to the configuration's modules (`specialArgs = { inherit inputs; };`) and add `inputs` to this file's arguments, or use --github / --git (a fetcher needs no input)")
                    .into());
            };
            if own.is_none() {
                if let Some(by) = &config.shared_by {
                    notes.push(
                        flake
                            .error_at(list.syntax(), format!("{} cannot name the flake's inputs: the entry went into {by}, which other configurations may share", flake.file_of(&node).path.display()))
                            .note(),
                    );
                }
            }
            let module = overlays_module(overlays_value(&request.entry, &scope));
            eds[0].insert_item(list, None, &module);
            return Ok(eds);
        }
    }
    match target {
        Some(super::OverlayTarget::List(list)) => {
            let scope =
                super::reach_inputs_at(flake, config, &mut eds, list.syntax(), &scope, input);
            let ed = &mut eds[flake.file_index(list.syntax())];
            add_entry(ed, &list, &request.entry, &scope)
        }
        Some(super::OverlayTarget::Module(module)) => {
            let scope =
                super::reach_inputs_at(flake, config, &mut eds, module.set.syntax(), &scope, input);
            let value = overlays_value(&request.entry, &scope);
            let ed = &mut eds[flake.file_index(module.set.syntax())];
            insert_setting(flake, ed, &module.set, &["nixpkgs", "overlays"], &value)?
        }
        None => create_overlays(flake, config, &mut eds, &request.entry, &scope, input)?,
    }
    Ok(eds)
}

/// What an entry's source looks like when read back from a file (for comparisons).
fn entry_source(flake: &Flake, entry: &OverlayEntry) -> EntrySource {
    match &entry.source {
        SourceExpr::Input(name) => EntrySource::Input {
            input: name.clone(),
            url: flake.input_url(name),
        },
        SourceExpr::Fetch { fetcher, fields } => {
            let get = |k: &str| {
                fields
                    .iter()
                    .find(|(f, _)| *f == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            if *fetcher == "fetchFromGitHub" {
                EntrySource::Github {
                    owner: get("owner"),
                    repo: get("repo"),
                    rev: get("rev"),
                }
            } else {
                EntrySource::Git {
                    url: get("url"),
                    rev: get("rev"),
                }
            }
        }
    }
}

/// The scope of an existing overlay function (its argument names).
pub fn scope_of(binding: &OverlayBinding, base: &OverlayScope) -> OverlayScope {
    let mut scope = base.clone();
    // The function around the entries: the list element, or the `let` binding it names.
    let function = binding
        .body
        .syntax()
        .ancestors()
        .filter(|a| ast::Lambda::can_cast(a.kind()))
        .nth(1);
    let names = overlay_arg_names(&binding.element)
        .or_else(|| function.and_then(|f| overlay_arg_names(&f)));
    if let Some((f, p)) = names {
        scope.final_name = f;
        scope.prev_name = p;
    }
    scope
}

fn overlay_arg_names(element: &SyntaxNode) -> Option<(String, String)> {
    let expr = ast::Expr::cast(element.clone())?;
    let ast::Expr::Lambda(outer) = unwrap_parens(expr) else {
        return None;
    };
    let ast::Expr::Lambda(inner) = unwrap_parens(outer.body()?) else {
        return None;
    };
    let name = |l: &ast::Lambda| match l.param()? {
        ast::Param::IdentParam(p) => Some(p.syntax().text().to_string()),
        _ => None,
    };
    Some((name(&outer)?, name(&inner)?))
}

/// Puts a new entry into the list: into an existing multi-entry overlay function when the
/// file groups entries that way, else as a new `(final: prev: { ... })` element.
fn add_entry(ed: &mut Editor, list: &ast::List, entry: &OverlayEntry, scope: &OverlayScope) {
    let source = ed.source();
    let grouped = list.items().filter_map(|i| {
        // Only an element with two `;` at its body's depth can hold two entries: the text
        // says so before the element is read (thousands of one-entry functions are common).
        let range = i.syntax().text_range();
        let text = source.get(usize::from(range.start())..usize::from(range.end()))?;
        if !two_members(text) {
            return None;
        }
        let body = overlay_body(&i)?;
        (body.attrpath_values().nth(1).is_some()).then_some((i, body))
    });
    if let Some((item, body)) = grouped.last() {
        let mut scope = scope.clone();
        if let Some((f, p)) = overlay_arg_names(item.syntax()) {
            scope.final_name = f;
            scope.prev_name = p;
        }
        ed.insert_binding(
            &body,
            None,
            std::slice::from_ref(&entry.package),
            &entry.value(&scope),
        );
    } else {
        ed.insert_item(
            list,
            None,
            &OverlayEntry::overlay_of(std::slice::from_ref(entry), scope),
        );
    }
}

/// True when `text` (an overlay function) has at least two `;` one brace deep: the end of
/// two bindings in the function's body. Strings are not told apart: a false answer only
/// means a new entry gets a function of its own.
fn two_members(text: &str) -> bool {
    let mut depth = 0usize;
    let mut seen = 0;
    for b in text.bytes() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b';' if depth == 1 => {
                seen += 1;
                if seen >= 2 {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Creates `nixpkgs.overlays = [ nixos-flake.overlays.default (entry) ];` in the
/// configuration's main inline module, or a new inline module when it has none.
fn create_overlays(
    flake: &Flake,
    config: &Config,
    eds: &mut [Editor],
    entry: &OverlayEntry,
    scope: &OverlayScope,
    input: Option<&str>,
) -> Result<()> {
    // Only the entry: nixos-flake's default overlay is the author's call (and leaving it out
    // keeps `overlay remove` an exact inverse).
    let overlay_in = |eds: &mut [Editor], node: &SyntaxNode| {
        let scope = super::reach_inputs_at(flake, config, eds, node, scope, input);
        overlays_value(entry, &scope)
    };
    // A module that already sets `nixpkgs.overlays` (to overlays nixgen cannot read, or
    // under `mkIf`) gets no second binding: the entry goes into a module of its own.
    let free = |m: &&InlineModule| {
        matches!(
            crate::nix::resolve::lookup(&m.set, &["nixpkgs", "overlays"]),
            crate::nix::resolve::Lookup::Missing { .. }
        )
    };
    match config.main_module().filter(free) {
        Some(module) => {
            let value = overlay_in(eds, module.set.syntax());
            let ed = &mut eds[flake.file_index(module.set.syntax())];
            insert_setting(flake, ed, &module.set, &["nixpkgs", "overlays"], &value)
        }
        None => {
            let list = config.module_lists.last().or(config.shared_fallback()).ok_or_else(|| {
                let message = format!(
                    "configuration `{}` has no `modules` list in this file to add an overlay to",
                    config.name
                );
                match &config.binding {
                    Some(b) => flake.error_at(b.syntax(), message),
                    None => Diagnostic::in_file(&flake.path, message),
                }
                .with_help("its modules are given elsewhere (a function's own list, another file): add `modules = [ ];` to the call here, or run overlay add on the file that holds them (--flake FILE)")
            })?;
            let module = overlays_module(overlay_in(eds, list.syntax()));
            eds[flake.file_index(list.syntax())].insert_item(list, None, &module);
            Ok(())
        }
    }
}

/// `[ (final: prev: { <entry> }) ]`, one element a line: a new `nixpkgs.overlays` value.
fn overlays_value(entry: &OverlayEntry, scope: &OverlayScope) -> Expr {
    Expr::List(vec![
        Item::Newline,
        Item::Expr(OverlayEntry::overlay_of(std::slice::from_ref(entry), scope)),
    ])
}

/// `{ nixpkgs.overlays = <value>; }`: a module of its own for a new overlay list.
fn overlays_module(value: Expr) -> Expr {
    Expr::Attrs(vec![Entry::Binding(
        vec!["nixpkgs".into(), "overlays".into()],
        value,
    )])
}

/// Removes `package`'s overlay entry (in whichever file of the configuration holds it), and
/// its input when nothing else uses it.
pub fn remove(
    path: &Path,
    text: &str,
    config: Option<&str>,
    package: &str,
) -> Result<super::Edited> {
    let (flake, config) = loaded(path, text, config)?;
    let eds =
        plan_remove(&flake, &config, package).map_err(|f| super::planning_failed(f, path, text))?;
    super::finish_all(&flake, eds)
}

fn plan_remove<'f>(flake: &'f Flake, config: &Config, package: &str) -> Result<Vec<Editor<'f>>> {
    let mut eds = super::editors(flake);
    let lists = flake.overlays_lists(config)?;
    let found = lists.iter().find_map(|(module, overlays, list)| {
        let target = flake
            .overlay_bindings(list)
            .into_iter()
            .find(|b| b.package == package)?;
        Some((module, overlays, list, target))
    });
    let Some((module, overlays, list, target)) = found else {
        return Ok(eds);
    };
    let index = flake.file_index(target.binding.syntax());
    let removed = remove_binding(&mut eds[index], module, overlays, list, &target);
    if let EntrySource::Input { input, .. } = &target.source {
        // An `inputs` argument `add` gave a host module stays: nixgen cannot tell it from
        // one the author wrote (and an unused argument changes nothing).
        remove_unused_input(flake, &mut eds[0], input, std::slice::from_ref(&removed))?;
    }
    Ok(eds)
}

/// Removes one overlay binding: the binding, or the whole overlay function when it was the
/// function's only entry, or `nixpkgs.overlays` itself when that empties the list. Returns
/// the node removed.
pub fn remove_binding(
    ed: &mut Editor,
    module: &InlineModule,
    overlays: &ast::AttrpathValue,
    list: &ast::List,
    target: &OverlayBinding,
) -> SyntaxNode {
    if target.body.attrpath_values().count() + target.body.inherits().count() > 1 {
        ed.remove_from(target.body.syntax(), target.binding.syntax());
        return target.binding.syntax().clone();
    }
    // An inline list keeps its (now empty) brackets: only lists nixgen created are
    // multi-line around a single overlay; a comment in the list is the author's, and keeps
    // it too.
    let has_comment = list
        .syntax()
        .children_with_tokens()
        .any(|t| t.kind() == rnix::SyntaxKind::TOKEN_COMMENT);
    if list.items().count() > 1 || !list.syntax().text().contains_char('\n') || has_comment {
        ed.remove_from(list.syntax(), &target.element);
        return target.element.clone();
    }
    // The list would be empty: remove `nixpkgs.overlays`, and the module if nothing is left.
    let holder = overlays
        .syntax()
        .parent()
        .expect("a binding has a parent set");
    if !placed_like_an_insertion(&holder, overlays) {
        // nixgen would not have put `nixpkgs.overlays` there: the author wrote it (an empty
        // `[ ]` that the entry expanded), so the list stays, emptied.
        ed.remove_from(list.syntax(), &target.element);
        return target.element.clone();
    }
    let siblings = holder
        .children()
        .filter(|n| {
            matches!(
                n.kind(),
                rnix::SyntaxKind::NODE_ATTRPATH_VALUE | rnix::SyntaxKind::NODE_INHERIT
            )
        })
        .count();
    let holder_comments = holder
        .children_with_tokens()
        .any(|t| t.kind() == rnix::SyntaxKind::TOKEN_COMMENT);
    if siblings == 1
        && !holder_comments
        && &holder == module.set.syntax()
        && module.lambda.is_none()
    {
        if let Some(modules) = module.item.parent() {
            ed.remove_from(&modules, &module.item);
            return module.item.clone();
        }
    }
    ed.remove_from(&holder, overlays.syntax());
    overlays.syntax().clone()
}

/// True when `binding` stands where [`insert_setting`] puts a new binding in `holder`: right
/// after the last other member sharing the longest key prefix with it, or last when none does.
fn placed_like_an_insertion(holder: &SyntaxNode, binding: &ast::AttrpathValue) -> bool {
    let Some(keys) = binding_keys(binding) else {
        return false;
    };
    let members: Vec<SyntaxNode> = holder
        .children()
        .filter(|n| {
            matches!(
                n.kind(),
                rnix::SyntaxKind::NODE_ATTRPATH_VALUE | rnix::SyntaxKind::NODE_INHERIT
            )
        })
        .collect();
    let Some(at) = members.iter().position(|m| m == binding.syntax()) else {
        return false;
    };
    let mut anchor: Option<(usize, usize)> = None;
    for (i, m) in members.iter().enumerate() {
        if i == at {
            continue;
        }
        let common = ast::AttrpathValue::cast(m.clone())
            .and_then(|b| binding_keys(&b))
            .map_or(0, |k| {
                k.iter().zip(&keys).take_while(|(a, b)| a == b).count()
            });
        if common > 0 && anchor.is_none_or(|(c, _)| common >= c) {
            anchor = Some((common, i));
        }
    }
    match anchor {
        Some((_, i)) => at == i + 1,
        None => at + 1 == members.len(),
    }
}

/// One row of `overlay list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListedOverlay {
    /// The name of the configuration whose overlays hold the entry.
    pub config: String,
    /// The package the entry overrides.
    pub package: String,
    /// Where the overridden `src` comes from.
    pub source: EntrySource,
    /// True when the entry sets `patches = [ ];`, dropping the package's own patches.
    #[serde(rename = "clearPatches")]
    pub clear_patches: bool,
    /// The 1-based line of the file on which the entry's binding starts.
    pub line: usize,
    /// The module file holding the entry, when it is not the flake itself (the template's
    /// `./default.nix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The overlays of one configuration, or of all when `config` is `None`.
pub fn list(path: &Path, text: &str, config: Option<&str>) -> Result<Vec<ListedOverlay>> {
    let mut flake = Flake::parse(path, text)?;
    let mut configs = match config {
        Some(_) => vec![flake.select(config)?],
        None => flake.configurations()?,
    };
    if flake.is_flake() {
        for c in &mut configs {
            flake.load_module_files(c)?;
        }
    }
    let mut rows = Vec::new();
    // Lines are counted from the previous row (rows come in file order), not from the start
    // of the file for each row: that was quadratic on a flake with thousands of entries.
    let mut cursor = (0usize, 1usize);
    for c in &configs {
        for (_, _, list) in flake.overlays_lists(c)? {
            for b in flake.overlay_bindings(&list) {
                let offset: usize = b.binding.syntax().text_range().start().into();
                let file = flake.file_of(b.binding.syntax());
                if flake.file_index(b.binding.syntax()) > 0 {
                    // An entry in a module file: its line there.
                    rows.push(ListedOverlay {
                        config: c.name.clone(),
                        package: b.package.clone(),
                        source: b.source.clone(),
                        clear_patches: b.clears_patches,
                        line: crate::diag::Position::of_offset(&file.text, offset).line,
                        file: Some(file.path.display().to_string()),
                    });
                    continue;
                }
                if offset < cursor.0 {
                    cursor = (0, 1);
                }
                cursor.1 += text.as_bytes()[cursor.0..offset]
                    .iter()
                    .filter(|&&c| c == b'\n')
                    .count();
                cursor.0 = offset;
                let line = cursor.1;
                rows.push(ListedOverlay {
                    config: c.name.clone(),
                    package: b.package.clone(),
                    source: b.source.clone(),
                    clear_patches: b.clears_patches,
                    line,
                    file: None,
                });
            }
        }
    }
    Ok(rows)
}

/// The request for `nixgen overlay add` from its flags.
pub fn request_for(
    package: &str,
    source: SourceExpr,
    input_source: Option<InputSource>,
    clear_patches: bool,
) -> OverlayRequest {
    let input = match (&source, input_source) {
        (SourceExpr::Input(name), Some(location)) => Some(InputPlan {
            name: name.clone(),
            source: Some(location),
            follows: None,
            flake: Some(false),
        }),
        _ => None,
    };
    OverlayRequest {
        entry: OverlayEntry {
            package: package.to_owned(),
            source,
            clear_patches,
        },
        input,
    }
}
