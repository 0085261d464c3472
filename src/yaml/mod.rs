//! YAML with positions: a small located document tree and a serde deserializer over it.
//!
//! serde_yaml, the crate the design card names, is archived upstream, and neither it nor its
//! forks keep the position of every key once a value is deserialized. nixgen needs exactly that:
//! every error, semantic ones included, names the line and column of the offending key. So the
//! YAML text is parsed with `saphyr-parser` (the maintained successor of yaml-rust) into a
//! [`Node`] tree where every scalar, key, list and map knows where it starts. The model types are
//! then filled by ordinary `#[derive(Deserialize)]` through [`de`], and validation looks keys up
//! in the same tree by path. Limits on depth and on alias expansion keep hostile input (alias
//! bombs, deep nesting) bounded in time and memory. [`emit`] goes the other way and writes
//! YAML.

pub mod de;
pub mod edit;
pub mod emit;

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diag::Position;

/// Deepest nesting of lists and maps accepted; deeper input is a [`SyntaxError`] rather than a
/// risk of exhausting the stack.
pub const MAX_DEPTH: usize = 64;
/// Most nodes (scalars, lists and maps, keys included) a document may have once aliases are
/// expanded: the bound that stops an alias bomb before it takes the memory.
pub const MAX_NODES: usize = 200_000;

/// A YAML value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Value,
    /// Where the node starts in the source. A node copied from an alias takes the alias's
    /// position (so errors point at the use), while its children keep the anchor's.
    pub position: Position,
}

/// The shapes of YAML values. Scalars stay text: their meaning depends on the field that
/// receives them (a plain `1234` is a fine commit for `rev`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar of any kind: strings, numbers, booleans and null are all text here.
    Scalar {
        /// The scalar's value with YAML quoting and escapes already undone.
        text: String,
        /// True for single-quoted, double-quoted and block (`|`, `>`) scalars, and for a plain
        /// one tagged `!!str`: such text is always a string, never null or a boolean.
        quoted: bool,
    },
    /// A list, in source order.
    Seq(Vec<Node>),
    /// A map as its entries (key node, value node) in source order. Keys are always scalars
    /// and never repeat: [`parse`] rejects anything else.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// True for an unquoted `~`, `null` (also `Null`, `NULL`) or empty scalar; a quoted
    /// `"null"` is a string.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, quoted: false } if is_null_text(text))
    }

    /// The text of a scalar; `None` for a list or a map.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The entries of a map; `None` for a scalar or a list.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` in a map; `None` when the key is absent or `self` is not a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value of `key` in a map (the key node gives the key's position);
    /// `None` when the key is absent or `self` is not a map.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// Where the key at the end of `path` is written (or the closest ancestor that exists).
    /// Path segments are map keys, or indices for lists.
    pub fn key_position(&self, path: &[&str]) -> Position {
        let mut node = self;
        let mut position = self.position;
        for segment in path {
            match &node.value {
                Value::Map(_) => match node.entry(segment) {
                    Some((k, v)) => {
                        position = k.position;
                        node = v;
                    }
                    None => return position,
                },
                Value::Seq(items) => match segment.parse::<usize>().ok().and_then(|i| items.get(i))
                {
                    Some(item) => {
                        position = item.position;
                        node = item;
                    }
                    None => return position,
                },
                Value::Scalar { .. } => return position,
            }
        }
        position
    }

    /// A short name for the kind of value, for error messages: `null`, `a scalar`, `a list` or
    /// `a map`.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } if self.is_null() => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }
}

pub(crate) fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A YAML syntax or limit error at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the problem is: the parser's position for malformed YAML, or the offending node
    /// for a duplicate key, a non-scalar key, or a limit that was exceeded.
    pub position: Position,
    /// What is wrong, ready to show to the user.
    pub message: String,
}

/// Parses one YAML document. An empty document is an empty map; a second document, a
/// duplicate key, a list or map used as a key, an unknown alias, or input past [`MAX_DEPTH`] or
/// [`MAX_NODES`] is an error.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| SyntaxError {
            position: position_of_marker(e.marker()),
            message: e.info().to_owned(),
        })?;
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        position: start(&span),
                        message: "only one YAML document is allowed per file".into(),
                    });
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            other => builder.event(other, &span)?,
        }
    }
    Ok(builder.root.unwrap_or(Node {
        value: Value::Map(Vec::new()),
        position: Position { line: 1, column: 1 },
    }))
}

fn position_of_marker(m: &saphyr_parser::Marker) -> Position {
    Position {
        line: m.line().max(1),
        column: m.col() + 1,
    }
}

fn start(span: &Span) -> Position {
    position_of_marker(&span.start)
}

/// Assembles nodes from parser events, with anchors, and with the depth and size limits.
#[derive(Default)]
struct Builder {
    stack: Vec<(Node, usize, Option<Node>)>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
}

fn size_of(node: &Node) -> usize {
    match &node.value {
        Value::Scalar { .. } => 1,
        Value::Seq(items) => 1 + items.iter().map(size_of).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| size_of(k) + size_of(v))
                .sum::<usize>()
        }
    }
}

