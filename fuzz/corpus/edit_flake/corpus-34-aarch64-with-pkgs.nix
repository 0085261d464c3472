{
  description = "arm64 guest for cross-arch regressions";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
    let
      system = "aarch64-linux";
      pkgs = nixpkgs.legacyPackages.${system}; # packages for the guest arch
    in {
      nixosConfigurations.arm64 = nixpkgs.lib.nixosSystem {
        inherit system;
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.build-tools
          {
            nixpkgs.overlays = [ nixos-flake.overlays.default ];
            networking.hostName = "arm64";
            environment.systemPackages = with pkgs; [
              gdb
              bpftrace
              strace
            ];
          }
        ];
      };
    };
}
