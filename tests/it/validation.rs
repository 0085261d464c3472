//! One test per validation rule: the contract's rules, those of `src/model/validate.rs`,
//! `src/model/load.rs` and `src/yaml/{mod,de}.rs`.
//!
//! Each case goes through the binary three times: `nixgen validate FILE` (exit 1; stderr names
//! `FILE:LINE:COL` of the offending key, the message and the hint), `nixgen validate --json FILE`
//! (the same diagnostic as data, and no other error), and `nixgen generate FILE` (or `scaffold`
//! for a fleet), which must exit 1 and write nothing.

use crate::support::{nixgen, run, write};
use serde_json::Value;

/// One expected error: where, what, and (a substring of) the hint.
struct Expected<'a> {
    line: usize,
    column: usize,
    message: &'a str,
    help: Option<&'a str>,
}

fn at<'a>(line: usize, column: usize, message: &'a str, help: &'a str) -> Expected<'a> {
    Expected {
        line,
        column,
        message,
        help: (!help.is_empty()).then_some(help),
    }
}

/// Checks that `bytes`, as `host.yaml`, fails with exactly the `expected` errors.
fn assert_errors(bytes: &[u8], expected: &[Expected]) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let home = dir.join("home");
    std::fs::write(dir.join("host.yaml"), bytes).unwrap();
    let text = String::from_utf8_lossy(bytes);

    // Human output.
    let (code, stdout, stderr) = run(nixgen(dir, &home).args(["validate", "host.yaml"]));
    assert_eq!(
        code, 1,
        "validate must exit 1 for:\n{text}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.is_empty(),
        "validate prints diagnostics on stderr only: {stdout}"
    );
    for e in expected {
        let location = format!("host.yaml:{}:{}", e.line, e.column);
        assert!(
            stderr.contains(&format!("--> {location}\n")),
            "expected an error at {location}, got:\n{stderr}\nfor:\n{text}"
        );
        assert!(
            stderr.contains(e.message),
            "expected `{}` in:\n{stderr}",
            e.message
        );
        if let Some(help) = e.help {
            assert!(
                stderr.contains(help),
                "expected hint `{help}` in:\n{stderr}"
            );
        }
    }
    assert_eq!(
        stderr.matches("error: ").count(),
        expected.len(),
        "expected exactly {} error(s), got:\n{stderr}",
        expected.len()
    );

    // JSON output: the same diagnostics as data.
    let (code, stdout, stderr) = run(nixgen(dir, &home).args(["validate", "--json", "host.yaml"]));
    assert_eq!(code, 1, "validate --json must exit 1: {stderr}");
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("validate --json prints JSON ({e}):\n{stdout}"));
    assert_eq!(json["valid"], Value::Bool(false), "{json}");
    let errors: Vec<&Value> = json["diagnostics"]
        .as_array()
        .expect("diagnostics is a list")
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), expected.len(), "{json:#}");
    for (e, d) in expected.iter().zip(&errors) {
        assert_eq!(d["file"], "host.yaml", "{d}");
        assert_eq!(d["line"], e.line, "{d}");
        assert_eq!(d["column"], e.column, "{d}");
        assert!(
            d["message"].as_str().unwrap().contains(e.message),
            "expected `{}` in {d}",
            e.message
        );
        if let Some(help) = e.help {
            assert!(
                d["help"].as_str().unwrap_or_default().contains(help),
                "expected `{help}` in {d}"
            );
        }
    }

    // Writing commands write nothing on invalid input.
    let is_fleet = text.contains("configurations");
    let (code, stdout, stderr) = if is_fleet {
        run(nixgen(dir, &home).args(["scaffold", "host.yaml", "--no-git"]))
    } else {
        run(nixgen(dir, &home).args(["generate", "host.yaml", "--no-git"]))
    };
    assert_eq!(
        code, 1,
        "generate/scaffold must exit 1 on invalid input:\n{stdout}{stderr}"
    );
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "home")
        .collect();
    assert_eq!(
        left,
        ["host.yaml"],
        "nothing may be written on invalid input"
    );
}

fn assert_error(yaml: &str, line: usize, column: usize, message: &str, help: &str) {
    assert_errors(yaml.as_bytes(), &[at(line, column, message, help)]);
}

