//! In-process benchmarks of nixgen's pipeline: parse, resolve, edit, validate, generate.
//!
//! Run with `cargo bench --bench pipeline`. The big flake is the one
//! `/work/shared/bench/mkbig.py` writes (2,000 `flake = false` inputs, 2,000 overlay entries,
//! comments; 10,687 lines), built here by [`big_flake`] so the benches need no Python.
//! BENCHMARKS.md records the figures and what they mean.

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use rowan::ast::AstNode;

use nixgen::edit::flake::Flake;
use nixgen::edit::overlay;
use nixgen::generate::{plan_for, Examples, SourceExpr};
use nixgen::model::load;
use nixgen::nix::resolve::{lookup, Lookup};

/// The flake mkbig.py writes, with `n` inputs and `n` overlay entries (mkbig.py: n = 2000).
pub fn big_flake(n: usize) -> String {
    let mut lines: Vec<String> = vec![
        "{".into(),
        "  description = \"big flake\";".into(),
        "  inputs = {".into(),
        "    nixos-flake.url = \"path:/home/user/src/nixos-flake\";".into(),
        "    nixpkgs.follows = \"nixos-flake/nixpkgs\";".into(),
    ];
    for i in 0..n {
        if i % 3 == 0 {
            lines.push(format!("    # input number {i}: keep this comment"));
        }
        lines.push(format!("    pkg{i}-src = {{"));
        lines.push(format!(
            "      url = \"path:/home/user/src/pkg{i}\"; # trailing {i}"
        ));
        lines.push("      flake = false;".into());
        lines.push("    };".into());
    }
    for l in [
        "  };",
        "  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {",
        "    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {",
        "      system = \"x86_64-linux\";",
        "      modules = [",
        "        nixos-flake.nixosModules.backends.imageless",
        "        {",
        "          nixpkgs.overlays = [",
        "            nixos-flake.overlays.default",
    ] {
        lines.push(l.into());
    }
    for i in 0..n {
        lines.push(format!(
            "            (final: prev: {{ pkg{i} = prev.pkg{i}.overrideAttrs {{ src = inputs.pkg{i}-src; }}; }}) # overlay {i}"
        ));
    }
    for l in [
        "          ];",
        "        }",
        "      ];",
        "    };",
        "  };",
        "}",
    ] {
        lines.push(l.into());
    }
    lines.join("\n") + "\n"
}

fn request() -> overlay::OverlayRequest {
    overlay::request_for(
        "newpkg",
        SourceExpr::Input("newpkg-src".into()),
        Some(nixgen::model::InputSource::Path(
            "/home/user/src/newpkg".into(),
        )),
        false,
    )
}

fn parse(c: &mut Criterion) {
    let text = big_flake(2000);
    let path = Path::new("flake.nix");
    let mut g = c.benchmark_group("parse");
    g.sample_size(30);
    g.bench_function("rnix/big", |b| {
        b.iter(|| rnix::Root::parse(black_box(&text)))
    });
    g.bench_function("nixfmt_rs_strict/big", |b| {
        b.iter(|| nixfmt_rs::format(black_box(&text)).is_ok())
    });
    g.bench_function("nixfmt_rs_parse_only/big", |b| {
        b.iter(|| nixfmt_rs::parse(black_box(&text)).is_ok())
    });
    g.bench_function("check_syntax/big", |b| {
        b.iter(|| nixgen::nix::check_syntax(black_box(&text)).is_ok())
    });
    g.bench_function("flake_view/big", |b| {
        b.iter(|| Flake::parse(path, black_box(&text)).is_ok())
    });
    g.finish();
}

