{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:/home/user/src/fio";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations = {
      # Guest that runs the fio jobs.
      guest = nixpkgs.lib.nixosSystem {
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
            ];
          }
        ];
      };

      # Bare-metal controller that drives the guests.
      controller = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.libvirt
          nixos-flake.nixosModules.profiles.controller
          nixos-flake.nixosModules.user
          {
            nixos-flake.controller.enable = true;
            nixpkgs.overlays = [ nixos-flake.overlays.default ];
          }
        ];
      };
    };
  };
}
