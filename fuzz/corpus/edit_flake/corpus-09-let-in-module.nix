{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    kernel-src = {
      url = "path:/home/user/src/linux";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.power = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.monitoring
        nixos-flake.nixosModules.mounts.shares
        (let
          # host config directory shared over virtiofs
          xdg = "/etc/xdg-host";
        in {
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              # cpupower builds from tools/power/cpupower in the kernel tree
              cpupower = prev.cpupower.overrideAttrs {
                src = inputs.kernel-src;
              };
            })
          ];
          nixos-flake.shares.${xdg} = { tag = "xdg"; };
          environment.variables.XDG_CONFIG_HOME = xdg;
        })
      ];
    };
  };
}
