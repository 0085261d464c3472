/*
 * SPDX-License-Identifier: MIT
 *
 * Copyright (C) 2025 Example Storage Lab
 *
 * NVMe zoned-storage test VM.
 */
{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xnvme-src = {
      url = "path:/home/user/src/xnvme";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.zns = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        nixos-flake.nixosModules.mounts.storage
        {
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              xnvme = prev.xnvme.overrideAttrs { src = inputs.xnvme-src; };
            })
          ];
          nixos-flake.storage."/mnt/zns0" = {
            device = "/dev/nvme2n1";
            fsType = "btrfs";
            mkfsArgs = [ "-O" "zoned" ];
          };
        }
      ];
    };
  };
}
