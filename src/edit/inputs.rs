//! Flake inputs as the editing commands need them: declared where the plan points them, in
//! the file's own style (dotted `x.url = ...;` pairs, nested sets, attribute form), reached
//! from `outputs` (through `@inputs` or the function's pattern), and found unused once the
//! overlay entries that read them are gone. Shared by `overlay add|remove` and `generate`.

use rnix::ast::{self, HasEntry};
use rnix::SyntaxNode;
use rowan::ast::AstNode;

use super::editor::Editor;
use super::flake::Flake;
use crate::diag::Result;
use crate::generate::plan::LOCATION_FIELDS;
use crate::generate::InputPlan;
use crate::model::InputSource;
use crate::nix::ast::{Entry, Expr};
use crate::nix::resolve::{binding_keys, lookup, same_code, unwrap, Lookup};

/// Ensures input `input` exists where the plan points it, in the style of the file's other
/// inputs. An existing input that points elsewhere is repointed when `repoint` is set (the
/// host description is the truth: `generate`), and refused otherwise (`overlay add` never
/// silently changes what an existing input means). `url = "path:/x"` and `type = "path";
/// path = "/x";` are the same location; an equivalent one keeps its bytes.
pub fn ensure_input(
    flake: &Flake,
    ed: &mut Editor,
    input: &InputPlan,
    repoint: bool,
) -> Result<()> {
    let fields = input.fields();
    match lookup(&flake.top, &["inputs", &input.name]) {
        Lookup::Missing { set, depth, anchor } => {
            let mut keys: Vec<String> = vec!["inputs".into(), input.name.clone()];
            keys.drain(..depth);
            let anchor_node = anchor.as_ref().map(|a| a.syntax().clone());
            if dotted_input_style(flake) {
                // `x.url = ...; x.flake = false;`, one binding a field.
                for (k, v) in fields {
                    let mut path = keys.clone();
                    path.push(k.to_owned());
                    ed.insert_binding(&set, anchor_node.as_ref(), &path, &v);
                }
            } else {
                let value = Expr::Attrs(
                    fields
                        .into_iter()
                        .map(|(k, v)| Entry::Binding(vec![k.to_owned()], v))
                        .collect(),
                );
                ed.insert_binding(&set, anchor_node.as_ref(), &keys, &value);
            }
            Ok(())
        }
        l @ Lookup::Opaque { .. } => Err(flake.refuse(&l, "`inputs`").into()),
        _ => {
            // The input exists: its location as a whole, then each other field.
            let fields = match relocate(flake, ed, input, repoint)? {
                true => fields,
                false => input
                    .fields()
                    .into_iter()
                    .filter(|(k, _)| !LOCATION_FIELDS.contains(k))
                    .collect(),
            };
            for (k, v) in fields {
                match lookup(&flake.top, &["inputs", &input.name, k]) {
                    Lookup::Found { value, .. } => {
                        if !same_code(&value.syntax().text().to_string(), &v.print()) {
                            ed.replace_expr(value.syntax(), &v);
                        }
                    }
                    Lookup::Missing { set, depth, anchor } => {
                        let path = ["inputs", input.name.as_str(), k];
                        let keys: Vec<String> =
                            path[depth..].iter().map(|s| (*s).to_owned()).collect();
                        ed.insert_binding(&set, anchor.as_ref().map(|a| a.syntax()), &keys, &v);
                    }
                    l => return Err(flake.refuse(&l, &format!("input `{}`", input.name)).into()),
                }
            }
            Ok(())
        }
    }
}

/// The location fields an existing input has, as static strings, with their bindings.
fn existing_location(flake: &Flake, name: &str) -> Vec<(&'static str, String, ast::AttrpathValue)> {
    let mut out = Vec::new();
    for field in LOCATION_FIELDS {
        if let Lookup::Found { binding, value } = lookup(&flake.top, &["inputs", name, field]) {
            let text = match unwrap(value, false) {
                ast::Expr::Str(s) => crate::nix::resolve::static_string(&s),
                other => Some(other.syntax().text().to_string()),
            };
            out.push((field, text.unwrap_or_default(), binding));
        }
    }
    out
}

