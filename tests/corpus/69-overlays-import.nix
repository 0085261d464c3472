{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      specialArgs = { inherit inputs; };
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        {
          # overlays live in their own file
          nixpkgs.overlays = import ./overlays.nix;
        }
      ];
    };
  };
}
