//! What Nix's parser checks beyond the grammar: every variable bound, no attribute defined
//! twice.
//!
//! `nix-instantiate --parse` refuses a file that uses a variable no `let`, function argument or
//! `rec` set binds (outside `with`, which may bind anything), or that defines an attribute
//! twice (`a.b = 1; a.b = 2;`, `inherit a; a = 1;`, `a = x; a.c = 2;`); two attribute-set
//! literals for one name merge (`a = { b = 1; }; a.c = 2;`). rnix and the strict parser accept
//! both, so nixgen checks them itself on what it is about to write ([`check`]).

use std::collections::{HashMap, HashSet};

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::resolve::{attr_name, binding_keys};
use super::SyntaxError;
use crate::diag::Position;

/// Names Nix binds in every file.
const GLOBALS: [&str; 21] = [
    "builtins",
    "true",
    "false",
    "null",
    "import",
    "derivation",
    "derivationStrict",
    "abort",
    "throw",
    "toString",
    "map",
    "baseNameOf",
    "dirOf",
    "isNull",
    "removeAttrs",
    "fetchTarball",
    "fetchGit",
    "fetchMercurial",
    "fetchTree",
    "placeholder",
    "scopedImport",
];

/// Checks `root` (the tree of `text`) as Nix's parser does: the first undefined variable or
/// attribute defined twice, with its position.
pub fn check(root: &SyntaxNode, text: &str) -> Result<(), SyntaxError> {
    let at = |node: &SyntaxNode, message: String| SyntaxError {
        position: Some(Position::of_offset(text, node.text_range().start().into())),
        message,
    };
    for node in root.descendants() {
        let bindings: Vec<ast::AttrpathValue> = match node.kind() {
            SyntaxKind::NODE_ATTR_SET => ast::AttrSet::cast(node.clone())
                .map(|s| s.attrpath_values().collect())
                .unwrap_or_default(),
            SyntaxKind::NODE_LET_IN => ast::LetIn::cast(node.clone())
                .map(|l| l.attrpath_values().collect())
                .unwrap_or_default(),
            _ => continue,
        };
        let mut defined = Level::default();
        for inherit in node.children().filter_map(ast::Inherit::cast) {
            for attr in inherit.attrs() {
                if let Some(name) = attr_name(&attr) {
                    if defined.0.insert(name.clone(), Def::Value).is_some() {
                        return Err(at(
                            attr.syntax(),
                            format!("attribute '{name}' already defined"),
                        ));
                    }
                }
            }
        }
        for b in &bindings {
            if let Some(keys) = binding_keys(b) {
                if let Err(path) = defined.define(&keys, b.value().as_ref()) {
                    return Err(at(
                        b.syntax(),
                        format!("attribute '{}' already defined", path.join(".")),
                    ));
                }
            }
        }
    }
    let mut scopes: Vec<HashSet<String>> = vec![GLOBALS.iter().map(|s| (*s).to_owned()).collect()];
    unbound(root, &mut scopes, 0)
        .map_err(|(node, name)| at(&node, format!("undefined variable '{name}'")))
}

/// What one name of a set (or `let`) is defined as so far.
#[derive(Debug, Default)]
struct Level(HashMap<String, Def>);

#[derive(Debug)]
enum Def {
    /// A value that is not a set literal: nothing may be added below it.
    Value,
    /// An attribute set, from dotted paths or set literals, which merge.
    Set(Level),
}

impl Level {
    /// Defines `keys` (with `value`); `Err` with the path defined twice.
    fn define(&mut self, keys: &[String], value: Option<&ast::Expr>) -> Result<(), Vec<String>> {
        let Some((first, rest)) = keys.split_first() else {
            return Ok(());
        };
        let literal = value.and_then(set_literal);
        let entry = self.0.get_mut(first);
        let result = match (entry, rest.is_empty(), literal) {
            (None, true, None) => {
                self.0.insert(first.clone(), Def::Value);
                Ok(())
            }
            (None, true, Some(set)) => {
                let mut level = Level::default();
                let r = level.merge(&set);
                self.0.insert(first.clone(), Def::Set(level));
                r
            }
            (Some(Def::Set(level)), true, Some(set)) => level.merge(&set),
            (Some(_), true, _) => Err(Vec::new()),
            (None, false, _) => {
                let mut level = Level::default();
                let r = level.define(rest, value);
                self.0.insert(first.clone(), Def::Set(level));
                r
            }
            (Some(Def::Set(level)), false, _) => level.define(rest, value),
            (Some(Def::Value), false, _) => Err(Vec::new()),
        };
        result.map_err(|mut path| {
            path.insert(0, first.clone());
            if path.len() == 1 && !rest.is_empty() {
                path.extend(rest.iter().cloned());
            }
            path
        })
    }

    /// Adds the static bindings of a set literal below this level.
    fn merge(&mut self, set: &ast::AttrSet) -> Result<(), Vec<String>> {
        for inherit in set.inherits() {
            for attr in inherit.attrs() {
                if let Some(name) = attr_name(&attr) {
                    if self.0.insert(name.clone(), Def::Value).is_some() {
                        return Err(vec![name]);
                    }
                }
            }
        }
        for b in set.attrpath_values() {
            if let Some(keys) = binding_keys(&b) {
                self.define(&keys, b.value().as_ref())?;
            }
        }
        Ok(())
    }
}

/// The attribute-set literal `expr` is, if it is one (parentheses aside).
fn set_literal(expr: &ast::Expr) -> Option<ast::AttrSet> {
    match expr {
        ast::Expr::AttrSet(s) => Some(s.clone()),
        ast::Expr::Paren(p) => p.expr().as_ref().and_then(set_literal),
        _ => None,
    }
}

