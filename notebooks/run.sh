#!/usr/bin/env bash
# Executes every notebook headless (nbconvert, Python 3 kernel) and fails if
# any of them fails. Executed copies, with outputs, go to notebooks/out/
# (git-ignored), next to each notebook's own outputs in notebooks/out/NN-*/.
# Builds bin/guardsim first if it is missing; set GUARDSIM to use another
# binary. Install the Debian packages first with notebooks/install.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
GO=$(command -v go || true)

# Debian's Jupyter and its python3 kernel, not a python3 that happens to come
# first on PATH (pyenv, a virtualenv) without pandas/matplotlib/scipy.
export PATH="/usr/bin:$PATH"
if ! command -v jupyter >/dev/null 2>&1 || ! jupyter nbconvert --version >/dev/null 2>&1; then
  echo "notebooks: jupyter nbconvert not found; run: bash notebooks/install.sh" >&2
  exit 1
fi
if ! python3 -c 'import pandas, matplotlib, scipy, ipykernel' 2>/dev/null; then
  echo "notebooks: python3 lacks pandas/matplotlib/scipy/ipykernel; run: bash notebooks/install.sh" >&2
  exit 1
fi

if [ -z "${GUARDSIM:-}" ]; then
  export GUARDSIM="$root/bin/guardsim"
  if [ ! -x "$GUARDSIM" ]; then
    echo "== building bin/guardsim"
    [ -n "$GO" ] || { echo "notebooks: bin/guardsim is missing and go is not on PATH" >&2; exit 1; }
    "$GO" build -o bin/guardsim ./cmd/guardsim || { echo "notebooks: go build failed" >&2; exit 1; }
  fi
elif [ ! -x "$GUARDSIM" ]; then
  echo "notebooks: GUARDSIM=$GUARDSIM is not an executable file" >&2
  exit 1
fi

mkdir -p notebooks/out
# Keep the debugger's frozen-modules warning out of the log.
export PYDEVD_DISABLE_FILE_VALIDATION=1
failed=()
start=$SECONDS
for nb in notebooks/[0-9]*.ipynb; do
  t=$SECONDS
  echo "== $nb"
  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
    --output-dir notebooks/out "$nb" 2>&1 | grep -v -e 'Debugger warning' -e 'frozen modules' -e 'frozen_modules' -e 'Debugging will proceed'
  rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    echo "FAIL $nb ($((SECONDS - t)) s); see the traceback above" >&2
    failed+=("$nb")
  else
    echo "ok   $nb ($((SECONDS - t)) s)"
  fi
done
echo "== notebooks: $((SECONDS - start)) s in total; executed copies in notebooks/out/"
if [ ${#failed[@]} -gt 0 ]; then
  echo "notebooks failed: ${failed[*]}" >&2
  exit 1
fi
