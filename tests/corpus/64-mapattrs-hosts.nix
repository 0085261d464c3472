{
  description = "Two test VMs built from one table of hosts";

  inputs = {
    nixos-flake.url = "github:linux-kdevops/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }:
    let
      # Everything a host needs beyond the common modules.
      hosts = {
        xfs = {
          extraModules = [ nixos-flake.nixosModules.testSuites.fstests ];
        };
        blk = {
          extraModules = [ nixos-flake.nixosModules.testSuites.blktests ];
        };
      };
      mkHost = name: { extraModules ? [ ] }:
        nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            nixos-flake.nixosModules.backends.imageless
            { networking.hostName = name; }
          ] ++ extraModules;
        };
    in
    {
      nixosConfigurations = nixpkgs.lib.mapAttrs mkHost hosts;
    };
}
