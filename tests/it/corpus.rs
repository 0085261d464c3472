//! `overlay add|list|remove` on every flake of the hand-written corpus (tests/corpus/), through
//! the real binary, with three sources each (`--src`, `--github`, `--git`).
//!
//! For each file that is not refused (manifest.json) and each source, asserted:
//! - the result parses: rnix, nixgen's strict parser and `nix-instantiate --parse`;
//! - every original comment token is still there (multisets of `TOKEN_COMMENT` texts);
//! - only the needed lines changed: added lines lie in the inputs block, the outputs
//!   function's pattern or the overlays binding, and no line was removed other than one
//!   rewritten in place (its code tokens are still there, in order, in the same hunk);
//! - a second identical add changes no byte and says "up to date";
//! - `overlay list --json` finds the package with its source (and input);
//! - `overlay remove` gives back the original bytes (one documented exception:
//!   20-tabs-let.nix, see tests/corpus/README.md, whose exact result is asserted instead).
//!
//! Every file under refuse/ is refused with exit 1, `file:line:col`, a hint, and no change.
//! The `--src` add diffs are kept as insta snapshots (tests/it/snapshots/it__corpus__*.snap).

use std::path::{Path, PathBuf};

use crate::support::edits::*;
use crate::support::{assert_parses, parse_all, read, write};
use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

/// One manifest entry.
struct Entry {
    file: String,
    configs: Vec<String>,
    default_config: Option<String>,
    packages: Vec<String>,
    inputs: Vec<String>,
    comments: usize,
    refuse: Option<String>,
}

fn manifest() -> Vec<Entry> {
    let text = read(&corpus_dir().join("manifest.json"));
    let value: serde_json::Value = serde_json::from_str(&text).expect("manifest.json is JSON");
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .expect("an array")
            .iter()
            .map(|s| s.as_str().expect("a string").to_owned())
            .collect()
    };
    value
        .as_array()
        .expect("the manifest is a list")
        .iter()
        .map(|e| Entry {
            file: e["file"].as_str().expect("file").to_owned(),
            configs: strings(&e["configs"]),
            default_config: e["default_config"].as_str().map(str::to_owned),
            packages: e["overlays"]
                .as_array()
                .expect("overlays")
                .iter()
                .map(|o| o["package"].as_str().expect("package").to_owned())
                .collect(),
            inputs: strings(&e["inputs"]),
            comments: e["comments"].as_u64().expect("comments") as usize,
            refuse: e["refuse"].as_str().map(str::to_owned),
        })
        .collect()
}

impl Entry {
    /// A package the file has no overlay (nor `<pkg>-src` input) for.
    fn new_package(&self) -> String {
        ["fio", "kmod", "xfstests", "damo", "xnvme", "blktests"]
            .iter()
            .find(|p| {
                !self.packages.iter().any(|q| q == *p)
                    && !self.inputs.iter().any(|i| *i == format!("{p}-src"))
            })
            .expect("a free package name")
            .to_string()
    }

    /// `--config NAME` when the file does not have exactly one configuration.
    fn config_args(&self) -> Vec<String> {
        match &self.default_config {
            Some(_) => Vec::new(),
            None => vec!["--config".into(), self.configs[0].clone()],
        }
    }

