{
  description = "fio development VM with a local fio checkout";

  inputs.nixos-flake.url = "path:/home/user/src/nixos-flake";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
  # fio master with my io_uring changes
  inputs.fio-src.url = "path:/home/user/src/fio";
  inputs.fio-src.flake = false;

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.fio-vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        nixos-flake.nixosModules.mounts.storage # for /mnt/nvme0
        {
          networking.hostName = "fio-vm";
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              fio = prev.fio.overrideAttrs {
                src = inputs.fio-src;
                patches = [ ];
              };
            })
          ];
          nixos-flake.storage."/mnt/nvme0" = {
            device = "/dev/nvme0n1";
            fsType = "xfs";
            mkfsArgs = [ "-b" "size=16k" "-s" "size=16k" ];
          };
        }
      ];
    };
  };
}
