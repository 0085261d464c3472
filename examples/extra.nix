# Extra configuration for examples/devel.yaml (`modules: [./extra.nix]`).
{ pkgs, ... }:
{
  boot.kernel.sysctl."kernel.panic_on_oops" = 1;
}
