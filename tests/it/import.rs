//! `nixgen import` on configurations in every shape people have (`tests/fixtures/import/`,
//! written in the shapes of the library's templates, its usage guide and kdevops' rendered
//! configurations), and as a property over generated hosts: the description it writes is
//! what the corpus expects, `generate --check` passes right after, the system evaluates the
//! same before and after a `generate`, what the YAML cannot hold is listed with file:line,
//! and what it cannot see through is refused with file:line:col.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::support::nix::{fixture_overrides, run_eval};
use crate::support::{self, assert_parses, repo_root, run};

fn corpus() -> PathBuf {
    repo_root().join("tests/fixtures/import")
}

/// A copy of corpus case `case` in a temporary directory, with `/SRC` pointing at source
/// trees made there; returns (tempdir, case dir, source root).
fn prepared(case: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let dir = tmp.path().join("case");
    copy_tree(&corpus().join(case), &dir, &src);
    (tmp, dir, src)
}

fn copy_tree(from: &Path, to: &Path, src: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target, src);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Every `/SRC/<name>` the case names becomes a directory with a file in it.
        for (i, _) in text.match_indices("/SRC/") {
            let name: String = text[i + 5..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            std::fs::create_dir_all(src.join(&name)).unwrap();
            std::fs::write(src.join(&name).join("MARKER"), &name).unwrap();
        }
        std::fs::write(&target, text.replace("/SRC", &src.display().to_string())).unwrap();
    }
}

fn nixgen(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let home = dir.join(".home");
    std::fs::create_dir_all(&home).unwrap();
    run(support::nixgen(dir, &home).args(args))
}

/// A host description as JSON, through nixgen's own YAML reader and model (so that
/// formatting does not count).
fn host_json(path: &Path) -> Map<String, Value> {
    let doc = nixgen::model::load::read(path).unwrap();
    let hosts = nixgen::model::load::hosts(&doc)
        .unwrap_or_else(|e| panic!("{} loads: {e:?}", path.display()));
    match serde_json::to_value(&hosts[0].host.host).unwrap() {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// The keys the corpus leaves to taste: `modules: [./default.nix]` (the file import reads)
/// and `image` at its defaults are equivalent to leaving them out.
fn normalized(mut host: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(modules)) = host.get_mut("modules") {
        modules.retain(|m| m != "./default.nix");
        if modules.is_empty() {
            host.remove("modules");
        }
    }
    if host.get("image") == Some(&serde_json::json!({ "diskSize": 20480, "format": "qcow2" })) {
        host.remove("image");
    }
    host
}

/// Every Nix file under `dir`, with its text.
fn nix_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(nix_files(&path));
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    out.sort();
    out
}

/// The configuration's toplevel drvPath, with the stand-ins and every `<x>-src` git input of
/// the case pointed at its local tree (the corpus' git inputs are remote).
fn drv_path(dir: &Path, config: &str, src: &Path) -> String {
    let mut overrides = fixture_overrides();
    let flake = std::fs::read_to_string(dir.join("flake.nix")).unwrap();
    if flake.contains("xfstests-src = {") && flake.contains("type = \"git\"") {
        std::fs::create_dir_all(src.join("xfstests")).unwrap();
        std::fs::write(src.join("xfstests/MARKER"), "xfstests").unwrap();
        overrides.push((
            "xfstests-src".into(),
            format!("path:{}", src.join("xfstests").display()),
        ));
    }
    let attr = format!("nixosConfigurations.{config}.config.system.build.toplevel.drvPath");
    match run_eval(dir, &attr, None, &overrides) {
        Ok(Value::String(s)) => s,
        other => panic!("{}: {other:?}", dir.display()),
    }
}

const CASES: &[(&str, &str)] = &[
    ("01-template-imageless", "vm"),
    ("02-template-libvirt", "vm"),
    ("03-template-edited", "vm"),
    ("04-kdevops-imageless", "kdevops-xfs-crc"),
    ("05-kdevops-libvirt-storage", "kdevops-nvme"),
    ("06-single-file-guide", "devel"),
    ("07-inputs-let-alias", "builder"),
    ("08-fetcher-overlays", "pinned"),
    ("09-settings", "tuned"),
    ("10-aarch64-extra-module", "arm64"),
];

