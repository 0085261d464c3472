//! Hostile input through the binary: non-UTF-8 files, syntax-broken flakes, garbage bytes as
//! YAML, YAML alias bombs and deep nesting, Nix shaped to overflow a parser's stack or to take
//! quadratic time, and very large files. Each gets a clear error naming the file, exit 1,
//! nothing written, no panic, in bounded time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const HOST: &str = "name: vm\nbackend: imageless\n";

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

/// Runs `nixgen ARGS` in `dir` and checks the refusal: exit 1, an `error:` naming `file`, no
/// panic, nothing written, and done within `limit`. Returns stderr.
fn refused(dir: &Path, args: &[&str], file: &str, limit: Duration) -> String {
    let before = snapshot(dir);
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_nixgen"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: stderr:\n{stderr}");
    assert!(stderr.contains("error: "), "{args:?}: {stderr}");
    assert!(
        stderr.contains(file),
        "{args:?}: the error names {file}: {stderr}"
    );
    for bad in [
        "panicked",
        "overflow",
        "RUST_BACKTRACE",
        "fatal runtime error",
    ] {
        assert!(!stderr.contains(bad), "{args:?}: {stderr}");
    }
    assert!(took < limit, "{args:?} took {took:?}");
    assert_eq!(snapshot(dir), before, "{args:?}: nothing is written");
    stderr
}

const SHORT: Duration = Duration::from_secs(10);

fn with_flake(text: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), text).unwrap();
    std::fs::write(dir.path().join("host.yaml"), HOST).unwrap();
    dir
}

fn edit_commands(dir: &Path, file: &str) -> Vec<String> {
    let mut errors = Vec::new();
    for args in [
        &["overlay", "add", "fio", "--src", ".", "--flake", file][..],
        &["overlay", "remove", "fio", "--flake", file],
        &["overlay", "list", "--flake", file],
        &["generate", "host.yaml", "-o", file, "--no-git"],
    ] {
        errors.push(refused(dir, args, file, SHORT));
    }
    errors
}

#[test]
fn non_utf8_flake() {
    let dir = with_flake(b"{ a = \"\xff\xfe\"; }\n");
    for e in edit_commands(dir.path(), "flake.nix") {
        assert!(e.contains("not valid UTF-8"), "{e}");
    }
}

#[test]
fn non_utf8_yaml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("host.yaml"),
        b"name: \xc3\x28\nbackend: imageless\n",
    )
    .unwrap();
    let e = refused(
        dir.path(),
        &["generate", "host.yaml", "--no-git"],
        "host.yaml",
        SHORT,
    );
    assert!(e.contains("not valid UTF-8"), "{e}");
    refused(dir.path(), &["validate", "host.yaml"], "host.yaml", SHORT);
}

#[test]
fn syntax_broken_flakes() {
    for text in [
        "{ inputs = { a.url = \"x\"; ; outputs = _: { }; }\n",
        "{ outputs = _: { }\n",
        "{ a = \"unterminated; }\n",
        // rnix accepts this; Nix (and the strict parser) do not.
        "{ outputs = _: { }; x = [ a x: x ]; }\n",
        "",
        "\u{0}\u{1}\u{2}",
    ] {
        let dir = with_flake(text.as_bytes());
        for e in edit_commands(dir.path(), "flake.nix") {
            assert!(
                e.contains("does not parse")
                    || e.contains("empty")
                    || e.contains("not an attribute set"),
                "{text:?}: {e}"
            );
        }
    }
}

#[test]
fn garbage_bytes_as_yaml() {
    let mut random = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        random.push(x as u8);
    }
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(2560).collect();
    for bytes in [
        random,
        all_bytes,
        b"{{{: ::: [ - ] }} &&& *nope".to_vec(),
        b"\t\tname: x\n".to_vec(),
        b"- a\n- b\n".to_vec(),
        b"--- !!binary AAAA\n".to_vec(),
        b"%YAML 9.9\n---\nname: x\n".to_vec(),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("host.yaml"), &bytes).unwrap();
        refused(dir.path(), &["validate", "host.yaml"], "host.yaml", SHORT);
        refused(
            dir.path(),
            &["generate", "host.yaml", "--no-git"],
            "host.yaml",
            SHORT,
        );
        std::fs::rename(dir.path().join("host.yaml"), dir.path().join("fleet.yaml")).unwrap();
        refused(
            dir.path(),
            &["scaffold", "fleet.yaml", "--no-git"],
            "fleet.yaml",
            SHORT,
        );
    }
}

