#!/usr/bin/env bash
# CI for the Beam module: builds guardsim-beam, then runs a small sweep (both
# fidelities) and a 50-rollout fleet backtest on prism inside a loopback-only
# network namespace (unshare -rn), each with a deadline, and compares every
# output file with the core commands' outputs byte for byte. Also prints the
# event-level sweep's wall time on prism beside the local sweep's.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== beam: build guardsim-beam (own module; cold build ~3 min)"
(cd beam && timeout 20m go build -o "$root/bin/guardsim-beam" ./cmd/guardsim-beam && timeout 10m go vet ./...)
go build -o bin/guardsim ./cmd/guardsim
gs=$root/bin/guardsim
gsb=$root/bin/guardsim-beam

# sandboxed runs a command in a new user+network namespace with only
# loopback up, under a hard timeout (prism can hang if a worker fails).
sandboxed() {
  timeout --kill-after=10s 8m unshare -rn sh -c 'ip link set lo up && exec "$@"' sh "$@"
}

compare() { # compare DIR_CORE DIR_BEAM WHAT
  if diff -r "$1" "$2" >/dev/null; then
    echo "identical: $3 ($(ls "$1" | wc -l) files)"
  else
    echo "DIFFERENT: $3"; diff -r "$1" "$2" | head -20; exit 1
  fi
}

echo "== beam: aggregate sweep, core vs prism"
args=(--scenario aa-no-effect --grid 'alpha=0.01,0.05;effect=0,2,4' --reps 200 --seed 3 --quiet)
"$gs" sweep "${args[@]}" --out "$work/agg-core"
sandboxed "$gsb" sweep "${args[@]}" --out "$work/agg-beam" --timeout 5m 2>"$work/agg.log" || { tail -30 "$work/agg.log"; exit 1; }
compare "$work/agg-core" "$work/agg-beam" "aggregate sweep"

echo "== beam: event-level sweep, core vs prism (wall time side by side)"
args=(--scenario sim/fleet/testdata/small.yaml --fidelity event --grid 'alpha=0.05;effect=0,40' --reps 24 --seed 4 --quiet)
t0=$(date +%s.%N)
"$gs" sweep "${args[@]}" --out "$work/ev-core"
t1=$(date +%s.%N)
sandboxed "$gsb" sweep "${args[@]}" --out "$work/ev-beam" --timeout 5m 2>"$work/ev.log" || { tail -30 "$work/ev.log"; exit 1; }
t2=$(date +%s.%N)
compare "$work/ev-core" "$work/ev-beam" "event-level sweep"
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "event-level sweep, 48 rollouts: local %.1fs, prism %.1fs (ratio %.2f)\n", b-a, c-b, (c-b)/(b-a) }'

echo "== beam: fleet of 50 generated rollouts (30% injected regressions), core vs prism"
"$gs" fleet-generate --scenario sim/fleet/testdata/small.yaml --n 50 --regressions 0.3 --seed 9 --out "$work/fleet" >/dev/null
printf 'name: fast\ncheck_interval: 1h\nnstar: 1000\n' > "$work/fast.yaml"
printf 'name: strict\nalpha: 0.005\n' > "$work/strict.yaml"
pols=(--policy "$work/fast.yaml" --policy "$work/strict.yaml")
"$gs" backtest --fleet "$work/fleet" "${pols[@]}" --out "$work/bt-core"
sandboxed "$gsb" backtest --fleet "$work/fleet" "${pols[@]}" --out "$work/bt-beam" --quiet --timeout 5m 2>"$work/bt.log" || { tail -30 "$work/bt.log"; exit 1; }
compare "$work/bt-core" "$work/bt-beam" "fleet backtest"

echo "== beam: a broken rollout is reported and skipped, exit 1, on prism too"
mkdir "$work/fleet/zz-broken" && echo junk > "$work/fleet/zz-broken/events.parquet"
set +e
sandboxed "$gsb" backtest --fleet "$work/fleet" --out "$work/bt-broken" --quiet --timeout 5m 2>"$work/broken.log"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "zz-broken" "$work/broken.log" || { echo "want exit 1 naming zz-broken, got $rc"; tail -20 "$work/broken.log"; exit 1; }
grep -q "zz-broken" "$work/bt-broken/fleet.csv"
echo "broken rollout reported (exit $rc)"
echo "beam: 4 passed, 0 failed"
