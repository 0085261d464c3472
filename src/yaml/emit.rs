//! Writing YAML: the host descriptions `nixgen scaffold` writes for each configuration, and the
//! values `nixgen init` puts into its template.
//!
//! A small emitter for the JSON data model: maps in block style, lists of scalars in flow style
//! (`[a, b]`, as people write them in host files), and every string (keys included) quoted when
//! a YAML reader would take it for something else. The tests parse the output back with
//! [`super::parse`].

use serde_json::Value;

/// Renders `value` as a YAML document, keys in the map's order. A non-empty map is written in
/// block style; anything else (an empty map included) becomes one inline line. A list that holds
/// maps or lists gets one `- item` line per element, each element inline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar(key));
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, indent + 2);
            }
            Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
                out.push('\n');
                for item in items {
                    out.push_str(&" ".repeat(indent));
                    out.push_str("- ");
                    out.push_str(&inline(item));
                    out.push('\n');
                }
            }
            other => {
                out.push(' ');
                out.push_str(&inline(other));
                out.push('\n');
            }
        }
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A string as a YAML scalar: plain when it reads back as the same string, double-quoted
/// (JSON escaping is valid YAML) otherwise, e.g. for `yes`, `1234`, `null`, the empty string, or
/// anything with a space or a `#`.
pub fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | ':' | '~' | '+' | '=' | '$')
        })
        && !s.starts_with(['-', ':', '~', '$'])
        && !s.ends_with(':')
        && !s.contains(": ")
        && !super::is_null_text(s)
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
        && s.parse::<f64>().is_err()
        && !s.starts_with("0x")
        && !s.starts_with("0o");
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, Value as Y};

    #[test]
    fn output_parses_back_to_the_same_strings() {
        let value = serde_json::json!({
            "name": "devel",
            "storage": { "/mnt/nvme0": { "device": "/dev/nvme0n1", "mkfsArgs": ["-b", "size=16k"] } },
            "packages": ["gdb"],
            "odd": "yes",
            "quote": "a\"b: c # d",
            "empty": "",
            "num": "1234",
        });
        let text = to_yaml(&value);
        let doc = parse(&text).unwrap();
        let args = doc
            .get("storage")
            .unwrap()
            .get("/mnt/nvme0")
            .unwrap()
            .get("mkfsArgs")
            .unwrap();
        match &args.value {
            Y::Seq(items) => assert_eq!(items[0].as_str(), Some("-b")),
            other => panic!("{other:?}"),
        }
        for key in ["odd", "quote", "empty", "num"] {
            assert_eq!(
                doc.get(key).unwrap().as_str(),
                value[key].as_str(),
                "{key} in {text}"
            );
            assert!(!doc.get(key).unwrap().is_null());
        }
    }
}
