{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    blktests-src = {
      url = "path:/home/user/src/blktests";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.blktests = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.default
        nixos-flake.nixosModules.testSuites.blktests
        # the library overlay goes first
        { nixpkgs.overlays = nixpkgs.lib.mkBefore [ nixos-flake.overlays.default ]; }
        ({ lib, pkgs, ... }: {
          networking.hostName = "blktests";
          # 1500: after the default priority (1000), before mkAfter
          nixpkgs.overlays = lib.mkOrder 1500 [
            (final: prev: {
              blktests = prev.blktests.overrideAttrs {
                src = inputs.blktests-src;
              };
            })
          ];
          boot.kernelModules = [ "null_blk" "scsi_debug" ];
          environment.systemPackages = [ pkgs.fio ];
        })
      ];
    };
  };
}
