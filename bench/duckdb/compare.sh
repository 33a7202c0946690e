#!/usr/bin/env bash
# guardsim replay versus DuckDB computing the same attribution aggregates
# (bench/duckdb/README.md). Generates the stream, checks that both agree
# (counts exactly, means to 1e-9), then times both RUNS times, alternately,
# under /usr/bin/time -v and prints the medians and guardsim/DuckDB ratios
# of wall time, CPU time (user + system) and peak memory (max RSS).
#
#   bench/duckdb/compare.sh               # the ~30M-event file (make bench-compare)
#   bench/duckdb/compare.sh --agree-only  # a 1.5M-event agreement check (CI)
#
# Environment: RUNS (default 3), BIN (default bin/guardsim), WORK (scratch
# directory, default a temporary one, removed at the end), SCENARIO, EVENTS
# (an existing stream of SCENARIO to use instead of generating one).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
RUNS="${RUNS:-3}"
BIN="${BIN:-$root/bin/guardsim}"
agree_only=false
[[ "${1:-}" == "--agree-only" ]] && agree_only=true
if $agree_only; then
  SCENARIO="${SCENARIO:-aa-no-effect}"
else
  SCENARIO="${SCENARIO:-$here/scenario.yaml}"
fi
[[ -x "$BIN" ]] || { echo "compare.sh: $BIN not found (run make build)" >&2; exit 1; }
command -v node >/dev/null || { echo "compare.sh: node is required" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "compare.sh: /usr/bin/time (GNU time) is required" >&2; exit 1; }
if [[ ! -d "$here/node_modules/@duckdb/node-api" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [[ -z "${WORK:-}" ]]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
fi
if [[ -n "${EVENTS:-}" ]]; then
  events="$EVENTS"
else
  events="$WORK/events.parquet"
  echo "== generate ($SCENARIO)"
  "$BIN" generate --scenario "$SCENARIO" --out "$events" --quiet
fi
echo "$events: $(du -m "$events" | cut -f1) MB"

replay() { "$BIN" replay --events "$events" --rollout "$SCENARIO" --out "$WORK/replay-$1" --quiet --no-alerts; }
duck() { node "$here/aggregate.mjs" "$events" "$WORK/replay-0/timeline.json" "$WORK/duckdb-$1.json"; }

echo "== agreement"
replay 0
duck 0
node "$here/agree.mjs" "$WORK/replay-0/timeline.json" "$WORK/duckdb-0.json"
$agree_only && exit 0

# measure NAME CMD...: appends "wall cpu rss_mib" to $WORK/NAME.times
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 }
    END { printf "%.2f %.2f %.0f\n", w, u + s, m / 1024 }' "$WORK/time.txt" >>"$WORK/$name.times"
}
echo "== timing: $RUNS runs each, alternating"
for i in $(seq 1 "$RUNS"); do
  measure guardsim "$BIN" replay --events "$events" --rollout "$SCENARIO" --out "$WORK/replay-$i" --quiet --no-alerts
  measure duckdb node "$here/aggregate.mjs" "$events" "$WORK/replay-0/timeline.json" "$WORK/duckdb-$i.json"
  echo "run $i: guardsim $(tail -1 "$WORK/guardsim.times")  DuckDB $(tail -1 "$WORK/duckdb.times")  (wall s, CPU s, peak MiB)"
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$WORK/$1.times" | median; }
gw=$(col guardsim 1) gc=$(col guardsim 2) gm=$(col guardsim 3)
dw=$(col duckdb 1) dc=$(col duckdb 2) dm=$(col duckdb 3)
echo
echo "medians of $RUNS runs ($(nproc) cores; $(date -u +%Y-%m-%d))"
printf '%-10s %10s %10s %12s\n' "" "wall s" "CPU s" "peak MiB"
printf '%-10s %10s %10s %12s\n' guardsim "$gw" "$gc" "$gm"
printf '%-10s %10s %10s %12s\n' DuckDB "$dw" "$dc" "$dm"
awk -v gw="$gw" -v gc="$gc" -v gm="$gm" -v dw="$dw" -v dc="$dc" -v dm="$dm" \
  'BEGIN { printf "%-10s %10.2f %10.2f %12.2f\n", "ratio", gw / dw, gc / dc, gm / dm }'
