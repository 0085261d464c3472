{
  description = "flake-parts module function: withSystem hands perSystem packages to the guest";

  inputs = {
    nixpkgs.follows = "nixos-flake/nixpkgs";
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    flake-parts.url = "github:hercules-ci/flake-parts"; # mkFlake only
    kmod-src = {
      type = "git";
      url = "https://git.kernel.org/pub/scm/utils/kernel/kmod/kmod.git";
      ref = "master";
      flake = false;
    };
  };

  outputs =
    inputs@{ flake-parts, nixpkgs, nixos-flake, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } (
      { withSystem, ... }:
      {
        systems = [ "x86_64-linux" ];

        perSystem =
          { pkgs, ... }:
          {
            # a small helper built per system, installed in the guest
            packages.modprobe-smoke = pkgs.writeShellScriptBin "modprobe-smoke" ''
              set -eu
              for m in null_blk scsi_debug; do
                modprobe "$m" && modprobe -r "$m"
              done
            '';
          };

        flake.nixosConfigurations.ci = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs.hostPackages = withSystem "x86_64-linux" ({ config, ... }: config.packages);
          modules = [
            nixos-flake.nixosModules.default
            ({ hostPackages, ... }: {
              networking.hostName = "ci";
              environment.systemPackages = [ hostPackages.modprobe-smoke ];
              nixpkgs.overlays = [
                nixos-flake.overlays.default
                (final: prev: {
                  kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };
                })
              ];
            })
          ];
        };
      }
    );
}
