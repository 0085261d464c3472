{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      commonModules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
      ];
    in {
      nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = commonModules; # no inline list to edit
      };
    };
}
