//! Path resolution: finding an attribute path in Nix source, whatever shape it was written in.
//!
//! The same option can be written `a.b.c = v;`, `a = { b.c = v; };`, split across several
//! bindings, behind quoted keys, or inside parentheses and `let ... in`. [`lookup`] sees
//! through all of these and answers with the value's node, the bindings that spell it out
//! piecewise, or the deepest attribute set where it is missing (where an editor would insert
//! it). A module function or `lib.mkIf` around a whole module is stripped first by [`unwrap`]
//! with `modules` set; inside the set, [`lookup`] does not look through them. What it cannot see
//! through (`inherit`, `${dynamic}` keys, a value that is a variable, a function, an import or a
//! `++`) is a [`Lookup::Opaque`] naming the node and the reason, which becomes a refusal with a
//! line number.

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

/// The key `${config.nixos-flake.user.name}` reads as: the name of nixos-flake's user,
/// whatever it is configured to be.
pub const USER_NAME_KEY: &str = "${config.nixos-flake.user.name}";

/// The static name of an attribute (`foo`, `"foo"`, and `${"foo"}`, whose value is a literal),
/// or `None` for a `${dynamic}` one or a string with interpolation.
pub fn attr_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(i) => i.ident_token().map(|t| t.text().to_owned()).or_else(|| {
            // `or` is tokenized as a keyword inside NODE_IDENT.
            Some(i.syntax().text().to_string())
        }),
        ast::Attr::Str(s) => static_string(s),
        ast::Attr::Dynamic(d) => {
            // `${"literal"}` is static too, and so is `${system}` when an enclosing `let`
            // binds `system` to a literal string (the library's template writes
            // `packages.${system}.toplevel`).
            if let Some(inner) = d.syntax().children().find_map(ast::Str::cast) {
                return static_string(&inner);
            }
            // `users.users.${config.nixos-flake.user.name}` (the library template's way to
            // name the account nixos-flake's user module creates) names the user: it reads
            // as [`USER_NAME_KEY`], which editors match against the configured user.
            let text: String = d
                .syntax()
                .text()
                .to_string()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if text == USER_NAME_KEY {
                return Some(USER_NAME_KEY.to_owned());
            }
            let ident = d.syntax().children().find_map(ast::Ident::cast)?;
            let name = ident.syntax().text().to_string();
            let binding = let_bound(d.syntax(), &name)?;
            match binding.value()? {
                ast::Expr::Str(s) => static_string(&s),
                _ => None,
            }
        }
    }
}

