//! Escaping: how any string becomes a Nix string literal or attribute name that means exactly
//! that string and nothing more.
//!
//! In `"..."` strings `\`, `"` and `${` are escaped (and newline, carriage return, tab), so no
//! value from YAML can close the string or start an interpolation. Attribute names are written
//! bare only when they match Nix's identifier grammar and are not keywords; everything else is
//! quoted (`"/mnt/nvme0"`, `"x-1.2"`). These rules were checked against
//! `nix-instantiate --eval --strict --json` (see the tests in `tests/`).

/// Nix keywords, which cannot be bare attribute names. `or` is quoted too: it is a soft
/// keyword that nixfmt and older Nix versions treat specially.
const KEYWORDS: [&str; 10] = [
    "if", "then", "else", "let", "in", "rec", "inherit", "with", "assert", "or",
];

/// The literal `"..."` for `s`.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True when `name` can stand bare as an identifier or attribute name.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !KEYWORDS.contains(&name)
}

/// The attribute name for `name`: bare when possible, quoted otherwise.
pub fn attr_name(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        string(name)
    }
}

/// True when `text` can be written as a Nix path literal (`./extra.nix`, `/abs/x.nix`): it
/// starts with `./`, `../` or `/`, and the rest is non-empty, uses only ASCII letters, digits
/// and `._-+/`, and has no `//` or trailing `/`. Anything else must stay a string.
pub fn is_path_literal(text: &str) -> bool {
    let rest = if let Some(r) = text.strip_prefix("./").or_else(|| text.strip_prefix("../")) {
        r
    } else if let Some(r) = text.strip_prefix('/') {
        r
    } else {
        return false;
    };
    !rest.is_empty()
        && !rest.ends_with('/')
        && !rest.contains("//")
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_nix_interprets() {
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string("${x} $y $"), r#""\${x} $y $""#);
        assert_eq!(string("l1\nl2\t\r"), r#""l1\nl2\t\r""#);
        assert_eq!(string("$${x}"), r#""$\${x}""#);
    }

    #[test]
    fn attribute_names_quote_when_needed() {
        assert_eq!(attr_name("fio-src"), "fio-src");
        assert_eq!(attr_name("x'"), "x'");
        assert_eq!(attr_name("/mnt/nvme0"), "\"/mnt/nvme0\"");
        assert_eq!(attr_name("-foo"), "\"-foo\"");
        assert_eq!(attr_name("x-1.2"), "\"x-1.2\"");
        assert_eq!(attr_name("é"), "\"é\"");
        assert_eq!(attr_name("inherit"), "\"inherit\"");
        assert_eq!(attr_name("or"), "\"or\"");
        assert_eq!(attr_name("foo.bar"), "\"foo.bar\"");
        assert_eq!(attr_name(""), "\"\"");
    }

    #[test]
    fn path_literals() {
        assert!(is_path_literal("./extra.nix"));
        assert!(is_path_literal("../common/base.nix"));
        assert!(!is_path_literal("extra.nix"));
        assert!(!is_path_literal("./my module.nix"));
        assert!(!is_path_literal("./"));
    }
}
