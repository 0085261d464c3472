# nixgen packaged for Nix: `nix run`, `nix profile install`, `nix develop`.
# tests/own_flake.rs evaluates this file offline against the stand-in nixpkgs
# in tests/fixtures/nixpkgs (nothing is built there).
{
  description = "nixgen: generate and edit NixOS configuration flakes for linux-kdevops/nixos-flake";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      cargoToml = builtins.fromTOML (builtins.readFile ./Cargo.toml);

      # What `cargo build` reads, and nothing else (so that editing tests or
      # docs does not rebuild the package): the manifest and lock file, src/,
      # templates/ (src/templates.rs include_str!s them) and benches/ (Cargo.toml
      # declares a [[bench]], and Cargo refuses a manifest whose declared
      # targets are missing).
      root = toString ./.;
      kept = [
        "Cargo.toml"
        "Cargo.lock"
        "src"
        "templates"
        "benches"
      ];
      src = builtins.path {
        name = "nixgen-source";
        path = ./.;
        filter =
          path: _type:
          let
            relative = lib.removePrefix "${root}/" (toString path);
          in
          builtins.elem (builtins.head (lib.splitString "/" relative)) kept;
      };

      nixgenFor =
        pkgs:
        pkgs.rustPlatform.buildRustPackage {
          pname = "nixgen";
          inherit (cargoToml.package) version;
          inherit src;

          cargoLock.lockFile = ./Cargo.lock;

          # The test suite evaluates flakes with a real `nix` (and drives a
          # terminal with tmux), which the build sandbox does not have.
          doCheck = false;

          meta = {
            inherit (cargoToml.package) description;
            license = with lib.licenses; [
              mit
              asl20
            ];
            mainProgram = "nixgen";
          };
        };
    in
    {
      packages = forAllSystems (
        pkgs:
        let
          nixgen = nixgenFor pkgs;
        in
        {
          inherit nixgen;
          default = nixgen;
        }
      );

      apps = lib.genAttrs systems (system: {
        default = {
          type = "app";
          program = "${self.packages.${system}.nixgen}/bin/nixgen";
          meta.description = "Run nixgen";
        };
      });

      # What scripts/test.sh needs: the Rust toolchain with clippy and
      # rustfmt, Nix for the evaluation tests, tmux for the interactive
      # tests and git for the git-awareness tests.
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = with pkgs; [
            cargo
            rustc
            clippy
            rustfmt
            nix
            tmux
            git
          ];
        };
      });

      # `nix fmt`: nixfmt on every .nix file but tests/corpus/, whose files
      # keep the styles (tabs, four spaces, ...) that the editing tests need.
      formatter = forAllSystems (
        pkgs:
        pkgs.nixfmt-tree.override {
          settings.formatter.nixfmt.excludes = [ "tests/corpus/*" ];
        }
      );
    };
}
