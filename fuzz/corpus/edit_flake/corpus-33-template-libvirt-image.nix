# SPDX-License-Identifier: copyleft-next-0.3.1
#
# libvirt NixOS VM, from the nixos-flake libvirt template.
#
# Per-VM configuration lives in ./default.nix; this flake composes
# the base modules and builds a qcow2 image for libvirt.
{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";

    # Local source checkouts (uncomment to use):
    #
    #   kmod-src = {
    #     type = "git";
    #     url = "https://git.kernel.org/pub/scm/utils/kernel/kmod/kmod.git";
    #     ref = "master";
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
      pkgs = import nixpkgs { inherit system; };
    in
    {
      nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
        inherit system;
        specialArgs = { inherit inputs nixos-flake; };
        modules = [
          nixos-flake.nixosModules.backends.libvirt
          nixos-flake.nixosModules.user
          { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
          ./default.nix
        ];
      };

      # qcow2 disk image built from the configuration above.
      # Run: nix build .#image
      packages.${system}.image = import "${nixpkgs}/nixos/lib/make-disk-image.nix" {
        inherit pkgs;
        inherit (pkgs) lib;
        config = self.nixosConfigurations.vm.config;
        diskSize = 20480;
        format = "qcow2";
        partitionTableType = "legacy";
      };
    };
}