/// The first variable used where nothing binds it. `with_depth` counts enclosing `with`s
/// (inside one, any name may be bound).
fn unbound(
    node: &SyntaxNode,
    scopes: &mut Vec<HashSet<String>>,
    with_depth: usize,
) -> Result<(), (SyntaxNode, String)> {
    let pushed = match node.kind() {
        SyntaxKind::NODE_LET_IN => {
            ast::LetIn::cast(node.clone()).map(|l| names_bound(l.attrpath_values(), l.inherits()))
        }
        SyntaxKind::NODE_ATTR_SET => ast::AttrSet::cast(node.clone())
            .filter(|s| s.rec_token().is_some())
            .map(|s| names_bound(s.attrpath_values(), s.inherits())),
        SyntaxKind::NODE_LAMBDA => ast::Lambda::cast(node.clone()).map(|l| {
            let mut names = HashSet::new();
            match l.param() {
                Some(ast::Param::IdentParam(p)) => {
                    names.insert(p.syntax().text().to_string());
                }
                Some(ast::Param::Pattern(p)) => {
                    names.extend(
                        p.pat_entries()
                            .filter_map(|e| e.ident())
                            .map(|i| i.syntax().text().to_string()),
                    );
                    if let Some(b) = p.pat_bind().and_then(|b| b.ident()) {
                        names.insert(b.syntax().text().to_string());
                    }
                }
                None => {}
            }
            names
        }),
        _ => None,
    };
    let had = pushed.is_some();
    if let Some(names) = pushed {
        scopes.push(names);
    }
    let result = (|| {
        if node.kind() == SyntaxKind::NODE_IDENT && is_reference(node) {
            let name = node.text().to_string();
            if with_depth == 0
                && !name.starts_with("__")
                && !scopes.iter().any(|s| s.contains(&name))
            {
                return Err((node.clone(), name));
            }
        }
        // `with e; body`: names in `body` may come from `e`.
        if let Some(with) = ast::With::cast(node.clone()) {
            if let Some(ns) = with.namespace() {
                unbound(ns.syntax(), scopes, with_depth)?;
            }
            if let Some(body) = with.body() {
                unbound(body.syntax(), scopes, with_depth + 1)?;
            }
            return Ok(());
        }
        for child in node.children() {
            unbound(&child, scopes, with_depth)?;
        }
        Ok(())
    })();
    if had {
        scopes.pop();
    }
    result
}

/// The names a `let` or `rec` set binds (first keys of its bindings, and its `inherit`s).
fn names_bound(
    bindings: impl Iterator<Item = ast::AttrpathValue>,
    inherits: impl Iterator<Item = ast::Inherit>,
) -> HashSet<String> {
    let mut names: HashSet<String> = bindings
        .filter_map(|b| binding_keys(&b).and_then(|k| k.into_iter().next()))
        .collect();
    for inherit in inherits {
        names.extend(inherit.attrs().filter_map(|a| attr_name(&a)));
    }
    names
}

/// True when an identifier node is a variable reference, not an attribute name or a
/// parameter: names in attribute paths (`a.b = ...`, `x.b`, `x ? b`) and in patterns are not.
/// A plain `inherit a;` does refer to `a`.
fn is_reference(ident: &SyntaxNode) -> bool {
    match ident.parent().map(|p| p.kind()) {
        Some(SyntaxKind::NODE_ATTRPATH) => false,
        Some(
            SyntaxKind::NODE_PAT_ENTRY | SyntaxKind::NODE_PAT_BIND | SyntaxKind::NODE_IDENT_PARAM,
        ) => false,
        // `inherit a;` takes `a` from the scope; `inherit (x) a;` takes it from `x`.
        Some(SyntaxKind::NODE_INHERIT) => ident
            .parent()
            .and_then(ast::Inherit::cast)
            .is_some_and(|i| i.from().is_none()),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str) -> Result<(), String> {
        let parse = rnix::Root::parse(text);
        assert!(parse.errors().is_empty(), "{text}: {:?}", parse.errors());
        check(parse.tree().syntax(), text).map_err(|e| e.message)
    }

    #[test]
    fn what_nix_instantiate_parse_accepts_and_refuses() {
        for ok in [
            "{ a = { b = 1; }; a.c = 2; }",
            "{ a.c = 2; a = { b = 1; }; }",
            "{ a = rec { b = 1; }; a.c = 2; }",
            "{ a = { b = 1; }; a = { c = 2; }; }",
            "let a.b = 1; a.c = 2; in a",
            "rec { a = 1; b = a; }",
            "{ x, ... }@args: x + args.y",
            "let f = { pkgs ? import <nixpkgs> { }, ... }: pkgs.hello; in f",
            "with builtins; map (x: x) (attrNames { })",
            "{ a = 1; } // { a = 2; }",
            "let a = 1; in { inherit a; b = a; }",
            "{ \"${builtins.currentSystem}\" = 1; \"${builtins.currentSystem}\" = 2; }",
            "x: x.a or x.b",
            "pkgs: { inherit (pkgs) lib; }",
            "s: { inherit (s) a b; }",
        ] {
            assert_eq!(verdict(ok), Ok(()), "{ok}");
        }
        for (bad, message) in [
            ("{ a.b = 1; a.b = 2; }", "attribute 'a.b' already defined"),
            ("{ a = 1; a.c = 2; }", "attribute 'a.c' already defined"),
            (
                "let a = 1; in { inherit a; a = 1; }",
                "attribute 'a' already defined",
            ),
            ("{ a = b; }", "undefined variable 'b'"),
            ("x: { y = z; }", "undefined variable 'z'"),
            ("{ inherit q; }", "undefined variable 'q'"),
        ] {
            assert_eq!(verdict(bad), Err(message.to_owned()), "{bad}");
        }
    }
}
