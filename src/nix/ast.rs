//! A small Nix data model and its printer: how nixgen writes Nix without gluing strings.
//!
//! Generation builds [`Expr`] values and prints them. The printer owns every syntactic
//! decision that affects meaning: string and attribute-name escaping (through
//! [`super::escape`]), and parentheses where Nix's grammar needs them (an application or lambda
//! in a list, a lambda applied, ...). It prints compact, valid Nix; layout is then left to
//! nixfmt (RFC 166) through [`super::format`], so fresh output is a nixfmt fixed point by
//! construction. Comments are part of the model so that templates can carry commented-out
//! examples through formatting.

use super::escape;

/// A Nix expression, as much of the language as nixgen writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A variable, such as `nixpkgs` or `pkgs`.
    Var(String),
    /// `base.a.b`; each segment is quoted when needed.
    Select(Box<Expr>, Vec<String>),
    /// A string literal (any content; it is escaped).
    Str(String),
    /// A path literal such as `./extra.nix` (validated by the caller).
    Path(String),
    /// `true` or `false`.
    Bool(bool),
    /// An integer literal (a negative one is parenthesised where it would be an operator).
    Int(i64),
    /// A floating-point literal; callers pass finite values only.
    Float(f64),
    /// `null`.
    Null,
    /// A string with interpolations: `"${nixpkgs}/nixos/lib/make-disk-image.nix"`.
    Interpolated(Vec<Part>),
    /// `[ items ]`.
    List(Vec<Item>),
    /// `{ entries }`.
    Attrs(Vec<Entry>),
    /// `param: body`.
    Lambda(Param, Box<Expr>),
    /// `function argument`.
    Apply(Box<Expr>, Box<Expr>),
    /// `with namespace; body`.
    With(Box<Expr>, Box<Expr>),
}

/// A piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text (escaped when printed).
    Text(String),
    /// `${expr}`.
    Code(Expr),
}

/// A list element, or a comment between elements.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An element, parenthesised when printed if it is not a simple term.
    Expr(Expr),
    /// A `#` comment; each line of the text becomes one comment line.
    Comment(String),
    /// A line break: nixfmt keeps a list with one expanded, even when it would fit inline.
    Newline,
}

/// An attribute-set member: a binding, a comment, or a blank line.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// `a.b = value;`: the attribute path (each segment quoted when needed) and the value.
    Binding(Vec<String>, Expr),
    /// A `#` comment; each line of the text becomes one comment line.
    Comment(String),
    /// An empty line between members, which nixfmt keeps.
    Blank,
}

/// A lambda's parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// `x: ...`
    Ident(String),
    /// `{ a, b, ... }@at: ...`
    Pattern {
        /// The formal argument names, printed in this order.
        names: Vec<String>,
        /// True to end the pattern with `...` (the lambda accepts other attributes).
        ellipsis: bool,
        /// The `@name` binding of the whole argument set; `None` for none.
        at: Option<String>,
    },
}

impl Expr {
    /// A variable reference; `name` is printed as it is, so it must be a valid identifier.
    pub fn var(name: &str) -> Expr {
        Expr::Var(name.to_owned())
    }

    /// A string literal of `s` (escaped when printed).
    pub fn str(s: &str) -> Expr {
        Expr::Str(s.to_owned())
    }

    /// `a.b.c` from a dotted string whose first segment is a variable.
    pub fn path_of(dotted: &str) -> Expr {
        let mut parts = dotted.split('.');
        let base = Expr::var(parts.next().unwrap_or_default());
        let rest: Vec<String> = parts.map(str::to_owned).collect();
        if rest.is_empty() {
            base
        } else {
            Expr::Select(Box::new(base), rest)
        }
    }

    /// A list of string literals, one per item, in order.
    pub fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Expr {
        Expr::List(
            items
                .into_iter()
                .map(|s| Item::Expr(Expr::str(s)))
                .collect(),
        )
    }

    /// `f arg`, with parentheses added when printed where either needs them.
    pub fn apply(f: Expr, arg: Expr) -> Expr {
        Expr::Apply(Box::new(f), Box::new(arg))
    }

