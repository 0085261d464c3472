{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    damo-src = {
      url = "path:/home/user/src/damo";
      flake = false;
    };
  };

  # No destructuring: every input is reached as inputs.<name>.
  outputs = inputs: {
    nixosConfigurations.damon = inputs.nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        inputs.nixos-flake.nixosModules.backends.imageless
        inputs.nixos-flake.nixosModules.profiles.monitoring
        {
          networking.hostName = "damon";
          nixpkgs.overlays = [
            inputs.nixos-flake.overlays.default
            (final: prev: {
              damo = prev.damo.overrideAttrs {
                src = inputs.damo-src;
              };
            })
          ];
        }
      ];
    };
  };
}