/// A valid description: `validate` exits 0.
fn assert_valid(yaml: &str) {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "host.yaml", yaml);
    let (code, _, stderr) =
        run(nixgen(tmp.path(), &tmp.path().join("home")).args(["validate", "host.yaml"]));
    assert_eq!(code, 0, "expected valid:\n{yaml}\n{stderr}");
    assert!(stderr.contains("host.yaml: ok"), "{stderr}");
}

const HEAD: &str = "name: devel\nbackend: imageless\n";

fn host(rest: &str) -> String {
    format!("{HEAD}{rest}")
}

// --- Unknown keys and values ----------------------------------------------------------------

#[test]
fn unknown_top_level_key_suggests_the_right_one() {
    assert_error(
        "name: devel\nbackedn: imageless\n",
        2,
        1,
        "unknown key `backedn`",
        "did you mean `backend`?",
    );
}

#[test]
fn unknown_top_level_key_without_near_match_lists_valid_keys() {
    assert_error(
        &host("color: blue\n"),
        3,
        1,
        "unknown key `color`",
        "valid keys here: `name`, `system`, `backend`, `nixosFlake`, `hostName`, `profiles`, \
         `testSuites`, `user`, `shares`, `storage`, `overlays`, `packages`, `modules`",
    );
}

#[test]
fn unknown_nested_key_in_storage_suggests_fs_type() {
    assert_error(
        &host("storage:\n  /mnt/x: { device: /dev/x, fsTpye: xfs }\n"),
        4,
        29,
        "unknown key `fsTpye`",
        "did you mean `fsType`? Valid keys here: `device`, `fsType`, `options`, `mkfsArgs`, `autoFormat`",
    );
}

#[test]
fn unknown_nested_key_in_block_style() {
    assert_error(
        &host("storage:\n  /mnt/x:\n    device: /dev/x\n    fsType: xfs\n    autoFromat: true\n"),
        7,
        5,
        "unknown key `autoFromat`",
        "did you mean `autoFormat`?",
    );
}

#[test]
fn unknown_key_in_user_share_and_overlay() {
    assert_error(
        &host("user: { nmae: kdevops }\n"),
        3,
        9,
        "unknown key `nmae`",
        "did you mean `name`?",
    );
    assert_error(
        &host("shares:\n  /mnt/x: { tag: x, option: [ro] }\n"),
        4,
        21,
        "unknown key `option`",
        "did you mean `options`?",
    );
    assert_error(
        &host("overlays:\n  fio: { src: /x, clearPatch: true }\n"),
        4,
        19,
        "unknown key `clearPatch`",
        "did you mean `clearPatches`?",
    );
    assert_error(
        &host("overlays:\n  fio:\n    github: { owner: a, repo: b, rev: c, sha256: x }\n"),
        5,
        42,
        "unknown key `sha256`",
        "valid keys here: `owner`, `repo`, `rev`, `hash`",
    );
}

#[test]
fn unknown_backend_lists_valid_values() {
    assert_error(
        "name: devel\nbackend: qemu\n",
        2,
        10,
        "unknown value `qemu`",
        "valid values: `imageless`, `libvirt`",
    );
    assert_error(
        "name: devel\nbackend: libvrit\n",
        2,
        10,
        "unknown value `libvrit`",
        "did you mean `libvirt`?",
    );
}

#[test]
fn unknown_profile_lists_valid_values() {
    assert_error(
        &host("profiles: [devel, monitor]\n"),
        3,
        19,
        "unknown value `monitor`",
        "did you mean `monitoring`? Valid values: `devel`, `build-tools`, `monitoring`, `controller`",
    );
}

#[test]
fn unknown_test_suite_lists_valid_values() {
    assert_error(
        &host("testSuites:\n  - fstests\n  - xfstests\n"),
        5,
        5,
        "unknown value `xfstests`",
        "Valid values: `blktests`, `fstests`, `gitr`, `ltp`, `mmtests`, `pynfs`, `selftests`, `sysbench`",
    );
}

#[test]
fn unknown_system_lists_valid_values() {
    assert_error(
        "name: devel\nsystem: x86_64-darwin\nbackend: imageless\n",
        2,
        9,
        "unknown value `x86_64-darwin`",
        "`x86_64-linux`, `aarch64-linux`",
    );
}

