//! Editing a host description in place: one entry of a top-level map (`overlays.<pkg>`) set or
//! removed, line by line, so that every comment and every other line stays byte for byte.
//!
//! `nixgen overlay add|remove` use it to keep the `host.yaml` beside a flake in agreement with
//! the edit they made to the flake, so that the next `generate` does not undo it. The located
//! tree ([`super::Node`]) says where keys are; an entry spans from its key's line to the line
//! before the next sibling key (trailing blank and comment lines stay with what follows). The
//! result is parsed again before it is returned: an edit that would not read back is refused.

use super::{parse, Node, Value};

/// Sets `section.key` to `value` (an inline YAML value, such as `{ src: /x }`) in `text`,
/// replacing the entry when it exists, adding it (and the section) when it does not. Returns
/// `None` when the document's shape is one this line editor does not handle (a flow-style
/// section, a non-map document): the caller then leaves the file alone and says so.
pub fn set_entry(text: &str, section: &str, key: &str, value: &str) -> Option<String> {
    let root = parse(text).ok()?;
    let Value::Map(entries) = &root.value else {
        return None;
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let entry_line = format!("{}: {value}\n", super::emit::scalar(key));
    let Some((section_key, section_value)) =
        entries.iter().find(|(k, _)| k.as_str() == Some(section))
    else {
        // No section yet: append it at the end.
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{section}:\n  {entry_line}"));
        return checked(out, section, key);
    };
    let Value::Map(members) = &section_value.value else {
        return None;
    };
    let block = section_value.position.line > section_key.position.line;
    if !block {
        // `overlays: {}` (or an inline map with members): only the empty one is rewritten.
        if !members.is_empty() {
            return None;
        }
        let line = section_key.position.line - 1;
        let indent: String = lines[line].chars().take_while(|c| *c == ' ').collect();
        let mut out: String = lines[..line].concat();
        out.push_str(&format!("{indent}{section}:\n{indent}  {entry_line}"));
        out.push_str(&lines[line + 1..].concat());
        return checked(out, section, key);
    }
    let indent = " ".repeat(section_value.position.column - 1);
    let new_line = format!("{indent}{entry_line}");
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    match members.iter().position(|(k, _)| k.as_str() == Some(key)) {
        Some(i) => {
            let (start, end) = entry_lines(&lines, members, i, &root, section);
            out.splice(start..end, [new_line]);
        }
        None => {
            let last = members.len() - 1;
            let (_, end) = entry_lines(&lines, members, last, &root, section);
            let at = end.min(out.len());
            if at > 0 && !out[at - 1].ends_with('\n') {
                out[at - 1].push('\n');
            }
            out.insert(at, new_line);
        }
    }
    checked(out.concat(), section, key)
}

/// Removes `section.key` from `text` (and the section when it was its last entry). `None` when
/// the shape is not one this editor handles; the text unchanged when there is no such entry.
pub fn remove_entry(text: &str, section: &str, key: &str) -> Option<String> {
    let root = parse(text).ok()?;
    let Value::Map(entries) = &root.value else {
        return None;
    };
    let Some((section_key, section_value)) =
        entries.iter().find(|(k, _)| k.as_str() == Some(section))
    else {
        return Some(text.to_owned());
    };
    let Value::Map(members) = &section_value.value else {
        return None;
    };
    let Some(i) = members.iter().position(|(k, _)| k.as_str() == Some(key)) else {
        return Some(text.to_owned());
    };
    if section_value.position.line <= section_key.position.line {
        return None; // a flow-style section
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let (mut start, end) = entry_lines(&lines, members, i, &root, section);
    if members.len() == 1 {
        // The section goes with its last entry.
        start = section_key.position.line - 1;
    }
    let out = [lines[..start].concat(), lines[end..].concat()].concat();
    let back = parse(&out).ok()?;
    let gone = back.get(section).and_then(|s| s.get(key)).is_none();
    gone.then_some(out)
}

/// The lines (0-based, end exclusive) entry `i` of a block map spans: from its key's line to
/// the line before the next sibling's key (or the next top-level key, or the end), without the
/// blank and comment lines at its end.
fn entry_lines(
    lines: &[&str],
    members: &[(Node, Node)],
    i: usize,
    root: &Node,
    section: &str,
) -> (usize, usize) {
    let start = members[i].0.position.line - 1;
    let next_line = match members.get(i + 1) {
        Some((k, _)) => k.position.line - 1,
        None => match &root.value {
            Value::Map(entries) => entries
                .iter()
                .skip_while(|(k, _)| k.as_str() != Some(section))
                .nth(1)
                .map_or(lines.len(), |(k, _)| k.position.line - 1),
            _ => lines.len(),
        },
    };
    let mut end = next_line.max(start + 1);
    while end > start + 1 {
        let t = lines[end - 1].trim();
        if t.is_empty() || t.starts_with('#') {
            end -= 1;
        } else {
            break;
        }
    }
    (start, end)
}

/// `text` when it parses and holds `section.key`.
fn checked(text: String, section: &str, key: &str) -> Option<String> {
    let back = parse(&text).ok()?;
    back.get(section)?.get(key)?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "# my host\nname: vm\nbackend: imageless\noverlays:\n  # fio from my tree\n  fio: { src: /a }\n\n  kmod:\n    src: /b   # the kmod tree\n# packages next\npackages: [gdb]\n";

    #[test]
    fn entries_are_added_replaced_and_removed_keeping_every_comment() {
        let added = set_entry(HOST, "overlays", "damo", "{ src: /c }").unwrap();
        assert!(
            added.contains("    src: /b   # the kmod tree\n  damo: { src: /c }\n"),
            "{added}"
        );
        assert!(
            added.ends_with("# packages next\npackages: [gdb]\n"),
            "{added}"
        );
        let replaced = set_entry(HOST, "overlays", "kmod", "{ src: /d }").unwrap();
        assert!(
            replaced.contains("  kmod: { src: /d }\n# packages next"),
            "{replaced}"
        );
        assert!(replaced.contains("# fio from my tree"), "{replaced}");
        let removed = remove_entry(&added, "overlays", "damo").unwrap();
        assert_eq!(removed, HOST);
        let one = remove_entry(HOST, "overlays", "kmod").unwrap();
        let none = remove_entry(&one, "overlays", "fio").unwrap();
        assert!(!none.contains("overlays"), "{none}");
        assert!(none.contains("# packages next"), "{none}");
    }

    #[test]
    fn a_missing_or_empty_section_is_created() {
        let text = "name: vm\nbackend: imageless\n";
        let added = set_entry(text, "overlays", "fio", "{ src: /a }").unwrap();
        assert_eq!(
            added,
            "name: vm\nbackend: imageless\noverlays:\n  fio: { src: /a }\n"
        );
        let empty = "name: vm\noverlays: {}\nbackend: imageless\n";
        let added = set_entry(empty, "overlays", "fio", "{ src: /a }").unwrap();
        assert_eq!(
            added,
            "name: vm\noverlays:\n  fio: { src: /a }\nbackend: imageless\n"
        );
        // A flow section with entries is left to the user.
        assert!(set_entry(
            "name: vm\noverlays: { a: { src: /x } }\n",
            "overlays",
            "b",
            "{ src: /y }"
        )
        .is_none());
    }
}
