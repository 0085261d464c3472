{
	inputs = {
		nixos-flake.url = "path:/home/user/src/nixos-flake";
		nixpkgs.follows = "nixos-flake/nixpkgs";
		xnvme-src = {
			url = "path:/home/user/src/xnvme";
			flake = false;
		};
	};

	outputs = inputs:
		let
			inherit (inputs) nixpkgs nixos-flake; # bare names for the two used most
			system = "x86_64-linux";
		in
		{
			nixosConfigurations.spdk = nixpkgs.lib.nixosSystem {
				inherit system;
				modules = [
					nixos-flake.nixosModules.default
					nixos-flake.nixosModules.profiles.devel
					{
						networking.hostName = "spdk";
						boot.kernel.sysctl."vm.nr_hugepages" = 1024;
						nixpkgs.overlays = [
							nixos-flake.overlays.default
							# xnvme still goes through inputs: it is not inherited
							(final: prev: {
								xnvme = prev.xnvme.overrideAttrs { src = inputs.xnvme-src; };
							})
						];
					}
				];
			};
		};
}
