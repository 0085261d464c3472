//! `nixgen generate` and `nixgen scaffold`.

use std::path::{Path, PathBuf};

use crate::cli::args::{GenerateArgs, ScaffoldArgs};
use crate::cli::output::{read_existing, Reporter};
use crate::cli::{Report, Status};
use crate::diag::{Diagnostic, Result};
use crate::fsio::dir_of;
use crate::generate::{flake_text, plan_for, Examples, FlakePlan, FlakeText};
use crate::model::load::{self, LoadedHost};
use crate::model::OverlaySource;
use crate::yaml;

/// Says what generation kept or removed of the owned items the description no longer has.
/// A dry run or a check writes nothing, so nothing "was removed".
pub fn report_stale(report: &mut Report, path: &Path, done: &FlakeText, writes: bool) {
    for item in &done.stale {
        let line = match (done.pruned, writes) {
            (true, true) => format!("{}: removed {item} (--prune)", path.display()),
            (true, false) => format!("{}: would remove {item} (--prune)", path.display()),
            (false, _) => format!(
                "{}: {item} is not in the host description; kept (remove it with --prune)",
                path.display()
            ),
        };
        report.say(&line);
    }
}

fn flake_path_beside(yaml: &Path) -> PathBuf {
    match yaml.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.join("flake.nix"),
        _ => PathBuf::from("flake.nix"),
    }
}

pub fn generate(args: GenerateArgs, report: &mut Report) -> Result<Status> {
    let doc = load::read(&args.host)?;
    if doc.is_fleet() {
        return Err(Diagnostic::in_file(
            &args.host,
            "this is a fleet file (it has `configurations`)",
        )
        .with_help(format!(
            "use `nixgen scaffold {}` to write one directory per configuration",
            args.host.display()
        ))
        .into());
    }
    let hosts = load::hosts(&doc)?;
    let host = hosts.into_iter().next().expect("a host file has one host");
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| flake_path_beside(&args.host));
    report.diagnostics(&host.warnings);
    let plan = plan_for(&host.host);
    if out == Path::new("-") {
        // `-o -`: the fresh flake on standard output, nothing written.
        let done = flake_text(&out, &plan, None, true, false, &Examples::default())?;
        report.out(&done.text);
        return Ok(Status::Success);
    }
    report.diagnostics(&load::missing_modules(&doc, &host, &dir_of(&out)));
    // Held from reading the flake to writing it: a concurrent nixgen waits its turn.
    let _lock = crate::fsio::lock_dir_of(&out)?;
    let existing = read_existing(&out)?;
    let done = flake_text(
        &out,
        &plan,
        existing.as_deref(),
        args.force,
        args.prune,
        &Examples::default(),
    )?;
    let mut reporter = Reporter::new(args.write, !args.no_git);
    for module in &host.host.host.modules {
        reporter.also_check(&dir_of(&out).join(module));
    }
    report_stale(report, &out, &done, !reporter.is_read_only());
    report.diagnostics(&done.notes);
    if args.json {
        // clap keeps --json away from --check and --diff: the JSON is the whole output.
        let json = plan_json(&out, &plan, existing.as_deref(), &done.text);
        report.out_line(&serde_json::to_string_pretty(&json).expect("plan serializes"));
        if reporter.is_read_only() {
            return Ok(Status::Success);
        }
        let mut quiet = Report::new(false);
        reporter.file(&mut quiet, &out, existing.as_deref(), &done.text)?;
        for m in &done.module_files {
            reporter.file(&mut quiet, &m.path, Some(&m.old), &m.new)?;
        }
        return Ok(reporter.finish(report));
    }
    let outcome = reporter.file(report, &out, existing.as_deref(), &done.text)?;
    for m in &done.module_files {
        reporter.file(report, &m.path, Some(&m.old), &m.new)?;
    }
    let read_only = reporter.is_read_only();
    let status = reporter.finish(report);
    if outcome == crate::cli::output::FileOutcome::Created && !read_only {
        // A new flake: how to build it with the Nix on this machine.
        let output = plan.configurations[0].output.name();
        let (build, note) = super::init::build_step(output);
        report.say(&format!("build it: {build} .#{output}"));
        if let Some(note) = note {
            report.say(&note);
        }
    }
    Ok(status)
}

