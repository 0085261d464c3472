{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
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
      # shorthand for the library's module tree
      mods = nixos-flake.nixosModules;
      hostName = "xfs-devel";
    in
    {
      nixosConfigurations.xfs-devel = nixpkgs.lib.nixosSystem {
        inherit system;
        specialArgs = { inherit inputs; };
        modules = [
          mods.backends.imageless
          mods.profiles.devel
          mods.testSuites.fstests
          mods.user
          {
            networking.hostName = hostName;
            nixpkgs.overlays = [ nixos-flake.overlays.default ];
            nixos-flake.user = {
              name = "kdevops";
              extraGroups = [
                "wheel"
                "kvm"
              ];
            };
          }
        ];
      };

      packages.${system}.default = self.nixosConfigurations.xfs-devel.config.system.build.toplevel;
    };
}
