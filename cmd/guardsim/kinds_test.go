package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Percentile and ratio metrics end to end: run, report, and a Parquet
// stream replayed to the same timeline byte for byte.
func TestPercentileAndRatioEndToEnd(t *testing.T) {
	scn := filepath.Join("..", "..", "testdata", "scenarios", "percentile-ratio-demo.yaml")
	dir := t.TempDir()
	code, stdout, stderr := cli(t, nil, "run", "--scenario", scn, "--out", filepath.Join(dir, "run"))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "regression on latency_ms")
	md, err := os.ReadFile(filepath.Join(dir, "run", "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "percentile p99 of the event values (growthbook")
	assert.Contains(t, string(md), "margin 2")
	assert.Contains(t, string(md), "ratio errors / requests summed per context")
	assert.FileExists(t, filepath.Join(dir, "run", "charts", "error_rate.png"))

	ev := filepath.Join(dir, "events.parquet")
	code, _, stderr = cli(t, nil, "generate", "--scenario", scn, "--out", ev)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = cli(t, nil, "replay", "--events", ev, "--rollout", scn, "--out", filepath.Join(dir, "replay"))
	require.Equal(t, 0, code, stderr)
	a, err := os.ReadFile(filepath.Join(dir, "run", "timeline.csv"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "replay", "timeline.csv"))
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b))

	// Aggregate sweeps refuse percentile metrics with a clear error.
	code, _, stderr = cli(t, nil, "sweep", "--scenario", scn, "--grid", "effect=0", "--reps", "2", "--out", filepath.Join(dir, "sweep"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "cannot be simulated at aggregate fidelity")
	assert.NoDirExists(t, filepath.Join(dir, "sweep"))
}
