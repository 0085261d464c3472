{
  description = "Pinned upstream commits instead of local checkouts";

  inputs = {
    nixos-flake.url = "github:linux-kdevops/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
  };

  outputs =
    {
      self,
      nixpkgs,
      nixos-flake,
      ...
    }:
    {
      nixosConfigurations.pinned = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          nixos-flake.nixosModules.backends.imageless
          nixos-flake.nixosModules.profiles.devel
          {
            nixpkgs.overlays = [
              nixos-flake.overlays.default
              # damo: https://github.com/damonitor/damo
              (final: prev: {
                damo = prev.damo.overrideAttrs {
                  src = final.fetchFromGitHub {
                    owner = "damonitor";
                    repo = "damo";
                    rev = "5c3a7a0e8f1d2b4c6e8a0b2d4f6a8c0e2b4d6f8a";
                    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
                  };
                };
              })
              # xfstests: git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git
              (final: prev: {
                xfstests = prev.xfstests.overrideAttrs {
                  src = final.fetchgit {
                    url = "git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git";
                    rev = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
                    hash = "sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=";
                  };
                };
              })
            ];
          }
        ];
      };
    };
}