fn resolve(c: &mut Criterion) {
    let text = big_flake(2000);
    let flake = Flake::parse(Path::new("flake.nix"), &text).unwrap();
    let config = flake.select(None).unwrap();
    let (_, _, list) = flake.overlays_list(&config).unwrap().unwrap();
    let mut g = c.benchmark_group("resolve");
    g.sample_size(30);
    g.bench_function("lookup_last_input_url/big", |b| {
        b.iter(|| {
            let l = lookup(&flake.top, black_box(&["inputs", "pkg1999-src", "url"]));
            assert!(matches!(l, Lookup::Found { .. }));
        })
    });
    g.bench_function("select_config/big", |b| {
        b.iter(|| flake.select(None).map(|c| c.module_lists.len()).ok())
    });
    g.bench_function("overlay_bindings/big", |b| {
        b.iter(|| flake.overlay_bindings(black_box(&list)).len())
    });
    g.finish();
}

fn edit(c: &mut Criterion) {
    let path = Path::new("flake.nix");
    let req = request();
    let mut g = c.benchmark_group("edit");
    g.sample_size(20);
    for n in [200usize, 2000, 20000] {
        let text = big_flake(n);
        let lines = text.lines().count();
        g.bench_with_input(
            BenchmarkId::new("overlay_add", format!("{lines}_lines")),
            &text,
            |b, text| {
                b.iter(|| {
                    overlay::add(path, black_box(text), None, &req)
                        .unwrap()
                        .text
                        .len()
                })
            },
        );
    }
    let text = big_flake(2000);
    let out = overlay::add(path, &text, None, &req).unwrap().text;
    g.bench_function("overlay_remove/big", |b| {
        b.iter(|| {
            overlay::remove(path, black_box(&out), None, "newpkg")
                .unwrap()
                .text
                .len()
        })
    });
    g.finish();
    // Sanity: the bench measures a real edit.
    let flake = Flake::parse(path, &out).unwrap();
    assert!(usize::from(flake.root.syntax().text().len()) > text.len());
}

const DEVEL: &str = include_str!("../examples/devel.yaml");

fn validate(c: &mut Criterion) {
    let path = Path::new("examples/devel.yaml");
    let mut g = c.benchmark_group("validate");
    g.bench_function("load_and_validate/devel", |b| {
        b.iter(|| {
            let doc = load::parse(path, black_box(DEVEL).as_bytes().to_vec()).unwrap();
            load::hosts(&doc).unwrap().len()
        })
    });
    let doc = load::parse(path, DEVEL.as_bytes().to_vec()).unwrap();
    let host = load::hosts(&doc).unwrap().remove(0);
    let plan = plan_for(&host.host);
    g.bench_function("generate_emit/devel", |b| {
        b.iter(|| {
            nixgen::generate::emit(black_box(&plan), &Examples::default())
                .unwrap()
                .len()
        })
    });
    let fleet = fleet_yaml(1000);
    let fleet_path = Path::new("fleet.yaml");
    g.sample_size(10);
    g.bench_function("load_and_validate/fleet_1000", |b| {
        b.iter(|| {
            let doc = load::parse(fleet_path, black_box(&fleet).as_bytes().to_vec()).unwrap();
            load::hosts(&doc).unwrap().len()
        })
    });
    g.finish();
}

/// A fleet of `n` configurations over shared defaults (the shape timing.sh scaffolds).
pub fn fleet_yaml(n: usize) -> String {
    let mut s = String::from(
        "defaults:\n  nixosFlake: path:/home/user/src/nixos-flake\n  backend: imageless\n  \
         profiles: [devel]\n  user: { name: kdevops }\n  shares:\n    /etc/xdg-host: { tag: xdg }\n  \
         overlays:\n    fio: { src: /home/user/src/fio, clearPatches: true }\n  packages: [gdb]\n\
         configurations:\n",
    );
    for i in 0..n {
        s.push_str(&format!("  host{i}:\n    hostName: host{i}\n"));
        if i % 2 == 1 {
            s.push_str("    storage: { /mnt/nvme0: { device: /dev/nvme0n1, fsType: xfs, autoFormat: true } }\n");
        }
        if i % 3 == 0 {
            s.push_str(&format!(
                "    overlays: {{ kmod: {{ src: /home/user/src/kmod{i} }} }}\n"
            ));
        }
    }
    s
}

criterion_group!(benches, parse, resolve, edit, validate);
criterion_main!(benches);