// --- Required keys ---------------------------------------------------------------------------

#[test]
fn missing_name() {
    assert_error(
        "backend: imageless\nprofiles: [devel]\n",
        1,
        1,
        "missing required key `name`",
        "add `name:`",
    );
}

#[test]
fn missing_backend() {
    assert_error(
        "name: devel\n",
        1,
        1,
        "missing required key `backend`",
        "add `backend:`",
    );
}

#[test]
fn missing_nested_required_key_points_at_its_map() {
    assert_error(
        &host("storage:\n  /mnt/x: { device: /dev/x }\n"),
        4,
        11,
        "missing required key `fsType`",
        "add `fsType:`",
    );
    assert_error(
        &host("shares:\n  /mnt/x:\n    options: [ro]\n"),
        5,
        5,
        "missing required key `tag`",
        "",
    );
}

// --- Storage and shares ----------------------------------------------------------------------

#[test]
fn mkfs_args_and_auto_format_are_exclusive_at_auto_format() {
    assert_error(
        &host(
            "storage:\n  /mnt/nvme0:\n    device: /dev/nvme0n1\n    fsType: xfs\n    \
             mkfsArgs: [-b, size=16k]\n    autoFormat: true\n",
        ),
        8,
        5,
        "`mkfsArgs` and `autoFormat` are mutually exclusive (on `/mnt/nvme0`)",
        "nixos-flake asserts the same",
    );
    // The key's position, also in flow style.
    assert_error(
        &host("storage:\n  /mnt/x: { device: /dev/x, fsType: xfs, mkfsArgs: [-f], autoFormat: true }\n"),
        4,
        58,
        "mutually exclusive",
        "",
    );
}

#[test]
fn mkfs_args_with_auto_format_false_is_fine() {
    assert_valid(&host(
        "storage:\n  /mnt/x: { device: /dev/x, fsType: xfs, mkfsArgs: [-f], autoFormat: false }\n",
    ));
}

#[test]
fn mount_point_must_be_absolute() {
    assert_error(
        &host("shares:\n  mnt/home: { tag: home }\n"),
        4,
        3,
        "mount point `mnt/home` must be a clean absolute path",
        "write it like `/mnt/nvme0`",
    );
    assert_error(
        &host("storage:\n  data: { device: /dev/vdb, fsType: ext4 }\n"),
        4,
        3,
        "mount point `data` must be a clean absolute path",
        "",
    );
}

#[test]
fn mount_point_must_be_clean_and_not_root() {
    assert_errors(
        host(
            "storage:\n  /: { device: /dev/a, fsType: xfs }\n  /mnt/b/: { device: /dev/b, fsType: xfs }\n  \
             /mnt/../etc: { device: /dev/c, fsType: xfs }\n  /mnt//d: { device: /dev/d, fsType: xfs }\n",
        )
        .as_bytes(),
        &[
            at(4, 3, "mount point `/` must be", ""),
            at(5, 3, "mount point `/mnt/b/` must be", ""),
            at(6, 3, "mount point `/mnt/../etc` must be", ""),
            at(7, 3, "mount point `/mnt//d` must be", ""),
        ],
    );
}

#[test]
fn mount_point_used_by_a_share_and_a_storage_device() {
    assert_error(
        &host(
            "shares:\n  /mnt/x: { tag: x }\nstorage:\n  /mnt/x: { device: /dev/x, fsType: xfs }\n",
        ),
        6,
        3,
        "mount point `/mnt/x` is also a share",
        "unique across `shares` and `storage`",
    );
}

#[test]
fn duplicate_share_tags() {
    assert_error(
        &host("shares:\n  /mnt/a: { tag: home }\n  /mnt/b: { tag: home }\n"),
        5,
        13,
        "tag `home` is already used by share `/mnt/a`",
        "each virtiofs share needs its own tag",
    );
}

#[test]
fn empty_share_tag() {
    assert_error(
        &host("shares:\n  /mnt/a: { tag: \"\" }\n"),
        4,
        13,
        "the virtiofs tag is empty",
        "",
    );
}

#[test]
fn device_used_twice() {
    assert_error(
        &host("storage:\n  /mnt/a: { device: /dev/vdb, fsType: xfs }\n  /mnt/b: { device: /dev/vdb, fsType: ext4 }\n"),
        5,
        13,
        "device `/dev/vdb` is already mounted at `/mnt/a`",
        "one mount point only",
    );
}