/// The value of a string literal without interpolation (escapes decoded, indented strings
/// de-indented); `None` when the string interpolates anything.
pub fn static_string(s: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for part in s.normalized_parts() {
        match part {
            ast::InterpolPart::Literal(text) => out.push_str(&text),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// The names of a binding's attribute path; `None` when a segment is dynamic.
pub fn binding_keys(binding: &ast::AttrpathValue) -> Option<Vec<String>> {
    binding
        .attrpath()?
        .attrs()
        .map(|a| attr_name(&a))
        .collect::<Option<Vec<_>>>()
}

/// How a name is bound where it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// By an enclosing `let`, to this value (its text).
    Let(String),
    /// As an argument of an enclosing function (`{ nixos-flake, ... }:`, `inputs:`, `@inputs`).
    Argument,
    /// Not bound in the file (free: `builtins`, or a mistake).
    Free,
}

/// How `name` is bound at `node`: the nearest enclosing `let` or function argument.
pub fn binding_of(node: &SyntaxNode, name: &str) -> Binding {
    match scope_lookup(node, name) {
        Scoped::Let(b) => Binding::Let(
            b.value()
                .map(|v| v.syntax().text().to_string())
                .unwrap_or_default(),
        ),
        Scoped::Argument => Binding::Argument,
        Scoped::Free => Binding::Free,
    }
}

/// The binding of variable `name` in scope at `node`: the nearest enclosing `let` that binds
/// it (a single-name binding). `None` when a function argument binds it first (its value is
/// the caller's), or nothing in the file does.
pub fn let_bound(node: &SyntaxNode, name: &str) -> Option<ast::AttrpathValue> {
    match scope_lookup(node, name) {
        Scoped::Let(b) => Some(b),
        _ => None,
    }
}

/// Where a name is bound, for [`binding_of`] and [`let_bound`].
enum Scoped {
    Let(ast::AttrpathValue),
    Argument,
    Free,
}

/// The nearest enclosing `let` binding or function argument named `name`.
fn scope_lookup(node: &SyntaxNode, name: &str) -> Scoped {
    for ancestor in node.ancestors() {
        if let Some(let_in) = ast::LetIn::cast(ancestor.clone()) {
            let found = let_in
                .attrpath_values()
                .find(|b| binding_keys(b).is_some_and(|k| k.len() == 1 && k[0] == name));
            if let Some(b) = found {
                return Scoped::Let(b);
            }
        }
        if let Some(lambda) = ast::Lambda::cast(ancestor) {
            let bound = match lambda.param() {
                Some(ast::Param::IdentParam(p)) => p.syntax().text() == name,
                Some(ast::Param::Pattern(p)) => {
                    p.pat_entries()
                        .any(|e| e.ident().is_some_and(|i| i.syntax().text() == name))
                        || p.pat_bind()
                            .and_then(|b| b.ident())
                            .is_some_and(|i| i.syntax().text() == name)
                }
                None => false,
            };
            if bound {
                return Scoped::Argument;
            }
        }
    }
    Scoped::Free
}

/// The ways code at `node` can name the flake input `input` (such as `nixos-flake`): the bare
/// name when a function argument or `let` binds it, `<x>.<input>` for every argument `x` that
/// is not the input itself (the outputs function's `inputs` or `@inputs`; a module's
/// `inputs` from `specialArgs`), and every `let` alias whose value is one of those. The first
/// is the one new code should use.
pub fn input_spellings(node: &SyntaxNode, input: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if binding_of(node, input) != Binding::Free {
        names.push(input.to_owned());
    }
    let mut lambdas_and_lets: Vec<SyntaxNode> = node
        .ancestors()
        .filter(|a| ast::Lambda::can_cast(a.kind()) || ast::LetIn::can_cast(a.kind()))
        .collect();
    for scope in &lambdas_and_lets {
        if let Some(lambda) = ast::Lambda::cast(scope.clone()) {
            let holders: Vec<String> = match lambda.param() {
                Some(ast::Param::IdentParam(p)) => vec![p.syntax().text().to_string()],
                Some(ast::Param::Pattern(p)) => p
                    .pat_bind()
                    .and_then(|b| b.ident())
                    .map(|i| i.syntax().text().to_string())
                    .into_iter()
                    .chain(
                        p.pat_entries()
                            .filter_map(|e| e.ident())
                            .map(|i| i.syntax().text().to_string())
                            .filter(|n| n == "inputs"),
                    )
                    .collect(),
                None => Vec::new(),
            };
            for holder in holders {
                let spelled = format!("{holder}.{input}");
                if holder != input && !names.contains(&spelled) {
                    names.push(spelled);
                }
            }
        }
    }
    // `let nf = nixos-flake;` (or `= inputs.nixos-flake;`): the alias names it too.
    lambdas_and_lets.retain(|s| ast::LetIn::can_cast(s.kind()));
    for scope in lambdas_and_lets {
        if let Some(let_in) = ast::LetIn::cast(scope) {
            for b in let_in.attrpath_values() {
                let (Some(keys), Some(value)) = (binding_keys(&b), b.value()) else {
                    continue;
                };
                let text = value.syntax().text().to_string();
                if keys.len() == 1 && names.contains(&text) && !names.contains(&keys[0]) {
                    names.push(keys[0].clone());
                }
            }
        }
    }
    names
}

/// The source of `inherit (source) name;` in the nearest enclosing `let` that binds `name`
/// that way.
fn inherited_from(node: &SyntaxNode, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    for ancestor in node.ancestors() {
        let Some(let_in) = ast::LetIn::cast(ancestor) else {
            continue;
        };
        for inherit in let_in.inherits() {
            if inherit
                .attrs()
                .any(|a| attr_name(&a).as_deref() == Some(name))
            {
                return inherit
                    .from()
                    .and_then(|f| f.expr())
                    .map(|e| e.syntax().text().to_string());
            }
        }
        if let_in
            .attrpath_values()
            .any(|b| binding_keys(&b).is_some_and(|k| k.len() == 1 && k[0] == name))
        {
            return None;
        }
    }
    None
}

/// What a module list element names, with the library spelled `nixos-flake`: the element's
/// text, prefixed by the namespace of an enclosing `with` when its first name is not bound
/// otherwise (`with nf.nixosModules; [ backends.imageless ]` names
/// `nixos-flake.nixosModules.backends.imageless`), then put through
/// [`canonical_reference`] with the spellings in scope there.
pub fn module_reference(item: &SyntaxNode) -> String {
    let text = item.text().to_string();
    let head: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\''))
        .collect();
    let mut full = text.trim().to_owned();
    // `inherit (nixos-flake.nixosModules) backends;` in a `let`: `backends.x` names
    // `nixos-flake.nixosModules.backends.x`.
    if let Some(from) = inherited_from(item, &head) {
        full = format!("{from}.{full}");
    } else if !head.is_empty() && binding_of(item, &head) == Binding::Free {
        let with = item.ancestors().skip(1).find_map(|a| {
            let w = ast::With::cast(a)?;
            // Only an element of the body, not of the namespace.
            let body = w.body()?;
            body.syntax()
                .text_range()
                .contains_range(item.text_range())
                .then_some(w)
        });
        if let Some(namespace) = with.and_then(|w| w.namespace()) {
            full = format!("{}.{full}", namespace.syntax().text());
        }
    }
    let spellings = input_spellings(item, "nixos-flake");
    canonical_reference(&full, &spellings, "nixos-flake")
}

