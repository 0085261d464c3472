{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = { url = "path:/home/user/src/fio"; flake = false; };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      # mkHost { name = "..."; modules = [ ... ]; }
      mkHost =
        { name, modules ? [ ] }:
        nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            nixos-flake.nixosModules.default
            { networking.hostName = name; }
          ] ++ modules;
        };
    in
    {
      nixosConfigurations = {
        b = mkHost {
          name = "b";
          modules = [
            nixos-flake.nixosModules.mounts.storage
            nixos-flake.nixosModules.testSuites.fstests
            {
              nixos-flake.storage."/mnt/test" = { device = "/dev/vdb"; fsType = "xfs"; };
              nixpkgs.overlays = [
                nixos-flake.overlays.default
                (final: prev: { fio = prev.fio.overrideAttrs { src = inputs.fio-src; }; })
              ];
            }
          ];
        };
        /* a bare host: the helper's modules and the default overlay */
        bare = mkHost {
          name = "bare";
          modules = [ { nixpkgs.overlays = [ nixos-flake.overlays.default ]; } ];
        };
      };
    };
}
