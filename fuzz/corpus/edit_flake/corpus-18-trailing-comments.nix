{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake"; # my checkout, branch dev
    nixpkgs.follows = "nixos-flake/nixpkgs"; # one nixpkgs for both
    kmod-src = { # kmod with my modprobe fixes
      url = "path:/home/user/src/kmod";
      flake = false; # plain source tree
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.modtest = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux"; # no aarch64 box yet
      modules = [
        nixos-flake.nixosModules.backends.imageless # tmpfs root
        # profiles first, then test suites
        nixos-flake.nixosModules.profiles.devel # the big one
        # nixos-flake.nixosModules.testSuites.fstests
        nixos-flake.nixosModules.testSuites.selftests
        {
          nixpkgs.overlays = [
            nixos-flake.overlays.default # must stay first
            # my overrides below
            (final: prev: {
              kmod = prev.kmod.overrideAttrs {
                src = inputs.kmod-src; # ~/src/kmod
              };
            }) # kmod
          ]; # overlays
          environment.systemPackages = [ ]; # nothing extra
        }
      ]; # modules
    };
  };
}