/// A Nix value that is plain data (strings without interpolation, numbers, booleans, `null`,
/// lists and non-recursive sets of those), as JSON; `None` for code.
pub fn data_value(expr: &ast::Expr) -> Option<serde_json::Value> {
    match unwrap_parens(expr.clone()) {
        ast::Expr::Str(s) => static_string(&s).map(serde_json::Value::String),
        ast::Expr::Literal(l) => {
            let text = l.syntax().text().to_string();
            if let Ok(i) = text.parse::<i64>() {
                Some(serde_json::Value::from(i))
            } else {
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(serde_json::Value::Number)
            }
        }
        ast::Expr::UnaryOp(op) if op.operator() == Some(ast::UnaryOpKind::Negate) => {
            match data_value(&op.expr()?)? {
                serde_json::Value::Number(n) => n
                    .as_i64()
                    .map(|i| serde_json::Value::from(-i))
                    .or_else(|| n.as_f64().map(|f| serde_json::Value::from(-f))),
                _ => None,
            }
        }
        ast::Expr::Ident(i) => match i.syntax().text().to_string().as_str() {
            "true" => Some(serde_json::Value::Bool(true)),
            "false" => Some(serde_json::Value::Bool(false)),
            "null" => Some(serde_json::Value::Null),
            _ => None,
        },
        ast::Expr::List(l) => l
            .items()
            .map(|i| data_value(&i))
            .collect::<Option<Vec<_>>>()
            .map(serde_json::Value::Array),
        ast::Expr::AttrSet(s) if s.rec_token().is_none() && s.inherits().next().is_none() => {
            let mut map = serde_json::Map::new();
            for b in s.attrpath_values() {
                let keys = binding_keys(&b)?;
                let value = data_value(&b.value()?)?;
                let path: Vec<&str> = keys.iter().map(String::as_str).collect();
                insert_json_path(&mut map, &path, value);
            }
            Some(serde_json::Value::Object(map))
        }
        _ => None,
    }
}

