{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    damo-src.url = "github:damonitor/damo";
    damo-src.flake = false;
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      lib = nixpkgs.lib; # recursiveUpdate and nixosSystem come from here
      system = "x86_64-linux";
    in
    # both sets write packages.${system}: // would drop the first one's
    lib.recursiveUpdate
      {
        packages.${system}.damon-vm = self.nixosConfigurations.damon.config.system.build.toplevel;
      }
      {
        nixosConfigurations.damon = lib.nixosSystem {
          inherit system;
          modules = [
            nixos-flake.nixosModules.default
            nixos-flake.nixosModules.profiles.monitoring
            {
              nixos-flake.monitoring.enable = true;
              nixpkgs.overlays = [
                nixos-flake.overlays.default
                (final: prev: { damo = prev.damo.overrideAttrs { src = inputs.damo-src; }; })
              ];
            }
          ];
        };
        nixosConfigurations.plain = lib.nixosSystem {
          inherit system;
          modules = [ nixos-flake.nixosModules.default ];
        };
        packages.${system}.plain-vm = self.nixosConfigurations.plain.config.system.build.toplevel;
      };
}
