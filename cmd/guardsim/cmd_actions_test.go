package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/scenarios"
)

// TestScriptedManualRollbackResolvesPagerDuty: latency-regression with
// auto-rollback off halts on the regression and pages; a scripted manual
// rollback 10 hours later resolves the incident (in the in-process mock).
func TestScriptedManualRollbackResolvesPagerDuty(t *testing.T) {
	data, err := scenarios.Builtin("latency-regression")
	require.NoError(t, err)
	y := strings.Replace(string(data), "  check_interval: 1h\n", "  check_interval: 1h\n  actions:\n    - {at: 69h, action: rollback}\n", 1)
	y = strings.Replace(y, "    aggregation: mean\n", "    aggregation: mean\n    auto_rollback: false\n", 1)
	dir := t.TempDir()
	file := filepath.Join(dir, "scripted.yaml")
	require.NoError(t, os.WriteFile(file, []byte(y), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := cli(t, nil, "run", "--scenario", file, "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "ROLLED BACK")

	res := readResult(t, out)
	assert.Equal(t, engine.ReasonManual, res.Outcome.Reason)
	var got []string
	for _, c := range res.Timeline {
		if c.Decision == engine.DecisionHalt || c.Decision == engine.DecisionRollback {
			got = append(got, string(c.Decision)+" "+string(c.Reason)+" "+c.Elapsed.String())
		}
	}
	assert.Equal(t, []string{"halt regression 59h0m0s", "rollback manual 69h0m0s"}, got)

	pd, err := os.ReadFile(filepath.Join(out, "pagerduty.jsonl"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(pd)), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"action":"trigger"`)
	assert.Contains(t, lines[1], `"action":"resolve"`)
	report, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(report), "manual rollback")
}
