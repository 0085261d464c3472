{
  inputs = {
    nixos-flake.url = "github:linux-kdevops/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xfstests-src = {
      url = "path:/home/user/src/xfstests-dev";
      flake = false;
    };
  };

  # Every input is listed and there is no `...`: adding an input
  # means adding it to this argument list too.
  outputs = { self, nixpkgs, nixos-flake, xfstests-src }@inputs: {
    nixosConfigurations.fstests = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.testSuites.fstests
        nixos-flake.nixosModules.mounts.storage
        {
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              xfstests = prev.xfstests.overrideAttrs {
                src = inputs.xfstests-src;
              };
            })
          ];
          nixos-flake.storage = {
            "/mnt/test" = { device = "/dev/nvme0n1"; fsType = "xfs"; autoFormat = true; };
            "/mnt/scratch" = { device = "/dev/nvme1n1"; fsType = "xfs"; autoFormat = true; };
          };
        }
      ];
    };
  };
}