impl Builder {
    fn count(&mut self, n: usize, position: Position) -> Result<(), SyntaxError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(SyntaxError {
                position,
                message: format!(
                    "the document has more than {MAX_NODES} values once aliases are expanded; \
                     a host description never needs that many (is this an alias bomb?)"
                ),
            });
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), SyntaxError> {
        let position = start(span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let quoted = !matches!(style, ScalarStyle::Plain)
                    || tag.as_ref().is_some_and(|t| t.suffix == "str");
                self.count(1, position)?;
                let node = Node {
                    value: Value::Scalar {
                        text: text.into_owned(),
                        quoted,
                    },
                    position,
                };
                self.finish(node, anchor)
            }
            Event::SequenceStart(anchor, _) => self.open(Value::Seq(Vec::new()), position, anchor),
            Event::MappingStart(anchor, _) => self.open(Value::Map(Vec::new()), position, anchor),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor, pending_key) = self
                    .stack
                    .pop()
                    .expect("parser balances start and end events");
                debug_assert!(pending_key.is_none());
                self.finish(node, anchor)
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| SyntaxError {
                    position,
                    message: "this alias refers to an unknown anchor".into(),
                })?;
                self.count(size_of(&node), position)?;
                // Re-anchor the copy where the alias stands, so errors point at the use.
                let node = Node { position, ..node };
                self.finish(node, 0)
            }
            _ => Ok(()),
        }
    }

    fn open(&mut self, value: Value, position: Position, anchor: usize) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError {
                position,
                message: format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
            });
        }
        self.count(1, position)?;
        self.stack.push((Node { value, position }, anchor, None));
        Ok(())
    }

    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), SyntaxError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some((parent, _, pending_key)) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut parent.value {
            Value::Seq(items) => items.push(node),
            Value::Map(entries) => match pending_key.take() {
                None => {
                    if !matches!(node.value, Value::Scalar { .. }) {
                        return Err(SyntaxError {
                            position: node.position,
                            message: "map keys must be plain strings, not lists or maps".into(),
                        });
                    }
                    if let Some((first, _)) =
                        entries.iter().find(|(k, _)| k.as_str() == node.as_str())
                    {
                        return Err(SyntaxError {
                            position: node.position,
                            message: format!(
                                "duplicate key `{}` (first given at line {})",
                                node.as_str().unwrap_or_default(),
                                first.position.line
                            ),
                        });
                    }
                    *pending_key = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
            Value::Scalar { .. } => unreachable!("scalars are never on the stack"),
        }
        Ok(())
    }
}

/// Merges `overlay` into `base` the way a fleet's `defaults` apply: maps merge key by key,
/// anything else in `overlay` (lists included) replaces what `base` has. Merged keys and maps
/// take `overlay`'s positions, so errors point at the text that set the value.
pub fn merge(base: &Node, overlay: &Node) -> Node {
    match (&base.value, &overlay.value) {
        (Value::Map(base_entries), Value::Map(over_entries)) => {
            let mut entries: Vec<(Node, Node)> = base_entries.clone();
            for (key, value) in over_entries {
                match entries.iter_mut().find(|(k, _)| k.as_str() == key.as_str()) {
                    Some((k, v)) => {
                        *k = key.clone();
                        *v = merge(v, value);
                    }
                    None => entries.push((key.clone(), value.clone())),
                }
            }
            Node {
                value: Value::Map(entries),
                position: overlay.position,
            }
        }
        _ => overlay.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_know_their_positions() {
        let doc = parse("name: devel\nstorage:\n  /mnt/a:\n    device: /dev/x\n").unwrap();
        assert_eq!(
            doc.key_position(&["storage", "/mnt/a", "device"]),
            Position { line: 4, column: 5 }
        );
        assert_eq!(doc.key_position(&["name"]), Position { line: 1, column: 1 });
    }

    #[test]
    fn duplicate_keys_are_rejected_with_both_lines() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.position, Position { line: 3, column: 1 });
        assert!(err.message.contains("first given at line 1"));
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = "[".repeat(10_000);
        let err = parse(&text).unwrap_err();
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{}",
            err.message
        );
    }

    #[test]
    fn merge_keeps_defaults_and_replaces_lists() {
        let base = parse("backend: imageless\nprofiles: [devel]\nuser: {name: a}\n").unwrap();
        let over = parse("profiles: [monitoring]\nuser: {extraGroups: [kvm]}\n").unwrap();
        let merged = merge(&base, &over);
        assert_eq!(merged.get("backend").unwrap().as_str(), Some("imageless"));
        let profiles = merged.get("profiles").unwrap();
        assert!(
            matches!(&profiles.value, Value::Seq(v) if v.len() == 1 && v[0].as_str() == Some("monitoring"))
        );
        let user = merged.get("user").unwrap();
        assert!(user.get("name").is_some() && user.get("extraGroups").is_some());
    }
}
