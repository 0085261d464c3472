{
  description = "fstests guest with a module that declares its own options";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.xfs-lab = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ({ config, lib, pkgs, ... }: {
          imports = [
            nixos-flake.nixosModules.default
            nixos-flake.nixosModules.testSuites.fstests
          ];

          options.lab = {
            testDevice = lib.mkOption {
              type = lib.types.str;
              default = "/dev/nvme0n1";
              description = "Block device xfstests uses as TEST_DEV.";
            };
            scratchDevice = lib.mkOption {
              type = lib.types.str;
              default = "/dev/nvme1n1"; # wiped by every run
              description = "Block device xfstests uses as SCRATCH_DEV.";
            };
          };

          config = {
            networking.hostName = "xfs-lab";
            environment.etc."xfstests/local.config".text = ''
              export TEST_DEV=${config.lab.testDevice}
              export SCRATCH_DEV=${config.lab.scratchDevice}
              export FSTYP=xfs
            '';
            nixpkgs.overlays = [ nixos-flake.overlays.default ];
            environment.systemPackages = [ pkgs.xfsprogs ];
          };
        })
        # this VM has a second emulated drive
        { config.lab.scratchDevice = "/dev/nvme2n1"; }
      ];
    };
  };
}