/// True when `existing` is the value `wanted` stands for: the same code, or the same data
/// written another way (`''b''` for `"b"`, `"$${x}"` for `"$\${x}"`, another layout).
pub fn same_value(existing: &ast::Expr, wanted: &crate::nix::ast::Expr) -> bool {
    let printed = wanted.print();
    if same_code(&existing.syntax().text().to_string(), &printed) {
        return true;
    }
    let Some(have) = data_value(existing) else {
        return false;
    };
    let parsed = rnix::Root::parse(&printed);
    parsed.errors().is_empty()
        && parsed
            .tree()
            .expr()
            .and_then(|e| data_value(&e))
            .is_some_and(|want| want == have)
}

/// `map.a.b... = value`, creating maps on the way.
pub fn insert_json_path(
    map: &mut serde_json::Map<String, serde_json::Value>,
    path: &[&str],
    value: serde_json::Value,
) {
    match path {
        [] => {}
        [last] => {
            map.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            let entry = map
                .entry((*first).to_owned())
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let serde_json::Value::Object(inner) = entry {
                insert_json_path(inner, rest, value);
            }
        }
    }
}

/// `text` with the library named the canonical way: a leading spelling from `spellings`
/// (`inputs.nixos-flake.`, `nf.`) becomes `canonical.`, so that references compare by what
/// they name, not how.
pub fn canonical_reference(text: &str, spellings: &[String], canonical: &str) -> String {
    let text = text.trim();
    for s in spellings {
        if let Some(rest) = text.strip_prefix(s.as_str()) {
            if rest.is_empty() || rest.starts_with('.') {
                return format!("{canonical}{rest}");
            }
        }
    }
    text.to_owned()
}

/// Strips what does not change the value's shape for an editor: parentheses, `let ... in`,
/// and — when `modules` is true — a function's parameters (a module is a function) and
/// `lib.mkIf cond`. Returns the innermost expression (at most 64 layers are stripped); a layer
/// whose body failed to parse stops the stripping there.
pub fn unwrap(expr: ast::Expr, modules: bool) -> ast::Expr {
    let mut expr = expr;
    for _ in 0..64 {
        expr = match &expr {
            ast::Expr::Paren(p) => match p.expr() {
                Some(e) => e,
                None => return expr,
            },
            ast::Expr::LetIn(l) => match l.body() {
                Some(e) => e,
                None => return expr,
            },
            ast::Expr::Lambda(l) if modules => match l.body() {
                Some(e) => e,
                None => return expr,
            },
            // `{ pkgs, ... }: with pkgs; { ... }`: the module is the set inside.
            ast::Expr::With(w) if modules => match w.body() {
                Some(e) => e,
                None => return expr,
            },
            ast::Expr::Apply(a) if modules && is_mk_if(a) => match a.argument() {
                Some(e) => e,
                None => return expr,
            },
            _ => return expr,
        };
    }
    expr
}

