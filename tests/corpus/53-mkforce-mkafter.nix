{
  description = "kdevops-style guest: hostName under lib.mkForce, overlays under lib.mkAfter";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      type = "path";
      path = "/home/kdevops/src/fio";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.kdevops-fio = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      specialArgs = { inherit inputs nixos-flake; };
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.user
        { nixpkgs.overlays = [ nixos-flake.overlays.default ]; }
        ({ lib, ... }: {
          networking.hostName = lib.mkForce "kdevops-fio"; # wins over ./hosts defaults
          nixos-flake.user.name = "kdevops";
          # after the library's overlay, whatever order the modules are in
          nixpkgs.overlays = lib.mkAfter [
            (final: prev: {
              fio = prev.fio.overrideAttrs (_: {
                src = inputs.fio-src;
                version = "kdevops-${inputs.fio-src.shortRev or "local"}";
              });
            })
          ];
        })
      ];
    };
  };
}