/// Brings an existing input's location in line with the plan. Returns true when the caller
/// should go on and reconcile the planned location fields one by one (the input had none, or
/// the same form), false when the location is settled here.
fn relocate(flake: &Flake, ed: &mut Editor, input: &InputPlan, repoint: bool) -> Result<bool> {
    let Some(planned) = &input.source else {
        return Ok(false);
    };
    let existing = existing_location(flake, &input.name);
    if existing.is_empty() {
        return Ok(true);
    }
    let get = |f: &str| {
        existing
            .iter()
            .find(|(k, _, _)| *k == f)
            .map(|(_, v, _)| v.as_str())
    };
    let same = location_url(|f| get(f).map(str::to_owned)).is_some_and(|url| {
        url == match planned {
            InputSource::Path(p) => format!("path:{p}"),
            InputSource::Url(u) => u.clone(),
        }
    });
    if same {
        return Ok(false);
    }
    let first = &existing[0].2;
    if !repoint {
        let shown: Vec<String> = existing
            .iter()
            .map(|(k, v, _)| format!("{k} = \"{v}\""))
            .collect();
        return Err(flake
            .error_at(
                first.syntax(),
                format!(
                    "input `{}` already exists and points elsewhere ({})",
                    input.name,
                    shown.join("; ")
                ),
            )
            .with_help(format!(
                "choose another input name with --input, or change `{}` by hand (or remove its overlay first); nixgen never repoints an existing input",
                input.name
            ))
            .into());
    }
    // The new location replaces the first old location binding, in its own key style; the
    // other old location bindings go.
    let keys = crate::nix::resolve::binding_keys(first).unwrap_or_default();
    let prefix = &keys[..keys.len().saturating_sub(1)];
    let indent = ed
        .line_indent(first.syntax().text_range().start().into())
        .to_owned();
    let text: Vec<String> = input
        .location_fields()
        .into_iter()
        .map(|(k, v)| {
            let mut path = prefix.to_vec();
            path.push(k.to_owned());
            ed.render_binding(&path, &v, &indent)
        })
        .collect();
    ed.replace(
        first.syntax().text_range(),
        text.join(&format!("\n{indent}")),
    );
    for (_, _, b) in &existing[1..] {
        ed.remove(b.syntax());
    }
    Ok(false)
}

/// The flake reference URL an input's location fields stand for, read through `field`
/// (a field's static string value): `url` alone; `type = "path"; path = ...;` as `path:`;
/// `type = "git"; url = ...;` (with `ref`, `rev`) as `git+<url>?ref=..&rev=..`;
/// `type = "github"; owner; repo;` (with `ref` or `rev`) as `github:owner/repo/<ref>`.
/// `None` for a form with other fields, or none.
pub fn location_url(field: impl Fn(&str) -> Option<String>) -> Option<String> {
    let present: Vec<&str> = LOCATION_FIELDS
        .iter()
        .copied()
        .filter(|f| field(f).is_some())
        .collect();
    let only = |allowed: &[&str]| present.iter().all(|f| allowed.contains(f));
    let query = |url: String| {
        let mut params = Vec::new();
        for key in ["ref", "rev"] {
            if let Some(v) = field(key) {
                params.push(format!("{key}={v}"));
            }
        }
        if params.is_empty() {
            url
        } else {
            format!("{url}?{}", params.join("&"))
        }
    };
    match field("type").as_deref() {
        None if present == ["url"] => field("url"),
        Some("path") if only(&["type", "path"]) => field("path").map(|p| format!("path:{p}")),
        Some("git") if only(&["type", "url", "ref", "rev"]) => {
            field("url").map(|u| query(format!("git+{u}")))
        }
        Some("github") if only(&["type", "owner", "repo", "ref", "rev"]) => {
            let (owner, repo) = (field("owner")?, field("repo")?);
            let at = field("rev").or_else(|| field("ref"));
            Some(match at {
                Some(at) => format!("github:{owner}/{repo}/{at}"),
                None => format!("github:{owner}/{repo}"),
            })
        }
        _ => None,
    }
}

/// True when the file writes multi-field inputs as separate dotted bindings.
fn dotted_input_style(flake: &Flake) -> bool {
    // Read lazily: the first nested input settles it, and a flake may have thousands.
    let bindings: Box<dyn Iterator<Item = ast::AttrpathValue>> =
        match lookup(&flake.top, &["inputs"]) {
            Lookup::Found { value, .. } => match unwrap(value, false) {
                ast::Expr::AttrSet(s) => Box::new(s.attrpath_values()),
                _ => Box::new(std::iter::empty()),
            },
            Lookup::Scattered(b) => Box::new(b.into_iter()),
            _ => Box::new(std::iter::empty()),
        };
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for b in bindings {
        let b = &b;
        let Some(keys) = binding_keys(b) else {
            continue;
        };
        let keys: Vec<&String> = keys.iter().skip_while(|k| *k == "inputs").collect();
        match keys.as_slice() {
            [name, _field] => *counts.entry((*name).clone()).or_default() += 1,
            // One input written as a nested set settles it.
            [_name]
                if matches!(
                    b.value().map(|v| unwrap(v, false)),
                    Some(ast::Expr::AttrSet(_))
                ) =>
            {
                return false;
            }
            _ => {}
        }
    }
    counts.values().any(|c| *c >= 2)
}

