{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    kmod-src = {
      url = "path:/home/user/src/kmod";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        {
          # Old-style overlay argument names, from an older config.
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (self: super: {
              kmod = super.kmod.overrideAttrs (oldAttrs: {
                src = inputs.kmod-src;
              });
            })
          ];
        }
      ];
    };
  };
}