#[test]
fn yaml_alias_bombs_are_bounded() {
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    bomb.push_str("name: vm\nbackend: imageless\npackages: *a11\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("host.yaml"), &bomb).unwrap();
    let e = refused(
        dir.path(),
        &["generate", "host.yaml", "--no-git"],
        "host.yaml",
        SHORT,
    );
    assert!(e.contains("alias"), "{e}");
}

#[test]
fn yaml_deep_nesting_is_bounded() {
    for text in [
        format!(
            "name: vm\nbackend: imageless\npackages: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        format!(
            "name: vm\nbackend: imageless\nshares: {}1{}\n",
            "{a: ".repeat(20_000),
            "}".repeat(20_000)
        ),
        format!(
            "name: vm\nbackend: imageless\nuser:\n{}",
            (1..3000)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>()
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("host.yaml"), &text).unwrap();
        let e = refused(
            dir.path(),
            &["generate", "host.yaml", "--no-git"],
            "host.yaml",
            SHORT,
        );
        assert!(
            e.contains("nesting") || e.contains("recursion") || e.contains("deep"),
            "{e}"
        );
    }
}

#[test]
fn nix_shaped_to_overflow_or_stall_the_parsers() {
    let n = 100_000;
    let cases = [
        format!("{{ a = {}{}; }}\n", "[".repeat(n), "]".repeat(n)),
        format!("{{ a = {}1{}; }}\n", "(".repeat(n), ")".repeat(n)),
        format!(
            "{{ a = {}1{}; }}\n",
            "{ b = ".repeat(n / 2),
            "; }".repeat(n / 2)
        ),
        format!("{{ a = {}1{}; }}\n", "\"${".repeat(n), "}\"".repeat(n)),
        format!("{{ a = {}1; }}\n", "-".repeat(n)),
        format!("{{ a = {}true; }}\n", "!".repeat(n)),
        format!("{{ a = {}[ 1 ]; }}\n", "[ 1 ] ++ ".repeat(n)),
        format!("{{ a = {}{{ }}; }}\n", "{ } // ".repeat(n)),
        format!("{{ a = {}1; }}\n", "x: ".repeat(n)),
        format!("{{ a = {}1; }}\n", "let b = 1; in ".repeat(n)),
        format!("{{ a = f{}; }}\n", " x".repeat(n)),
        format!("{{ a = b{}; }}\n", ".c".repeat(n)),
        format!("{{ a{} = 1; }}\n", ".b".repeat(n)),
    ];
    for text in cases {
        let dir = with_flake(text.as_bytes());
        for e in edit_commands(dir.path(), "flake.nix") {
            assert!(e.contains("does not parse"), "{}: {e}", &text[..40]);
        }
    }
}

#[test]
fn very_large_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A flake past the 8 MiB limit (valid Nix: one long list).
    let mut big = String::from("{ outputs = _: { }; x = [\n");
    while big.len() <= 9 * 1024 * 1024 {
        big.push_str("  \"a fairly long string that fills the file up quickly\"\n");
    }
    big.push_str("]; }\n");
    std::fs::write(dir.path().join("flake.nix"), &big).unwrap();
    std::fs::write(dir.path().join("host.yaml"), HOST).unwrap();
    for e in edit_commands(dir.path(), "flake.nix") {
        assert!(e.contains("at most"), "{e}");
    }
    // A description past the 16 MiB limit.
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = String::from("name: vm\nbackend: imageless\npackages:\n");
    while yaml.len() <= 17 * 1024 * 1024 {
        yaml.push_str("  - somepackage\n");
    }
    std::fs::write(dir.path().join("host.yaml"), &yaml).unwrap();
    let e = refused(
        dir.path(),
        &["generate", "host.yaml", "--no-git"],
        "host.yaml",
        SHORT,
    );
    assert!(e.contains("larger than"), "{e}");
}

/// The heap reserves 1 GiB of address space up front (src/heap.rs). Where that cannot be had
/// (a `ulimit -v`, strict overcommit), nixgen must run with glibc's usual heap instead of
/// failing its later allocations: here `generate` and an edit of a 1,000-input flake (some
/// 10 MiB of syntax trees, so the heap has to grow) under a 300 MiB limit.
#[test]
fn runs_under_an_address_space_limit_smaller_than_the_heap_reservation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("host.yaml"), HOST).unwrap();
    let mut big = String::from("{\n  inputs = {\n");
    for i in 0..1000 {
        big.push_str(&format!(
            "    # input {i}\n    pkg{i}-src = {{ url = \"path:/src/pkg{i}\"; flake = false; }};\n"
        ));
    }
    big.push_str(
        "  };\n  outputs = { self, nixpkgs, ... }@inputs: {\n    nixosConfigurations.vm = \
         nixpkgs.lib.nixosSystem {\n      modules = [ { nixpkgs.overlays = [ ]; } ];\n    };\n  };\n}\n",
    );
    std::fs::write(dir.path().join("big.nix"), &big).unwrap();
    let script = format!(
        "ulimit -v 307200 && {bin} generate --no-git && {bin} overlay add fio --src /tmp/fio \
         && {bin} overlay add fio --src /tmp/fio --flake big.nix",
        bin = env!("CARGO_BIN_EXE_nixgen")
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("created flake.nix"), "{stderr}");
    assert!(stderr.contains("updated flake.nix"), "{stderr}");
    assert!(stderr.contains("updated big.nix"), "{stderr}");
    let flake = std::fs::read_to_string(dir.path().join("big.nix")).unwrap();
    assert!(flake.contains("fio-src"), "{flake}");
    assert!(flake.contains("# input 999\n"), "{flake}");
}