/// Makes input `name` reachable in `outputs`; returns how to name inputs there (`Some(x)`
/// for `x.<name>`, `None` for the bare name).
pub fn reach_input(flake: &Flake, ed: &mut Editor, name: &str) -> Result<Option<String>> {
    let outputs = flake.outputs()?;
    match outputs.param() {
        Some(ast::Param::IdentParam(p)) => Ok(Some(p.syntax().text().to_string())),
        Some(ast::Param::Pattern(p)) => {
            let bind = p
                .pat_bind()
                .and_then(|b| b.ident())
                .map(|i| i.syntax().text().to_string());
            let entries: Vec<ast::PatEntry> = p.pat_entries().collect();
            let listed = entries
                .iter()
                .any(|e| e.ident().is_some_and(|i| i.syntax().text() == name));
            // Without `...` every input must be named in the pattern, or Nix refuses to call
            // the function; with `...` and an `@` binding, the binding reaches it.
            let open = p.ellipsis_token().is_some();
            if listed {
                return Ok(None);
            }
            if open && bind.is_some() {
                return Ok(bind);
            }
            // Add the input to the pattern, after the last entry, in the pattern's layout.
            ed.insert_pattern_entry(&p, name);
            Ok(bind)
        }
        None => Err(flake
            .error_at(
                outputs.syntax(),
                "cannot read the outputs function's parameter",
            )
            .into()),
    }
}

/// Removes input `name` (and its pattern entry) when it is a `flake = false` input that
/// nothing outside `removed` refers to.
/// Returns true when it was removed (false: not a source input, or still used).
pub fn remove_unused_input(
    flake: &Flake,
    ed: &mut Editor,
    name: &str,
    removed: &[SyntaxNode],
) -> Result<bool> {
    unused_input(flake, Some(ed), name, removed)
}

/// True when input `name` is a `flake = false` input that nothing outside `removed` refers
/// to; with an editor, it is also removed (with its pattern entry).
pub fn unused_input(
    flake: &Flake,
    ed: Option<&mut Editor>,
    name: &str,
    removed: &[SyntaxNode],
) -> Result<bool> {
    let only_check = ed.is_none();
    let is_source = matches!(
        lookup(&flake.top, &["inputs", name, "flake"]),
        Lookup::Found { value, .. } if value.syntax().text() == "false"
    );
    if !is_source {
        return Ok(false);
    }
    let Ok(outputs) = flake.outputs() else {
        return Ok(false);
    };
    let pattern_entry = match outputs.param() {
        Some(ast::Param::Pattern(p)) => p
            .pat_entries()
            .find(|e| e.ident().is_some_and(|i| i.syntax().text() == name)),
        _ => None,
    };
    // Uses in `outputs`, and anywhere in the configuration's module files (which reach the
    // input through `inputs` from `specialArgs`); a removed node only hides the uses inside
    // it, in its own file.
    let scopes = std::iter::once(outputs.syntax().clone())
        .chain(flake.module_files.iter().map(|f| f.root.syntax().clone()));
    let used = scopes
        .flat_map(|scope| scope.descendants_with_tokens())
        .filter_map(|t| t.into_token())
        .filter(|t| t.kind() == rnix::SyntaxKind::TOKEN_IDENT && t.text() == name)
        .filter(|t| {
            let root = t.parent_ancestors().last();
            !removed.iter().any(|r| {
                r.ancestors().last() == root && r.text_range().contains_range(t.text_range())
            })
        })
        .filter(|t| {
            pattern_entry
                .as_ref()
                .is_none_or(|e| !e.syntax().text_range().contains_range(t.text_range()))
        })
        .count();
    if used > 0 || only_check {
        return Ok(used == 0);
    }
    let Some(ed) = ed else {
        return Ok(true);
    };
    match lookup(&flake.top, &["inputs", name]) {
        Lookup::Found { binding, .. } => ed.remove(binding.syntax()),
        Lookup::Scattered(bindings) => bindings.iter().for_each(|b| ed.remove(b.syntax())),
        _ => {}
    }
    if let Some(entry) = pattern_entry {
        ed.remove_pattern_entry(&entry);
    }
    Ok(true)
}
