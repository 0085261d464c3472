{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.scratch = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.user
        {
          # placeholders, filled in per experiment
          nixpkgs.overlays = [ ];
          environment.systemPackages = [ ];
          nixos-flake.user.extraGroups = [ ];
          boot.kernelParams = [];
        }
      ];
    };
  };
}
