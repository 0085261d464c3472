# SPDX-License-Identifier: copyleft-next-0.3.1
#
# Imageless VM for XFS development, created from the nixos-flake
# template and then edited by hand.
#
#   nix build .#nixosConfigurations.vm.config.system.build.toplevel
#
# Local source checkouts are declared below as flake = false inputs
# and wired into nixpkgs.overlays; uncomment the ones you need.
{
  inputs = {
    # Local checkout preferred. For upstream, use:
    #   nixos-flake.url = "github:linux-kdevops/nixos-flake";
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";

    # Local source checkouts (uncomment to use):
    #
    #   fio-src = {
    #     url = "path:/home/user/src/fio";
    #     flake = false;
    #   };
    #   kmod-src = {
    #     url = "path:/home/user/src/kmod";
    #     flake = false;
    #   };
  };

  outputs =
    {
      self,
      nixpkgs,
      nixos-flake,
      ...
    }@inputs:
    let
      system = "x86_64-linux";
    in
    {
      nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
        inherit system;
        specialArgs = { inherit inputs nixos-flake; };
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.devel
          nixos-flake.nixosModules.user
          {
            nixpkgs.overlays = [
              nixos-flake.overlays.default
              # Build fio from a local checkout (needs fio-src above):
              # (final: prev: {
              #   fio = prev.fio.overrideAttrs {
              #     src = inputs.fio-src;
              #     patches = [ ];
              #   };
              # })
              # (final: prev: {
              #   kmod = prev.kmod.overrideAttrs {
              #     src = inputs.kmod-src;
              #   };
              # })
            ];
          }
        ];
      };

      # System closure for the imageless VM.
      # Run: nix build .#toplevel
      packages.${system}.toplevel = self.nixosConfigurations.vm.config.system.build.toplevel;
    };
}