/// The expression under a priority or order wrapper (`lib.mkAfter x`, `mkBefore x`,
/// `lib.mkOrder 1500 x`, `lib.mkForce x`, `mkDefault x`, `lib.mkOverride 900 x`), with the
/// wrapper's name; `None` when `expr` is not such a call. The wrapper decides how the value
/// merges with other modules' definitions (kdevops' `nixpkgs.overlays = lib.mkAfter [ ... ]`
/// keeps its overlays after the library's), so an edit inside keeps it.
pub fn priority_wrapper(expr: &ast::Expr) -> Option<(String, ast::Expr)> {
    let ast::Expr::Apply(apply) = unwrap_parens(expr.clone()) else {
        return None;
    };
    let function = apply.lambda()?;
    let name_of = |f: &ast::Expr| {
        let text = f.syntax().text().to_string();
        let name = text.rsplit('.').next().unwrap_or_default().to_owned();
        // `mkAfter`, `lib.mkAfter`, `nixpkgs.lib.mkAfter`, ...
        (text == name || text.ends_with(&format!("lib.{name}"))).then_some(name)
    };
    let name = match &function {
        // `mkOrder 1500 x`, `mkOverride 50 x`: the function is itself an application.
        ast::Expr::Apply(inner) => {
            let name = name_of(&inner.lambda()?)?;
            matches!(name.as_str(), "mkOrder" | "mkOverride").then_some(name)?
        }
        f => {
            let name = name_of(f)?;
            matches!(
                name.as_str(),
                "mkAfter" | "mkBefore" | "mkForce" | "mkDefault" | "mkOptionDefault"
            )
            .then_some(name)?
        }
    };
    Some((name, unwrap_parens(apply.argument()?)))
}

/// The expression inside any number of parentheses (`((x))` is `x`). Unlike [`unwrap`] it
/// stops at `let`, functions and `mkIf`.
pub fn unwrap_parens(expr: ast::Expr) -> ast::Expr {
    let mut e = expr;
    while let ast::Expr::Paren(p) = &e {
        match p.expr() {
            Some(inner) => e = inner,
            None => break,
        }
    }
    e
}

/// True for `lib.mkIf cond body` / `mkIf cond body`: an application whose function is `mkIf c`
/// (recognized by name: any path ending in `.mkIf` counts).
pub fn is_mk_if(apply: &ast::Apply) -> bool {
    let Some(ast::Expr::Apply(inner)) = apply.lambda() else {
        return false;
    };
    let Some(f) = inner.lambda() else {
        return false;
    };
    let text = f.syntax().text().to_string();
    text == "mkIf" || text.ends_with(".mkIf")
}

/// What [`lookup`] found.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// The binding that ends exactly at the path, and its value.
    Found {
        /// The whole binding; its attribute path may spell out several segments of the path
        /// (`b.c = v;` inside `a = { ... }`).
        binding: ast::AttrpathValue,
        /// The bound value as written, not unwrapped: pass it to [`unwrap`] to see through
        /// parentheses or `let ... in`.
        value: ast::Expr,
    },
    /// The path is spelled out by several deeper bindings (`x.url = ..; x.flake = ..;`).
    Scattered(Vec<ast::AttrpathValue>),
    /// Not there. `set` is the deepest attribute set on the way; `depth` path segments are
    /// already inside it (the rest must be inserted). `anchor` is the last binding in `set`
    /// that shares the longest prefix with the path: new bindings go after it.
    Missing {
        /// The deepest attribute set on the way to the path, where the rest belongs.
        set: ast::AttrSet,
        /// How many leading path segments `set` already stands for (0 for the set passed to
        /// [`lookup`]).
        depth: usize,
        /// The binding to insert after; `None` when no binding in `set` shares a prefix with
        /// the path (the caller then chooses where the new binding goes).
        anchor: Option<ast::AttrpathValue>,
    },
    /// Something on the way cannot be seen through.
    Opaque {
        /// The node that blocks the way (an `inherit`, a binding with a dynamic key, or a value
        /// that is not an attribute set), for the line number of the refusal.
        node: SyntaxNode,
        /// Why nixgen cannot see through it, as a sentence for the user.
        reason: String,
    },
}

/// Finds `path` (attribute names, unquoted) in `set`. `path` must not be empty.
pub fn lookup(set: &ast::AttrSet, path: &[&str]) -> Lookup {
    lookup_at(set, path, 0)
}

