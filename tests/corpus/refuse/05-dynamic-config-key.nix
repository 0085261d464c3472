{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      hostName = "vm";
    in {
      # the configuration name is computed (a `${var}` a let binds is seen through)
      nixosConfigurations.${toString hostName} = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          {
            networking.hostName = hostName;
            nixpkgs.overlays = [ nixos-flake.overlays.default ];
          }
        ];
      };
    };
}
