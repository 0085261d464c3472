//! `nixgen explain [KEY] [--file HOST.yaml]`: what a host description key becomes in Nix.
//!
//! Every key of the contract has an entry: the Nix it turns into, a short YAML example and the
//! Nix that example generates (a unit test runs each example through the real generator, so
//! the table cannot drift from what `nixgen generate` writes). For `storage` and `shares` the
//! explanation goes on to what nixos-flake and NixOS make of the entries at boot: the systemd
//! mount units, device units and format services, named the way systemd escapes paths
//! ([`crate::systemd`]). With `--file`, those units are listed for the user's own mount points.

use std::fmt::Write as _;
use std::path::Path;

use crate::cli::args::ExplainArgs;
use crate::cli::{Report, Status};
use crate::diag::{did_you_mean, Diagnostic, Result};
use crate::keys::{KeyDoc, KEYS};
use crate::model::{load, Host};
use crate::systemd;

/// Finds the entry for what the user typed: exact (any case), with the user's own map key in
/// the middle (`storage./mnt/nvme0.mkfsArgs`, `overlays.fio.src`), or a unique last segment
/// (`mkfsArgs`).
fn lookup(raw: &str) -> Option<&'static KeyDoc> {
    let find = |k: &str| KEYS.iter().find(|d| d.key.eq_ignore_ascii_case(k));
    if let Some(d) = find(raw) {
        return Some(d);
    }
    for section in ["shares", "storage", "overlays"] {
        if let Some(rest) = raw.strip_prefix(section).and_then(|r| r.strip_prefix('.')) {
            // The last segment after the user's own key (which may contain dots or slashes).
            if let Some((_, field)) = rest.rsplit_once('.') {
                if let Some(d) = find(&format!("{section}.{field}")) {
                    return Some(d);
                }
            }
            return find(section);
        }
    }
    let mut by_field = KEYS.iter().filter(|d| {
        d.key
            .rsplit_once('.')
            .is_some_and(|(_, f)| f.eq_ignore_ascii_case(raw))
    });
    match (by_field.next(), by_field.next()) {
        (Some(d), None) => Some(d),
        _ => None,
    }
}

/// The contract's storage and shares example, for the units of `nixgen explain storage`.
const EXAMPLE_HOST: &str = "name: example\nbackend: imageless\n\
shares:\n  /etc/xdg-host: { tag: xdg }\n  /mnt/home: { tag: home, options: [ro] }\n\
storage:\n  /mnt/nvme0: { device: /dev/nvme0n1, fsType: xfs, mkfsArgs: [-b, size=16k, -s, size=16k] }\n  \
/mnt/nvme1: { device: /dev/nvme1n1, fsType: xfs, autoFormat: true }\n  \
/mnt/data: { device: /dev/vdb, fsType: ext4, options: [noatime] }\n";

/// Which unit listings to show.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Units {
    Storage,
    Shares,
    Both,
}

pub fn run(args: ExplainArgs, report: &mut Report) -> Result<Status> {
    let doc = match &args.key {
        None => None,
        Some(raw) => Some(lookup(raw.trim()).ok_or_else(|| unknown_key(raw))?),
    };
    let units = match doc.map(|d| d.key.split('.').next().unwrap_or(d.key)) {
        None => Units::Both,
        Some("storage") => Units::Storage,
        Some("shares") => Units::Shares,
        Some(other) => {
            if let Some(file) = &args.file {
                return Err(Diagnostic::in_file(
                    file,
                    format!("--file lists the systemd units of `storage` and `shares`, not of `{other}`"),
                )
                .with_help(format!(
                    "run `nixgen explain {other}` without --file, or `nixgen explain storage --file {}`",
                    file.display()
                ))
                .into());
            }
            Units::Both
        }
    };
    let mut out = String::new();
    match (doc, &args.file) {
        (_, Some(file)) => {
            let doc = load::read(file)?;
            let hosts = load::hosts(&doc)?;
            let several = hosts.len() > 1;
            for h in &hosts {
                if several {
                    let _ = writeln!(out, "configuration {}:", h.host.host.name);
                }
                write_units(&mut out, &h.host.host, units, file);
            }
        }
        (None, None) => write_table(&mut out),
        (Some(d), None) => {
            write_key(&mut out, d);
            if matches!(units, Units::Storage | Units::Shares) && !d.key.contains('.') {
                let example = load::parse(Path::new("example.yaml"), EXAMPLE_HOST.into())
                    .and_then(|doc| load::hosts(&doc))?;
                out.push('\n');
                write_units(
                    &mut out,
                    &example[0].host.host,
                    units,
                    Path::new("the example"),
                );
                let _ = writeln!(
                    out,
                    "\nFor your own mount points: nixgen explain {} --file host.yaml",
                    d.key
                );
            }
        }
    }
    report.out(&out);
    Ok(Status::Success)
}

