//! The Nix syntax layer: printing, escaping, parsing, path resolution and editing.
//!
//! nixgen never writes Nix by gluing strings. New code is built as a small data model
//! ([`ast`]) and printed with the escaping rules of [`escape`]; fresh files are laid out by
//! nixfmt (RFC 166, through the `nixfmt_rs` library) so that they are a formatter fixed point.
//! Existing files are read with rnix, which keeps every byte including comments; [`resolve`]
//! finds the attribute paths nixgen owns in whatever shape the author wrote them, and [`edit`]
//! changes them while keeping the author's layout. Everything nixgen writes passes
//! [`check_syntax`]: rnix (which is lenient) and nixfmt_rs's strict parser must both accept it.

pub mod ast;
pub mod escape;
pub mod resolve;

use crate::diag::Position;

/// A syntax error in Nix text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub position: Option<Position>,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{}: {}", p.line, p.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Checks that `text` is valid Nix by two parsers: rnix and nixfmt_rs's strict one.
pub fn check_syntax(text: &str) -> Result<(), SyntaxError> {
    let parse = rnix::Root::parse(text);
    if let Some(error) = parse.errors().first() {
        return Err(rnix_error(text, error));
    }
    strict_check(text)
}

/// Converts an rnix parse error into a positioned [`SyntaxError`].
pub fn rnix_error(text: &str, error: &rnix::ParseError) -> SyntaxError {
    use rnix::ParseError as E;
    let offset = match error {
        E::Unexpected(r)
        | E::UnexpectedExtra(r)
        | E::UnexpectedWanted(_, r, _)
        | E::UnexpectedDoubleBind(r)
        | E::DuplicatedArgs(r, _) => Some(usize::from(r.start())),
        E::UnexpectedEOF | E::UnexpectedEOFWanted(_) => Some(text.len()),
        E::RecursionLimitExceeded => None,
        _ => None,
    };
    let message = match error {
        E::Unexpected(_) => "unexpected syntax".to_owned(),
        E::UnexpectedExtra(_) => "unexpected text after the expression".to_owned(),
        E::UnexpectedWanted(found, _, wanted) => {
            format!("unexpected {found:?}, expected one of {wanted:?}")
        }
        E::UnexpectedDoubleBind(_) => "a pattern is bound twice".to_owned(),
        E::UnexpectedEOF => "unexpected end of file".to_owned(),
        E::UnexpectedEOFWanted(wanted) => format!("unexpected end of file, expected {wanted:?}"),
        E::DuplicatedArgs(_, name) => format!("argument `{name}` is duplicated"),
        E::RecursionLimitExceeded => "the expression is nested too deeply".to_owned(),
        other => other.to_string(),
    };
    SyntaxError {
        position: offset.map(|o| Position::of_offset(text, o)),
        message,
    }
}

/// The strict parse (nixfmt_rs rejects what Nix rejects, where rnix is lenient).
fn strict_check(text: &str) -> Result<(), SyntaxError> {
    // nixfmt_rs recurses on nesting; very deep input is refused before it can exhaust the stack.
    if nesting_depth(text) > MAX_NESTING {
        return Err(SyntaxError {
            position: None,
            message: format!("the expression is nested deeper than {MAX_NESTING} levels"),
        });
    }
    nixfmt_rs::format(text)
        .map(|_| ())
        .map_err(|e| nixfmt_error(text, &e))
}

/// Deepest bracket nesting accepted from files nixgen reads.
pub const MAX_NESTING: usize = 256;

fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn nixfmt_error(text: &str, e: &nixfmt_rs::ParseError) -> SyntaxError {
    // The error's span is private; its rendering carries `<file>:LINE:COL`.
    let rendered = nixfmt_rs::format_error(text, Some("<nix>"), e);
    let position = rendered.split("<nix>:").nth(1).and_then(|rest| {
        let mut nums = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty());
        let line = nums.next()?.parse().ok()?;
        let column = nums.next()?.parse().ok()?;
        Some(Position { line, column })
    });
    SyntaxError {
        position,
        message: e.message(),
    }
}

/// Lays out valid Nix text the way nixfmt does.
pub fn format(text: &str) -> Result<String, SyntaxError> {
    if nesting_depth(text) > MAX_NESTING {
        return Err(SyntaxError {
            position: None,
            message: format!("the expression is nested deeper than {MAX_NESTING} levels"),
        });
    }
    nixfmt_rs::format(text).map_err(|e| nixfmt_error(text, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strict_parser_catches_what_rnix_lets_through() {
        assert!(rnix::Root::parse("[ a x: x ]").errors().is_empty());
        assert!(check_syntax("[ a x: x ]").is_err());
        assert!(check_syntax("{ a = [ 1 ]; }").is_ok());
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = check_syntax("{\n  a = ;\n}\n").unwrap_err();
        assert_eq!(err.position.map(|p| p.line), Some(2));
    }
}
