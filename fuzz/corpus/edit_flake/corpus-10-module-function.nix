{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xnvme-src = {
      url = "path:/home/user/src/xnvme";
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
      nixosConfigurations.nvme = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.devel
          # Function module: pkgs and lib come from the module system.
          (
            { pkgs, lib, ... }:
            {
              nixpkgs.overlays = [
                nixos-flake.overlays.default
                (final: prev: {
                  xnvme = prev.xnvme.overrideAttrs {
                    src = inputs.xnvme-src;
                  };
                })
              ];
              environment.systemPackages = with pkgs; [
                gdb
                bpftrace
                nvme-cli
              ];
              environment.variables.XDG_CONFIG_DIRS = lib.mkForce "/etc/xdg-host:/etc/xdg";
            }
          )
        ];
      };
    };
}
