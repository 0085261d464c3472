{
  description = "fstests guest; the outputs body is under `with inputs;`";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xfstests-src = {
      url = "git+https://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git";
      flake = false;
    };
  };

  # every input is in scope by its bare name below
  outputs = inputs: with inputs; {
    nixosConfigurations.fstests = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      specialArgs = { inherit inputs; };
      modules = [
        nixos-flake.nixosModules.default
        nixos-flake.nixosModules.mounts.storage
        nixos-flake.nixosModules.testSuites.fstests
        {
          networking.hostName = "fstests";
          nixos-flake.storage."/mnt/scratch" = { device = "/dev/nvme1n1"; fsType = "xfs"; };
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              xfstests = prev.xfstests.overrideAttrs { src = xfstests-src; }; # bare name, via with
            })
          ];
        }
      ];
    };
  };
}
