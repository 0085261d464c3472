//! `nixgen import`: one configuration into host.yaml, or a directory of them into a fleet file.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::cli::args::ImportArgs;
use crate::cli::output::{read_existing, Reporter};
use crate::cli::{Report, Status};
use crate::diag::{Diagnostic, Result};
use crate::import::{self, Imported};

pub fn run(args: ImportArgs, report: &mut Report) -> Result<Status> {
    if let Some(dir) = &args.fleet {
        return fleet(&args, dir, report);
    }
    let flake_path = flake_of(&args.target);
    let imported = import::import(&flake_path, args.config.as_deref())?;
    let yaml = import::host_yaml(&imported);
    proven(&flake_path, &yaml, report)?;
    report.diagnostics(&imported.kept);
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| flake_path.with_file_name("host.yaml"));
    write(&args, &out, &yaml, report)
}

/// `DIR` means `DIR/flake.nix`.
fn flake_of(target: &Path) -> PathBuf {
    if target == Path::new(".") {
        PathBuf::from("flake.nix")
    } else if target.is_dir() {
        target.join("flake.nix")
    } else {
        target.to_path_buf()
    }
}

/// Refuses an import after which `generate` would change a file, showing the change.
fn proven(flake_path: &Path, yaml: &str, report: &mut Report) -> Result<()> {
    let changes = import::prove(flake_path, yaml)?;
    if changes.is_empty() {
        return Ok(());
    }
    for change in &changes {
        report.say_raw(&crate::fsio::unified_diff(
            &change.path,
            Some(&change.old),
            &change.new,
        ));
    }
    // At the first place `generate` would change.
    let first = &changes[0];
    let offset = first
        .old
        .bytes()
        .zip(first.new.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(first.old.len().min(first.new.len()));
    let position = crate::diag::Position::of_offset(&first.old, offset);
    Err(Diagnostic::at(
        &first.path,
        &first.old,
        position,
        "the configuration cannot be described exactly: `nixgen generate` would change it after this import (the diff above); nothing was written",
    )
    .with_help("the diff shows what host.yaml cannot say about these files; make that part of the flake what nixgen writes (or remove it), then import again")
    .into())
}

fn write(args: &ImportArgs, out: &Path, text: &str, report: &mut Report) -> Result<Status> {
    if out == Path::new("-") {
        report.out(text);
        return Ok(Status::Success);
    }
    // Held from reading the file to writing it: a concurrent nixgen waits its turn.
    let _lock = crate::fsio::lock_dir_of(out)?;
    let existing = read_existing(out)?;
    let mut reporter = Reporter::new(args.write, false);
    reporter.file(report, out, existing.as_deref(), text)?;
    Ok(reporter.finish(report))
}

/// Every `DIR/*/flake.nix` into one fleet file: what all configurations share goes to
/// `defaults`, the rest stays with each configuration.
fn fleet(args: &ImportArgs, dir: &Path, report: &mut Report) -> Result<Status> {
    let mut flakes: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Diagnostic::in_file(dir, format!("cannot read the directory: {e}")).with_help(
                "give the directory that holds one directory per configuration (configurations/)",
            )
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("flake.nix"))
        .filter(|p| p.is_file())
        .collect();
    flakes.sort();
    if flakes.is_empty() {
        return Err(Diagnostic::in_file(dir, "no configuration here (no */flake.nix)")
            .with_help("give the directory that holds one directory per configuration (configurations/)")
            .into());
    }
    let mut hosts: Vec<(String, Map<String, Value>)> = Vec::new();
    let mut dirs: Vec<(String, PathBuf)> = Vec::new();
    let mut failed = false;
    for flake_path in &flakes {
        let dir_name = flake_path
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // A directory's configuration is the only one, or the one named after it.
        let imported: Result<Imported> = import::import(flake_path, None)
            .or_else(|_| import::import(flake_path, Some(&dir_name)));
        let imported = match imported.and_then(|i| {
            proven(flake_path, &import::host_yaml(&i), report)?;
            Ok(i)
        }) {
            Ok(i) => i,
            Err(failure) => {
                report.diagnostics(&failure.diagnostics);
                failed = true;
                continue;
            }
        };
        report.diagnostics(&imported.kept);
        if imported.host.name != dir_name {
            report.diagnostics(&[Diagnostic::in_file(
                flake_path,
                format!(
                    "configuration `{}` is in directory `{dir_name}`: `nixgen scaffold` writes it to `{}/`",
                    imported.host.name, imported.host.name
                ),
            )
            .with_help("rename the directory to the configuration's name before scaffolding")
            .warning()]);
        }
        let Value::Object(mut map) = serde_json::to_value(&imported.host).expect("hosts serialize")
        else {
            unreachable!("a host serializes to a map")
        };
        let name = map
            .remove("name")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if let Some(other) = dirs.iter().find(|(n, _)| *n == name) {
            report.diagnostics(&[Diagnostic::in_file(
                flake_path,
                format!(
                    "configuration `{name}` is also the name of the one in {}: a fleet names each configuration once",
                    other.1.display()
                ),
            )
            .with_help("rename one of them (`nixosConfigurations.<name>` and its directory), then import again")]);
            failed = true;
            continue;
        }
        dirs.push((name.clone(), flake_path.clone()));
        hosts.push((name, map));
    }
    if failed {
        return Err(Diagnostic::in_file(
            dir,
            "some configurations cannot be imported (above); nothing was written",
        )
        .with_help("fix or move those configurations, then import again")
        .into());
    }
    let values: Vec<Value> = hosts
        .iter()
        .map(|(_, m)| Value::Object(m.clone()))
        .collect();
    let defaults = match common(&values) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let mut configurations = Map::new();
    for (name, host) in hosts {
        let mut own = Value::Object(host);
        subtract(&mut own, &Value::Object(defaults.clone()));
        configurations.insert(name, own);
    }
    let mut doc = Map::new();
    doc.insert("defaults".into(), in_key_order(Value::Object(defaults)));
    let configurations = configurations
        .into_iter()
        .map(|(name, host)| (name, in_key_order(host)))
        .collect();
    doc.insert("configurations".into(), Value::Object(configurations));
    let text = format!(
        "# yaml-language-server: $schema=./host.schema.json\n\
         #\n\
         # nixgen fleet, imported from {} by `nixgen import --fleet`.\n\
         # `defaults` holds what every configuration shares (maps merge key by key; a list or\n\
         # scalar a configuration gives replaces the default). `nixgen scaffold` writes\n\
         # <root>/<name>/{{host.yaml,flake.nix}} from it.\n\n{}",
        dir.display(),
        crate::yaml::emit::to_yaml(&Value::Object(doc))
    );
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| dir.with_file_name("fleet.yaml"));
    write(args, &out, &text, report)
}