#[test]
fn device_must_be_a_path() {
    assert_error(
        &host("storage:\n  /mnt/a: { device: vdb, fsType: xfs }\n"),
        4,
        13,
        "device `vdb` is not an absolute path",
        "/dev/nvme0n1",
    );
}

#[test]
fn fs_type_must_be_a_type_name() {
    assert_error(
        &host("storage:\n  /mnt/a: { device: /dev/a, fsType: \"x fs\" }\n"),
        4,
        29,
        "`x fs` is not a filesystem type",
        "`xfs`, `ext4`",
    );
}

// --- Overlays --------------------------------------------------------------------------------

#[test]
fn overlay_without_a_source() {
    assert_error(
        &host("overlays:\n  fio: { clearPatches: true }\n"),
        4,
        3,
        "overlay `fio` has no source",
        "give exactly one of `src` (a local checkout or a flake reference), `github` or `git`",
    );
}

#[test]
fn overlay_with_two_sources() {
    assert_error(
        &host("overlays:\n  fio:\n    src: /home/user/src/fio\n    git: { url: https://x/fio.git, rev: abc }\n"),
        4,
        3,
        "overlay `fio` has more than one source",
        "exactly one of",
    );
}

#[test]
fn overlay_package_must_be_an_attribute_name() {
    assert_error(
        &host("overlays:\n  \"fio tools\": { src: /x }\n"),
        4,
        3,
        "`fio tools` is not a package attribute name",
        "",
    );
}

#[test]
fn duplicate_input_names() {
    // An explicit input that collides with another overlay's default `<pkg>-src`.
    assert_error(
        &host("overlays:\n  fio: { src: /a }\n  kmod: { src: /b, input: fio-src }\n"),
        5,
        20,
        "input `fio-src` is already used by overlay `fio`",
        "input names must be unique",
    );
    // Two explicit ones.
    assert_error(
        &host("overlays:\n  cpupower:\n    src: /a\n    input: kernel-src\n  perf:\n    src: /a\n    input: kernel-src\n"),
        9,
        5,
        "input `kernel-src` is already used by overlay `cpupower`",
        "",
    );
}

#[test]
fn invalid_input_identifier() {
    assert_error(
        &host("overlays:\n  fio: { src: /x, input: 1fio }\n"),
        4,
        19,
        "input name `1fio` is not a valid Nix identifier",
        "starting with a letter",
    );
    assert_error(
        &host("overlays:\n  fio: { src: /x, input: \"fio src\" }\n"),
        4,
        19,
        "input name `fio src` is not a valid Nix identifier",
        "",
    );
}

#[test]
fn reserved_input_names() {
    for (name, column) in [("nixpkgs", 19), ("nixos-flake", 19), ("self", 19)] {
        assert_error(
            &host(&format!("overlays:\n  fio: {{ src: /x, input: {name} }}\n")),
            4,
            column,
            &format!("input name `{name}` is a name the generated flake binds itself"),
            "",
        );
    }
}

#[test]
fn input_only_with_a_local_src() {
    assert_error(
        &host("overlays:\n  damo:\n    github: { owner: damonitor, repo: damo, rev: abc }\n    input: damo-src\n"),
        6,
        5,
        "`input` only applies to `src`",
        "remove `input`",
    );
    assert_error(
        &host("overlays:\n  xfstests:\n    input: x\n    git: { url: https://x, rev: abc }\n"),
        5,
        5,
        "`input` only applies to `src`",
        "",
    );
}

#[test]
fn bad_hash() {
    assert_error(
        &host("overlays:\n  damo:\n    github: { owner: a, repo: b, rev: c, hash: md5-abc }\n"),
        5,
        42,
        "`md5-abc` is not an SRI hash",
        "leave `hash` out",
    );
    assert_error(
        &host("overlays:\n  xfstests:\n    git:\n      url: https://x\n      rev: abc\n      hash: 0sdkfjsdf\n"),
        8,
        7,
        "`0sdkfjsdf` is not an SRI hash",
        "",
    );
}