    /// Prints the expression as compact, valid Nix.
    pub fn print(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Expr::Var(name) => out.push_str(name),
            Expr::Select(base, path) => {
                base.write_operand(out);
                for seg in path {
                    out.push('.');
                    out.push_str(&escape::attr_name(seg));
                }
            }
            Expr::Str(s) => out.push_str(&escape::string(s)),
            Expr::Path(p) => out.push_str(p),
            Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Expr::Int(n) => out.push_str(&n.to_string()),
            Expr::Float(f) => out.push_str(&float_literal(*f)),
            Expr::Null => out.push_str("null"),
            Expr::Interpolated(parts) => {
                out.push('"');
                for part in parts {
                    match part {
                        Part::Text(t) => {
                            let quoted = escape::string(t);
                            out.push_str(&quoted[1..quoted.len() - 1]);
                        }
                        Part::Code(e) => {
                            out.push_str("${");
                            e.write(out);
                            out.push('}');
                        }
                    }
                }
                out.push('"');
            }
            Expr::List(items) => {
                out.push('[');
                for item in items {
                    match item {
                        Item::Expr(e) => {
                            out.push(' ');
                            e.write_operand(out);
                        }
                        Item::Comment(text) => write_comment(out, text),
                        Item::Newline => out.push('\n'),
                    }
                }
                out.push_str(" ]");
            }
            Expr::Attrs(entries) => {
                out.push('{');
                for entry in entries {
                    match entry {
                        Entry::Binding(path, value) => {
                            out.push(' ');
                            let names: Vec<String> =
                                path.iter().map(|p| escape::attr_name(p)).collect();
                            out.push_str(&names.join("."));
                            out.push_str(" = ");
                            value.write(out);
                            out.push(';');
                        }
                        Entry::Comment(text) => write_comment(out, text),
                        Entry::Blank => out.push_str("\n\n"),
                    }
                }
                out.push_str(" }");
            }
            Expr::Lambda(param, body) => {
                match param {
                    Param::Ident(name) => out.push_str(name),
                    Param::Pattern {
                        names,
                        ellipsis,
                        at,
                    } => {
                        let mut parts: Vec<String> = names.clone();
                        if *ellipsis {
                            parts.push("...".into());
                        }
                        out.push_str("{ ");
                        out.push_str(&parts.join(", "));
                        out.push_str(" }");
                        if let Some(at) = at {
                            out.push('@');
                            out.push_str(at);
                        }
                    }
                }
                out.push_str(": ");
                body.write(out);
            }
            Expr::Apply(f, arg) => {
                match **f {
                    Expr::Lambda(..) | Expr::With(..) => f.write_parenthesized(out),
                    _ => f.write(out),
                }
                out.push(' ');
                arg.write_operand(out);
            }
            Expr::With(ns, body) => {
                out.push_str("with ");
                ns.write(out);
                out.push_str("; ");
                body.write(out);
            }
        }
    }

    /// Writes the expression where only a simple term may stand (a list element, an
    /// argument, the base of a selection), adding parentheses when it is not one.
    fn write_operand(&self, out: &mut String) {
        match self {
            Expr::Lambda(..) | Expr::Apply(..) | Expr::With(..) => self.write_parenthesized(out),
            Expr::Int(n) if *n < 0 => self.write_parenthesized(out),
            Expr::Float(f) if f.is_sign_negative() => self.write_parenthesized(out),
            _ => self.write(out),
        }
    }

    fn write_parenthesized(&self, out: &mut String) {
        out.push('(');
        self.write(out);
        out.push(')');
    }
}

/// A float as Nix reads it back: Nix's float literals need a `.` (`1e5` is not one).
fn float_literal(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{f:.1}");
    }
    let plain = f.to_string();
    if plain.len() <= 24 && plain.contains('.') {
        return plain;
    }
    let sci = format!("{f:e}");
    match sci.split_once('e') {
        Some((mantissa, exp)) if !mantissa.contains('.') => format!("{mantissa}.0e{exp}"),
        _ => sci,
    }
}

fn write_comment(out: &mut String, text: &str) {
    out.push('\n');
    for line in text.lines() {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applications_and_lambdas_are_parenthesized_in_lists() {
        let list = Expr::List(vec![
            Item::Expr(Expr::path_of("nixos-flake.overlays.default")),
            Item::Expr(Expr::Lambda(
                Param::Ident("final".into()),
                Box::new(Expr::Lambda(
                    Param::Ident("prev".into()),
                    Box::new(Expr::Attrs(vec![])),
                )),
            )),
            Item::Expr(Expr::apply(Expr::var("f"), Expr::Bool(true))),
        ]);
        assert_eq!(
            list.print(),
            "[ nixos-flake.overlays.default (final: prev: { }) (f true) ]"
        );
    }

    #[test]
    fn attribute_paths_are_quoted_per_segment() {
        let attrs = Expr::Attrs(vec![Entry::Binding(
            vec!["nixos-flake".into(), "storage".into(), "/mnt/a".into()],
            Expr::str("x\"${y}"),
        )]);
        assert_eq!(
            attrs.print(),
            r#"{ nixos-flake.storage."/mnt/a" = "x\"\${y}"; }"#
        );
    }
}
