//! Reading `flake.lock`: which inputs are `path:` inputs, whose locked copy may be older than
//! the directory.

use std::collections::HashSet;

/// The input paths (`fio-src`, `nixos-flake/nixpkgs`) of every `path:` input a `flake.lock`
/// pins. Anything unreadable yields nothing: Nix reports a broken lock better than we can.
pub fn path_inputs_in_lock(lock_json: &str) -> Vec<String> {
    let Ok(lock) = serde_json::from_str::<serde_json::Value>(lock_json) else {
        return Vec::new();
    };
    let nodes = &lock["nodes"];
    let root = lock["root"].as_str().unwrap_or("root");
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    walk_lock(nodes, root, "", &mut seen, &mut found);
    found
}

/// Depth-first over the inputs of lock node `key`; `follows` entries (lists) are someone
/// else's input and are skipped, and each node is visited once, so cycles end.
fn walk_lock(
    nodes: &serde_json::Value,
    key: &str,
    prefix: &str,
    seen: &mut HashSet<String>,
    found: &mut Vec<String>,
) {
    let Some(inputs) = nodes[key]["inputs"].as_object() else {
        return;
    };
    for (name, target) in inputs {
        let Some(child) = target.as_str() else {
            continue;
        };
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let node = &nodes[child];
        let is_path = ["original", "locked"]
            .iter()
            .any(|k| node[k]["type"].as_str() == Some("path"));
        if is_path {
            found.push(path.clone());
        }
        if seen.insert(child.to_owned()) {
            walk_lock(nodes, child, &path, seen, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_path_inputs_are_found_through_nesting() {
        let lock = r#"{"nodes":{"root":{"inputs":{"fio-src":"fio-src","nixos-flake":"nf","nixpkgs":["nixos-flake","nixpkgs"]}},
          "fio-src":{"locked":{"type":"path","path":"/x"},"original":{"type":"path","path":"/x"},"flake":false},
          "nf":{"inputs":{"nixpkgs":"np"},"locked":{"type":"github"},"original":{"type":"github"}},
          "np":{"locked":{"type":"path"},"original":{"type":"path"}}},"root":"root","version":7}"#;
        assert_eq!(
            path_inputs_in_lock(lock),
            vec!["fio-src", "nixos-flake/nixpkgs"]
        );
        assert!(path_inputs_in_lock("not json").is_empty());
    }
}
