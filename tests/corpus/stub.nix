# Used by check_manifest.py, not part of the corpus: evaluates a corpus
# flake's input names and nixosConfigurations names with stub inputs
# (nixpkgs.lib.nixosSystem returns its argument), so no nixpkgs is needed.
# nixpkgs.lib.recursiveUpdate is the real function's behaviour on attribute
# sets; flake-parts.lib.mkFlake returns the `flake` attribute of its module
# (a module function is called with stub withSystem, inputs, self and lib).
file:
let
  flake = import file;
  stubInput = { outPath = "/tmp"; };
  recursiveUpdate =
    lhs: rhs:
    lhs
    // builtins.mapAttrs (
      n: v:
      if lhs ? ${n} && builtins.isAttrs v && builtins.isAttrs lhs.${n} then
        recursiveUpdate lhs.${n} v
      else
        v
    ) rhs;
  lib = {
    nixosSystem = a: a;
    inherit recursiveUpdate;
  };
  mkFlake =
    _: m:
    let
      margs = {
        withSystem = _: f: f { };
        inputs = all;
        self = out;
        inherit lib;
      };
      mod = if builtins.isFunction m then m (builtins.intersectAttrs (builtins.functionArgs m) margs) else m;
    in
    mod.flake or { };
  all = builtins.mapAttrs (n: _: stubInput) flake.inputs // {
    nixpkgs = stubInput // { inherit lib; legacyPackages = { }; };
    self = out;
  } // (if flake.inputs ? flake-parts then { flake-parts = stubInput // { lib.mkFlake = mkFlake; }; } else { });
  fa = builtins.functionArgs flake.outputs;
  args = if fa == { } then all else builtins.intersectAttrs fa all;
  out = flake.outputs args;
in
{
  inputs = builtins.attrNames flake.inputs;
  configs = builtins.attrNames (out.nixosConfigurations or { });
}
