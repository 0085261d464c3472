{
	description = "blktests VM, tab-indented";

	inputs = {
		nixos-flake.url = "path:/home/user/src/nixos-flake";
		nixpkgs.follows = "nixos-flake/nixpkgs";
		xnvme-src = {
			url = "path:/home/user/src/xnvme";
			flake = false;
		};
	};

	outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {
		nixosConfigurations.blk = nixpkgs.lib.nixosSystem {
			system = "x86_64-linux";
			modules = [
				nixos-flake.nixosModules.backends.imageless
				nixos-flake.nixosModules.profiles.devel
				nixos-flake.nixosModules.testSuites.blktests
				{
					# tabs everywhere, as in the kernel tree
					nixpkgs.overlays = [
						nixos-flake.overlays.default
						(final: prev: {
							xnvme = prev.xnvme.overrideAttrs {
								src = inputs.xnvme-src;
							};
						})
					];
					environment.systemPackages = [ ];
				}
			];
		};
	};
}
