{
  # Dotted and nested input declarations, mixed over the years.
  inputs.nixos-flake.url = "path:/home/user/src/nixos-flake";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
  inputs = {
    xfstests-src = {
      url = "path:/home/user/src/xfstests-dev";
      flake = false;
    };
  };
  inputs.kernel-src = {
    url = "path:/home/user/src/linux";
    flake = false;
  };

  outputs = { self, nixpkgs, nixos-flake, xfstests-src, kernel-src }: {
    nixosConfigurations.xfs = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        nixos-flake.nixosModules.testSuites.fstests
        {
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              xfstests = prev.xfstests.overrideAttrs { src = xfstests-src; };
              cpupower = prev.cpupower.overrideAttrs { src = kernel-src; };
            })
          ];
        }
      ];
    };
  };
}
