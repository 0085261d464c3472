/*
  Storage test VM.

  Maintained by the storage team; regenerate the lock file with
  `nix flake update` after bumping nixos-flake.
*/
{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake"; /* local checkout */
    nixpkgs.follows = "nixos-flake/nixpkgs";
    /* pynfs from a local tree */
    pynfs-src = {
      url = "path:/home/user/src/pynfs";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.pynfs = nixpkgs.lib.nixosSystem {
      system = /* the only arch we test on */ "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        /* nixos-flake.nixosModules.profiles.devel */
        nixos-flake.nixosModules.profiles.build-tools
        {
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            /* pynfs: local tree */
            (final: prev: {
              pynfs = prev.pynfs.overrideAttrs { src = inputs.pynfs-src; };
            })
          ];
          /*
           * NFS server shares come later.
           */
        }
      ];
    };
  };
}
