# Strings below contain '#' and '/*' that are not comments.
{
  inputs = {
    nixos-flake.url = "path:/home/user/src/nixos-flake";
    nixpkgs.follows = "nixos-flake/nixpkgs";
    dotfiles = {
      url = "path:/home/user/src/dotfiles";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        nixos-flake.nixosModules.backends.imageless
        nixos-flake.nixosModules.mounts.shares
        ({ pkgs, lib, ... }: {
          nixpkgs.overlays = [ nixos-flake.overlays.default ];
          nixos-flake.shares."/mnt/home" = { tag = "home"; options = [ "ro" ]; };
          environment.etc."xdg-host/helix/config.toml".source =
            "${inputs.dotfiles}/.config/helix/config.toml";
          environment.etc."motd".text = ''
            # build with: nix build .#nixosConfigurations.vm.config.system.build.toplevel
            /* not a comment either */ ''${HOME} stays literal
          '';
          environment.variables.XDG_CONFIG_DIRS = lib.mkForce "/etc/xdg-host:/etc/xdg"; # "quoted # inside comment"
          systemd.services."prepare-root-overlay" = {
            description = "Create overlay work directories for /root #1";
            wantedBy = [ "local-fs.target" ];
            serviceConfig = {
              Type = "oneshot";
              ExecStart = "${pkgs.coreutils}/bin/mkdir --parents /.root-overlay/upper /.root-overlay/work";
            };
          };
        })
      ];
    };
  };
}
