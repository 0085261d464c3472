{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    nfstest-src = {
      url = "path:/home/user/src/nfstest";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.nfs-client = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        {
          # nixpkgs settings grouped in one attribute set
          nixpkgs = {
            config.allowUnfree = false;
            overlays = [
              nixos-flake.overlays.default
              (final: prev: {
                nfstest = prev.nfstest.overrideAttrs {
                  src = inputs.nfstest-src;
                };
              })
            ];
          };
          networking.hostName = "nfs-client";
        }
      ];
    };
  };
}
