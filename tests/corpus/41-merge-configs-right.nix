# Packages first, configurations second: two attribute sets joined by //.
{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    kmod-src = {
      url = "git+https://git.kernel.org/pub/scm/utils/kernel/kmod/kmod.git?ref=master";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
    in
    {
      packages.${system} = {
        inherit (pkgs) fio blktests;
      };
      devShells.${system}.default = pkgs.mkShell {
        packages = [ pkgs.fio pkgs.kmod ]; # the same tools as the guest
      };
    } // {
      nixosConfigurations = {
        # guest: modprobe tests against a local kmod
        guest = nixpkgs.lib.nixosSystem {
          inherit system;
          modules = [
            nixos-flake.nixosModules.backends.imageless
            nixos-flake.nixosModules.user
            {
              networking.hostName = "guest";
              nixpkgs.overlays = [
                nixos-flake.overlays.default
                (final: prev: {
                  kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };
                })
              ];
            }
          ];
        };
        # host: libvirt image, stock overlay only
        host = nixpkgs.lib.nixosSystem {
          inherit system;
          modules = [
            nixos-flake.nixosModules.backends.libvirt
            nixos-flake.nixosModules.user
            { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
          ];
        };
      };
    };
}
