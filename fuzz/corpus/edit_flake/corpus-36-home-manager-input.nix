{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    # home-manager's own nixpkgs input follows ours; that nested
    # `inputs.nixpkgs` is not an input of this flake.
    home-manager = {
      url = "github:nix-community/home-manager";
      inputs.nixpkgs.follows = "nixos-flake/nixpkgs";
    };
  };

  outputs = { self, nixpkgs, nixos-flake, home-manager, ... }@inputs: {
    nixosConfigurations.devel = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        home-manager.nixosModules.home-manager
        {
          nixpkgs.overlays = [ nixos-flake.overlays.default ];
          home-manager.users.root = {
            programs.helix = {
              enable = true;
              settings.theme = "onedark";
            };
            programs.git = {
              enable = true;
              userName = "Kernel Developer";
              userEmail = "dev@example.org";
            };
          };
        }
      ];
    };
  };
}
