{
  description = "inputs in attribute form (github, git) and one dotted url/flake pair";

  inputs = {
    nixos-flake = {
      type = "github";
      owner = "linux-kdevops";
      repo = "kdevops";
      dir = "scripts/nixos-flake";
    };
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      type = "github";
      owner = "axboe";
      repo = "fio";
      ref = "master";
      flake = false;
    };
    kmod-src = {
      type = "git";
      url = "https://git.kernel.org/pub/scm/utils/kernel/kmod/kmod.git";
      ref = "master"; # kmod has no release branches
      flake = false;
    };
    # the same thing, written as a dotted pair
    blktests-src.url = "github:osandov/blktests";
    blktests-src.flake = false;
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.upstream = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.default
        nixos-flake.nixosModules.testSuites.blktests
        {
          networking.hostName = "upstream";
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            # tip of tree for all three
            (final: prev: {
              fio = prev.fio.overrideAttrs { src = inputs.fio-src; };
              kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };
              blktests = prev.blktests.overrideAttrs { src = inputs.blktests-src; };
            })
          ];
        }
      ];
    };
  };
}
