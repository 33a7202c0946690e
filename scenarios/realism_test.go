package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
	"github.com/guardsim/guardsim/sim"
)

const realismYAML = `name: realism
traffic: {rate_per_hour: 100}
srm_fault: {duplicate_new: 0.05, start: 2h}
metrics:
  - key: latency_ms
    kind: numeric
    direction: lower_is_better
    mean: 100
    sd: 10
    baseline: {daily_amplitude: 0.2, peak_hour: 18, trend_per_day: 0.01}
    regression: {effect: 3, novelty: 2.5, novelty_half_life: 12h}
`

func TestRealismFieldsReachTheModel(t *testing.T) {
	s, err := Parse([]byte(realismYAML), "r.yaml")
	require.NoError(t, err)
	m := s.Model()
	assert.Equal(t, &sim.Baseline{DailyAmplitude: 0.2, PeakHour: 18, TrendPerDay: 0.01}, m.Metrics[0].Baseline)
	assert.Equal(t, &sim.Novelty{Factor: 2.5, HalfLife: 12 * time.Hour}, m.Metrics[0].Novelty)
	assert.Equal(t, 0.05, m.Fault.DuplicateNew)
	assert.Equal(t, 2*time.Hour, m.Fault.Start)
}

func TestRealismFieldErrors(t *testing.T) {
	tests := []struct{ edit, want string }{
		{"    regression: {effect: 3, novelty: 2.5}\n", "r.yaml: metrics[0] (latency_ms).regression: novelty and novelty_half_life go together"},
		{"    regression: {effect: 3, novelty_half_life: 1h}\n", "novelty and novelty_half_life go together"},
		{"    regression: {effect: 3, novelty: 2, novelty_half_life: -1h}\n", "metrics[0] (latency_ms).regression.novelty_half_life -1h0m0s must be positive"},
		{"    baseline: {daily_amplitude: 1.5}\n", "metrics[0] (latency_ms).baseline.daily_amplitude 1.5 must be in [0, 1)"},
		{"    baseline: {trend_per_day: -0.5}\n", "metrics[0] (latency_ms).baseline: the level falls to"},
		{"    baseline: {amplitude: 0.2}\n", "amplitude"},
	}
	for _, tc := range tests {
		y := "name: r\ntraffic: {rate_per_hour: 100}\nmetrics:\n  - key: latency_ms\n    kind: numeric\n    direction: lower_is_better\n    mean: 100\n    sd: 10\n" + tc.edit
		_, err := Parse([]byte(y), "r.yaml")
		assert.ErrorContains(t, err, tc.want, tc.edit)
	}
}

// TestDiurnalBaselinePooledRollsBack: on the built-in diurnal-baseline
// stream the engine's step-stratified rule completes, and GrowthBook's
// pooled estimate of the same events sees a false regression.
func TestDiurnalBaselinePooledRollsBack(t *testing.T) {
	s, err := Load("diurnal-baseline")
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	res, err := sim.Simulate(context.Background(), p, s.Model(), engine.Options{}, nil)
	require.NoError(t, err)
	require.Equal(t, engine.StatusCompleted, res.Outcome.Status)
	gb, err := detect.Lookup("growthbook")
	require.NoError(t, err)
	pg, err := gb.Apply(p, nil)
	require.NoError(t, err)
	res, err = sim.Simulate(context.Background(), pg, s.Model(), engine.Options{}, nil)
	require.NoError(t, err)
	assert.Equal(t, engine.StatusRolledBack, res.Outcome.Status)
	assert.Equal(t, engine.ReasonRegression, res.Outcome.Reason)
}

func TestNoveltyClock(t *testing.T) {
	y := realismYAML[:len(realismYAML)-len("}\n")] + ", novelty_clock: context}\n"
	s, err := Parse([]byte(y), "r.yaml")
	require.NoError(t, err)
	assert.True(t, s.Model().Metrics[0].Novelty.PerContext)
	_, err = Parse([]byte(realismYAML[:len(realismYAML)-len("}\n")]+", novelty_clock: user}\n"), "r.yaml")
	assert.ErrorContains(t, err, `metrics[0] (latency_ms).regression.novelty_clock "user" must be onset or context`)
	s, err = Parse([]byte(realismYAML), "r.yaml")
	require.NoError(t, err)
	assert.False(t, s.Model().Metrics[0].Novelty.PerContext, "onset by default")
}
