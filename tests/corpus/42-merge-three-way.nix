{
    description = "blktests guest; formatter, configuration and checks joined with //";

    inputs = {
        nixos-flake.url = "path:/home/user/src/nixos-flake";
        nixpkgs.follows = "nixos-flake/nixpkgs";
        xnvme-src = {
            url = "path:/home/user/src/xnvme";
            flake = false;
        };
    };

    outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
        {
            formatter.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.nixfmt;
        }
        // {
            nixosConfigurations.blk = nixpkgs.lib.nixosSystem {
                system = "x86_64-linux";
                modules = [
                    nixos-flake.nixosModules.default
                    nixos-flake.nixosModules.testSuites.blktests
                    ({ pkgs, ... }: {
                        networking.hostName = "blk";
                        nixpkgs.overlays = [
                            nixos-flake.overlays.default
                            (final: prev: {
                                xnvme = prev.xnvme.overrideAttrs { src = inputs.xnvme-src; }; /* local xnvme */
                            })
                        ];
                        environment.systemPackages = [ pkgs.nvme-cli ];
                    })
                ];
            };
        }
        // {
            # evaluating the toplevel is the check
            checks.x86_64-linux.blk = self.nixosConfigurations.blk.config.system.build.toplevel;
        };
}
