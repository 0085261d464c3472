{
  description = "Hosts built by a let-bound mkHost helper taking a name and a module list";

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
      # modules every host gets
      common = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.user
        nixos-flake.nixosModules.profiles.devel
      ];
      mkHost = name: extra: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit inputs; };
        modules = common ++ extra;
      };
    in
    {
      nixosConfigurations.a = mkHost "a" [ ./a.nix { networking.hostName = "a"; } ];
      # b tests a local kmod
      nixosConfigurations.b = mkHost "b" [
        ./b.nix
        {
          networking.hostName = "b";
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };
            })
          ];
        }
      ];
    };
}
