{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      arch = "x86_64";
    in {
      nixosConfigurations = {
        # name built from the architecture
        "devel-${arch}" = nixpkgs.lib.nixosSystem {
          system = "${arch}-linux";
          modules = [
            nixos-flake.nixosModules.backends.imageless
            { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
          ];
        };
      };
    };
}
