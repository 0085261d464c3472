{
  description = "fio VM; its toplevel joined onto the outputs with //";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:/home/user/src/fio";
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
      nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit inputs; };
        modules = [
          nixos-flake.nixosModules.default
          nixos-flake.nixosModules.profiles.devel
          {
            networking.hostName = "fio-vm";
            nixpkgs.overlays = [
              nixos-flake.overlays.default
              # fio from the checkout under ~/src
              (final: prev: {
                fio = prev.fio.overrideAttrs {
                  src = inputs.fio-src;
                };
              })
            ];
          }
        ];
      };
    }
    # the closure QEMU boots: nix build .#toplevel
    // {
      packages.x86_64-linux.toplevel = self.nixosConfigurations.vm.config.system.build.toplevel;
    };
}
