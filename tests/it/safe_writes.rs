//! Safe writes through the binary: a `kill -9` at any moment of `nixgen overlay add` on a big
//! flake leaves the old file or the new one, never a torn one; a symlinked flake.nix stays a
//! symlink and its target is edited; file permissions are kept.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The flake /work/shared/bench/mkbig.py writes, with `n` inputs and overlay entries.
fn big_flake(n: usize) -> String {
    let mut s = String::from(
        "{\n  description = \"big flake\";\n  inputs = {\n    nixos-flake.url = \"path:/home/user/src/nixos-flake\";\n    nixpkgs.follows = \"nixos-flake/nixpkgs\";\n",
    );
    for i in 0..n {
        if i % 3 == 0 {
            s.push_str(&format!("    # input number {i}: keep this comment\n"));
        }
        s.push_str(&format!(
            "    pkg{i}-src = {{\n      url = \"path:/home/user/src/pkg{i}\"; # trailing {i}\n      flake = false;\n    }};\n"
        ));
    }
    s.push_str("  };\n  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {\n    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      modules = [\n        nixos-flake.nixosModules.backends.imageless\n        {\n          nixpkgs.overlays = [\n            nixos-flake.overlays.default\n");
    for i in 0..n {
        s.push_str(&format!(
            "            (final: prev: {{ pkg{i} = prev.pkg{i}.overrideAttrs {{ src = inputs.pkg{i}-src; }}; }}) # overlay {i}\n"
        ));
    }
    s.push_str("          ];\n        }\n      ];\n    };\n  };\n}\n");
    s
}

fn nixgen(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nixgen"));
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

const ADD: [&str; 6] = ["overlay", "add", "newpkg", "--src", ".", "--flake"];

#[test]
fn kill_9_at_any_moment_leaves_the_old_or_the_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let flake = dir.path().join("flake.nix");
    let old = big_flake(2000);
    // The new file, from an uninterrupted run.
    std::fs::write(&flake, &old).unwrap();
    let start = Instant::now();
    assert!(nixgen(dir.path())
        .args(ADD)
        .arg("flake.nix")
        .status()
        .unwrap()
        .success());
    let full = start.elapsed();
    let new = std::fs::read(&flake).unwrap();
    assert_ne!(new, old.as_bytes());

    // Kill at delays spread over the whole run (and a little past it).
    let rounds = 40u32;
    let (mut olds, mut news) = (0, 0);
    for round in 0..rounds {
        std::fs::write(&flake, &old).unwrap();
        let delay = full.mul_f64(1.2 * f64::from(round) / f64::from(rounds));
        let mut child = nixgen(dir.path())
            .args(ADD)
            .arg("flake.nix")
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let now = std::fs::read(&flake).unwrap();
        if now == old.as_bytes() {
            olds += 1;
        } else if now == new {
            news += 1;
        } else {
            panic!(
                "round {round} (killed after {delay:?}): flake.nix is neither the old nor the new file ({} bytes)",
                now.len()
            );
        }
    }
    eprintln!(
        "{rounds} kills: {olds} left the old file, {news} the new one (a full run takes {full:?})"
    );
    assert!(olds > 0, "some kills land before the rename");
}

#[test]
fn a_symlinked_flake_stays_a_symlink_and_its_target_is_edited() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/configuration.nix");
    let old = big_flake(3);
    std::fs::write(&target, &old).unwrap();
    let link = dir.path().join("flake.nix");
    std::os::unix::fs::symlink("real/configuration.nix", &link).unwrap();
    // A chain of two links, one of them absolute.
    let link2 = dir.path().join("other.nix");
    std::os::unix::fs::symlink(&link, &link2).unwrap();

    let status = nixgen(dir.path())
        .args(ADD)
        .arg("flake.nix")
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("real/configuration.nix")
    );
    let edited = std::fs::read_to_string(&target).unwrap();
    assert!(edited.contains("newpkg-src"), "{edited}");
    nixgen::nix::check_syntax(&edited).unwrap();

    let status = nixgen(dir.path())
        .args(["overlay", "remove", "newpkg", "--flake", "other.nix"])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::symlink_metadata(&link2)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), old);
    // No temporary file is left beside the target or the links.
    for d in [dir.path(), &dir.path().join("real")] {
        for e in std::fs::read_dir(d).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "{name} left in {}", d.display());
        }
    }
}

