//! Recognising Nix's messages: the failures nixgen knows how to point back at the YAML
//! (nixos-flake's storage assertion, an undeclared input, a missing local source or module, an
//! unknown option, a wrong type, a missing backend, a download).

use std::path::PathBuf;

use crate::nix::escape;

/// A failure that nixgen recognises in Nix's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// nixos-flake's assertion: `mkfsArgs` and `autoFormat` on one mount point.
    StorageExclusive {
        /// The mount point, unquoted from the option path (such as `/mnt/data`).
        mount_point: String,
    },
    /// `inputs.<name>` used but not declared (`attribute '<name>' missing`).
    UndeclaredInput {
        /// The input name after `inputs.`.
        name: String,
        /// The names of Nix's "Did you mean" line that follows, empty when it has none.
        suggestions: Vec<String>,
    },
    /// The outputs function lacks a required argument: an input that is not declared.
    MissingArgument {
        /// The argument (input) name Nix says is missing.
        name: String,
    },
    /// A `path:` input (or other local path) that does not exist.
    MissingPath {
        /// The path as Nix printed it in `getting status of '<path>'`.
        path: PathBuf,
    },
    /// An option that no module declares, as a path of names.
    UnknownOption {
        /// The option's attribute path, one unquoted name per element.
        option: Vec<String>,
    },
    /// An option given a value of the wrong type.
    WrongType {
        /// The option's attribute path, one unquoted name per element.
        option: Vec<String>,
    },
    /// No backend: the stand-in's / nixos-flake's stateVersion assertion.
    NoBackend,
    /// Nix needed the network for an input.
    Download {
        /// What Nix tried to download.
        url: String,
    },
    /// `nixos-flake.nixosModules.<module>` does not exist in the library Nix evaluated (an
    /// older or newer nixos-flake than the description was written for).
    MissingModule {
        /// The path below `nixosModules`, such as `testSuites.ltp`.
        module: String,
    },
}

/// Every known failure in Nix's error text, in the order Nix printed them.
pub fn findings(stderr: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, line) in stderr.lines().enumerate() {
        if let Some(f) = line_finding(line, stderr, i) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

/// The finding on one line of Nix's stderr (`all` and `index` give context for the
/// "Did you mean" line and the source excerpt of an undeclared input).
fn line_finding(line: &str, all: &str, index: usize) -> Option<Finding> {
    // The library's wording is `"<mp>": autoFormat and mkfsArgs` / `are mutually exclusive.
    // Pick one.` on two lines; older stand-ins said `mkfsArgs and autoFormat are ...`.
    let storage_marker = [
        ": autoFormat and mkfsArgs",
        ": mkfsArgs and autoFormat are mutually exclusive",
    ]
    .iter()
    .find_map(|m| line.find(m));
    if let Some(at) = storage_marker {
        let head = &line[..at];
        let start = head.find("nixos-flake.storage.")? + "nixos-flake.storage.".len();
        let (mount_point, _) = unquote(&head[start..])?;
        return Some(Finding::StorageExclusive { mount_point });
    }
    if line.contains("system.stateVersion is not set") {
        return Some(Finding::NoBackend);
    }
    if let Some(rest) = after(line, "getting status of '") {
        let path = rest.split("': No such file or directory").next()?;
        if rest.contains("': No such file or directory") {
            return Some(Finding::MissingPath {
                path: PathBuf::from(path),
            });
        }
    }
    if let Some(rest) = after(line, "The option `") {
        if rest.contains("' does not exist") {
            let option = option_path(rest.split("' does not exist").next()?)?;
            return Some(Finding::UnknownOption { option });
        }
    }
    if let Some(rest) = after(line, "A definition for option `") {
        let option = option_path(rest.split("' is not of type").next()?)?;
        return Some(Finding::WrongType { option });
    }
    if let Some(rest) = after(line, "called without required argument '") {
        let name = rest.split('\'').next()?.to_owned();
        return Some(Finding::MissingArgument { name });
    }
    if let Some(rest) = after(line, "attribute '") {
        let name = rest.strip_suffix("' missing")?;
        if let Some(module) = missing_module(all, name) {
            return Some(Finding::MissingModule { module });
        }
        if !mentions_input(all, name) {
            return None;
        }
        let suggestions = all
            .lines()
            .skip(index + 1)
            .find_map(|l| after(l.trim_start(), "Did you mean "))
            .map(split_suggestions)
            .unwrap_or_default();
        return Some(Finding::UndeclaredInput {
            name: name.to_owned(),
            suggestions,
        });
    }
    if let Some(rest) = after(line, "unable to download '") {
        if !line.starts_with("warning:") {
            return Some(Finding::Download {
                url: rest.split('\'').next()?.to_owned(),
            });
        }
    }
    None
}

/// The `nixosModules` path Nix's source excerpt shows ending in the missing attribute `name`
/// (`nixos-flake.nixosModules.testSuites.ltp` -> `testSuites.ltp`).
fn missing_module(text: &str, name: &str) -> Option<String> {
    text.match_indices("nixosModules.").find_map(|(i, m)| {
        let rest = &text[i + m.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-'.".contains(c)))
            .unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches('.');
        (path == name || path.ends_with(&format!(".{name}"))).then(|| path.to_owned())
    })
}

/// True when `text` reads `inputs.<name>` (bare or quoted) with `name` ending there: Nix's
/// source excerpt shows it for an undeclared input, and not for a missing package.
fn mentions_input(text: &str, name: &str) -> bool {
    let quoted = format!("inputs.{}", escape::string(name));
    let bare = format!("inputs.{name}");
    text.contains(&quoted)
        || text.match_indices(&bare).any(|(i, m)| {
            !text[i + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || "_'-".contains(c))
        })
}

/// The text after the first `marker` in `line`.
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|i| &line[i + marker.len()..])
}

