//! A serde `Deserializer` over a located [`Node`] tree.
//!
//! Errors carry the position of the innermost node that was being read when they happened: an
//! unknown key points at that key, a wrong type at the value, a missing field at the map that
//! lacks it. Unknown keys and enum values get the list of valid names, with a "did you mean"
//! hint when one is close. Scalars are read by what the receiving field asks for, so
//! `rev: 1234` is a string and `autoFormat: yes` is an error that asks for `true` or `false`.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::{is_null_text, Node, Value};
use crate::diag::{did_you_mean, Position};

/// A deserialization error, with the position once known and an optional hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What is wrong (an unknown key, a value of the wrong type, a missing key), without the
    /// position or the hint.
    pub message: String,
    /// What to write instead (valid names, the expected shape); `None` when there is no hint.
    pub help: Option<String>,
    /// Where the error is. Serde's own constructors make errors without one; the node being
    /// read stamps its position as the error travels up, so a caller of [`from_node`] sees
    /// `None` only when the outermost type's own conversion fails (callers fall back to the
    /// document's root).
    pub position: Option<Position>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            help: None,
            position: None,
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let help = match did_you_mean(field, expected) {
            Some(near) => format!("did you mean `{near}`? Valid keys here: {}", list(expected)),
            None => format!("valid keys here: {}", list(expected)),
        };
        Error {
            message: format!("unknown key `{field}`"),
            help: Some(help),
            position: None,
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let help = match did_you_mean(variant, expected) {
            Some(near) => format!("did you mean `{near}`? Valid values: {}", list(expected)),
            None => format!("valid values: {}", list(expected)),
        };
        Error {
            message: format!("unknown value `{variant}`"),
            help: Some(help),
            position: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Error {
            message: format!("missing required key `{field}`"),
            help: Some(format!("add `{field}:` to this map")),
            position: None,
        }
    }
}

/// Fills `T` from `node`. On failure the error carries the position of the innermost node
/// involved.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, Error> {
    T::deserialize(NodeDeserializer { node })
}

/// A serde `Deserializer` for one node; stamps the node's position on errors that have none
/// yet. Build one through [`from_node`].
pub struct NodeDeserializer<'a> {
    node: &'a Node,
}

impl<'a> NodeDeserializer<'a> {
    fn locate<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|mut e| {
            e.position.get_or_insert(self.node.position);
            e
        })
    }

    fn scalar(&self) -> Result<&'a str, Error> {
        match &self.node.value {
            Value::Scalar { text, .. } => Ok(text),
            _ => Err(self.type_error("a string")),
        }
    }

    fn type_error(&self, expected: &str) -> Error {
        Error {
            message: format!("expected {expected}, found {}", self.node.kind()),
            help: None,
            position: Some(self.node.position),
        }
    }
}

