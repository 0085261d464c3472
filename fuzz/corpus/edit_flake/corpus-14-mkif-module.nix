{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:/home/user/src/fio";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      # flip to false to go back to nixos-flake's own fio
      useLocalFio = true;
    in {
      nixosConfigurations.iotest = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.devel
          { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
          ({ lib, ... }: lib.mkIf useLocalFio {
            nixpkgs.overlays = [
              (final: prev: {
                fio = prev.fio.overrideAttrs {
                  src = inputs.fio-src;
                  patches = [ ];
                };
              })
            ];
          })
        ];
      };
    };
}