/// What all `values` share, as fleet `defaults` merge it: an equal value, or for maps the
/// keys all have with what they share below them.
fn common(values: &[Value]) -> Option<Value> {
    let first = values.first()?;
    if values.iter().all(|v| v == first) {
        return Some(first.clone());
    }
    let maps: Vec<&Map<String, Value>> = values.iter().filter_map(Value::as_object).collect();
    if maps.len() != values.len() {
        return None;
    }
    let mut out = Map::new();
    for key in maps[0].keys() {
        let below: Option<Vec<Value>> = maps.iter().map(|m| m.get(key).cloned()).collect();
        if let Some(shared) = below.and_then(|b| common(&b)) {
            if !matches!(&shared, Value::Object(m) if m.is_empty()) {
                out.insert(key.clone(), shared);
            }
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// `value` without what `defaults` gives it already.
fn subtract(value: &mut Value, defaults: &Value) {
    let (Value::Object(map), Value::Object(defaults)) = (value, defaults) else {
        return;
    };
    for (key, default) in defaults {
        let Some(mine) = map.get_mut(key) else {
            continue;
        };
        if mine == default {
            map.remove(key);
            continue;
        }
        if let (Value::Object(_), Value::Object(_)) = (&*mine, default) {
            subtract(mine, default);
            if mine.as_object().is_some_and(Map::is_empty) {
                map.remove(key);
            }
        }
    }
}

/// A host map with its keys in the contract's order (the key table's).
fn in_key_order(value: Value) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    let rank = |k: &str| {
        crate::keys::KEYS
            .iter()
            .position(|d| d.key == k)
            .unwrap_or(usize::MAX)
    };
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by_key(|(k, _)| rank(k));
    Value::Object(entries.into_iter().collect())
}
