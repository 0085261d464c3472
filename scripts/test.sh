#!/usr/bin/env bash
# nixgen's test command: installs what the tests need (Nix from Debian's nix-bin, used to
# evaluate every generated flake for real), then checks formatting, lints and runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nix >/dev/null 2>&1 || ! command -v nix-instantiate >/dev/null 2>&1; then
    echo "==> installing Nix (Debian's nix-bin) for the evaluation tests"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nix-bin >/dev/null
fi
nix --version

echo "==> cargo fmt --check"
cargo fmt --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
echo "==> cargo test"
cargo test --locked
