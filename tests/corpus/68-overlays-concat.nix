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
      commonOverlays = [ nixos-flake.overlays.default ];
    in {
      nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          {
            # The list is a concatenation: where would a new entry go?
            nixpkgs.overlays = commonOverlays ++ [
              (final: prev: {
                fio = prev.fio.overrideAttrs { src = inputs.fio-src; };
              })
            ];
          }
        ];
      };
    };
}