fn lookup_at(set: &ast::AttrSet, path: &[&str], depth: usize) -> Lookup {
    let rest = &path[depth..];
    let index = SetIndex::of(set);
    let names = |i: &ast::Inherit| i.attrs().any(|a| attr_name(&a).as_deref() == Some(rest[0]));
    let inherit = match &index {
        Some(index) => index.inherits.iter().find(|i| names(i)).cloned(),
        None => set.inherits().find(names),
    };
    if let Some(inherit) = inherit {
        return Lookup::Opaque {
            node: inherit.syntax().clone(),
            reason: format!("`{}` comes from an `inherit`", rest[0]),
        };
    }
    let mut scattered = Vec::new();
    let mut best_missing: Option<Lookup> = None;
    let mut anchor: Option<(usize, ast::AttrpathValue)> = None;
    let bindings: Box<dyn Iterator<Item = ast::AttrpathValue>> = match &index {
        Some(index) => Box::new(index.relevant(rest[0])),
        None => Box::new(set.attrpath_values()),
    };
    for binding in bindings {
        let Some(keys) = binding_keys(&binding) else {
            let dynamic_first = binding
                .attrpath()
                .and_then(|p| p.attrs().next())
                .map(|a| attr_name(&a).is_none())
                .unwrap_or(true);
            let matched_prefix = binding.attrpath().map(|p| {
                p.attrs()
                    .zip(rest)
                    .take_while(|(a, r)| attr_name(a).as_deref() == Some(**r))
                    .count()
            });
            let shares = matched_prefix.unwrap_or(0) > 0 || dynamic_first;
            if shares {
                return Lookup::Opaque {
                    node: binding.syntax().clone(),
                    reason: "a `${...}` key stands on the way, so nixgen cannot tell what it names"
                        .into(),
                };
            }
            continue;
        };
        let common = keys.iter().zip(rest).take_while(|(k, r)| k == *r).count();
        if common == 0 {
            continue;
        }
        if anchor.as_ref().is_none_or(|(c, _)| common >= *c) {
            anchor = Some((common, binding.clone()));
        }
        if common == rest.len() && keys.len() == rest.len() {
            let Some(value) = binding.value() else {
                continue;
            };
            return Lookup::Found { binding, value };
        }
        if common == rest.len() {
            // The binding goes deeper than the path: it spells out part of its value.
            scattered.push(binding);
            continue;
        }
        if common == keys.len() {
            // The binding is a prefix of the path: its value must be an attribute set.
            let Some(value) = binding.value() else {
                continue;
            };
            match unwrap(value.clone(), false) {
                ast::Expr::AttrSet(inner) => match lookup_at(&inner, path, depth + common) {
                    found @ (Lookup::Found { .. }
                    | Lookup::Scattered(_)
                    | Lookup::Opaque { .. }) => return found,
                    missing @ Lookup::Missing { .. } => {
                        let deeper = match (&missing, &best_missing) {
                            (
                                Lookup::Missing { depth: d1, .. },
                                Some(Lookup::Missing { depth: d0, .. }),
                            ) => d1 > d0,
                            _ => true,
                        };
                        if deeper {
                            best_missing = Some(missing);
                        }
                    }
                },
                other => {
                    return Lookup::Opaque {
                        node: other.syntax().clone(),
                        reason: format!(
                            "`{}` is not written as an attribute set here",
                            path[..depth + common].join(".")
                        ),
                    }
                }
            }
        }
    }
    if !scattered.is_empty() {
        return Lookup::Scattered(scattered);
    }
    if let Some(missing) = best_missing {
        return missing;
    }
    Lookup::Missing {
        set: set.clone(),
        depth,
        anchor: anchor.map(|(_, b)| b),
    }
}

/// Sets with at least this many members are indexed by [`SetIndex`] (smaller ones are scanned).
const INDEXED_SET_MEMBERS: usize = 32;

