# The library input is named nf here, and nixpkgs follows it.
{
  inputs = {
    nf.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nf/nixpkgs";
    kmod-src.url = "git+https://git.kernel.org/pub/scm/utils/kernel/kmod/kmod.git";
    kmod-src.flake = false;
  };

  outputs = { self, nixpkgs, nf, ... }@inputs: {
    nixosConfigurations.modtest = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      specialArgs = { nixos-flake = nf; }; # modules copied from the template take this argument
      modules = [
        nf.nixosModules.default
        nf.nixosModules.profiles.devel
        {
          networking.hostName = "modtest";
          boot.kernelModules = [ "loop" "null_blk" ];
          nixpkgs.overlays = [
            nf.overlays.default # fio, xfstests, spdk and the custom packages
            (final: prev: {
              kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };
            })
          ];
        }
      ];
    };
  };
}