#[test]
fn file_permissions_are_kept() {
    for mode in [0o600, 0o640, 0o644, 0o664, 0o755, 0o400] {
        let dir = tempfile::tempdir().unwrap();
        let flake = dir.path().join("flake.nix");
        std::fs::write(&flake, big_flake(3)).unwrap();
        std::fs::set_permissions(&flake, std::fs::Permissions::from_mode(mode)).unwrap();
        let status = nixgen(dir.path())
            .args(ADD)
            .arg("flake.nix")
            .status()
            .unwrap();
        assert!(status.success(), "mode {mode:o}");
        assert!(std::fs::read_to_string(&flake)
            .unwrap()
            .contains("newpkg-src"));
        let after = std::fs::metadata(&flake).unwrap().permissions().mode() & 0o7777;
        assert_eq!(after, mode, "mode {mode:o} is kept");

        // `generate` over the existing file keeps it too.
        std::fs::write(
            dir.path().join("host.yaml"),
            "name: vm\nbackend: imageless\nnixosFlake: path:/x/nixos-flake\n",
        )
        .unwrap();
        let status = nixgen(dir.path())
            .args(["generate", "host.yaml", "--no-git"])
            .status()
            .unwrap();
        assert!(status.success(), "mode {mode:o}");
        let after = std::fs::metadata(&flake).unwrap().permissions().mode() & 0o7777;
        assert_eq!(after, mode, "generate keeps mode {mode:o}");
    }
}

/// A minimal flake with one configuration and an overlay list, for the concurrency trials.
const SMALL_FLAKE: &str = "{\n  inputs.nixos-flake.url = \"path:/srv/nixos-flake\";\n  \
inputs.nixpkgs.follows = \"nixos-flake/nixpkgs\";\n  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {\n    \
nixosConfigurations.vm = nixpkgs.lib.nixosSystem {\n      system = \"x86_64-linux\";\n      \
modules = [\n        nixos-flake.nixosModules.backends.imageless\n        \
{ nixpkgs.overlays = [ nixos-flake.overlays.default ]; }\n      ];\n    };\n  };\n}\n";

#[test]
fn concurrent_overlay_adds_keep_both_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let flake = tmp.path().join("flake.nix");
    for trial in 0..20 {
        std::fs::write(&flake, SMALL_FLAKE).unwrap();
        let spawn = |pkg: &str| {
            nixgen(tmp.path())
                .args(["overlay", "add", pkg, "--src", &format!("/srv/{pkg}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("fio"), spawn("kmod"));
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "trial {trial}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = std::fs::read_to_string(&flake).unwrap();
        assert!(
            text.contains("fio-src = {") && text.contains("kmod-src = {"),
            "trial {trial}: an edit was lost:\n{text}"
        );
        assert!(
            text.contains("fio = prev.fio") && text.contains("kmod = prev.kmod"),
            "{text}"
        );
    }
}

#[test]
fn a_save_between_read_and_write_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let flake = tmp.path().join("flake.nix");
    std::fs::write(&flake, SMALL_FLAKE).unwrap();
    let child = nixgen(tmp.path())
        .args(["overlay", "add", "fio", "--src", "/srv/fio"])
        .env("NIXGEN_TEST_PAUSE_BEFORE_WRITE_MS", "700")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    // An editor saves without taking nixgen's lock.
    let saved = format!("{SMALL_FLAKE}# saved in an editor\n");
    std::fs::write(&flake, &saved).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("changed on disk after nixgen read it"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&flake).unwrap(),
        saved,
        "the save survives"
    );
}