#[test]
fn every_case_imports_as_expected_and_generate_then_changes_nothing() {
    support::nix::require_nix();
    for (case, config) in CASES {
        let (_tmp, dir, src) = prepared(case);
        let before = nix_files(&dir);
        let drv_before = drv_path(&dir, config, &src);

        let (code, _, err) = nixgen(&dir, &["import"]);
        assert_eq!(code, 0, "{case}: import fails:\n{err}");
        let written = std::fs::read_to_string(dir.join("host.yaml")).unwrap();
        assert!(
            written.starts_with("# yaml-language-server: $schema="),
            "{case}: commented like init's: {written}"
        );
        assert!(written.contains("\n# backend: "), "{case}: {written}");
        assert_eq!(nix_files(&dir), before, "{case}: import writes no Nix file");

        // What the corpus expects (local paths point at this copy's trees).
        let expected_path = dir.join("expected.yaml");
        let got = normalized(host_json(&dir.join("host.yaml")));
        let want = normalized(host_json(&expected_path));
        assert_eq!(
            Value::Object(got),
            Value::Object(want),
            "{case}: the imported description differs from expected.yaml:\n{written}"
        );

        // The promise: the flake already is what the description says.
        let (code, _, err) = nixgen(&dir, &["generate", "--check"]);
        assert_eq!(code, 0, "{case}: generate --check after import:\n{err}");
        let (code, _, err) = nixgen(&dir, &["generate", "--no-git"]);
        assert_eq!(code, 0, "{case}: {err}");
        assert_eq!(nix_files(&dir), before, "{case}: generate changed a file");
        for (path, text) in nix_files(&dir) {
            assert_parses(&path.display().to_string(), &text);
        }
        assert_eq!(drv_path(&dir, config, &src), drv_before, "{case}");
    }
}

