{
  description = "xfs test VM; outputs built with nixpkgs.lib.recursiveUpdate";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xfstests-src = {
      url = "path:/home/user/src/xfstests-dev";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    nixpkgs.lib.recursiveUpdate
      {
        nixosConfigurations.xfs = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            nixos-flake.nixosModules.default
            nixos-flake.nixosModules.mounts.storage
            nixos-flake.nixosModules.testSuites.fstests
            {
              networking.hostName = "xfs";
              nixos-flake.storage."/mnt/test" = {
                device = "/dev/nvme0n1";
                fsType = "xfs";
                mkfsArgs = [ "-f" "-m" "reflink=1" ]; # formatted once, on first boot
              };
              nixpkgs.overlays = [
                nixos-flake.overlays.default
                (final: prev: {
                  xfstests = prev.xfstests.overrideAttrs (old: {
                    src = inputs.xfstests-src;
                    version = "${old.version}-dev";
                  });
                })
              ];
            }
          ];
        };
      }
      {
        # merged into the set above, key by key
        packages.x86_64-linux.toplevel = self.nixosConfigurations.xfs.config.system.build.toplevel;
        packages.x86_64-linux.default = self.packages.x86_64-linux.toplevel;
      };
}
