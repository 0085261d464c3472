{
  description = "fstests guest; library modules through a let alias of inputs.nixos-flake";

  inputs = {
    nixos-flake.url = "github:linux-kdevops/kdevops?dir=scripts/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xfstests-src = { url = "path:/home/user/src/xfstests-dev"; flake = false; };
  };

  outputs = inputs:
    let
      nf = inputs.nixos-flake; # short alias, used for most references
      system = "x86_64-linux";
    in
    {
      nixosConfigurations.fstests = inputs.nixpkgs.lib.nixosSystem {
        inherit system;
        specialArgs = { inherit inputs; };
        modules = [
          nf.nixosModules.backends.imageless
          inputs.nixos-flake.nixosModules.user # spelled out in full
          nf.nixosModules.testSuites.fstests
          {
            networking.hostName = "fstests";
            nixpkgs.overlays = [
              nf.overlays.default
              (final: prev: {
                xfstests = prev.xfstests.overrideAttrs { src = inputs.xfstests-src; };
              })
            ];
          }
        ];
      };

      packages.${system}.default =
        inputs.self.nixosConfigurations.fstests.config.system.build.toplevel;
    };
}
