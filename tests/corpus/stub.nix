# Used by check_manifest.py, not part of the corpus: evaluates a corpus
# flake's input names and nixosConfigurations names with stub inputs
# (nixpkgs.lib.nixosSystem returns its argument), so no nixpkgs is needed.
file:
let
  flake = import file;
  stubInput = { outPath = "/tmp"; };
  all = builtins.mapAttrs (n: _: stubInput) flake.inputs // {
    nixpkgs = stubInput // { lib.nixosSystem = a: a; legacyPackages = { }; };
    self = out;
  };
  fa = builtins.functionArgs flake.outputs;
  args = if fa == { } then all else builtins.intersectAttrs fa all;
  out = flake.outputs args;
in
{
  inputs = builtins.attrNames flake.inputs;
  configs = builtins.attrNames (out.nixosConfigurations or { });
}
