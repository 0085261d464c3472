# Outputs name every input it uses; there is no @inputs binding,
# so the overlay refers to the fio-src argument directly.
{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:/home/user/src/fio";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, fio-src, ... }: {
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        nixos-flake.nixosModules.testSuites.fstests
        {
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              fio = prev.fio.overrideAttrs {
                src = fio-src;
              };
            })
          ];
        }
      ];
    };
  };
}
