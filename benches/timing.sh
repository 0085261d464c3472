#!/usr/bin/env bash
# Process-level timing of nixgen (release build), the figures BENCHMARKS.md records.
#
#   benches/timing.sh [RUNS]        (default 30 runs a command; needs python3 and, for the
#                                     comparison, nix-instantiate; uses hyperfine when present)
#
# Writes the big benchmark flake (the shape /work/shared/bench/mkbig.py writes: 2,000 inputs,
# 2,000 overlay entries, 10,687 lines) and its 0.1x and 10x variants, then measures the median
# wall time of:
#   - `nixgen overlay add` on each (a fresh copy each run), and `nix-instantiate --parse` on each;
#   - `nixgen generate` of a typical host (examples/devel.yaml, a new flake each run);
#   - `nixgen scaffold` of a 1,000-configuration fleet (a fresh tree each run), outside git
#     and inside a git repository (every file added with intent-to-add);
#   - side by side with flake-edit (`cargo install flake-edit`, when on PATH): its `add` of a
#     `flake = false` input (`--no-lock`) on the big flake, and on every hand-written flake of
#     tests/corpus against `nixgen overlay add` (input and overlay entry) of the same flake;
# and the peak RSS of `overlay add` on each flake (GNU time -v).
set -euo pipefail

RUNS=${1:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
MKBIG=${MKBIG:-/work/shared/bench/mkbig.py}

cargo build --release --manifest-path "$ROOT/Cargo.toml" --quiet
NIXGEN=$CARGO_TARGET_DIR/release/nixgen
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# mkbig.py with the entry count as a parameter (2,000 is mkbig.py's own).
python3 - <<'EOF'
def big(n):
    lines = ['{', '  description = "big flake";', '  inputs = {',
             '    nixos-flake.url = "path:/home/user/src/nixos-flake";',
             '    nixpkgs.follows = "nixos-flake/nixpkgs";']
    for i in range(n):
        if i % 3 == 0:
            lines.append(f'    # input number {i}: keep this comment')
        lines += [f'    pkg{i}-src = {{', f'      url = "path:/home/user/src/pkg{i}"; # trailing {i}',
                  '      flake = false;', '    };']
    lines += ['  };', '  outputs = { self, nixpkgs, nixos-flake, ... }@inputs: {',
              '    nixosConfigurations.vm = nixpkgs.lib.nixosSystem {', '      system = "x86_64-linux";',
              '      modules = [', '        nixos-flake.nixosModules.backends.imageless', '        {',
              '          nixpkgs.overlays = [', '            nixos-flake.overlays.default']
    for i in range(n):
        lines.append(f'            (final: prev: {{ pkg{i} = prev.pkg{i}.overrideAttrs {{ src = inputs.pkg{i}-src; }}; }}) # overlay {i}')
    lines += ['          ];', '        }', '      ];', '    };', '  };', '}']
    return '\n'.join(lines) + '\n'
for name, n in [('small.nix', 200), ('big.nix', 2000), ('huge.nix', 20000)]:
    open(name, 'w').write(big(n))
lines = ["defaults:", "  nixosFlake: path:/home/user/src/nixos-flake", "  backend: imageless",
         "  profiles: [devel]", "  user: { name: kdevops }", "  shares:", "    /etc/xdg-host: { tag: xdg }",
         "  overlays:", "    fio: { src: /home/user/src/fio, clearPatches: true }", "  packages: [gdb]",
         "configurations:"]
for i in range(1000):
    lines.append(f"  host{i}:")
    lines.append(f"    hostName: host{i}")
    if i % 2:
        lines.append("    storage: { /mnt/nvme0: { device: /dev/nvme0n1, fsType: xfs, autoFormat: true } }")
    if i % 3 == 0:
        lines.append(f"    overlays: {{ kmod: {{ src: /home/user/src/kmod{i} }} }}")
open("fleet.yaml", "w").write("\n".join(lines) + "\n")
EOF
if [ -f "$MKBIG" ]; then
    python3 "$MKBIG" mkbig.nix
    cmp -s mkbig.nix big.nix || { echo "big.nix differs from $MKBIG's output" >&2; exit 1; }
fi
mkdir -p host && cp "$ROOT/examples/devel.yaml" "$ROOT/examples/extra.nix" host/
# The fleet again, inside a git repository: scaffold then adds every file with intent-to-add.
mkdir -p inrepo trash && cp fleet.yaml inrepo/ && git -C inrepo init -q
# Each scaffold run writes a fresh tree. The previous one is moved aside, not deleted: on an
# ext4 without a journal (this VM's disk) creating inodes right after deleting thousands
# scans past every inode deleted in the last 30 seconds, which measured the `rm -rf` (about
# 2 s more), not nixgen. The inrepo index is emptied too, so every run adds the same files.
cat > fresh.sh <<'EOF'
for d in conf inrepo/conf; do [ -d "$d" ] && mv "$d" "trash/$(date +%s%N)"; done
git -C inrepo read-tree --empty
exit 0
EOF
wc -l small.nix big.nix huge.nix

cat > measure.py <<'EOF'
import json, os, statistics, subprocess, sys, time
runs = int(sys.argv[1]); out = sys.argv[2]; cases = json.loads(sys.argv[3])
results = []
for name, prepare, cmd in cases:
    times = []
    for i in range(runs + 2):
        if prepare:
            subprocess.run(prepare, shell=True, check=True)
        t = time.perf_counter()
        subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i >= 2:  # two warm-up runs
            times.append(time.perf_counter() - t)
    results.append({"command": name, "median": statistics.median(times), "min": min(times), "max": max(times)})
json.dump({"results": results}, open(out, "w"))
EOF

ADD="$NIXGEN overlay add newpkg --src /tmp --flake work.nix"
CASES=(
  "add-0.1x|cp small.nix work.nix|$ADD"
  "add-1x|cp big.nix work.nix|$ADD"
  "add-10x|cp huge.nix work.nix|$ADD"
  "parse-0.1x||nix-instantiate --parse small.nix"
  "parse-1x||nix-instantiate --parse big.nix"
  "parse-10x||nix-instantiate --parse huge.nix"
  "generate|rm -f host/flake.nix|$NIXGEN generate host/devel.yaml --no-git"
  "scaffold-1000|sh fresh.sh|$NIXGEN scaffold fleet.yaml --root conf --no-git"
  "scaffold-1000-git|sh fresh.sh|$NIXGEN scaffold inrepo/fleet.yaml --root inrepo/conf"
)
if command -v flake-edit >/dev/null; then
    CASES+=("flake-edit-add-1x|cp big.nix work.nix|flake-edit --flake work.nix --no-lock --non-interactive --no-cache add newpkg-src path:/tmp --no-flake")
fi
if command -v hyperfine >/dev/null; then
    args=()
    for c in "${CASES[@]}"; do
        IFS='|' read -r name prepare cmd <<<"$c"
        case $name in parse-*) command -v nix-instantiate >/dev/null || continue ;; esac
        args+=(--command-name "$name")
        [ -n "$prepare" ] && args+=(--prepare "$prepare") || args+=(--prepare true)
        args+=("$cmd")
    done
    hyperfine -N --warmup 2 --runs "$RUNS" --export-json times.json --style basic "${args[@]}" 2>&1 \
        | grep -E "^Benchmark|Time|Range" || true
