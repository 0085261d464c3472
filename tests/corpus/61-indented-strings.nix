{
  description = "fio guest whose '' strings hold shell and job files indented every which way";

  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    fio-src = {
      url = "path:/home/user/src/fio";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.fio-bench = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.default
        ({ pkgs, ... }: {
          networking.hostName = "fio-bench";
          # no I/O scheduler on the NVMe drives
          boot.postBootCommands = ''
                    # runs once the store is mounted
                       for dev in /dev/nvme?n1; do
                  echo none > /sys/block/''${dev##*/}/queue/scheduler
                       done
          ''; # end of postBootCommands
          environment.etc."fio/randread.fio".text = ''
[global]
ioengine=io_uring
	direct=1
  runtime=60

[randread]
rw=randread
bs=4k
'';
          systemd.services.fio-warmup = {
            wantedBy = [ "multi-user.target" ];
            path = [ pkgs.fio ];
            script = ''
                  set -eu
              fio --output-format=json /etc/fio/randread.fio \
                            > /var/lib/fio-warmup.json
            '';
          };
          nixpkgs.overlays = [
            nixos-flake.overlays.default
            (final: prev: {
              fio = prev.fio.overrideAttrs { src = inputs.fio-src; };
            })
          ];
        })
      ];
    };
  };
}
