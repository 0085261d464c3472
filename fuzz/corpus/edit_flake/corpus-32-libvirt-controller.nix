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
    {
      nixosConfigurations.controller = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.libvirt
          nixos-flake.nixosModules.profiles.controller
          nixos-flake.nixosModules.user
          { nixos-flake.controller.enable = true; }
          {
            networking.hostName = "kdevops-ctl";
            nixos-flake.user = {
              name = "kdevops";
              extraGroups = [
                "wheel"
                "kvm"
                "libvirtd"
              ];
            };
          }
        ];
      };
    };
}
