//! A small evaluator for the names configurations are computed from.
//!
//! Flakes often build `nixosConfigurations` from a list of host names rather than writing
//! each one: `genAttrs [ "a" "b" ] mkHost`, `mapAttrs (name: _: mkHost name) (readDir
//! ./hosts)`, `genAttrs (map (removeSuffix ".nix") (attrNames (readDir ./hosts))) mkHost`.
//! To edit one of those configurations nixgen needs the names, so this module evaluates the
//! few pure functions such name lists are made of: literals, `let` names, `attrNames`,
//! `readDir` (of a directory beside the file, read from disk as Nix would), `filterAttrs`,
//! `filter`, `map`, `removeSuffix`, `hasSuffix`/`hasPrefix`, comparisons and boolean
//! operators. Anything else is `None`: the names are then unknown, never guessed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::resolve::{self, binding_keys};

/// A value the evaluator can know.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Bool(bool),
    Path(PathBuf),
    List(Vec<Value>),
    Set(BTreeMap<String, Value>),
    /// A function value not applied yet: a lambda, or a library function with the
    /// arguments given so far (`removeSuffix ".nix"`).
    Lambda(ast::Lambda, Env),
    Builtin(&'static str, Vec<Value>),
}

/// Function arguments in scope: name and value, innermost last.
type Env = Vec<(String, Value)>;

/// The library functions known here and how many arguments each takes.
const BUILTINS: &[(&str, usize)] = &[
    ("attrNames", 1),
    ("readDir", 1),
    ("filterAttrs", 2),
    ("filter", 2),
    ("map", 2),
    ("removeSuffix", 2),
    ("hasSuffix", 2),
    ("hasPrefix", 2),
];

/// How deep evaluation may go (`let` names that refer to each other, nested calls).
const DEPTH: usize = 48;

