{
  description = "Imageless VM whose inputs come from a shared file";

  # inputs shared by all hosts of the lab
  inputs = import ./inputs.nix;

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      specialArgs = { inherit inputs; };
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        nixos-flake.nixosModules.user
        {
          nixpkgs.overlays = [ nixos-flake.overlays.default ];
          nixos-flake.user.name = "kdevops";
        }
      ];
    };
  };
}
