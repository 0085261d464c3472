{
  description = "top-level dotted inputs; each url and its flake = false far apart";

  inputs.nixos-flake.url = "path:/home/user/src/nixos-flake";
  inputs.nixpkgs.follows = "nixos-flake/nixpkgs";

  # local trees
  inputs.xfstests-src.url = "path:/home/user/src/xfstests-dev";
  inputs.fio-src.url = "git+file:///home/user/src/fio?ref=iouring-wip";

  # neither is a flake
  inputs.xfstests-src.flake = false;
  inputs.fio-src.flake = false;

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.xfs-fio = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.default
        nixos-flake.nixosModules.testSuites.fstests
        {
          networking.hostName = "xfs-fio";
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              xfstests = prev.xfstests.overrideAttrs { src = inputs.xfstests-src; };
            })
            (final: prev: {
              fio = prev.fio.overrideAttrs { src = inputs.fio-src; }; # io_uring work branch
            })
          ];
        }
      ];
    };
  };
}