fn unknown_key(raw: &str) -> Diagnostic {
    let names: Vec<&str> = KEYS.iter().map(|d| d.key).collect();
    let hint = match did_you_mean(raw, &names) {
        Some(near) => format!("did you mean `{near}`? `nixgen explain` lists every key"),
        None => "`nixgen explain` lists every key".to_owned(),
    };
    Diagnostic::error(format!("`{raw}` is not a host description key")).with_help(hint)
}

fn write_table(out: &mut String) {
    let indent_of = |key: &str| if key.contains('.') { 2 } else { 0 };
    let width = KEYS
        .iter()
        .map(|d| indent_of(d.key) + d.key.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "What each host description key becomes in Nix:\n");
    for d in KEYS {
        let indent = if d.key.contains('.') { "  " } else { "" };
        let pad = width + 2 - indent.len();
        let _ = writeln!(out, "{indent}{:<pad$}{}", d.key, d.summary);
    }
    let _ = writeln!(
        out,
        "\n`nixgen explain KEY` shows an example; `nixgen explain storage` and \
         `nixgen explain shares` also show the systemd units that result."
    );
}

fn write_key(out: &mut String, d: &KeyDoc) {
    let _ = writeln!(out, "{}: {}", d.key, d.summary);
    if !d.details.is_empty() {
        out.push('\n');
        for line in wrap(d.details, 92) {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !d.yaml.is_empty() {
        let _ = writeln!(out, "\nYAML:");
        for line in d.yaml.lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "\nbecomes, in flake.nix:");
        for line in indent_nix(d.nix) {
            let _ = writeln!(out, "  {line}");
        }
    }
    let children: Vec<&str> = KEYS
        .iter()
        .filter(|c| {
            c.key
                .strip_prefix(d.key)
                .is_some_and(|r| r.starts_with('.'))
        })
        .map(|c| c.key)
        .collect();
    if !children.is_empty() {
        let _ = writeln!(out, "\nSub-keys: {}", children.join(", "));
    }
}

/// Re-indents an example's lines by bracket depth (the table stores them flush left).
fn indent_nix(nix: &str) -> Vec<String> {
    let mut depth: usize = 0;
    let mut lines = Vec::new();
    for line in nix.lines() {
        let line = line.trim();
        let closes = line.starts_with('}') || line.starts_with(']') || line.starts_with(')');
        if closes {
            depth = depth.saturating_sub(1);
        }
        lines.push(format!("{}{line}", "  ".repeat(depth)));
        let opens = line.ends_with('{') || line.ends_with('[') || line.ends_with("({");
        if opens {
            depth += 1;
        }
    }
    lines
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("never empty");
        if !last.is_empty() && last.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// Lists the systemd units and mounts `host`'s storage and shares become.
/// The monitor template units the monitoring profile defines for `host` (none without the
/// profile or with `enable: false`), as `monitor-<name>@<run-id>.service`.
pub fn monitor_units(host: &Host) -> Vec<&'static str> {
    use crate::model::Profile;
    if !host.profiles.contains(&Profile::Monitoring) {
        return Vec::new();
    }
    let m = host.monitoring.clone().unwrap_or_default();
    let on = m.enable.unwrap_or(true);
    let mut units = Vec::new();
    if m.sysstat.as_ref().and_then(|x| x.enable).unwrap_or(on) {
        units.push("monitor-sysstat@");
    }
    if m.cpu_governor.as_ref().and_then(|x| x.enable).unwrap_or(on) {
        units.push("monitor-cpu-governor@");
    }
    if m.blkalgn.as_ref().and_then(|x| x.enable).unwrap_or(false) {
        units.push("monitor-blkalgn@");
    }
    if m.biolatency
        .as_ref()
        .and_then(|x| x.enable)
        .unwrap_or(false)
    {
        units.push("monitor-biolatency@");
    }
    units
}

fn write_units(out: &mut String, host: &Host, which: Units, source: &Path) {
    let monitors = monitor_units(host);
    if !monitors.is_empty() {
        let _ = writeln!(
            out,
            "monitoring: template units an orchestrator starts around a workload, as <unit><run-id>.service"
        );
        for unit in &monitors {
            let _ = writeln!(out, "  {unit}<run-id>.service");
        }
    }
    let source = source.display();
    if which != Units::Shares {
        if host.storage.is_empty() {
            let _ = writeln!(out, "storage: none in {source}");
        } else {
            let _ = writeln!(out, "storage: systemd units and mounts at boot ({source})");
        }
        for (mp, s) in &host.storage {
            let mount = systemd::mount_unit(mp);
            let device = systemd::device_unit(&s.device);
            let _ = writeln!(out, "  {mp}  ({} as {})", s.device, s.fs_type);
            if let Some(args) = s.mkfs_args.as_ref().filter(|a| !a.is_empty()) {
                let mut cmd = vec!["mkfs".to_owned(), "--type".to_owned(), s.fs_type.clone()];
                cmd.extend(args.iter().cloned());
                cmd.push(s.device.clone());
                let _ = writeln!(
                    out,
                    "    {:<28} oneshot after {device}, before {mount}: `{}` unless blkid finds a file system",
                    systemd::format_service(&s.device),
                    cmd.join(" ")
                );
            } else if s.auto_format == Some(true) {
                let _ = writeln!(
                    out,
                    "    {:<28} NixOS's first-mount format: mkfs.{} with default options when {} is empty",
                    systemd::mkfs_service(&s.device),
                    s.fs_type,
                    s.device
                );
            }
            let options = s
                .options
                .as_ref()
                .filter(|o| !o.is_empty())
                .map(|o| format!(" -o {}", o.join(",")))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {:<28} mounts {} ({}{options}) at {mp}{}",
                mount,
                s.device,
                s.fs_type,
                if s.mkfs_args.is_none() && s.auto_format != Some(true) {
                    "; the device must already hold a file system"
                } else {
                    ""
                }
            );
        }
    }
    if which == Units::Both {
        out.push('\n');
    }
    if which != Units::Storage {
        if host.shares.is_empty() {
            let _ = writeln!(out, "shares: none in {source}");
        } else {
            let _ = writeln!(out, "shares: virtiofs mounts at boot ({source})");
        }
        for (mp, s) in &host.shares {
            let options = s
                .options
                .as_ref()
                .filter(|o| !o.is_empty())
                .map(|o| format!(", -o {}", o.join(",")))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {mp}\n    {:<28} mounts virtiofs tag `{}` at {mp} (fsType virtiofs{options})",
                systemd::mount_unit(mp),
                s.tag
            );
        }
    }
    let any = (which != Units::Shares && !host.storage.is_empty())
        || (which != Units::Storage && !host.shares.is_empty());
    if any {
        let _ = writeln!(
            out,
            "\nOn the guest: `systemctl status <unit>` (quote names with `\\`, such as \
             'etc-xdg\\x2dhost.mount'), or `systemctl status /mnt/point`; \
             `systemd-escape --path /mnt/point` names a unit."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{emit, plan_for, Examples};

    /// Runs every example through the real generator: the Nix the table shows must be what
    /// `nixgen generate` writes, in order.
    #[test]
    fn every_example_is_what_generate_writes() {
        for d in KEYS.iter().filter(|d| !d.yaml.is_empty()) {
            let mut yaml = String::new();
            if !d.yaml.lines().any(|l| l.starts_with("name:")) {
                yaml.push_str("name: vm\n");
            }
            if !d.yaml.lines().any(|l| l.starts_with("backend:")) {
                yaml.push_str("backend: imageless\n");
            }
            yaml.push_str(d.yaml);
            yaml.push('\n');
            let doc = load::parse(Path::new("/nonexistent/host.yaml"), yaml.into_bytes())
                .unwrap_or_else(|e| panic!("{}: {e}", d.key));
            let hosts = load::hosts(&doc).unwrap_or_else(|e| panic!("{}: {e}", d.key));
            let flake = emit(&plan_for(&hosts[0].host), &Examples::default())
                .unwrap_or_else(|e| panic!("{}: {e}", d.key));
            let generated: Vec<&str> = flake.lines().map(str::trim).collect();
            let mut at = 0;
            for want in d.nix.lines().map(str::trim) {
                // Whole lines, or part of one where nixfmt joins a short set onto one line.
                match generated[at..].iter().position(|l| l.contains(want)) {
                    Some(i) => at += i + 1,
                    None => panic!(
                        "{}: `{want}` is not in the generated flake (after line {at}):\n{flake}",
                        d.key
                    ),
                }
            }
        }
    }

    #[test]
    fn every_contract_key_has_an_entry() {
        let schema = crate::model::json_schema();
        let host = &schema["$defs"]["Host"]["properties"];
        for key in host.as_object().expect("properties").keys() {
            assert!(lookup(key).is_some(), "no entry for `{key}`");
        }
        for (parent, def) in [
            ("user", "User"),
            ("shares", "Share"),
            ("storage", "Storage"),
            ("overlays", "Overlay"),
        ] {
            let props = schema["$defs"][def]["properties"]
                .as_object()
                .expect("properties");
            for key in props.keys() {
                let dotted = format!("{parent}.{key}");
                assert!(
                    KEYS.iter().any(|d| d.key == dotted),
                    "no entry for `{dotted}`"
                );
            }
        }
    }

    #[test]
    fn lookup_accepts_user_keys_and_bare_fields() {
        assert_eq!(lookup("storage").map(|d| d.key), Some("storage"));
        assert_eq!(lookup("STORAGE").map(|d| d.key), Some("storage"));
        assert_eq!(
            lookup("storage./mnt/nvme0.mkfsArgs").map(|d| d.key),
            Some("storage.mkfsArgs")
        );
        assert_eq!(
            lookup("overlays.fio.src").map(|d| d.key),
            Some("overlays.src")
        );
        assert_eq!(lookup("mkfsArgs").map(|d| d.key), Some("storage.mkfsArgs"));
        // `options` exists under shares and storage: ambiguous.
        assert!(lookup("options").is_none());
        assert!(lookup("storge").is_none());
        let d = unknown_key("storge");
        assert_eq!(
            d.help.as_deref(),
            Some("did you mean `storage`? `nixgen explain` lists every key")
        );
    }
}
