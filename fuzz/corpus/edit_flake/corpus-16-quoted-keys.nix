# Every key quoted, as an old generator script wrote them.
{
  inputs = {
    "nixos-flake".url = "path:/home/user/src/nixos-flake";
    "nixpkgs".follows = "nixos-flake/nixpkgs";
    "fio-src" = {
      url = "path:/home/user/src/fio";
      "flake" = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations."storage-vm" = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.mounts.storage
        {
          "nixpkgs"."overlays" = [
            nixos-flake.overlays.default
            (final: prev: {
              "fio" = prev.fio.overrideAttrs {
                src = inputs."fio-src";
              };
            })
          ];
          nixos-flake.storage."/mnt/nvme0" = {
            device = "/dev/nvme0n1";
            fsType = "xfs";
            autoFormat = true;
          };
          nixos-flake.storage."/mnt/data" = {
            device = "/dev/vdb";
            fsType = "ext4";
            options = [ "noatime" ];
          };
        }
      ];
    };
  };
}
