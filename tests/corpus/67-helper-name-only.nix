{
  description = "a host built by a helper whose call passes only a name";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      # one list for every host the helper builds
      mkHost = name: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.default
          {
            networking.hostName = name;
            nixpkgs.overlays = [ nixos-flake.overlays.default ];
          }
        ];
      };
    in
    {
      nixosConfigurations.c = mkHost "c"; # no module list at the call
    };
}
