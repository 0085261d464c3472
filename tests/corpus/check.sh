#!/usr/bin/env bash
# Validates the flake corpus: every file parses with Nix and with nixfmt
# (strict), and manifest.json agrees with the files. Exit 1 on any failure.
set -u
cd "$(dirname "$0")"
fail=0
n=0
for f in [0-9]*.nix refuse/[0-9]*.nix; do
  n=$((n + 1))
  if ! out=$(nix-instantiate --parse "$f" 2>&1 >/dev/null); then
    echo "FAIL $f: nix-instantiate --parse: $out"; fail=1
  fi
  # nixfmt on a copy (stdin): never rewrites the corpus file itself
  if ! out=$(nixfmt - <"$f" 2>&1 >/dev/null); then
    echo "FAIL $f: nixfmt: $out"; fail=1
  fi
done
echo "parse: $n files checked with nix-instantiate --parse and nixfmt"
python3 check_manifest.py || fail=1
if [ "$fail" -ne 0 ]; then echo "check.sh: FAILED"; exit 1; fi
echo "check.sh: OK"
