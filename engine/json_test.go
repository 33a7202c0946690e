package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine/schedule"
)

// TestJSONNamesAndSeconds: results are written with enumeration names and
// durations in seconds, and read back to the same values.
func TestJSONNamesAndSeconds(t *testing.T) {
	res := Result{
		Policy: Policy{
			FlagKey: "f", CheckInterval: 90 * time.Minute, Extension: 36 * time.Hour, OnInsufficient: HoldOnInsufficient,
			Steps:   []schedule.Step{{Percent: 5, Duration: 12 * time.Hour}},
			Metrics: []Metric{{Key: "m", Kind: Numeric, Aggregation: Sum, Direction: HigherIsBetter}},
		},
		Timeline: []Check{{Elapsed: 2500 * time.Millisecond, Decision: DecisionContinue}},
		Outcome:  Outcome{Status: StatusRolledBack, Elapsed: 59 * time.Hour},
	}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	pol := raw["policy"].(map[string]any)
	assert.Equal(t, 5400.0, pol["check_interval"])
	assert.Equal(t, 129600.0, pol["extension"])
	assert.Equal(t, "hold", pol["on_insufficient"])
	assert.Equal(t, 43200.0, pol["steps"].([]any)[0].(map[string]any)["duration"])
	m := pol["metrics"].([]any)[0].(map[string]any)
	assert.Equal(t, "numeric", m["kind"])
	assert.Equal(t, "sum", m["aggregation"])
	assert.Equal(t, "higher_is_better", m["direction"])
	assert.Equal(t, 2.5, raw["timeline"].([]any)[0].(map[string]any)["elapsed"])
	assert.Equal(t, 212400.0, raw["outcome"].(map[string]any)["elapsed"])
	assert.Equal(t, "f", pol["flag_key"], "other fields are kept")

	var back Result
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, res, back)

	// Duration strings are read too; unknown names are errors.
	var p Policy
	require.NoError(t, json.Unmarshal([]byte(`{"check_interval": "30m", "steps": [{"percent": 1, "duration": "2d"}]}`), &p))
	assert.Equal(t, 30*time.Minute, p.CheckInterval)
	assert.Equal(t, 48*time.Hour, p.Steps[0].Duration)
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"metrics": [{"kind": "ratio-ish"}]}`), &p), `unknown metric kind "ratio-ish"`)
	assert.Error(t, json.Unmarshal([]byte(`{"check_interval": true}`), &p))
}
