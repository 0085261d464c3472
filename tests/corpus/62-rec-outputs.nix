{
  description = "outputs as a rec set: the configuration uses the flake's own module by name";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xfstests-src = {
      url = "path:/home/user/src/xfstests-dev";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: rec {
    # exported for other flakes; holds no overlays
    nixosModules.keys = {
      users.users.root.openssh.authorizedKeys.keys = [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb0v7lXAmpleKeyOnlyForTests user@laptop"
      ];
    };

    nixosConfigurations.xfs = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.default
        nixos-flake.nixosModules.testSuites.fstests
        nixosModules.keys # from this rec set, not through self
        {
          networking.hostName = "xfs";
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              xfstests = prev.xfstests.overrideAttrs { src = inputs.xfstests-src; };
            })
          ];
        }
      ];
    };

    packages.x86_64-linux.toplevel = nixosConfigurations.xfs.config.system.build.toplevel;
    packages.x86_64-linux.default = packages.x86_64-linux.toplevel;
  };
}
