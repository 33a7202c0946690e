#!/usr/bin/env bash
# Walks the README on a fresh clone: runs every command of the "### Examples"
# block (and `make run`) in a scratch directory and fails on the first one
# that fails. The only changes to the commands are the ones a reader makes
# to try them offline, applied by sed below:
#   - PAGERDUTY_ROUTING_KEY=... gets a test key, and the command is pointed at
#     a local `guardsim pagerduty-mock` (never the real PagerDuty);
#   - `live --speed 3600` runs at --speed 1e7 (same events, seconds not minutes);
#   - my-cases.csv (your own stats cases) is written first, one row.
# Called by .ci/run; run it locally with `bash scripts/readme-walk.sh`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
make build >/dev/null
work="$(mktemp -d)"
mock_pid=""
cleanup() {
	if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
ln -s "$repo/bin" "$work/bin"
ln -s "$repo/testdata" "$work/testdata"
cd "$work"

echo "== README walk in $work"
bin/guardsim --help >/dev/null
bin/guardsim --version

# A local PagerDuty mock for the examples that need a routing key.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
bin/guardsim pagerduty-mock --addr "127.0.0.1:$port" >mock.log 2>&1 &
mock_pid=$!
for _ in $(seq 50); do
	if grep -q "listening" mock.log 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	sleep 0.1
done

printf 'a_n,a_sum_m,a_sumsq_m,a_sum_d,a_sumsq_d,a_sum_md,b_n,b_sum_m,b_sumsq_m,b_sum_d,b_sumsq_d,b_sum_md\n1000,120,150,2000,4200,260,1000,150,190,2000,4150,320\n' >my-cases.csv

# The Examples block of the README, continuation lines joined.
awk '/^### Examples/{ex=1} ex && /^```sh/{inblk=1; next} inblk && /^```/{exit} inblk{print}' "$repo/README.md" |
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' >commands.txt
test -s commands.txt || { echo "readme-walk: no Examples block found in README.md" >&2; exit 1; }

n=0
while IFS= read -r line; do
	cmd="${line%%#*}" # drop the trailing comment
	[ -n "${cmd// /}" ] || continue
	if [[ "$cmd" == PAGERDUTY_ROUTING_KEY=* ]]; then
		cmd="$(sed -e 's/^PAGERDUTY_ROUTING_KEY=[^ ]*/PAGERDUTY_ROUTING_KEY=readmewalkroutingkey000000000000/' <<<"$cmd") --pagerduty-url http://127.0.0.1:$port"
	fi
	cmd="$(sed -e 's/--speed 3600/--speed 1e7/' <<<"$cmd")"
	n=$((n + 1))
	echo "-- [$n] $cmd"
	if ! bash -c "$cmd" >"step$n.out" 2>&1; then
		echo "readme-walk: README example failed: $line" >&2
		tail -20 "step$n.out" >&2
		exit 1
	fi
done <commands.txt

# Checks on what the examples claim.
cmp out/replay/timeline.json out/srm/timeline.json >/dev/null 2>&1 && { echo "readme-walk: unrelated outputs are equal?" >&2; exit 1; }
bin/guardsim run --scenario latency-regression --out out/run --quiet --no-alerts
bin/guardsim replay --events events.parquet --rollout latency-regression --out out/replay2 --quiet --no-alerts
cmp out/run/timeline.json out/replay2/timeline.json
cmp out/replay/timeline.csv out/replay-csv/timeline.csv
grep -q '"status": "rolled_back"' out/ld/summary.json

echo "== make run"
(cd "$repo" && make run >/dev/null)
echo "readme-walk: $n README examples ran"
