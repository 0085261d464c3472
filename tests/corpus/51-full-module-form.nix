{
  description = "NVMe guest whose inline module is written in full form: imports plus config";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xnvme-src = {
      url = "path:/home/user/src/xnvme";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.nvme = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        {
          # library modules come in through imports, not the list above
          imports = [
            nixos-flake.nixosModules.default
            nixos-flake.nixosModules.mounts.storage
          ];

          config = {
            networking.hostName = "nvme";
            nixos-flake.storage."/mnt/nvme0" = {
              device = "/dev/nvme0n1";
              fsType = "xfs";
              autoFormat = true;
            };
            nixpkgs.overlays = [
              nixos-flake.overlays.default
              (final: prev: {
                # xnvme from a local tree
                xnvme = prev.xnvme.overrideAttrs { src = inputs.xnvme-src; };
              })
            ];
          }; # end of config
        }
      ];
    };
  };
}
