{
  description = "Kernel tooling built from local trees";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:/home/user/src/fio";
      flake = false;
    };
    kmod-src = {
      url = "path:/home/user/src/kmod";
      flake = false;
    };
    xfstests-src = {
      url = "path:/home/user/src/xfstests-dev";
      flake = false;
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      nixos-flake,
      ...
    }@inputs:
    {
      nixosConfigurations.devel = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.devel
          nixos-flake.nixosModules.testSuites.fstests
          {
            nixpkgs.overlays = [
              nixos-flake.overlays.default
              # one overlay, three packages
              (final: prev: {
                fio = prev.fio.overrideAttrs {
                  src = inputs.fio-src;
                  patches = [ ];
                };
                kmod = prev.kmod.overrideAttrs {
                  src = inputs.kmod-src;
                };
                xfstests = prev.xfstests.overrideAttrs {
                  src = inputs.xfstests-src;
                };
              })
            ];
          }
        ];
      };
    };
}