#[test]
fn what_the_yaml_cannot_hold_is_listed_with_its_place() {
    let (_tmp, dir, _) = prepared("04-kdevops-imageless");
    let (code, _, err) = nixgen(&dir, &["import", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    for line in [44, 48] {
        assert!(
            err.contains(&format!("default.nix:{line}:9")),
            "the `version` of each overlay entry is listed (line {line}): {err}"
        );
    }
    assert!(err.contains("note: kept as hand-written code"), "{err}");
    assert!(!dir.join("host.yaml").exists(), "--dry-run writes nothing");

    let (_tmp, dir, _) = prepared("09-settings");
    let (code, out, err) = nixgen(&dir, &["import", "-o", "-"]);
    assert_eq!(code, 0, "{err}");
    for (line, what) in [
        (46, "boot.growPartition"),
        (51, "XDG_CONFIG_DIRS"),
        (59, "ExecStart"),
    ] {
        assert!(
            err.contains(&format!("flake.nix:{line}:")) && err.contains(what),
            "{what} is kept at line {line}: {err}"
        );
    }
    assert!(err.contains("mkForce"), "why: the priority: {err}");
    assert!(out.contains("time.timeZone: Europe/Berlin"), "{out}");
    assert!(
        !out.contains("growPartition"),
        "a mkForce value is not a setting: {out}"
    );
}

#[test]
fn configurations_built_by_code_are_refused_with_a_place() {
    // `mapAttrs mkHost hosts` is read (the editors edit a host's lists), but a configuration
    // built by a function is not one host.yaml can describe: refused at the host.
    for (case, args, place) in [
        (
            "11-refuse-mapattrs",
            &["import", "--config", "xfs"][..],
            "flake.nix:18:9",
        ),
        (
            "12-refuse-computed-imports",
            &["import"][..],
            "default.nix:21:6",
        ),
    ] {
        let (_tmp, dir, _) = prepared(case);
        let (code, out, err) = nixgen(&dir, args);
        assert_eq!(code, 1, "{case}: {out}{err}");
        assert!(err.contains(place), "{case}: refused at {place}: {err}");
        assert!(err.contains("cannot import"), "{case}: {err}");
        assert!(!dir.join("host.yaml").exists(), "{case}: nothing written");
    }
}

#[test]
fn an_import_generate_would_not_keep_is_refused_with_the_diff() {
    // The image's size is computed: host.yaml cannot say it, and generate would write a
    // literal. import refuses rather than promise what it cannot keep.
    let (_tmp, dir, _) = prepared("02-template-libvirt");
    let flake = std::fs::read_to_string(dir.join("flake.nix")).unwrap();
    std::fs::write(
        dir.join("flake.nix"),
        flake.replace("diskSize = 20480;", "diskSize = 1024 * 20;"),
    )
    .unwrap();
    let (code, _, err) = nixgen(&dir, &["import"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("+++ b/"),
        "the diff shows what generate would change: {err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!dir.join("host.yaml").exists());
}

#[test]
fn after_import_an_edit_of_the_yaml_lands_where_the_value_lives() {
    support::nix::require_nix();
    let (_tmp, dir, src) = prepared("04-kdevops-imageless");
    let (code, _, err) = nixgen(&dir, &["import"]);
    assert_eq!(code, 0, "{err}");
    let flake_before = std::fs::read_to_string(dir.join("flake.nix")).unwrap();
    let drv_before = drv_path(&dir, "kdevops-xfs-crc", &src);
    let yaml = std::fs::read_to_string(dir.join("host.yaml")).unwrap();
    let yaml = yaml
        .replace("hostName: kdevops-xfs-crc", "hostName: kdevops-xfs-reflink")
        .replace("testSuites: [fstests]", "testSuites: [fstests, blktests]");
    std::fs::write(dir.join("host.yaml"), yaml).unwrap();
    let (code, _, err) = nixgen(&dir, &["generate", "--no-git"]);
    assert_eq!(code, 0, "{err}");
    let default = std::fs::read_to_string(dir.join("default.nix")).unwrap();
    assert!(
        default.contains("networking.hostName = \"kdevops-xfs-reflink\";"),
        "{default}"
    );
    assert!(
        default.contains("testSuites.blktests"),
        "the suite joins default.nix's imports: {default}"
    );
    assert!(
        default.contains("lib.mkAfter"),
        "the overlays keep their mkAfter: {default}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("flake.nix")).unwrap(),
        flake_before,
        "flake.nix holds none of it"
    );
    assert_parses("default.nix", &default);
    let drv_after = drv_path(&dir, "kdevops-xfs-crc", &src);
    assert_ne!(drv_after, drv_before);
    assert!(drv_after.contains("kdevops-xfs-reflink"), "{drv_after}");
    let (code, _, err) = nixgen(&dir, &["generate", "--check"]);
    assert_eq!(code, 0, "a second run is a no-op: {err}");
}

#[test]
fn a_fleet_imports_with_shared_defaults_and_scaffold_changes_no_flake() {
    let (_tmp, dir, _) = prepared("fleet");
    let before = nix_files(&dir);
    let (code, _, err) = nixgen(&dir, &["import", "--fleet", "configurations"]);
    assert_eq!(code, 0, "{err}");
    let fleet = dir.join("fleet.yaml");
    let text = std::fs::read_to_string(&fleet).unwrap();
    let doc = nixgen::yaml::parse(&text).unwrap();
    let defaults = doc.get("defaults").expect("defaults");
    for key in [
        "backend",
        "profiles",
        "testSuites",
        "user",
        "sshKeys",
        "overlays",
        "shares",
    ] {
        assert!(defaults.get(key).is_some(), "`{key}` is shared: {text}");
    }
    // What every host shares is not repeated; what differs stays with the host.
    let configs = doc.get("configurations").unwrap();
    let btrfs = configs.get("kdevops-btrfs").unwrap();
    assert!(btrfs.get("backend").is_none(), "{text}");
    assert!(btrfs.get("hostName").is_some(), "{text}");
    assert!(
        btrfs
            .get("shares")
            .and_then(|s| s.get("/mnt/results"))
            .is_some(),
        "{text}"
    );
    assert!(
        btrfs
            .get("shares")
            .and_then(|s| s.get("/data/kdevops"))
            .is_none(),
        "{text}"
    );
    // Each merged configuration is that configuration's own import.
    let expanded = nixgen::model::load::hosts(&nixgen::model::load::read(&fleet).unwrap()).unwrap();
    assert_eq!(expanded.len(), 3);
    for host in &expanded {
        let name = &host.host.host.name;
        let single = dir.join(format!("{name}.yaml"));
        let (code, _, err) = nixgen(
            &dir,
            &[
                "import",
                &format!("configurations/{name}"),
                "-o",
                single.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            serde_json::to_value(&host.host.host).unwrap(),
            Value::Object(host_json(&single)),
            "{name}"
        );
    }
    let (code, out, err) = nixgen(
        &dir,
        &[
            "scaffold",
            "fleet.yaml",
            "--root",
            "configurations",
            "--dry-run",
            "--no-git",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for line in err.lines().chain(out.lines()) {
        assert!(
            !(line.contains(".nix") && line.contains("would have updated")),
            "scaffold changes no Nix file: {line}\n{err}"
        );
    }
    assert_eq!(nix_files(&dir), before);
}

/// For generated hosts: `import(generate(host))` plans exactly what `host` plans, and
/// `generate` over the flake it came from changes nothing.
#[test]
fn importing_a_generated_flake_gives_back_an_equivalent_host() {
    use nixgen::generate::{emit, plan_for, Examples};
    let hosts = crate::properties::sample_hosts(64);
    assert!(!hosts.is_empty());
    for host in hosts {
        let yaml = serde_json::to_string_pretty(&host).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("host.yaml");
        let doc = nixgen::model::load::parse(&path, yaml.clone().into_bytes()).unwrap();
        let loaded = nixgen::model::load::hosts(&doc).unwrap();
        let plan = plan_for(&loaded[0].host);
        let flake = tmp.path().join("flake.nix");
        std::fs::write(&flake, emit(&plan, &Examples::default()).unwrap()).unwrap();

        let imported = nixgen::import::import(&flake, None)
            .unwrap_or_else(|e| panic!("import of a generated flake fails: {e:?}\n{yaml}"));
        let again = nixgen::import::host_yaml(&imported);
        let doc = nixgen::model::load::parse(&path, again.clone().into_bytes()).unwrap();
        let back = nixgen::model::load::hosts(&doc)
            .unwrap_or_else(|e| panic!("the imported description validates: {e:?}\n{again}"));
        assert_eq!(plan_for(&back[0].host), plan, "{yaml}\n---\n{again}");
        let changes = nixgen::import::prove(&flake, &again).unwrap();
        assert!(changes.is_empty(), "{yaml}\n{changes:?}");
    }
}

/// The library's two-file shape as kdevops renders it: `overlay add|list|remove` work on the
/// overlays kept in default.nix (under `lib.mkAfter`), and add then remove gives back both
/// files byte for byte.
#[test]
fn overlay_commands_see_and_edit_the_overlays_in_default_nix() {
    let (_tmp, dir, src) = prepared("04-kdevops-imageless");
    let flake = std::fs::read_to_string(dir.join("flake.nix")).unwrap();
    let default = std::fs::read_to_string(dir.join("default.nix")).unwrap();
    let (code, out, err) = nixgen(&dir, &["overlay", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("fio") && out.contains("default.nix:42"),
        "{out}"
    );
    assert!(out.contains("xfstests"), "{out}");

    std::fs::create_dir_all(src.join("kmod")).unwrap();
    let kmod = src.join("kmod").display().to_string();
    let (code, _, err) = nixgen(&dir, &["overlay", "add", "kmod", "--src", &kmod]);
    assert_eq!(code, 0, "{err}");
    let default_after = std::fs::read_to_string(dir.join("default.nix")).unwrap();
    assert!(
        default_after.contains("kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };"),
        "the entry joins default.nix's overlay, reaching the input as default.nix does: {default_after}"
    );
    assert!(default_after.contains("lib.mkAfter"), "{default_after}");
    let flake_after = std::fs::read_to_string(dir.join("flake.nix")).unwrap();
    assert!(
        flake_after.contains("kmod-src = {"),
        "the input goes to flake.nix: {flake_after}"
    );
    assert_parses("default.nix", &default_after);
    assert_parses("flake.nix", &flake_after);

    let (code, _, err) = nixgen(&dir, &["overlay", "remove", "kmod"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("default.nix")).unwrap(),
        default
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("flake.nix")).unwrap(),
        flake
    );
}

/// A flake nixgen generated with `settings`, then given an option by hand in the same inline
/// module: the option is not among those the marker comment lists, so `import` keeps it
/// hand-written (with a note) instead of claiming it, and the promise holds.
#[test]
fn an_option_added_by_hand_beside_settings_stays_hand_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    support::write(
        d,
        "host.yaml",
        "name: h\nbackend: imageless\nnixosFlake: path:/srv/nixos-flake\nhostName: h\nsettings:\n  time.timeZone: UTC\n",
    );
    let (code, _, err) = support::edits::run_in(d, &["generate", "host.yaml", "--no-git"]);
    assert_eq!(code, 0, "{err}");
    let generated = std::fs::read_to_string(d.join("flake.nix")).unwrap();
    let edited = generated.replacen(
        "time.timeZone = \"UTC\";",
        "time.timeZone = \"UTC\";\n            services.openssh.enable = true; # by hand",
        1,
    );
    assert_ne!(edited, generated, "the option went in");
    support::write(d, "flake.nix", &edited);
    std::fs::remove_file(d.join("host.yaml")).unwrap();
    let (code, _, err) = support::edits::run_in(d, &["import"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("written by hand"), "{err}");
    let host = std::fs::read_to_string(d.join("host.yaml")).unwrap();
    assert!(!host.contains("openssh"), "{host}");
    let (code, _, err) =
        support::edits::run_in(d, &["generate", "host.yaml", "--no-git", "--check"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("flake.nix")).unwrap(),
        edited
    );
    assert_parses("import", &edited);
}
