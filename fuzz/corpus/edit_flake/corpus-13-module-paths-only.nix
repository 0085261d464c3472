{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  # Everything host-specific lives in ./hardware.nix and ./default.nix;
  # the module list holds only paths and library modules.
  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.blktests = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      specialArgs = { inherit inputs nixos-flake; };
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        nixos-flake.nixosModules.testSuites.blktests
        ./hardware.nix
        ./default.nix
      ];
    };
  };
}
