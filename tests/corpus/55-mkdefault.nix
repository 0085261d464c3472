{
	description = "monitoring guest whose settings are all lib.mkDefault, tab indented";

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
				nixos-flake.nixosModules.default
				nixos-flake.nixosModules.profiles.monitoring
				({ lib, ... }: {
					# defaults only: a host module may override any of them
					networking.hostName = lib.mkDefault "damon";
					nixos-flake.user.extraGroups = lib.mkDefault [ "wheel" "kvm" ];
					nixos-flake.monitoring = {
						enable = lib.mkDefault true;
						sysstat.interval = lib.mkDefault 10; # seconds
					};
					nixpkgs.overlays = [
						nixos-flake.overlays.default
						(final: prev: {
							damo = prev.damo.overrideAttrs { src = inputs.damo-src; };
						})
					];
					system.stateVersion = lib.mkDefault "26.05";
				})
			];
		};
	};
}
