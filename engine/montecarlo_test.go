package engine_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/sim"
)

// mcPolicy is the default schedule (1→5→10→25→50%, 24h each) with hourly
// looks at the default alpha and N*.
func mcPolicy(seed int64) engine.Policy {
	return engine.Policy{
		FlagKey: "mc", Seed: seed,
		Steps:         schedule.Default(0),
		CheckInterval: time.Hour,
		MinContexts:   30,
		Metrics:       []engine.Metric{{Key: "y", Kind: engine.Numeric, Direction: engine.LowerIsBetter}},
	}
}

// mcModel is a per-context normal metric with SD 1 (one event per
// exposure, every arrival a new context) at 300 exposures an hour.
func mcModel(seed uint64, effect float64, effectStep int) sim.Model {
	return sim.Model{
		Seed: seed, Start: t0, Horizon: 121 * time.Hour, AnalysedOnly: true,
		Traffic: sim.Traffic{RatePerHour: 300},
		Metrics: []sim.MetricModel{{Key: "y", Distribution: sim.Normal, Mean: 10, SD: 1, EventsPerExposure: 1, Delay: time.Minute, Effect: effect, EffectStep: effectStep}},
	}
}

// simulateMany runs reps seeded rollouts on all cores and counts outcomes.
func simulateMany(t *testing.T, reps int, effect float64, effectStep int) map[engine.Reason]int {
	t.Helper()
	out := make([]engine.Outcome, reps)
	var wg sync.WaitGroup
	next := make(chan int)
	workers := 2
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := sim.Simulate(context.Background(), mcPolicy(int64(i)+1), mcModel(uint64(i)+1000, effect, effectStep), engine.Options{}, nil)
				if err != nil {
					errs <- err
					return
				}
				out[i] = res.Outcome
			}
		}()
	}
	for i := 0; i < reps; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	require.NoError(t, <-errs)
	counts := map[engine.Reason]int{}
	for _, o := range out {
		if o.Status == engine.StatusCompleted {
			counts["completed"]++
		} else {
			counts[o.Reason]++
		}
	}
	return counts
}

// TestAAFalseRollbackRate: ≥ 2000 A/A rollouts with hourly looks over the
// default schedule; the false rollback rate must stay within alpha + 3 SE.
func TestAAFalseRollbackRate(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 2000 simulated rollouts")
	}
	const reps = 2000
	counts := simulateMany(t, reps, 0, 0)
	falseRollbacks := counts[engine.ReasonRegression] + counts[engine.ReasonSRM]
	rate := float64(falseRollbacks) / reps
	alpha := engine.DefaultAlpha
	se := math.Sqrt(alpha * (1 - alpha) / reps)
	t.Logf("A/A: %d reps, outcomes %v, false rollback rate %.4f (bound %.4f)", reps, counts, rate, alpha+3*se)
	assert.LessOrEqual(t, rate, alpha+3*se)
	assert.Zero(t, counts[engine.ReasonInsufficientSample], "traffic is sized so every step meets its minimum")
	assert.Equal(t, reps, counts["completed"]+falseRollbacks)
}

// TestPowerLargeRegression: a regression of 3 SD of the per-context metric
// from the 50% step on is detected in at least 90% of rollouts.
func TestPowerLargeRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 500 simulated rollouts")
	}
	const reps = 500
	counts := simulateMany(t, reps, 3, 5)
	power := float64(counts[engine.ReasonRegression]) / reps
	t.Logf("power at 3 SD from step 5: %.3f, outcomes %v", power, counts)
	assert.GreaterOrEqual(t, power, 0.90)
}

// TestPowerSmallRegression: a small regression (0.05 SD from the start) is
// detected sometimes but not always: power lies strictly between the A/A
// rate and 1, and grows with the effect.
func TestPowerGrowsWithEffect(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	const reps = 200
	small := float64(simulateMany(t, reps, 0.05, 1)[engine.ReasonRegression]) / reps
	large := float64(simulateMany(t, reps, 0.1, 1)[engine.ReasonRegression]) / reps
	t.Logf("power: effect 0.05 SD %.3f, 0.1 SD %.3f", small, large)
	assert.Greater(t, small, 0.05)
	assert.Greater(t, large, small)
}