#[test]
fn empty_fetcher_fields() {
    assert_error(
        &host("overlays:\n  damo:\n    github: { owner: \"\", repo: b, rev: c }\n"),
        5,
        15,
        "`github.owner` is empty",
        "",
    );
    assert_error(
        &host("overlays:\n  x:\n    git: { url: https://x, rev: \"\" }\n"),
        5,
        28,
        "`git.rev` is empty",
        "",
    );
}

#[test]
fn home_in_src_without_home_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "host.yaml",
        &host("overlays:\n  fio: { src: ~/src/fio }\n"),
    );
    let (code, _, stderr) = run(nixgen(tmp.path(), tmp.path())
        .env_remove("HOME")
        .args(["validate", "host.yaml"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--> host.yaml:4:10\n"), "{stderr}");
    assert!(
        stderr.contains("`~` or `$HOME` is used but HOME is not set"),
        "{stderr}"
    );
}

#[test]
fn home_in_nixos_flake_without_home_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "host.yaml",
        &host("nixosFlake: path:~/src/nixos-flake\n"),
    );
    let (code, _, stderr) = run(nixgen(tmp.path(), tmp.path())
        .env_remove("HOME")
        .args(["validate", "host.yaml"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--> host.yaml:3:1\n"), "{stderr}");
    assert!(stderr.contains("HOME is not set"), "{stderr}");
}

// --- Names, packages, modules ------------------------------------------------------------

#[test]
fn invalid_package_names() {
    assert_errors(
        host("packages: [gdb, \"foo bar\", if, python3Packages., python3Packages.numpy]\n")
            .as_bytes(),
        &[
            at(
                3,
                17,
                "`foo bar` is not a package attribute name",
                "`python3Packages.numpy`",
            ),
            at(3, 28, "`if` is not a package attribute name", ""),
            at(
                3,
                32,
                "`python3Packages.` is not a package attribute name",
                "",
            ),
        ],
    );
}

#[test]
fn duplicate_packages_profiles_and_modules() {
    assert_errors(
        host("profiles: [devel, monitoring, devel]\npackages: [gdb, gdb]\nmodules: [./a.nix, ./a.nix]\n").as_bytes(),
        &[
            at(3, 31, "`devel` is listed twice in `profiles`", "the first is item 1"),
            at(4, 17, "`gdb` is listed twice in `packages`", ""),
            at(5, 20, "`./a.nix` is listed twice in `modules`", ""),
        ],
    );
}

#[test]
fn module_that_cannot_be_a_nix_path() {
    assert_errors(
        host("modules:\n  - extra.nix\n  - ./my module.nix\n  - ./\"x\".nix\n  - ./dir/\n")
            .as_bytes(),
        &[
            at(
                4,
                5,
                "`extra.nix` cannot be written as a Nix path",
                "starting with `./` or `../`",
            ),
            at(
                5,
                5,
                "`./my module.nix` cannot be written as a Nix path",
                "",
            ),
            at(6, 5, "`./\"x\".nix` cannot be written as a Nix path", ""),
            at(7, 5, "`./dir/` cannot be written as a Nix path", ""),
        ],
    );
}

#[test]
fn absolute_module_paths_are_refused() {
    // Pure flake evaluation refuses them (checked with Nix 2.8: "access to absolute path
    // '/etc/nixos/extra.nix' is forbidden in pure eval mode").
    assert_errors(
        host("modules: [./ok.nix, /etc/nixos/extra.nix]\n").as_bytes(),
        &[at(
            3,
            21,
            "`/etc/nixos/extra.nix` is an absolute path, which a flake cannot read",
            "copy the file next to the flake",
        )],
    );
}

#[test]
fn invalid_configuration_name() {
    assert_error(
        "name: 1devel\nbackend: imageless\n",
        1,
        1,
        "`1devel` is not a usable configuration name",
        "nixosConfigurations.<name>",
    );
    assert_error(
        "name: \"a b\"\nbackend: imageless\n",
        1,
        1,
        "`a b` is not a usable configuration name",
        "",
    );
}

#[test]
fn invalid_host_name() {
    assert_error(
        &host("hostName: -bad_host\n"),
        3,
        1,
        "`-bad_host` is not a valid host name",
        "at most 63 characters",
    );
}

#[test]
fn invalid_user_and_group_names() {
    assert_errors(
        host("user:\n  name: Root\n  extraGroups: [wheel, \"Bad Group\", wheel]\n").as_bytes(),
        &[
            at(4, 3, "`Root` is not a valid user name", "lower-case"),
            at(5, 24, "`Bad Group` is not a valid group name", ""),
            at(5, 37, "`wheel` is listed twice in `user.extraGroups`", ""),
        ],
    );
}

#[test]
fn nixos_flake_must_be_a_url() {
    assert_error(
        &host("nixosFlake: nixos-flake\n"),
        3,
        1,
        "`nixos-flake` is not a flake URL",
        "github:linux-kdevops/nixos-flake",
    );
}

#[test]
fn all_rule_violations_of_a_host_are_reported_at_once() {
    assert_errors(
        host(
            "shares:\n  /mnt/a: { tag: t }\n  /mnt/b: { tag: t }\nstorage:\n  \
             /mnt/c: { device: /dev/x, fsType: xfs, mkfsArgs: [-f], autoFormat: true }\n\
             overlays:\n  fio: {}\npackages: [\"a b\"]\n",
        )
        .as_bytes(),
        &[
            at(5, 13, "tag `t` is already used", ""),
            at(7, 58, "mutually exclusive", ""),
            at(9, 3, "overlay `fio` has no source", ""),
            at(10, 12, "`a b` is not a package attribute name", ""),
        ],
    );
}

// --- YAML itself -----------------------------------------------------------------------------

#[test]
fn duplicate_yaml_keys() {
    assert_error(
        "name: devel\nbackend: imageless\nname: other\n",
        3,
        1,
        "duplicate key `name` (first given at line 1)",
        "",
    );
    assert_error(
        &host("storage:\n  /mnt/x:\n    device: /dev/x\n    fsType: xfs\n    device: /dev/y\n"),
        7,
        5,
        "duplicate key `device` (first given at line 5)",
        "",
    );
}

#[test]
fn yaml_syntax_error_position() {
    assert_error(
        "name: devel\nbackend: imageless\n  bad: indent\n",
        3,
        6,
        "invalid YAML: mapping values are not allowed in this context",
        "",
    );
    assert_error(
        &host("storage:\n  /mnt/x: {device: /dev/x, fsType: xfs\nprofiles: [devel]\n"),
        5,
        9,
        "invalid YAML",
        "",
    );
}

#[test]
fn more_than_one_yaml_document() {
    assert_error(
        "name: a\nbackend: imageless\n---\nname: b\n",
        3,
        1,
        "only one YAML document is allowed per file",
        "",
    );
}

#[test]
fn keys_must_be_scalars() {
    assert_error("? [a]\n: 1\n", 1, 3, "map keys must be plain strings", "");
}

#[test]
fn unknown_alias() {
    assert_error("name: *x\nbackend: imageless\n", 1, 7, "invalid YAML", "");
}

#[test]
fn non_utf8_bytes() {
    assert_errors(
        b"name: devel\nbackend: imag\xffeless\n",
        &[at(
            2,
            14,
            "the file is not valid UTF-8",
            "save the file as UTF-8",
        )],
    );
}

#[test]
fn empty_file() {
    // Empty, comments only, an empty document, an empty map: said as such, not as a missing
    // key of a map the user never wrote.
    for text in ["", "# only a comment\n", "---\n", "{}\n"] {
        assert_error(
            text,
            1,
            1,
            "the file describes nothing: it has no keys",
            "`nixgen init` writes a commented one",
        );
    }
}

#[test]
fn top_level_list_or_scalar() {
    assert_error(
        "- name: devel\n  backend: imageless\n",
        1,
        1,
        "expected a map of keys at the top level, found a list",
        "start with `name:` and `backend:`",
    );
    assert_error(
        "just text\n",
        1,
        1,
        "expected a map of keys at the top level, found a scalar",
        "",
    );
}

#[test]
fn deep_nesting_is_refused() {
    let deep = format!(
        "name: a\nbackend: imageless\npackages: {}\n",
        "[".repeat(100)
    );
    assert_error(&deep, 3, 74, "nesting deeper than 64 levels", "");
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let prev = i - 1;
        let refs = vec![format!("*a{prev}"); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "host.yaml", &text);
    let (code, _, stderr) = run(nixgen(tmp.path(), tmp.path()).args(["validate", "host.yaml"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("alias bomb"), "{stderr}");
    assert!(stderr.contains("--> host.yaml:6:"), "{stderr}");
}

#[test]
fn huge_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("name: a\nbackend: imageless\n# ");
    text.push_str(&"x".repeat(16 * 1024 * 1024));
    write(tmp.path(), "host.yaml", &text);
    let (code, _, stderr) = run(nixgen(tmp.path(), tmp.path()).args(["validate", "host.yaml"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("--> host.yaml\n"), "{stderr}");
    assert!(
        stderr.contains("descriptions larger than 16777216 bytes are refused"),
        "{stderr}"
    );
}

// --- Wrong types -----------------------------------------------------------------------------

#[test]
fn auto_format_yes_is_not_a_boolean() {
    assert_error(
        &host("storage:\n  /mnt/x:\n    device: /dev/x\n    fsType: xfs\n    autoFormat: yes\n"),
        7,
        17,
        "expected a boolean, found a scalar",
        "write `true` or `false`",
    );
}

#[test]
fn profiles_as_a_scalar() {
    assert_error(
        &host("profiles: devel\n"),
        3,
        11,
        "expected a list, found a scalar",
        "write a list: `[a, b]`",
    );
}

#[test]
fn other_wrong_types() {
    assert_error(
        &host("user: kdevops\n"),
        3,
        7,
        "expected a map, found a scalar",
        "write a map",
    );
    assert_error(
        &host("shares: [/mnt/x]\n"),
        3,
        9,
        "expected a map, found a list",
        "",
    );
    assert_error(
        &host("shares:\n  /mnt/x: { tag: }\n"),
        4,
        16,
        "expected a string, found null",
        "quote it",
    );
    assert_error(
        "name: { a: b }\nbackend: imageless\n",
        1,
        7,
        "expected a string, found a map",
        "",
    );
}

// --- Fleets ----------------------------------------------------------------------------------

#[test]
fn fleet_configuration_cannot_set_name() {
    assert_error(
        "defaults: { backend: imageless }\nconfigurations:\n  devel:\n    name: other\n",
        4,
        5,
        "a fleet configuration cannot set `name`",
        "the configuration's key (`devel`) is its name",
    );
}

#[test]
fn fleet_defaults_cannot_set_name() {
    assert_error(
        "defaults:\n  name: x\n  backend: imageless\nconfigurations:\n  devel: {}\n",
        2,
        3,
        "`defaults` cannot set `name`",
        "",
    );
}

#[test]
fn fleet_error_inside_defaults_points_into_defaults_once() {
    // Two configurations inherit the same broken default: one error, at the default.
    assert_error(
        "defaults:\n  backend: imageless\n  profiles: [devle]\nconfigurations:\n  a: {}\n  b: {}\n",
        3,
        14,
        "unknown value `devle`",
        "did you mean `devel`?",
    );
    assert_error(
        "defaults:\n  backend: imageless\n  storage:\n    /mnt/x: { device: /dev/x, fsType: xfs, autoFormat: true, mkfsArgs: [-f] }\n\
         configurations:\n  a: {}\n  b: { hostName: b }\n",
        4,
        44,
        "mutually exclusive",
        "",
    );
}

#[test]
fn fleet_errors_point_into_each_configuration() {
    assert_errors(
        b"defaults:\n  backend: imageless\nconfigurations:\n  a: {}\n  b:\n    storage:\n      \
          /mnt/x: { device: /dev/x, fsType: xfs, mkfsArgs: [-f], autoFormat: true }\n  c: { backend: qemu }\n",
        &[
            at(7, 62, "mutually exclusive", ""),
            at(8, 17, "unknown value `qemu`", "`imageless`, `libvirt`"),
        ],
    );
}

#[test]
fn fleet_configuration_missing_backend_points_at_its_key() {
    assert_error(
        "configurations:\n  devel: { profiles: [devel] }\n",
        2,
        3,
        "missing required key `backend`",
        "",
    );
}

#[test]
fn fleet_configuration_name_must_be_usable() {
    assert_error(
        "defaults: { backend: imageless }\nconfigurations:\n  1bad: {}\n",
        3,
        3,
        "`1bad` is not a usable configuration name",
        "",
    );
}

#[test]
fn fleet_shape_errors() {
    assert_error(
        "defaults: {}\nconfigurations:\n  a: { backend: imageless }\nextra: 1\n",
        4,
        1,
        "unknown key `extra`",
        "valid keys here: `defaults`, `configurations`",
    );
    assert_error(
        "configurations: {}\n",
        1,
        17,
        "`configurations` is empty",
        "",
    );
    assert_error(
        "configurations: [a, b]\n",
        1,
        17,
        "expected a map, found a list",
        "",
    );
}

// --- Writing nothing on invalid input ------------------------------------------------------

#[test]
fn generate_leaves_an_existing_flake_untouched_on_invalid_input() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "host.yaml", "name: devel\nbackend: imageless\n");
    let (code, _, stderr) = run(nixgen(dir, dir).args(["generate", "--no-git"]));
    assert_eq!(code, 0, "{stderr}");
    let before = std::fs::read(dir.join("flake.nix")).unwrap();
    write(
        dir,
        "host.yaml",
        "name: devel\nbackend: imageless\nprofiles: [devle]\n",
    );
    for flags in [
        &[][..],
        &["--force"],
        &["--diff"],
        &["--dry-run"],
        &["--check"],
    ] {
        let (code, stdout, stderr) =
            run(nixgen(dir, dir).args(["generate", "--no-git"]).args(flags));
        assert_eq!(code, 1, "{flags:?}: {stderr}");
        assert!(
            stdout.is_empty(),
            "{flags:?}: no diff for invalid input: {stdout}"
        );
        assert!(stderr.contains("host.yaml:3:12"), "{stderr}");
        assert_eq!(
            std::fs::read(dir.join("flake.nix")).unwrap(),
            before,
            "{flags:?}"
        );
    }
    let entries = std::fs::read_dir(dir).unwrap().count();
    assert_eq!(entries, 2, "no temporary files are left behind");
}

#[test]
fn validate_json_reports_warnings_without_failing() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "host.yaml",
        &host("overlays:\n  fio: { src: /nonexistent/src/fio }\n"),
    );
    let (code, stdout, stderr) =
        run(nixgen(tmp.path(), tmp.path()).args(["validate", "--json", "host.yaml"]));
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["valid"], true);
    let d = &json["diagnostics"][0];
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["file"], "host.yaml");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(10))
    );
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/src/fio"));
}

