{
  description = "tracing VM, everything on one line";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.trace = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ nixos-flake.nixosModules.backends.imageless nixos-flake.nixosModules.profiles.devel ({ pkgs, ... }: { nixpkgs.overlays = [ nixos-flake.overlays.default ]; environment.systemPackages = [ pkgs.gdb pkgs.bpftrace pkgs.trace-cmd ]; }) ];
    };

    packages.x86_64-linux.default = self.nixosConfigurations.trace.config.system.build.toplevel;

    checks.x86_64-linux = {
      toplevel = self.nixosConfigurations.trace.config.system.build.toplevel;
    };
  };
}