/// The strings `expr` evaluates to when it is a list of strings whose every step is known;
/// `dir` is the directory of the file `expr` is written in (for `readDir ./hosts`).
pub fn string_list(expr: &ast::Expr, dir: &Path) -> Option<Vec<String>> {
    match eval(expr, &Vec::new(), dir, DEPTH)? {
        Value::List(items) => items
            .into_iter()
            .map(|v| match v {
                Value::Str(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The names of the attribute set `expr` evaluates to (`readDir ./hosts`, filtered or not),
/// in Nix's order; `None` when any step is unknown.
pub fn attr_names(expr: &ast::Expr, dir: &Path) -> Option<Vec<String>> {
    match eval(expr, &Vec::new(), dir, DEPTH)? {
        Value::Set(set) => Some(set.into_keys().collect()),
        _ => None,
    }
}

/// For `listToAttrs (map f list)`: each element's attribute name (`f`'s `name = ...;` or
/// `inherit name;`), with the element itself when it is a string (the name `f` is given).
/// `None` when the list or any name cannot be worked out.
pub fn mapped_names(
    function: &ast::Expr,
    list: &ast::Expr,
    dir: &Path,
) -> Option<Vec<(String, Option<String>)>> {
    let Value::List(items) = eval(list, &Vec::new(), dir, DEPTH)? else {
        return None;
    };
    let ast::Expr::Lambda(lambda) = super::resolve::unwrap_parens(function.clone()) else {
        return None;
    };
    let mut body = lambda.body()?;
    // `x: with lib; { name = ...; value = ...; }`
    loop {
        body = match &body {
            ast::Expr::With(w) => w.body()?,
            ast::Expr::Paren(p) => p.expr()?,
            _ => break,
        };
    }
    let ast::Expr::AttrSet(set) = body else {
        return None;
    };
    let name_expr = set
        .attrpath_values()
        .find_map(|b| (binding_keys(&b)? == ["name"]).then(|| b.value()).flatten());
    let inherits_name = set.inherits().any(|i| {
        i.from().is_none()
            && i.attrs()
                .any(|a| resolve::attr_name(&a).as_deref() == Some("name"))
    });
    items
        .into_iter()
        .map(|item| {
            let env = bind(&lambda, item.clone(), dir)?;
            let name = match (&name_expr, inherits_name) {
                (Some(e), _) => eval(e, &env, dir, DEPTH)?,
                (None, true) => env.iter().rev().find(|(n, _)| n == "name")?.1.clone(),
                (None, false) => return None,
            };
            match (name, item) {
                (Value::Str(name), Value::Str(given)) => Some((name, Some(given))),
                (Value::Str(name), _) => Some((name, None)),
                _ => None,
            }
        })
        .collect()
}

/// The arguments in scope when `lambda` is applied to `argument`: its name, or the pattern's
/// names taken from the set (defaults evaluated when missing) and its `@` name.
fn bind(lambda: &ast::Lambda, argument: Value, dir: &Path) -> Option<Env> {
    let mut env = Vec::new();
    match lambda.param()? {
        ast::Param::IdentParam(p) => env.push((p.syntax().text().to_string(), argument)),
        ast::Param::Pattern(pattern) => {
            let Value::Set(set) = &argument else {
                return None;
            };
            for entry in pattern.pat_entries() {
                let name = entry.ident()?.syntax().text().to_string();
                let value = match set.get(&name) {
                    Some(v) => v.clone(),
                    None => eval(&entry.default()?, &env, dir, DEPTH)?,
                };
                env.push((name, value));
            }
            if let Some(at) = pattern.pat_bind().and_then(|b| b.ident()) {
                env.push((at.syntax().text().to_string(), argument.clone()));
            }
        }
    }
    Some(env)
}

fn eval(expr: &ast::Expr, env: &Env, dir: &Path, depth: usize) -> Option<Value> {
    let depth = depth.checked_sub(1)?;
    match expr {
        ast::Expr::Paren(p) => eval(&p.expr()?, env, dir, depth),
        ast::Expr::Str(s) => {
            let mut out = String::new();
            for part in s.normalized_parts() {
                match part {
                    ast::InterpolPart::Literal(text) => out.push_str(&text),
                    ast::InterpolPart::Interpolation(i) => {
                        match eval(&i.expr()?, env, dir, depth)? {
                            Value::Str(s) => out.push_str(&s),
                            _ => return None,
                        }
                    }
                }
            }
            Some(Value::Str(out))
        }
        ast::Expr::PathRel(p) => {
            let text = p.syntax().text().to_string();
            if text.contains("${") {
                return None;
            }
            Some(Value::Path(crate::model::paths::normalize(&dir.join(text))))
        }
        ast::Expr::List(l) => l
            .items()
            .map(|i| eval(&i, env, dir, depth))
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        ast::Expr::AttrSet(set) if set.rec_token().is_none() => {
            let mut out = BTreeMap::new();
            if set.inherits().next().is_some() {
                return None;
            }
            for b in set.attrpath_values() {
                let keys = binding_keys(&b)?;
                let [key] = keys.as_slice() else {
                    return None;
                };
                out.insert(key.clone(), eval(&b.value()?, env, dir, depth)?);
            }
            Some(Value::Set(out))
        }
        ast::Expr::Lambda(l) => Some(Value::Lambda(l.clone(), env.clone())),
        ast::Expr::LetIn(l) => eval(&l.body()?, env, dir, depth),
        ast::Expr::Ident(i) => {
            let name = i.syntax().text().to_string();
            if let Some((_, v)) = env.iter().rev().find(|(n, _)| *n == name) {
                return Some(v.clone());
            }
            match name.as_str() {
                "true" => return Some(Value::Bool(true)),
                "false" => return Some(Value::Bool(false)),
                _ => {}
            }
            if let Some(value) = resolve::let_bound(i.syntax(), &name).and_then(|b| b.value()) {
                // A `let` binding's value sees the `let`'s scope, not the caller's arguments.
                return eval(&value, &Vec::new(), dir, depth);
            }
            builtin(&name)
        }
        // `builtins.readDir`, `lib.attrNames`, `nixpkgs.lib.strings.removeSuffix`.
        ast::Expr::Select(sel) if sel.default_expr().is_none() => {
            let ast::Expr::Ident(root) = sel.expr()? else {
                return None;
            };
            let mut path = vec![root.syntax().text().to_string()];
            for attr in sel.attrpath()?.attrs() {
                path.push(resolve::attr_name(&attr)?);
            }
            let (name, before) = path.split_last()?;
            before
                .iter()
                .any(|p| p == "lib" || p == "builtins")
                .then(|| builtin(name))?
        }
        ast::Expr::Apply(a) => {
            let function = eval(&a.lambda()?, env, dir, depth)?;
            let argument = eval(&a.argument()?, env, dir, depth)?;
            apply(function, argument, dir, depth)
        }
        ast::Expr::BinOp(op) => {
            let kind = op.operator()?;
            let lhs = eval(&op.lhs()?, env, dir, depth)?;
            // `&&` and `||` need their right side only when the left does not decide.
            match (kind, &lhs) {
                (rnix::ast::BinOpKind::And, Value::Bool(false)) => return Some(lhs),
                (rnix::ast::BinOpKind::Or, Value::Bool(true)) => return Some(lhs),
                _ => {}
            }
            let rhs = eval(&op.rhs()?, env, dir, depth)?;
            binop(kind, lhs, rhs)
        }
        ast::Expr::UnaryOp(u) if u.operator() == Some(rnix::ast::UnaryOpKind::Invert) => {
            match eval(&u.expr()?, env, dir, depth)? {
                Value::Bool(b) => Some(Value::Bool(!b)),
                _ => None,
            }
        }
        ast::Expr::IfElse(i) => match eval(&i.condition()?, env, dir, depth)? {
            Value::Bool(true) => eval(&i.body()?, env, dir, depth),
            Value::Bool(false) => eval(&i.else_body()?, env, dir, depth),
            _ => None,
        },
        _ => None,
    }
}

fn builtin(name: &str) -> Option<Value> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, _)| Value::Builtin(n, Vec::new()))
}

fn apply(function: Value, argument: Value, dir: &Path, depth: usize) -> Option<Value> {
    let depth = depth.checked_sub(1)?;
    match function {
        Value::Lambda(lambda, mut env) => {
            env.extend(bind(&lambda, argument, dir)?);
            eval(&lambda.body()?, &env, dir, depth)
        }
        Value::Builtin(name, mut args) => {
            args.push(argument);
            let arity = BUILTINS.iter().find(|(n, _)| *n == name)?.1;
            if args.len() < arity {
                return Some(Value::Builtin(name, args));
            }
            call(name, args, dir, depth)
        }
        _ => None,
    }
}

fn call(name: &str, args: Vec<Value>, dir: &Path, depth: usize) -> Option<Value> {
    let mut args = args.into_iter();
    let mut next = || args.next();
    match (name, next()?) {
        ("attrNames", Value::Set(set)) => {
            Some(Value::List(set.into_keys().map(Value::Str).collect()))
        }
        ("readDir", Value::Path(path)) => read_dir(&path),
        ("filterAttrs", f) => match next()? {
            Value::Set(set) => {
                let mut out = BTreeMap::new();
                for (k, v) in set {
                    let keep = apply(
                        apply(f.clone(), Value::Str(k.clone()), dir, depth)?,
                        v.clone(),
                        dir,
                        depth,
                    )?;
                    if keep == Value::Bool(true) {
                        out.insert(k, v);
                    } else if keep != Value::Bool(false) {
                        return None;
                    }
                }
                Some(Value::Set(out))
            }
            _ => None,
        },
        ("filter", f) => match next()? {
            Value::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match apply(f.clone(), item.clone(), dir, depth)? {
                        Value::Bool(true) => out.push(item),
                        Value::Bool(false) => {}
                        _ => return None,
                    }
                }
                Some(Value::List(out))
            }
            _ => None,
        },
        ("map", f) => match next()? {
            Value::List(items) => items
                .into_iter()
                .map(|i| apply(f.clone(), i, dir, depth))
                .collect::<Option<Vec<_>>>()
                .map(Value::List),
            _ => None,
        },
        ("removeSuffix", Value::Str(suffix)) => match next()? {
            Value::Str(s) => Some(Value::Str(
                s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_owned(),
            )),
            _ => None,
        },
        ("hasSuffix", Value::Str(suffix)) => match next()? {
            Value::Str(s) => Some(Value::Bool(s.ends_with(suffix.as_str()))),
            _ => None,
        },
        ("hasPrefix", Value::Str(prefix)) => match next()? {
            Value::Str(s) => Some(Value::Bool(s.starts_with(prefix.as_str()))),
            _ => None,
        },
        _ => None,
    }
}