    fn stem(&self) -> String {
        self.file.trim_end_matches(".nix").replace('/', "-")
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    Src,
    Github,
    Git,
}

impl Source {
    fn args(self, pkg: &str) -> Vec<String> {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
        match self {
            // A fixed path (it need not exist: nixgen warns) keeps snapshots deterministic.
            Source::Src => v(&["--src", &format!("/srv/checkouts/{pkg}")]),
            Source::Github => v(&[
                "--github",
                &format!("example/{pkg}"),
                "--rev",
                "0123456789abcdef0123456789abcdef01234567",
                "--hash",
                "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ]),
            Source::Git => v(&[
                "--git",
                &format!("https://git.example.org/{pkg}.git"),
                "--rev",
                "fedcba9876543210fedcba9876543210fedcba98",
                "--hash",
                "sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=",
            ]),
        }
    }

    /// Checks the `overlay list --json` row of the added package.
    fn check_row(self, pkg: &str, row: &serde_json::Value) -> Result<(), String> {
        let src = &row["source"];
        let ok = match self {
            Source::Src => {
                src["kind"] == "input"
                    && src["input"] == format!("{pkg}-src").as_str()
                    && src["url"] == format!("path:/srv/checkouts/{pkg}").as_str()
            }
            Source::Github => {
                src["kind"] == "github"
                    && src["owner"] == "example"
                    && src["repo"] == pkg
                    && src["rev"] == "0123456789abcdef0123456789abcdef01234567"
            }
            Source::Git => {
                src["kind"] == "git"
                    && src["url"] == format!("https://git.example.org/{pkg}.git").as_str()
                    && src["rev"] == "fedcba9876543210fedcba9876543210fedcba98"
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("overlay list --json row for {pkg} is wrong: {row}"))
        }
    }
}

/// The corpus files an editor must handle (not refused).
fn editable() -> Vec<Entry> {
    manifest()
        .into_iter()
        .filter(|e| e.refuse.is_none())
        .collect()
}

/// The 1-based line spans where `overlay add` may change lines in `text`: the top-level
/// `inputs` bindings, the pattern of the `outputs` function, and each binding whose path ends
/// in `overlays` (widened to its attribute set when it is the set's only member: a module
/// nixgen created to hold it).
fn allowed_spans(text: &str) -> Vec<(usize, usize)> {
    let root = rnix::Root::parse(text).tree();
    let span = |n: &SyntaxNode| {
        let r = n.text_range();
        (
            line_of(text, r.start().into()),
            line_of(text, r.end().into()),
        )
    };
    let mut spans = Vec::new();
    let mut top = root.expr();
    while let Some(e) = top.clone() {
        top = match e {
            ast::Expr::LetIn(l) => l.body(),
            ast::Expr::Paren(p) => p.expr(),
            _ => break,
        };
    }
    if let Some(ast::Expr::AttrSet(set)) = top {
        for b in set.attrpath_values() {
            let first = b
                .attrpath()
                .and_then(|p| p.attrs().next())
                .map(|a| a.syntax().text().to_string());
            match first.as_deref() {
                Some("inputs") => spans.push(span(b.syntax())),
                Some("outputs") => {
                    if let Some(ast::Expr::Lambda(l)) = b.value() {
                        if let Some(p) = l.param() {
                            spans.push(span(p.syntax()));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for b in root
        .syntax()
        .descendants()
        .filter_map(ast::AttrpathValue::cast)
    {
        let last = b
            .attrpath()
            .and_then(|p| p.attrs().last())
            .and_then(|a| nixgen::nix::resolve::attr_name(&a));
        if last.as_deref() != Some("overlays") {
            continue;
        }
        let parent = b.syntax().parent().expect("a binding has a parent");
        let alone = parent.kind() == SyntaxKind::NODE_ATTR_SET
            && parent
                .children()
                .filter(|c| c.kind() == SyntaxKind::NODE_ATTRPATH_VALUE)
                .count()
                == 1;
        spans.push(span(if alone { &parent } else { b.syntax() }));
        // A module nixgen created joins a module list, which may be laid out one element
        // a line for it.
        if let Some(list) = parent
            .parent()
            .filter(|l| alone && l.kind() == SyntaxKind::NODE_LIST)
        {
            spans.push(span(&list));
        }
        // An inline module that gets the binding is laid out over several lines, one
        // member a line (only_additions still checks that its code tokens stay, in order).
        if parent.kind() == SyntaxKind::NODE_ATTR_SET {
            spans.push(span(&parent));
        }
    }
    spans
}

/// Every added line of `new` lies in an allowed span, and no line was removed other than one
/// rewritten in place.
fn only_needed_lines(old: &str, new: &str) -> Result<(), String> {
    let spans = allowed_spans(new);
    for h in hunks(old, new) {
        for (line, text) in &h.added {
            if !spans.iter().any(|(a, b)| a <= line && line <= b) {
                return Err(format!(
                    "line {line} changed outside the inputs, the outputs pattern and the \
                     overlays: {text:?}"
                ));
            }
        }
    }
    only_additions(old, new)
}

fn add_args(entry: &Entry, source: Source, pkg: &str, flake: &Path) -> Vec<String> {
    let mut args: Vec<String> = vec!["overlay".into(), "add".into(), pkg.into()];
    args.extend(source.args(pkg));
    args.push("--flake".into());
    args.push(flake.display().to_string());
    args.extend(entry.config_args());
    args
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The exact result of add then remove on 20-tabs-let.nix: its multi-line one-element
/// overlays list comes back folded onto one line (see tests/corpus/README.md).
fn tabs_let_round_trip(original: &str) -> String {
    let multi = "nixpkgs.overlays = [\n\t\t\t\t\t\t\tnixos-flake.overlays.default\n\t\t\t\t\t\t];";
    assert!(
        original.contains(multi),
        "20-tabs-let.nix no longer has its multi-line one-element overlays list"
    );
    original.replacen(
        multi,
        "nixpkgs.overlays = [ nixos-flake.overlays.default ];",
        1,
    )
}

/// Runs every property on one file with one source; returns the add diff.
fn exercise(entry: &Entry, source: Source) -> Result<String, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = read(&corpus_dir().join(&entry.file));
    let name = Path::new(&entry.file)
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned();
    let flake: PathBuf = write(dir.path(), &name, &original);
    let pkg = entry.new_package();
    let args = add_args(entry, source, &pkg, &flake);

    let (code, _, err) = run_in(dir.path(), &strs(&args));
    if code != 0 {
        return Err(format!("add exited {code}: {err}"));
    }
    let added = read(&flake);
    if added == original {
        return Err("add changed nothing".into());
    }
    parse_all(&name, &added).map_err(|e| format!("after add: {e}\n{added}"))?;
    let lost = lost_comments(&original, &added);
    if !lost.is_empty() {
        return Err(format!("add lost comments: {lost:?}"));
    }
    if comments(&original).len() != entry.comments {
        return Err(format!(
            "the manifest says {} comments, rnix sees {}",
            entry.comments,
            comments(&original).len()
        ));
    }
    only_needed_lines(&original, &added)
        .map_err(|e| format!("add: {e}\n{}", diff(&name, &original, &added)))?;

    // A second identical add is a no-op.
    let (code, _, err) = run_in(dir.path(), &strs(&args));
    if code != 0 || read(&flake) != added || !err.contains("up to date") {
        return Err(format!(
            "second add was not a no-op (exit {code}): {err}\n{}",
            diff(&name, &added, &read(&flake))
        ));
    }

    // The listing finds it.
    let mut list: Vec<String> = vec![
        "overlay".into(),
        "list".into(),
        "--json".into(),
        "--flake".into(),
        flake.display().to_string(),
    ];
    list.extend(entry.config_args());
    let (code, out, err) = run_in(dir.path(), &strs(&list));
    if code != 0 {
        return Err(format!("list exited {code}: {err}"));
    }
    let rows: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("list --json: {e}: {out}"))?;
    let row = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["package"] == pkg.as_str()))
        .ok_or_else(|| format!("list --json does not show {pkg}: {out}"))?;
    source.check_row(&pkg, row)?;
    if let Some(config) = entry.config_args().get(1) {
        if row["config"] != config.as_str() {
            return Err(format!("listed under the wrong configuration: {row}"));
        }
    }
    for existing in &entry.packages {
        if !rows
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["package"] == existing.as_str())
            && entry.default_config.is_some()
        {
            return Err(format!(
                "list --json lost the existing overlay {existing}: {out}"
            ));
        }
    }

    // Remove is the inverse.
    let mut remove: Vec<String> = vec![
        "overlay".into(),
        "remove".into(),
        pkg.clone(),
        "--flake".into(),
        flake.display().to_string(),
    ];
    remove.extend(entry.config_args());
    let (code, _, err) = run_in(dir.path(), &strs(&remove));
    if code != 0 {
        return Err(format!("remove exited {code}: {err}"));
    }
    let removed = read(&flake);
    let expected = if entry.file == "20-tabs-let.nix" {
        tabs_let_round_trip(&original)
    } else {
        original.clone()
    };
    if removed != expected {
        return Err(format!(
            "remove did not restore the original:\n{}",
            diff(&name, &expected, &removed)
        ));
    }
    parse_all(&name, &removed).map_err(|e| format!("after remove: {e}"))?;
    // Removing again has nothing to do.
    let (code, _, _) = run_in(dir.path(), &strs(&remove));
    if code != 0 || read(&flake) != removed {
        return Err("a second remove changed the file".into());
    }
    Ok(diff(&name, &original, &added))
}

/// Runs `exercise` on every editable file (in parallel), panicking with every failure.
fn exercise_all(source: Source) -> Vec<(Entry, String)> {
    let entries = editable();
    assert!(
        entries.len() >= 30,
        "the corpus needs at least 30 editable flakes"
    );
    let results: Vec<(Entry, Result<String, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .into_iter()
            .map(|e| {
                s.spawn(move || {
                    let r = exercise(&e, source);
                    (e, r)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(e, r)| {
            r.as_ref()
                .err()
                .map(|msg| format!("{} ({source:?}): {msg}", e.file))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} corpus files failed:\n\n{}",
        failures.len(),
        results.len(),
        failures.join("\n\n")
    );
    results
        .into_iter()
        .map(|(e, r)| (e, r.expect("checked")))
        .collect()
}

#[test]
fn add_src_on_every_corpus_file() {
    let results = exercise_all(Source::Src);
    for (entry, diff) in results {
        insta::assert_snapshot!(entry.stem(), diff);
    }
}

#[test]
fn add_github_on_every_corpus_file() {
    exercise_all(Source::Github);
}

#[test]
fn add_git_on_every_corpus_file() {
    exercise_all(Source::Git);
}

/// What each refused file is refused for: the package added, and the line and column of the
/// construct the error points at.
const REFUSALS: &[(&str, &str, usize, usize, &str)] = &[
    ("refuse/04-inherit-inputs.nix", "fio", 9, 5, "inherit"),
    ("refuse/05-dynamic-config-key.nix", "fio", 12, 7, "${"),
    ("refuse/06-import-hosts.nix", "fio", 15, 27, "import"),
    ("refuse/08-inputs-import.nix", "fio", 5, 12, "import"),
    ("refuse/10-quoted-dynamic-key.nix", "fio", 13, 9, "${"),
];

#[test]
fn refused_files_exit_1_with_the_line_and_a_hint_and_stay_untouched() {
    let refused: Vec<Entry> = manifest()
        .into_iter()
        .filter(|e| e.refuse.is_some())
        .collect();
    assert_eq!(
        refused.len(),
        REFUSALS.len(),
        "every refused file is covered"
    );
    let mut failures = Vec::new();
    for entry in &refused {
        let (_, pkg, line, col, construct) = REFUSALS
            .iter()
            .find(|r| r.0 == entry.file)
            .unwrap_or_else(|| panic!("{} is not in REFUSALS", entry.file));
        for source in [Source::Src, Source::Github, Source::Git] {
            let dir = tempfile::tempdir().expect("tempdir");
            let original = read(&corpus_dir().join(&entry.file));
            let name = Path::new(&entry.file).file_name().expect("name");
            let flake = write(dir.path(), &name.to_string_lossy(), &original);
            let mut args = vec!["overlay".to_owned(), "add".to_owned(), (*pkg).to_owned()];
            args.extend(source.args(pkg));
            args.extend(["--flake".to_owned(), flake.display().to_string()]);
            // With several configurations written out, the refusal is of the one asked for.
            if entry.configs.len() > 1 {
                args.extend(entry.config_args());
            }
            let (code, _, err) = run_in(dir.path(), &strs(&args));
            // 04 inherits its inputs and 08 imports them: only an add that needs an input (a
            // --src add) is refused; a fetcher source needs no input and goes through.
            let inputs_only =
                entry.file.contains("04-inherit-inputs") || entry.file.contains("08-inputs-import");
            if inputs_only && source != Source::Src {
                if code != 0 {
                    failures.push(format!("{} ({source:?}): exit {code}: {err}", entry.file));
                }
                continue;
            }
            let at = format!("{}:{line}:{col}", flake.display());
            let source_line = original.lines().nth(line - 1).unwrap_or_default();
            let problems = [
                (code == 1, format!("exit {code}, not 1")),
                (err.contains(&at), format!("stderr does not name {at}")),
                (
                    err.contains("help:"),
                    "stderr does not say what to do".to_owned(),
                ),
                (
                    source_line.contains(construct),
                    format!("line {line} does not hold `{construct}`"),
                ),
                (read(&flake) == original, "the file was changed".to_owned()),
            ];
            for (ok, why) in problems {
                if !ok {
                    failures.push(format!("{} ({source:?}): {why}\n{err}", entry.file));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// 04 inherits `fio-src` and `kmod-src`: another package's input goes beside the inherit.
#[test]
fn inherited_inputs_refuse_only_the_inherited_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = read(&corpus_dir().join("refuse/04-inherit-inputs.nix"));
    let flake = write(dir.path(), "flake.nix", &original);
    for pkg in ["fio", "kmod"] {
        let (code, _, err) = run_in(
            dir.path(),
            &[
                "overlay",
                "add",
                pkg,
                "--src",
                "/srv/x",
                "--flake",
                "flake.nix",
            ],
        );
        assert_eq!(code, 1, "{pkg}: {err}");
        assert!(
            err.contains(&format!("`{pkg}-src` comes from an `inherit`")),
            "{err}"
        );
        assert_eq!(read(&flake), original);
    }
    let (code, _, err) = run_in(
        dir.path(),
        &[
            "overlay",
            "add",
            "xnvme",
            "--src",
            "/srv/x",
            "--flake",
            "flake.nix",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let added = read(&flake);
    assert_parses("04 + xnvme", &added);
    assert!(added.contains("inherit (sources) fio-src kmod-src;\n    xnvme-src = {"));
    assert!(lost_comments(&original, &added).is_empty());
    let (code, _, err) = run_in(
        dir.path(),
        &["overlay", "remove", "xnvme", "--flake", "flake.nix"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&flake), original);
}

/// The manifest lists every corpus file, and each file parses with all three parsers.
#[test]
fn the_manifest_covers_every_corpus_file() {
    let listed: Vec<String> = manifest().into_iter().map(|e| e.file).collect();
    let mut on_disk = Vec::new();
    for sub in ["", "refuse/"] {
        for f in std::fs::read_dir(corpus_dir().join(sub)).expect("corpus dir") {
            let name = f.expect("entry").file_name().to_string_lossy().into_owned();
            if name.ends_with(".nix") && name.starts_with(|c: char| c.is_ascii_digit()) {
                on_disk.push(format!("{sub}{name}"));
            }
        }
    }
    on_disk.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, on_disk);
    for f in &listed {
        let text = read(&corpus_dir().join(f));
        if let Err(e) = parse_all("flake.nix", &text) {
            panic!("{f} does not parse: {e}");
        }
    }
}
