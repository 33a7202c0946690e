package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepWritesOutputs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := cli(t, nil, "sweep", "--scenario", "aa-no-effect", "--grid", "alpha=0.05;effect=0,3",
		"--reps", "40", "--seed", "5", "--workers", "2", "--quiet", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout, "--quiet prints nothing")
	assert.Empty(t, stderr, "--quiet shows no progress bar")
	for _, f := range []string{"sweep.csv", "sweep.parquet", "report.md", "report.html"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}

	code, stdout, _ = cli(t, nil, "sweep", "--scenario", "aa-no-effect", "--grid", "effect=0",
		"--reps", "50", "--metric", "checkout_conversion", "--out", filepath.Join(t.TempDir(), "s2"))
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "sweep of aa-no-effect (aggregate fidelity, 50 rollouts per cell, seed 11)")
	assert.Contains(t, stdout, "scenario policy")
}

func TestSweepUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--grid", "alpha=0.7"},
		{"--grid", "nstar"},
		{"--fidelity", "fast"},
		{"--reps", "0"},
		{"--workers", "-1"},
		{"--metric", "nope"},
		{"extra"},
	} {
		dir := filepath.Join(t.TempDir(), "x")
		code, _, stderr := cli(t, nil, append([]string{"sweep", "--out", dir}, args...)...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "guardsim sweep:")
		_, err := os.Stat(dir)
		assert.True(t, os.IsNotExist(err), "%v: nothing written", args)
	}
}

// TestSweepProgressOnlyOnTerminal: the bar is drawn when stderr is a
// terminal and never written into a log otherwise.
func TestSweepProgressOnlyOnTerminal(t *testing.T) {
	args := []string{"sweep", "--scenario", "aa-no-effect", "--grid", "effect=0", "--reps", "60", "--seed", "5"}
	for _, tty := range []bool{false, true} {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, stderrTerminal: tty}
		code := run(context.Background(), append(args, "--out", filepath.Join(t.TempDir(), "s")), e)
		require.Equal(t, 0, code, errb.String())
		if tty {
			assert.Contains(t, errb.String(), "sweep aa-no-effect (aggregate)")
			assert.Contains(t, errb.String(), "60/60")
		} else {
			assert.Empty(t, errb.String(), "no bar frames in a log")
		}
	}
}

// TestProgressPlain: --progress=plain writes plain lines (no carriage
// returns) for logs; --quiet silences it; a bad mode is a usage error.
func TestProgressPlain(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := cli(t, nil, "generate", "--scenario", "low-traffic", "--out", filepath.Join(dir, "ev.parquet"), "--progress", "plain")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "generate low-traffic: ")
	assert.Contains(t, stderr, "simulated hours (100%)\n")
	assert.NotContains(t, stderr, "\r")
	code, _, stderr = cli(t, nil, "replay", "--events", filepath.Join(dir, "ev.parquet"), "--rollout", "low-traffic", "--out", filepath.Join(dir, "r"), "--progress", "plain", "--no-alerts")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `replay: \d+ events\n`, stderr)
	code, stdout, stderr := cli(t, nil, "generate", "--scenario", "low-traffic", "--out", filepath.Join(dir, "ev2.parquet"), "--progress", "plain", "--quiet")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout+stderr)
	code, _, stderr = cli(t, nil, "sweep", "--progress", "fancy", "--out", filepath.Join(dir, "s"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--progress "fancy": want auto, bar, plain or none`)
}

// TestSweepCheckFidelity: --check-fidelity runs both fidelities on the
// user's scenario and grid and writes the per-cell agreement.
func TestSweepCheckFidelity(t *testing.T) {
	dir := t.TempDir()
	scn := filepath.Join(dir, "tiny.yaml")
	require.NoError(t, os.WriteFile(scn, []byte(`name: tiny
seed: 3
rollout:
  check_interval: 1h
  min_contexts: 0
  steps:
    - {percent: 10, duration: 6h}
    - {percent: 50, duration: 6h}
traffic: {rate_per_hour: 200}
metrics:
  - {key: latency_ms, kind: numeric, direction: lower_is_better, distribution: lognormal, mean: 250, sd: 1829.8}
`), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := cli(t, nil, "sweep", "--scenario", scn, "--grid", "alpha=0.05;effect=0,900",
		"--reps", "40", "--check-fidelity", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "fidelity check of tiny (40 event-level, 160 aggregate rollouts per cell)")
	data, err := os.ReadFile(filepath.Join(out, "fidelity.csv"))
	require.NoError(t, err)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	require.Len(t, lines, 3, "header and two cells")
	assert.Contains(t, string(lines[1]), "alpha=0.05,0,40,")
	assert.Contains(t, string(lines[2]), ",true,")

	code, _, stderr = cli(t, nil, "sweep", "--scenario", scn, "--check-fidelity", "--shard", "0/2", "--out", filepath.Join(dir, "o2"))
	assert.Equal(t, 2, code, stderr)
}
