{
  description = "Lab hosts, one file per machine under ./hosts";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    xfstests-src = {
      url = "path:/home/user/src/xfstests-dev";
      flake = false;
    };
  };

  # Hosts are defined in ./hosts.nix, one attribute per machine.
  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations = import ./hosts.nix inputs;

    packages.x86_64-linux = {
      devel = self.nixosConfigurations.devel.config.system.build.toplevel;
      storage = self.nixosConfigurations.storage.config.system.build.toplevel;
    };
  };
}