/// The members of a large attribute set by the first key of their path, so that a lookup
/// visits only the bindings that can matter (those whose first key is the one looked up, and
/// those with a `${dynamic}` key) instead of every binding. Without it, resolving one input
/// per overlay entry is quadratic in a flake with thousands of inputs.
///
/// Indexes are cached per set node (rowan nodes compare by green node and offset, and a cached
/// node keeps its tree alive, so a key cannot be reused for other text); the cache is small
/// and is emptied when it fills up.
struct SetIndex {
    inherits: Vec<ast::Inherit>,
    bindings: Vec<ast::AttrpathValue>,
    /// Positions in `bindings` of the static paths, by first key.
    by_first: std::collections::HashMap<String, Vec<usize>>,
    /// Positions of the paths with a dynamic (or missing) segment.
    dynamic: Vec<usize>,
}

thread_local! {
    static SET_INDEXES: std::cell::RefCell<
        std::collections::HashMap<SyntaxNode, std::rc::Rc<SetIndex>>,
    > = std::cell::RefCell::new(std::collections::HashMap::new());
}

impl SetIndex {
    /// The index of `set`, or `None` when the set is small enough to scan.
    fn of(set: &ast::AttrSet) -> Option<std::rc::Rc<SetIndex>> {
        let node = set.syntax();
        if node.green().children().len() < INDEXED_SET_MEMBERS {
            return None;
        }
        if let Some(index) = SET_INDEXES.with(|c| c.borrow().get(node).cloned()) {
            return Some(index);
        }
        let bindings: Vec<ast::AttrpathValue> = set.attrpath_values().collect();
        let mut by_first: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        let mut dynamic = Vec::new();
        for (i, binding) in bindings.iter().enumerate() {
            match binding_keys(binding).and_then(|k| k.into_iter().next()) {
                Some(first) => by_first.entry(first).or_default().push(i),
                None => dynamic.push(i),
            }
        }
        let index = std::rc::Rc::new(SetIndex {
            inherits: set.inherits().collect(),
            bindings,
            by_first,
            dynamic,
        });
        SET_INDEXES.with(|c| {
            let mut cache = c.borrow_mut();
            if cache.len() >= 64 {
                cache.clear();
            }
            cache.insert(node.clone(), index.clone());
        });
        Some(index)
    }

    /// The bindings that can bear on a path starting with `first`, in file order.
    fn relevant(&self, first: &str) -> impl Iterator<Item = ast::AttrpathValue> + '_ {
        let named = self.by_first.get(first).map_or(&[][..], |v| v.as_slice());
        let mut positions: Vec<usize> = named.iter().chain(&self.dynamic).copied().collect();
        if !self.dynamic.is_empty() {
            positions.sort_unstable();
        }
        positions.into_iter().map(|i| self.bindings[i].clone())
    }
}

/// The expression a file consists of (below the root node); `None` when the file has none
/// (it is empty or did not parse).
pub fn root_expr(root: &ast::Root) -> Option<ast::Expr> {
    root.expr()
}

/// True for the token kinds that carry no meaning: whitespace and comments.
pub fn is_trivia(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT
    )
}