macro_rules! parse_number {
    ($method:ident, $visit:ident, $ty:ty, $what:literal) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let text = self.scalar()?;
            let n: $ty = text.trim().parse().map_err(|_| self.type_error($what))?;
            self.locate(visitor.$visit(n))
        }
    };
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Scalar { text, quoted } => {
                if !quoted && is_null_text(text) {
                    return self.locate(visitor.visit_unit());
                }
                if !quoted {
                    if let Some(b) = parse_bool(text) {
                        return self.locate(visitor.visit_bool(b));
                    }
                    if let Ok(n) = text.parse::<i64>() {
                        return self.locate(visitor.visit_i64(n));
                    }
                }
                self.locate(visitor.visit_borrowed_str(text))
            }
            Value::Seq(_) => self.deserialize_seq(visitor),
            Value::Map(_) => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.scalar()?;
        match parse_bool(text) {
            Some(b) => self.locate(visitor.visit_bool(b)),
            None => Err(Error {
                help: Some("write `true` or `false`".into()),
                ..self.type_error("a boolean")
            }),
        }
    }

    parse_number!(deserialize_i8, visit_i8, i8, "an integer");
    parse_number!(deserialize_i16, visit_i16, i16, "an integer");
    parse_number!(deserialize_i32, visit_i32, i32, "an integer");
    parse_number!(deserialize_i64, visit_i64, i64, "an integer");
    parse_number!(deserialize_u8, visit_u8, u8, "a non-negative integer");
    parse_number!(deserialize_u16, visit_u16, u16, "a non-negative integer");
    parse_number!(deserialize_u32, visit_u32, u32, "a non-negative integer");
    parse_number!(deserialize_u64, visit_u64, u64, "a non-negative integer");
    parse_number!(deserialize_f32, visit_f32, f32, "a number");
    parse_number!(deserialize_f64, visit_f64, f64, "a number");

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            return Err(Error {
                help: Some("quote it (`\"\"`) if an empty string is meant".into()),
                ..self.type_error("a string")
            });
        }
        let text = self.scalar()?;
        self.locate(visitor.visit_borrowed_str(text))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            self.locate(visitor.visit_none())
        } else {
            self.locate(visitor.visit_some(NodeDeserializer { node: self.node }))
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            self.locate(visitor.visit_unit())
        } else {
            Err(self.type_error("nothing (null)"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.locate(visitor.visit_newtype_struct(NodeDeserializer { node: self.node }))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Seq(items) => self.locate(visitor.visit_seq(Seq {
                items: items.iter(),
            })),
            _ if self.node.is_null() => self.locate(visitor.visit_seq(Seq { items: [].iter() })),
            _ => Err(Error {
                help: Some("write a list: `[a, b]`, or one `- item` per line".into()),
                ..self.type_error("a list")
            }),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Map(entries) => self.locate(visitor.visit_map(Map {
                entries: entries.iter(),
                value: None,
            })),
            _ if self.node.is_null() => self.locate(visitor.visit_map(Map {
                entries: [].iter(),
                value: None,
            })),
            _ => Err(Error {
                help: Some("write a map: `{ key: value }`, or one `key: value` per line".into()),
                ..self.type_error("a map")
            }),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let text = self.scalar()?;
        self.locate(visitor.visit_enum(text.into_deserializer()))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.locate(visitor.visit_unit())
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed.deserialize(NodeDeserializer { node }).map(Some),
            None => Ok(None),
        }
    }
}

struct Map<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(NodeDeserializer { node: key }).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let node = self
            .value
            .take()
            .expect("serde asks for a value after its key");
        seed.deserialize(NodeDeserializer { node })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        auto_format: Option<bool>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    enum Kind {
        Imageless,
        Libvirt,
    }

    fn parse(text: &str) -> Result<Sample, Error> {
        let node = super::super::parse(text).unwrap();
        from_node(&node)
    }

    #[test]
    fn unknown_keys_point_at_the_key_with_a_suggestion() {
        let err = parse("name: a\nautoFromat: true\n").unwrap_err();
        assert_eq!(err.position, Some(Position { line: 2, column: 1 }));
        assert_eq!(err.message, "unknown key `autoFromat`");
        assert!(err.help.unwrap().starts_with("did you mean `autoFormat`?"));
    }

    #[test]
    fn unknown_variants_list_the_valid_ones() {
        let err = parse("name: a\nkind: libvrit\n").unwrap_err();
        assert_eq!(err.position, Some(Position { line: 2, column: 7 }));
        let help = err.help.unwrap();
        assert!(help.contains("did you mean `libvirt`?"), "{help}");
        assert!(help.contains("`imageless`, `libvirt`"), "{help}");
    }

    #[test]
    fn wrong_types_point_at_the_value() {
        let err = parse("name: a\nautoFormat: yes\n").unwrap_err();
        assert_eq!(
            err.position,
            Some(Position {
                line: 2,
                column: 13
            })
        );
        assert_eq!(err.message, "expected a boolean, found a scalar");
    }

    #[test]
    fn missing_fields_point_at_the_map() {
        let err = parse("autoFormat: true\n").unwrap_err();
        assert_eq!(err.message, "missing required key `name`");
        assert_eq!(err.position, Some(Position { line: 1, column: 1 }));
    }

    #[test]
    fn numbers_are_strings_when_a_string_is_wanted() {
        assert_eq!(parse("name: 1234\n").unwrap().name, "1234");
    }
}