fn binop(kind: rnix::ast::BinOpKind, lhs: Value, rhs: Value) -> Option<Value> {
    use rnix::ast::BinOpKind as K;
    match (kind, lhs, rhs) {
        (K::Equal, l, r) if comparable(&l) && comparable(&r) => Some(Value::Bool(l == r)),
        (K::NotEqual, l, r) if comparable(&l) && comparable(&r) => Some(Value::Bool(l != r)),
        (K::And, Value::Bool(l), Value::Bool(r)) => Some(Value::Bool(l && r)),
        (K::Or, Value::Bool(l), Value::Bool(r)) => Some(Value::Bool(l || r)),
        (K::Implication, Value::Bool(l), Value::Bool(r)) => Some(Value::Bool(!l || r)),
        (K::Concat, Value::List(mut l), Value::List(r)) => {
            l.extend(r);
            Some(Value::List(l))
        }
        (K::Update, Value::Set(mut l), Value::Set(r)) => {
            l.extend(r);
            Some(Value::Set(l))
        }
        (K::Add, Value::Str(l), Value::Str(r)) => Some(Value::Str(l + &r)),
        (K::Add, Value::Path(l), Value::Str(r)) => {
            let joined = format!("{}{r}", l.display());
            Some(Value::Path(crate::model::paths::normalize(Path::new(
                &joined,
            ))))
        }
        _ => None,
    }
}