/// Compares two pieces of Nix by their tokens, ignoring whitespace and comments (so a layout or
/// comment change is not a change of code).
pub fn same_code(a: &str, b: &str) -> bool {
    fn tokens(s: &str) -> Vec<(SyntaxKind, String)> {
        rnix::tokenize(s)
            .filter(|(k, _)| !is_trivia(*k))
            .map(|(k, t)| (k, t.to_owned()))
            .collect()
    }
    tokens(a) == tokens(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(text: &str) -> ast::AttrSet {
        let root = rnix::Root::parse(text).tree();
        match unwrap(root.expr().unwrap(), false) {
            ast::Expr::AttrSet(s) => s,
            other => panic!("{other:?}"),
        }
    }

    fn found_text(l: Lookup) -> String {
        match l {
            Lookup::Found { value, .. } => value.syntax().text().to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sees_dotted_nested_split_and_quoted_paths() {
        let set = top(r#"{ a.b = 1; a = { c.d = 2; }; "a".e = { f = 3; }; }"#);
        assert_eq!(found_text(lookup(&set, &["a", "b"])), "1");
        assert_eq!(found_text(lookup(&set, &["a", "c", "d"])), "2");
        assert_eq!(found_text(lookup(&set, &["a", "e", "f"])), "3");
    }

    #[test]
    fn missing_paths_report_the_deepest_set() {
        let set = top("{ a = { b = { }; }; }");
        match lookup(&set, &["a", "b", "c", "d"]) {
            Lookup::Missing { depth, set, .. } => {
                assert_eq!(depth, 2);
                assert_eq!(set.syntax().text().to_string(), "{ }");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scattered_bindings_are_found() {
        let set = top(r#"{ inputs.x.url = "u"; inputs.x.flake = false; }"#);
        match lookup(&set, &["inputs", "x"]) {
            Lookup::Scattered(b) => assert_eq!(b.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inherit_and_dynamic_keys_are_opaque() {
        let set = top("{ inherit (x) a; }");
        assert!(matches!(lookup(&set, &["a", "b"]), Lookup::Opaque { .. }));
        let set = top(r#"{ a.${n} = 1; }"#);
        assert!(matches!(lookup(&set, &["a", "b"]), Lookup::Opaque { .. }));
        let set = top("{ a = import ./x.nix; }");
        assert!(matches!(lookup(&set, &["a", "b"]), Lookup::Opaque { .. }));
    }

    #[test]
    fn large_sets_resolve_like_small_ones() {
        // Past INDEXED_SET_MEMBERS the lookup goes through the index; the answers must not
        // change.
        let filler: String = (0..80).map(|i| format!("f{i} = {i}; ")).collect();
        let set = top(&format!(
            r#"{{ {filler} a.b = 1; a = {{ c.d = 2; }}; "a".e = {{ f = 3; }}; x.u = 1; x.v = 2; }}"#
        ));
        assert_eq!(found_text(lookup(&set, &["a", "b"])), "1");
        assert_eq!(found_text(lookup(&set, &["a", "c", "d"])), "2");
        assert_eq!(found_text(lookup(&set, &["a", "e", "f"])), "3");
        assert_eq!(found_text(lookup(&set, &["f79"])), "79");
        assert!(matches!(lookup(&set, &["x"]), Lookup::Scattered(b) if b.len() == 2));
        match lookup(&set, &["x", "w"]) {
            Lookup::Missing { depth, anchor, .. } => {
                assert_eq!(depth, 0);
                assert_eq!(anchor.unwrap().syntax().text().to_string(), "x.v = 2;");
            }
            other => panic!("{other:?}"),
        }
        let set = top(&format!("{{ {filler} inherit (x) a; }}"));
        assert!(matches!(lookup(&set, &["a", "b"]), Lookup::Opaque { .. }));
        let set = top(&format!(r#"{{ {filler} a.${{n}} = 1; }}"#));
        assert!(matches!(lookup(&set, &["a", "b"]), Lookup::Opaque { .. }));
        let set = top(&format!(r#"{{ {filler} ${{n}}.x = 1; }}"#));
        assert!(matches!(lookup(&set, &["zzz"]), Lookup::Opaque { .. }));
    }

    #[test]
    fn modules_unwrap_through_functions_let_and_mkif() {
        let root =
            rnix::Root::parse("({ lib, ... }: let x = 1; in lib.mkIf true { a = x; })").tree();
        let e = unwrap(root.expr().unwrap(), true);
        assert!(matches!(e, ast::Expr::AttrSet(_)));
    }

    #[test]
    fn code_comparison_ignores_layout_and_comments() {
        assert!(same_code("{ a = 1; }", "{\n  a = 1; # x\n}"));
        assert!(!same_code("{ a = 1; }", "{ a = 2; }"));
    }
}
