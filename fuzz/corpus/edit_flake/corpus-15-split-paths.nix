{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.storage = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        nixos-flake.nixosModules.mounts.shares
        nixos-flake.nixosModules.mounts.storage
        {
          nixpkgs.config.allowUnfree = false;
          nixpkgs = {
            overlays = [ nixos-flake.overlays.default ];
          };

          # first drive: 16k blocks and sectors
          nixos-flake.storage."/mnt/a" = {
            device = "/dev/nvme0n1";
            fsType = "xfs";
            mkfsArgs = [ "-b" "size=16k" "-s" "size=16k" ];
          };
          # second drive, written one leaf at a time
          nixos-flake.storage."/mnt/b".device = "/dev/nvme1n1";
          nixos-flake.storage."/mnt/b".fsType = "xfs";
          nixos-flake.storage."/mnt/b".autoFormat = true;

          nixos-flake = {
            shares = {
              "/etc/xdg-host" = { tag = "xdg"; };
              "/mnt/home" = { tag = "home"; options = [ "ro" ]; };
            };
          };

          environment.variables.XDG_CONFIG_HOME = "/etc/xdg-host";
        }
      ];
    };
  };
}
