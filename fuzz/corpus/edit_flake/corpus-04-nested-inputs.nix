{
  description = "kmod and fio built from local checkouts";

  inputs = {
    nixos-flake = {
      url = "path:/home/user/src/nixos-flake";
    };
    nixpkgs = {
      follows = "nixos-flake/nixpkgs";
    };
    # Local checkouts, flake = false: plain source trees.
    fio-src = {
      url = "path:/home/user/src/fio";
      flake = false;
    };
    kmod-src = {
      url = "path:/home/user/src/kmod";
      flake = false;
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      nixos-flake,
      ...
    }@inputs:
    {
      nixosConfigurations.devel = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.devel
          {
            nixpkgs.overlays = [
              nixos-flake.overlays.default
              (final: prev: {
                fio = prev.fio.overrideAttrs {
                  src = inputs.fio-src;
                  patches = [ ];
                };
              })
              (final: prev: {
                kmod = prev.kmod.overrideAttrs {
                  src = inputs.kmod-src;
                };
              })
            ];
          }
        ];
      };
    };
}
