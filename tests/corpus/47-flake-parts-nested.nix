/*
  Two guests under flake-parts, in the nested
  `flake = { nixosConfigurations = { ... }; };` form.
*/
{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    flake-parts = {
      url = "github:hercules-ci/flake-parts";
      inputs.nixpkgs-lib.follows = "nixpkgs";
    };
    blktests-src = {
      url = "path:/home/user/src/blktests";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, flake-parts, ... }@inputs:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" ];
      flake = {
        nixosConfigurations = {
          # builds kernels and tools; no test suite
          builder = nixpkgs.lib.nixosSystem {
            system = "x86_64-linux";
            modules = [
              nixos-flake.nixosModules.default
              nixos-flake.nixosModules.profiles.build-tools
              { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
            ];
          };
          # runs blktests from a local tree
          tester = nixpkgs.lib.nixosSystem {
            system = "x86_64-linux";
            modules = [
              nixos-flake.nixosModules.default
              nixos-flake.nixosModules.testSuites.blktests
              {
                networking.hostName = "tester";
                nixpkgs.overlays = [
                  nixos-flake.overlays.default
                  (final: prev: {
                    blktests = prev.blktests.overrideAttrs { src = inputs.blktests-src; };
                  })
                ];
              }
            ];
          };
        };
      };
      perSystem = { pkgs, ... }: { formatter = pkgs.nixfmt; };
    };
}
