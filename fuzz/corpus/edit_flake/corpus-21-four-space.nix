{
    description = "Four-space indented damon test host";

    # four spaces, like the rest of our Python tooling
    inputs = {
        nixos-flake.url = "path:/home/user/src/nixos-flake";
        nixpkgs.follows = "nixos-flake/nixpkgs";
        damo-src = {
            url = "path:/home/user/src/damo";
            flake = false;
        };
    };

    outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
        nixosConfigurations.damon = nixpkgs.lib.nixosSystem {
            system = "x86_64-linux";
            modules = [
                nixos-flake.nixosModules.backends.imageless
                nixos-flake.nixosModules.profiles.monitoring
                nixos-flake.nixosModules.user
                {
                    nixpkgs.overlays = [
                        nixos-flake.overlays.default
                        (final: prev: {
                            damo = prev.damo.overrideAttrs {
                                src = inputs.damo-src;
                            };
                        })
                    ];
                    nixos-flake.user.name = "damon";
                    environment.systemPackages = with nixpkgs.legacyPackages.x86_64-linux; [
                        bpftrace
                        perf-tools
                    ];
                }
            ];
        };
    };
}
