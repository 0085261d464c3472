#!/usr/bin/env bash
# nixgen's test command: installs what the tests need (Nix from Debian's nix-bin, used to
# evaluate every generated flake for real), then checks formatting, lints and runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Nix evaluates every generated flake; tmux drives the interactive prompts at a real terminal;
# git is used by the git-awareness tests.
missing=()
command -v nix >/dev/null 2>&1 && command -v nix-instantiate >/dev/null 2>&1 || missing+=(nix-bin)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v git >/dev/null 2>&1 || missing+=(git)
if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nix --version
tmux -V

echo "==> cargo fmt --check"
cargo fmt --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
echo "==> cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps
echo "==> cargo test"
cargo test --locked
