{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    pynfs-src = {
      url = "path:/home/user/src/pynfs";
      flake = false;
    };
    nfstest-src = {
      url = "path:/home/user/src/nfstest";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.nfs = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ({ config, lib, pkgs, ... }: {
          # the backend and profiles come in through imports
          imports = [
            nixos-flake.nixosModules.backends.imageless
            nixos-flake.nixosModules.profiles.devel
            nixos-flake.nixosModules.mounts.shares
          ];

          nixos-flake.shares."/etc/xdg-host" = { tag = "xdg"; };
          nixos-flake.shares."/mnt/home" = { tag = "home"; options = [ "ro" ]; };

          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              pynfs = prev.pynfs.overrideAttrs { src = inputs.pynfs-src; };
            })
            (final: prev: {
              nfstest = prev.nfstest.overrideAttrs { src = inputs.nfstest-src; };
            })
          ];

          services.rpcbind.enable = true;
          environment.systemPackages = [ pkgs.nfs-utils ];
        })
      ];
    };
  };
}