/// `fio-src?` / `one of a, b or c?` as names.
fn split_suggestions(text: &str) -> Vec<String> {
    let text = text.trim().trim_end_matches('?');
    let text = text.strip_prefix("one of ").unwrap_or(text);
    text.split([',', ' '])
        .filter(|w| !w.is_empty() && *w != "or")
        .map(str::to_owned)
        .collect()
}

/// A quoted attribute name at the start of `text` (JSON quoting, as nixpkgs' `showOption`
/// and nixos-flake's messages use, or Nix quoting with `\$`): its value and the rest.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 2..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    'u' => {
                        let hex: String =
                            (0..4).filter_map(|_| chars.next().map(|x| x.1)).collect();
                        value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => value.push(other),
                }
            }
            c => value.push(c),
        }
    }
    None
}

/// `nixos-flake.storage."/mnt/x".fstype` as `["nixos-flake", "storage", "/mnt/x", "fstype"]`.
fn option_path(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with('"') {
            let (name, tail) = unquote(rest)?;
            parts.push(name);
            rest = tail;
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            parts.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    (!parts.is_empty()).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_assertion_is_recognised() {
        let err = "error:\n       Failed assertions:\n       - nixos-flake.storage.\"/mnt/nvme0\": mkfsArgs and autoFormat are mutually exclusive; set ...\n";
        assert_eq!(
            findings(err),
            vec![Finding::StorageExclusive {
                mount_point: "/mnt/nvme0".into()
            }]
        );
    }

    #[test]
    fn option_paths_unquote_names() {
        assert_eq!(
            option_path(r#"nixos-flake.storage."/mnt/a.b \"q\"".fstype"#).unwrap(),
            vec!["nixos-flake", "storage", "/mnt/a.b \"q\"", "fstype"]
        );
        assert_eq!(
            option_path("networking.hostname").unwrap(),
            vec!["networking", "hostname"]
        );
    }

    #[test]
    fn undeclared_input_needs_an_inputs_reference() {
        let err = "error: attribute 'fio-srcx' missing\n\n       at /nix/store/x-source/flake.nix:75:25:\n\n           75|   src = inputs.fio-srcx;\n       Did you mean fio-src?\n";
        assert_eq!(
            findings(err),
            vec![Finding::UndeclaredInput {
                name: "fio-srcx".into(),
                suggestions: vec!["fio-src".into()]
            }]
        );
        assert!(findings("error: attribute 'gdbx' missing\n  at pkgs.gdbx\n").is_empty());
    }
}
