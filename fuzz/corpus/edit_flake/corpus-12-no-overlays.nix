{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.minimal = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.user
        {
          # Base VM without the development profile and without any
          # package overrides: no nixpkgs.overlays here on purpose.
          networking.hostName = "minimal";
          nixos-flake.user.name = "kdevops";
          environment.variables.EDITOR = "vim";
        }
      ];
    };
  };
}