/// The plan as JSON, for `generate --dry-run --json`.
fn plan_json(path: &Path, plan: &FlakePlan, old: Option<&str>, new: &str) -> serde_json::Value {
    let config = &plan.configurations[0];
    serde_json::json!({
        "file": path.display().to_string(),
        "outcome": match old {
            None => "create",
            Some(o) if o == new => "up-to-date",
            Some(_) => "update",
        },
        "configuration": config.name,
        "system": config.system,
        "inputs": plan.inputs.iter().map(|i| serde_json::json!({
            "name": i.name,
            "location": i.location_fields().iter().map(|(k, v)| format!("{k} = {};", v.print())).collect::<Vec<_>>(),
            "follows": i.follows, "flake": i.flake,
        })).collect::<Vec<_>>(),
        "modules": config.modules.iter().map(|m| m.print()).collect::<Vec<_>>(),
        "settings": config.settings.iter().map(|s| serde_json::json!({
            "path": s.path.join("."), "value": s.value.print(),
        })).collect::<Vec<_>>(),
        "overlays": config.overlays.iter().map(|o| serde_json::json!({
            "package": o.package, "input": o.input(), "value": o.value(&crate::generate::OverlayScope::default()).print(),
        })).collect::<Vec<_>>(),
        "packages": config.packages,
        "diff": old.map(|o| crate::fsio::unified_diff(path, Some(o), new)).unwrap_or_default(),
    })
}

pub fn scaffold(args: ScaffoldArgs, report: &mut Report) -> Result<Status> {
    let doc = load::read(&args.fleet)?;
    if !doc.is_fleet() {
        return Err(Diagnostic::in_file(
            &args.fleet,
            "this is a single host description, not a fleet",
        )
        .with_help(format!(
            "use `nixgen generate {}`, or put hosts under `configurations:`",
            args.fleet.display()
        ))
        .into());
    }
    let hosts = load::hosts(&doc)?;
    let fleet_name = args
        .fleet
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Every file is worked out before the first is written: a configuration that cannot be
    // generated (an edit refused, an unreadable file) stops the command with nothing written.
    let mut files: Vec<(PathBuf, Option<String>, String)> = Vec::with_capacity(2 * hosts.len());
    // A module file missing from every configuration's directory is one warning, not one
    // per configuration (the loader already says each warning about `defaults` once).
    let mut missing: Vec<(Diagnostic, usize)> = Vec::new();
    for host in &hosts {
        report.diagnostics(&host.warnings);
        let dir = args.root.join(&host.host.host.name);
        for w in load::missing_modules(&doc, host, &dir) {
            match missing
                .iter_mut()
                .find(|(m, _)| m.position == w.position && m.message == w.message)
            {
                Some((_, count)) => *count += 1,
                None => missing.push((w, 1)),
            }
        }
        let yaml_path = dir.join("host.yaml");
        let flake_path = dir.join("flake.nix");
        let yaml_text = standalone_host_yaml(host, &fleet_name);
        let old_yaml = read_existing(&yaml_path)?;
        let plan = plan_for(&host.host);
        let old_flake = read_existing(&flake_path)?;
        let done = flake_text(
            &flake_path,
            &plan,
            old_flake.as_deref(),
            args.force,
            args.prune,
            &Examples::default(),
        )?;
        report_stale(
            report,
            &flake_path,
            &done,
            !args.write.dry_run && !args.write.check,
        );
        files.push((yaml_path, old_yaml, yaml_text));
        files.push((flake_path, old_flake, done.text));
        for m in done.module_files {
            files.push((m.path, Some(m.old), m.new));
        }
    }
    for (mut warning, count) in missing {
        if count > 1 {
            warning.help = Some(format!(
                "create it in each of the {count} configuration directories under {} that \
                 import it, and `git add` it before building",
                args.root.display()
            ));
        }
        report.diagnostics(&[warning]);
    }
    let mut reporter = Reporter::new(args.write, !args.no_git);
    for (path, old, new) in &files {
        reporter.file(report, path, old.as_deref(), new)?;
    }
    Ok(reporter.finish(report))
}

/// The host description a scaffolded directory gets: the merged configuration, with local
/// paths already resolved (they were relative to the fleet file, not to the new directory).
fn standalone_host_yaml(host: &LoadedHost, fleet_name: &str) -> String {
    let valid = &host.host;
    let mut h = valid.host.clone();
    h.nixos_flake = valid.nixos_flake_url.clone();
    for resolved in &valid.overlays {
        if let (Some(o), OverlaySource::Input { source, .. }) =
            (h.overlays.get_mut(&resolved.package), &resolved.source)
        {
            o.src = Some(source.display().to_owned());
        }
    }
    let value = serde_json::to_value(&h).expect("hosts serialize");
    format!(
        "# Written by `nixgen scaffold` from {fleet_name}: edit the fleet file and scaffold again.\n{}",
        yaml::emit::to_yaml(&value)
    )
}
