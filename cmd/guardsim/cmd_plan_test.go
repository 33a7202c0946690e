package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanCommand(t *testing.T) {
	code, stdout, stderr := cli(t, nil, "plan", "--scenario", "low-traffic")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "# Rollout plan: internal-admin-tool")
	assert.Contains(t, stdout, "step 1 (1%): 100% chance of an insufficient-sample rollback")

	// What-if: a minimum of 10 is met; JSON to a file.
	out := filepath.Join(t.TempDir(), "plan.json")
	code, _, stderr = cli(t, nil, "plan", "--scenario", "low-traffic", "--min-contexts", "10", "--format", "json", "--out", out)
	require.Equal(t, 0, code, stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var pl struct {
		Insufficient float64 `json:"insufficient_probability"`
		Policy       struct {
			MinContexts int `json:"min_contexts"`
		} `json:"policy"`
		Steps []struct {
			Meet float64 `json:"meet_extended_probability"`
		} `json:"steps"`
	}
	require.NoError(t, json.Unmarshal(data, &pl))
	assert.Equal(t, 10, pl.Policy.MinContexts)
	assert.Greater(t, pl.Steps[0].Meet, 0.9)
}

func TestPlanFromAnExport(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "events.parquet")
	code, _, stderr := cli(t, nil, "generate", "--scenario", "low-traffic", "--out", events)
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := cli(t, nil, "plan", "--scenario", "low-traffic", "--events", events)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Traffic: export")
	assert.Contains(t, stdout, "measured hourly profile")
	assert.Contains(t, stdout, "chance of an insufficient-sample rollback")
}

func TestPlanUsageErrors(t *testing.T) {
	code, _, stderr := cli(t, nil, "plan", "--format", "xml")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--format "xml" must be md or json`)
	code, _, stderr = cli(t, nil, "plan", "--events", "/nonexistent.parquet")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "nonexistent.parquet")
	out := filepath.Join(t.TempDir(), "p.md")
	code, _, _ = cli(t, nil, "plan", "--schedule", "1:bad", "--out", out)
	assert.Equal(t, 2, code)
	assert.NoFileExists(t, out)
}
