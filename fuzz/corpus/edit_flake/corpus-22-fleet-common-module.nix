{
  description = "Three VMs sharing one common module";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
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
    let
      system = "x86_64-linux";
      # Shared by every configuration below.
      common = {
        nixpkgs.overlays = [
          nixos-flake.overlays.default
          (final: prev: {
            xfstests = prev.xfstests.overrideAttrs {
              src = inputs.xfstests-src;
            };
          })
        ];
        nixos-flake.shares."/etc/xdg-host".tag = "xdg";
      };
    in
    {
      nixosConfigurations.devel = nixpkgs.lib.nixosSystem {
        inherit system;
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.mounts.shares
          nixos-flake.nixosModules.profiles.devel
          common
        ];
      };
      nixosConfigurations.storage = nixpkgs.lib.nixosSystem {
        inherit system;
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.mounts.shares
          nixos-flake.nixosModules.mounts.storage
          nixos-flake.nixosModules.profiles.devel
          common
          {
            nixos-flake.storage."/mnt/nvme0" = {
              device = "/dev/nvme0n1";
              fsType = "xfs";
              autoFormat = true;
            };
          }
        ];
      };
      nixosConfigurations.minimal = nixpkgs.lib.nixosSystem {
        inherit system;
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.mounts.shares
          common
        ];
      };
    };
}
