{
  description = "XFS development VM with 16k block size on NVMe";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs =
    {
      self,
      nixpkgs,
      nixos-flake,
      ...
    }@inputs:
    {
      nixosConfigurations.xfs16k = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.devel
          nixos-flake.nixosModules.testSuites.fstests
          nixos-flake.nixosModules.mounts.storage
          {
            nixpkgs.overlays = [ nixos-flake.overlays.default ];
            networking.hostName = "xfs16k";
            nixos-flake.storage = {
              "/mnt/nvme0" = {
                device = "/dev/nvme0n1";
                fsType = "xfs";
                mkfsArgs = [
                  "-b"
                  "size=16k"
                  "-s"
                  "size=16k"
                ];
              };
              "/mnt/nvme1" = {
                device = "/dev/nvme1n1";
                fsType = "xfs";
                mkfsArgs = [
                  "-b"
                  "size=16k"
                  "-s"
                  "size=16k"
                ];
              };
            };
          }
        ];
      };
    };
}
