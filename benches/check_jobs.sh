#!/usr/bin/env bash
# `nixgen check` of a fleet, one job at a time against several: N configurations with
# `--jobs J` should take about N/J times one. Evaluates against the offline stand-ins in
# tests/fixtures (see its README.md), so it needs Nix and nothing from the network.
#
#   benches/check_jobs.sh [N] [RUNS]      (default 8 configurations, 5 runs; uses hyperfine)
set -euo pipefail

N=${1:-8}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release --manifest-path "$ROOT/Cargo.toml" --quiet
NIXGEN=$CARGO_TARGET_DIR/release/nixgen
FX=$ROOT/tests/fixtures
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

{
    echo "defaults:"
    echo "  nixosFlake: path:$FX/nixos-flake"
    echo "  backend: imageless"
    echo "  profiles: [devel]"
    echo "configurations:"
    for i in $(seq 1 "$N"); do
        echo "  host$i: { hostName: host$i }"
    done
} > fleet.yaml
"$NIXGEN" scaffold fleet.yaml --root configurations --no-git >/dev/null 2>&1
OVERRIDES="--override-input nixos-flake path:$FX/nixos-flake --override-input nixos-flake/nixpkgs path:$FX/nixpkgs"
# One configuration alone, then the fleet with 1 and 2 jobs (the machine's cores).
hyperfine -N --warmup 1 --runs "$RUNS" --style basic \
    -n "one configuration" "$NIXGEN check configurations/host1 $OVERRIDES --path" \
    -n "$N configurations, --jobs 1" "$NIXGEN check configurations --jobs 1 $OVERRIDES --path" \
    -n "$N configurations, --jobs 2" "$NIXGEN check configurations --jobs 2 $OVERRIDES --path" 2>&1 \
    | grep -E "^Benchmark|Time"
