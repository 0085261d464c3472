{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:/home/user/src/fio";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.profiles.devel
        {
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              # function form: old holds the previous layer's attributes
              fio = prev.fio.overrideAttrs (old: {
                src = inputs.fio-src;
                version = "${old.version}-local";
                patches = [ ];
                configureFlags = (old.configureFlags or [ ]) ++ [ "--enable-libnfs" ];
              });
            })
          ];
        }
      ];
    };
  };
}
