{
  description = "LTP guest whose module list is let-bound and inherited into nixosSystem";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    kmod-src = {
      url = "path:/home/user/src/kmod";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      system = "x86_64-linux";
      /* the one module list, bound here and inherited below */
      modules = [
        nixos-flake.nixosModules.default
        nixos-flake.nixosModules.testSuites.ltp
        {
          networking.hostName = "ltp";
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };
            })
          ];
        }
      ];
    in
    {
      nixosConfigurations.ltp = nixpkgs.lib.nixosSystem {
        inherit system modules; # the let's list, not written here
      };
    };
}