else
    json='['
    for c in "${CASES[@]}"; do
        IFS='|' read -r name prepare cmd <<<"$c"
        case $name in parse-*) command -v nix-instantiate >/dev/null || continue ;; esac
        json+=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$name" "$prepare" "$cmd"),
    done
    python3 measure.py "$RUNS" times.json "${json%,}]"
fi

echo
echo "| command | median | min | max |"
echo "|---|---:|---:|---:|"
python3 - <<'EOF'
import json
for r in json.load(open("times.json"))["results"]:
    print(f"| {r['command']} | {r['median']*1000:.1f} ms | {r['min']*1000:.1f} ms | {r['max']*1000:.1f} ms |")
EOF

echo
echo "| flake | lines | peak RSS of overlay add |"
echo "|---|---:|---:|"
for f in small big huge; do
    cp $f.nix work.nix
    rss=$(/usr/bin/time -v $ADD 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}')
    echo "| $f.nix | $(wc -l <$f.nix) | $((rss / 1024)) MiB |"
done

# Typical flakes: every hand-written flake of the corpus, nixgen and flake-edit in turn on a
# fresh copy, the medians of the per-flake medians.
if command -v flake-edit >/dev/null && command -v hyperfine >/dev/null; then
    echo
    echo "| typical flakes (tests/corpus, $(ls "$ROOT"/tests/corpus/[0-9]*.nix | wc -l) files) | median of medians |"
    echo "|---|---:|"
    : > typical.txt
    for f in "$ROOT"/tests/corpus/[0-9]*.nix; do
        hyperfine -N --warmup 2 --runs "$RUNS" --export-json one.json --style none \
            --prepare "cp $f work.nix" --command-name nixgen \
            "$NIXGEN overlay add newpkg --src /tmp --flake work.nix" \
            --prepare "cp $f work.nix" --command-name flake-edit \
            "flake-edit --flake work.nix --no-lock --non-interactive --no-cache add newpkg-src path:/tmp --no-flake" \
            >/dev/null 2>&1 || continue
        python3 -c 'import json; r=json.load(open("one.json"))["results"]; print(r[0]["median"], r[1]["median"])' >> typical.txt
    done
    python3 - <<'EOF'
import statistics
rows = [tuple(map(float, l.split())) for l in open("typical.txt") if l.strip()]
n = statistics.median(r[0] for r in rows) * 1000
f = statistics.median(r[1] for r in rows) * 1000
faster = sum(1 for a, b in rows if a < b)
print(f"| nixgen overlay add | {n:.1f} ms |")
print(f"| flake-edit add (--no-lock) | {f:.1f} ms |")
print(f"| flakes where nixgen is faster | {faster} of {len(rows)} |")
EOF
fi
