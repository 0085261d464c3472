{
  description = "flake-parts: one nixos-flake guest plus per-system packages";

  inputs = {
    flake-parts.url = "github:hercules-ci/flake-parts";
    flake-parts.inputs.nixpkgs-lib.follows = "nixpkgs";
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:/home/user/src/fio";
      flake = false;
    };
  };

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [
        "x86_64-linux"
        "aarch64-linux" # perSystem only; the guest is x86_64
      ];

      # The configuration is a plain flake output, outside perSystem.
      flake.nixosConfigurations.vm = inputs.nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          inputs.nixos-flake.nixosModules.default
          inputs.nixos-flake.nixosModules.profiles.devel
          {
            networking.hostName = "vm";
            nixpkgs.overlays = [
              inputs.nixos-flake.overlays.default
              (final: prev: {
                fio = prev.fio.overrideAttrs { src = inputs.fio-src; };
              })
            ];
          }
        ];
      };

      perSystem =
        { pkgs, ... }:
        {
          packages.fio = pkgs.fio;
          devShells.default = pkgs.mkShell {
            packages = [
              pkgs.fio
              pkgs.nixfmt # formatter for this file
            ];
          };
        };
    };
}
