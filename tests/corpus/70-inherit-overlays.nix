{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      shared = {
        overlays = [ nixos-flake.overlays.default ];
      };
    in {
      nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          {
            nixpkgs = {
              inherit (shared) overlays; # same list as the other hosts
              config.allowUnfree = false;
            };
          }
        ];
      };
    };
}
