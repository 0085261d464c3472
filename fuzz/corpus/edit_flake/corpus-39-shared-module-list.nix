{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      # Modules every VM gets.
      sharedModules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.user
        { nixos-flake.user.name = "kdevops"; }
      ];
    in {
      nixosConfigurations = {
        devel = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = sharedModules ++ [
            nixos-flake.nixosModules.profiles.devel
            { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
          ];
        };
        monitor = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = sharedModules ++ [
            nixos-flake.nixosModules.profiles.monitoring
            {
              nixpkgs.overlays = [ nixos-flake.overlays.default ];
              networking.hostName = "monitor";
            }
          ];
        };
      };
    };
}
