{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    # One configuration per name, all built by the same function.
    nixosConfigurations = nixpkgs.lib.genAttrs [ "vm1" "vm2" "vm3" ] (name:
      nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          {
            networking.hostName = name;
            nixpkgs.overlays = [ nixos-flake.overlays.default ];
          }
        ];
      });
  };
}