#[test]
fn warnings_from_fleet_defaults_are_reported_once() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "fleet.yaml",
        "defaults:\n  backend: imageless\n  overlays: { fio: { src: /nonexistent/fio } }\nconfigurations:\n  a: {}\n  b: {}\n",
    );
    let (code, stdout, stderr) =
        run(nixgen(tmp.path(), tmp.path()).args(["validate", "--json", "fleet.yaml"]));
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    // One warning for the default's missing source (and one per configuration about its
    // missing SSH keys, which are each configuration's own).
    let missing_source = |d: &&Value| d["message"].as_str().unwrap().contains("does not exist");
    assert_eq!(
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(missing_source)
            .count(),
        1,
        "{json:#}"
    );
    let (code, _, stderr) = run(nixgen(tmp.path(), tmp.path()).args(["validate", "fleet.yaml"]));
    assert_eq!(code, 0);
    assert_eq!(stderr.matches("does not exist").count(), 1, "{stderr}");
}

#[test]
fn diagnostics_name_the_file_as_given() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "hosts/devel/host.yaml",
        "name: devel\nbackend: qemu\n",
    );
    let (code, _, stderr) =
        run(nixgen(tmp.path(), tmp.path()).args(["validate", "hosts/devel/host.yaml"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--> hosts/devel/host.yaml:2:10\n"),
        "{stderr}"
    );
    // The caret display shows the line and points at the column.
    assert!(
        stderr.contains("2 | backend: qemu\n  |          ^\n"),
        "{stderr}"
    );
    let abs = tmp.path().join("hosts/devel/host.yaml");
    let (_, _, stderr) = run(nixgen(tmp.path(), tmp.path()).arg("validate").arg(&abs));
    assert!(
        stderr.contains(&format!("--> {}:2:10\n", abs.display())),
        "{stderr}"
    );
}
