//! The editor: any input that parses gives, for every operation, output that parses and keeps
//! every comment, or a clean refusal (an `Err`, never a panic).
//!
//! Operations: `overlay add` (a local source with its input, and a GitHub source), `overlay
//! remove` of what was just added (all of the input's comments must survive the round trip),
//! `overlay remove` of an entry already in the file (output parses), `overlay list`, and
//! `generate` over the file (reconcile, without --prune).
#![no_main]

use std::collections::HashMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nixgen::edit::{overlay, reconcile};
use nixgen::generate::{plan_for, SourceExpr};
use nixgen::model::load;
use nixgen::nix::check_syntax;

const HOST: &str = "name: vm\nbackend: imageless\nnixosFlake: path:/x/nixos-flake\n\
profiles: [devel]\nuser: { name: u }\nshares: { /mnt/a: { tag: a } }\n\
overlays: { fio: { src: /x/fio, clearPatches: true }, damo: { github: { owner: o, repo: r, rev: v } } }\n\
packages: [gdb]\n";

fn comments(text: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (kind, t) in rnix::tokenize(text) {
        if kind == rnix::SyntaxKind::TOKEN_COMMENT {
            *out.entry(t.to_owned()).or_default() += 1;
        }
    }
    out
}

fn check(op: &str, input: &str, output: &str, keep_comments: bool) {
    if let Err(e) = check_syntax(output) {
        panic!("{op}: output does not parse: {e}\n--- input\n{input}\n--- output\n{output}");
    }
    if keep_comments {
        let after = comments(output);
        for (c, n) in comments(input) {
            let m = after.get(&c).copied().unwrap_or(0);
            assert!(
                m >= n,
                "{op}: comment {c:?} lost\n--- input\n{input}\n--- output\n{output}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if check_syntax(text).is_err() {
        return;
    }
    let path = Path::new("flake.nix");

    let local = overlay::request_for(
        "fuzzpkg",
        SourceExpr::Input("fuzzpkg-src".into()),
        Some("path:/src/fuzzpkg".into()),
        true,
    );
    if let Ok(out) = overlay::add(path, text, None, &local) {
        check("add --src", text, &out.text, true);
        if let Ok(back) = overlay::remove(path, &out.text, None, "fuzzpkg") {
            check("add then remove", text, &back.text, true);
        }
    }
    let github = overlay::request_for(
        "ghpkg",
        SourceExpr::Fetch {
            fetcher: "fetchFromGitHub",
            fields: vec![
                ("owner", "o".into()),
                ("repo", "r\"${x}".into()),
                ("rev", "v".into()),
                ("hash", String::new()),
            ],
        },
        None,
        false,
    );
    if let Ok(out) = overlay::add(path, text, None, &github) {
        check("add --github", text, &out.text, true);
    }
    if let Ok(rows) = overlay::list(path, text, None) {
        if let Some(row) = rows.first() {
            if let Ok(out) = overlay::remove(path, text, None, &row.package) {
                check("remove", text, &out.text, false);
            }
        }
    }
    let doc = load::parse(Path::new("/fuzz/host.yaml"), HOST.as_bytes().to_vec()).unwrap();
    let host = load::hosts(&doc).unwrap().remove(0);
    let plan = plan_for(&host.host);
    if let Ok(done) = reconcile(path, text, &plan, false) {
        check("generate over the file", text, &done.text, true);
    }
});