/// Strings and booleans compare as Nix compares them; other values are not compared here.
fn comparable(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::Bool(_))
}

/// `builtins.readDir path`: each entry's name and type, as Nix gives them.
fn read_dir(path: &Path) -> Option<Value> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(path).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name().into_string().ok()?;
        let kind = entry.file_type().ok()?;
        let kind = if kind.is_dir() {
            "directory"
        } else if kind.is_symlink() {
            "symlink"
        } else if kind.is_file() {
            "regular"
        } else {
            "unknown"
        };
        out.insert(name, Value::Str(kind.to_owned()));
    }
    Some(Value::Set(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> ast::Expr {
        let root = crate::nix::parse_lenient(text).expect("parses");
        root.expr().expect("an expression")
    }

    #[test]
    fn names_from_a_directory_listing() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["alpha", "beta"] {
            std::fs::create_dir_all(dir.path().join("hosts").join(d)).unwrap();
        }
        std::fs::write(dir.path().join("hosts/common.nix"), "{ }").unwrap();
        std::fs::write(dir.path().join("hosts/gamma.nix"), "{ }").unwrap();
        let cases = [
            ("builtins.attrNames (builtins.readDir ./hosts)", vec!["alpha", "beta", "common.nix", "gamma.nix"]),
            (
                "let hosts = lib.filterAttrs (_: type: type == \"directory\") (builtins.readDir ./hosts); in builtins.attrNames hosts",
                vec!["alpha", "beta"],
            ),
            (
                "map (lib.removeSuffix \".nix\") (builtins.filter (n: lib.hasSuffix \".nix\" n && n != \"common.nix\") (builtins.attrNames (builtins.readDir ./hosts)))",
                vec!["gamma"],
            ),
            ("[ \"a\" ] ++ [ \"b\" ]", vec!["a", "b"]),
        ];
        for (text, want) in cases {
            assert_eq!(
                string_list(&body(text), dir.path()),
                Some(want.iter().map(|s| s.to_string()).collect()),
                "{text}"
            );
        }
        assert_eq!(
            attr_names(
                &body(
                    "nixpkgs.lib.filterAttrs (n: t: t == \"directory\") (builtins.readDir ./hosts)"
                ),
                dir.path()
            ),
            Some(vec!["alpha".to_owned(), "beta".to_owned()])
        );
    }

    #[test]
    fn unknown_steps_give_no_names() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            "builtins.attrNames (builtins.readDir ./missing)",
            "builtins.attrNames (import ./hosts)",
            "map (n: n.name) hosts",
            "lib.filterAttrs (n: t: someCheck n) (builtins.readDir ./.)",
        ] {
            assert_eq!(string_list(&body(text), dir.path()), None, "{text}");
        }
    }
}
