package sweep

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// TestTimeToDetectionFromOnset: with an effect from step 2, both
// fidelities measure time to detection from the start of step 2 in that
// rollout (the end of step 1, extended or not), not from the start.
func TestTimeToDetectionFromOnset(t *testing.T) {
	p := engine.Policy{
		FlagKey: "onset", Steps: []schedule.Step{{Percent: 10, Duration: 6 * time.Hour}, {Percent: 50, Duration: 12 * time.Hour}},
		CheckInterval: time.Hour, Metrics: []engine.Metric{{Key: "y", Kind: engine.Numeric, Direction: engine.LowerIsBetter}},
	}.WithDefaults()
	m := sim.Model{Seed: 1, Start: scenarios.DefaultStart, Horizon: p.MaxDuration(), AnalysedOnly: true,
		Traffic: sim.Traffic{RatePerHour: 400},
		Metrics: []sim.MetricModel{{Key: "y", Distribution: sim.Normal, Mean: 100, SD: 10, EventsPerExposure: 1, Effect: 5, EffectStep: 2}}}
	pl, err := newAggPlan(p, m)
	require.NoError(t, err)
	s := newAggSim()
	cell := &cellPlan{pol: p, model: m, agg: pl}
	for i := range 20 {
		seed := RepSeed(4, i)
		for name, o := range map[string]outcome{"aggregate": s.run(pl, seed), "event": must(t, cell, seed)} {
			require.Equal(t, rsRegression, o.reason, "%s rep %d: a 0.5-sd effect is detected", name, i)
			// Step 1 lasts 6h, or 12h when extended for too few contexts.
			assert.Contains(t, []int64{int64(6 * time.Hour), int64(12 * time.Hour)}, o.onset, "%s rep %d", name, i)
			assert.Greater(t, o.elapsed, o.onset, "%s rep %d: detected after the onset", name, i)
		}
	}
	var tl Tally
	tl.add(outcome{elapsed: int64(9 * time.Hour), onset: int64(6 * time.Hour), status: stRolledBack, reason: rsRegression})
	tl.add(outcome{elapsed: int64(2 * time.Hour), onset: int64(6 * time.Hour), status: stRolledBack, reason: rsRegression})
	assert.Equal(t, []TimeCount{{T: 0, N: 1}, {T: int64(3 * time.Hour), N: 1}}, tl.Detect, "from the onset; a detection before it counts 0")
}

func must(t *testing.T, c *cellPlan, seed uint64) outcome {
	o, err := simulateEvent(context.Background(), c, seed, nil)
	require.NoError(t, err)
	return o
}
