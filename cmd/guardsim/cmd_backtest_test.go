package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBacktestFleet(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "fleet")
	code, stdout, stderr := cli(t, nil, "fleet-generate", "--scenario", "../../sim/fleet/testdata/small.yaml", "--n", "6", "--regressions", "0.5", "--seed", "3", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "wrote 6 rollouts")
	code, _, stderr = cli(t, nil, "fleet-generate", "--n", "6", "--out", dir)
	assert.Equal(t, 1, code, "refuses to overwrite")
	assert.Contains(t, stderr, "already exists")

	pol := filepath.Join(tmp, "fast.yaml")
	require.NoError(t, os.WriteFile(pol, []byte("name: fast\ncheck_interval: 1h\nnstar: 1000\n"), 0o644))
	out := filepath.Join(tmp, "out")
	code, stdout, stderr = cli(t, nil, "backtest", "--fleet", dir, "--policy", pol, "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "backtest of 6 rollouts under 2 policies")
	assert.Contains(t, stdout, "0/3", "no labelled regression missed by the recorded policy")
	for _, f := range []string{"fleet.csv", "fleet-summary.csv", "fleet.json", "outcomes.png", "report.md"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	want, err := os.ReadFile(filepath.Join(out, "fleet.csv"))
	require.NoError(t, err)

	// A broken rollout folder: reported, skipped, non-zero exit, the
	// others' decisions unchanged.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "zz-broken"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "zz-broken", "events.parquet"), []byte("junk"), 0o644))
	out2 := filepath.Join(tmp, "out2")
	code, _, stderr = cli(t, nil, "backtest", "--fleet", dir, "--policy", pol, "--out", out2, "--workers", "1", "--quiet")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "1 of 7 rollouts could not be backtested")
	assert.Contains(t, stderr, "zz-broken")
	got, err := os.ReadFile(filepath.Join(out2, "fleet.csv"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got[:len(want)]), "the good rollouts' rows come first, unchanged")
	assert.Contains(t, string(got[len(want):]), "zz-broken,,")

	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{[]string{}, "--fleet is required"},
		{[]string{"--fleet", dir, "--policy", filepath.Join(tmp, "missing.yaml")}, "missing.yaml"},
		{[]string{"--fleet", dir, "--policy", pol, "--policy", pol}, "both named"},
		{[]string{"--fleet", dir, "--workers", "0"}, "--workers"},
	} {
		o := filepath.Join(t.TempDir(), "o")
		code, _, stderr := cli(t, nil, append([]string{"backtest", "--out", o}, tc.args...)...)
		assert.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.mention)
		assert.NoDirExists(t, o)
	}
}
