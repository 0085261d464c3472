# Input declarations come from a shared file through inherit.
let
  sources = import ./sources.nix;
in
{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    inherit (sources) fio-src kmod-src;
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
      ];
    };
  };
}
