# Tab-indented, let-bound module, dotted inputs.
{
	inputs.nixos-flake.url = "path:/home/user/src/nixos-flake";
	inputs.nixpkgs.follows = "nixos-flake/nixpkgs";

	outputs = { self, nixpkgs, nixos-flake, ... }@inputs:
		let
			system = "x86_64-linux";
			hostModule = { pkgs, ... }: {
				networking.hostName = "tabbed";
				environment.systemPackages = with pkgs; [
					gdb
					trace-cmd
				];
			};
		in
		{
			nixosConfigurations.tabbed = nixpkgs.lib.nixosSystem {
				inherit system;
				modules = [
					nixos-flake.nixosModules.backends.imageless
					nixos-flake.nixosModules.profiles.devel
					hostModule
					{
						nixpkgs.overlays = [
							nixos-flake.overlays.default
						];
					}
				];
			};
		};
}
