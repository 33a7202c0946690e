package sweep

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/sim"
)

func popModel(population int) (engine.Policy, sim.Model) {
	p := engine.Policy{
		Steps:         []schedule.Step{{Percent: 10, Duration: 8 * time.Hour}, {Percent: 50, Duration: 8 * time.Hour}},
		CheckInterval: time.Hour,
		Metrics: []engine.Metric{
			{Key: "lat", Kind: engine.Numeric},
			{Key: "conv", Kind: engine.Binary, Direction: engine.HigherIsBetter},
		},
	}.WithDefaults()
	m := sim.Model{Start: time.Unix(0, 0).UTC(), Horizon: 17 * time.Hour, Traffic: sim.Traffic{RatePerHour: 600, Population: population},
		Metrics: []sim.MetricModel{
			{Key: "lat", Distribution: sim.LogNormal, Mean: 200, SD: 100, EventsPerExposure: 1},
			{Key: "conv", Binary: true, Rate: 0.1},
		}}
	return p, m
}

// TestReturnShare: the expected share of returning exposures against a
// direct count of distinct draws.
func TestReturnShare(t *testing.T) {
	assert.Zero(t, returnShare(1000, 0))
	// Λ = N: 1 − (1 − e^−1) = e^−1.
	assert.InDelta(t, math.Exp(-1), returnShare(5000, 5000), 1e-12)
	// Λ ≪ N: about Λ/2N.
	assert.InDelta(t, 0.005, returnShare(1000, 100000), 0.0001)
}

// TestPopulationMode: returning contexts switch to per-context sampling
// when more than 1% of the exposures are returns, and are refused, naming
// the population and why, where that mode cannot model them.
func TestPopulationMode(t *testing.T) {
	p, m := popModel(0)
	pl, err := newAggPlan(p, m)
	require.NoError(t, err)
	assert.Nil(t, pl.pop, "no population: per-interval draws")

	// 9600 arrivals from 10^6 members: 0.5% returns.
	_, m = popModel(1_000_000)
	pl, err = newAggPlan(p, m)
	require.NoError(t, err)
	assert.Nil(t, pl.pop, "returns under 1%: per-interval draws")

	_, m = popModel(3000)
	pl, err = newAggPlan(p, m)
	require.NoError(t, err)
	require.NotNil(t, pl.pop, "most exposures are returns: per-context sampling")
	// Bands: new growth 10%, 40%, outside 0, control growth 40%, 10%.
	assert.InDeltaSlice(t, []float64{0.1, 0.4, 0, 0.4, 0.1}, pl.pop.bands, 1e-12)

	m.Fault = sim.SRMFault{DropNew: 0.1}
	_, err = newAggPlan(p, m)
	assert.ErrorContains(t, err, "traffic.population 3000: about 72% of the 10200 exposures expected over the horizon are returning contexts, and the aggregate fidelity does not model an SRM fault on returning contexts (srm_fault); use the event-level fidelity")

	_, m = popModel(3000)
	p2 := p
	p2.Steps = []schedule.Step{{Percent: 50, Duration: 8 * time.Hour}, {Percent: 10, Duration: 8 * time.Hour}}
	_, err = newAggPlan(p2, m)
	assert.ErrorContains(t, err, "only when the new and control percentages never decrease (step 2 lowers them)")

	_, m = popModel(60_000_000)
	m.Traffic.RatePerHour = 1e8
	_, err = newAggPlan(p, m)
	assert.ErrorContains(t, err, "it holds at most 50000000 contexts; use the event-level fidelity")
}

// TestPopulationModeCounts: per-context sampling keeps the engine's
// counts: every member is analysed at most once, in its own arm's range,
// binary and sum metrics count every analysed context, and the number of
// analysed contexts matches the expected distinct members.
func TestPopulationModeCounts(t *testing.T) {
	p, m := popModel(3000)
	pl, err := newAggPlan(p, m)
	require.NoError(t, err)
	s := newAggSim()
	var analysed, want float64
	completed := 0
	const reps = 200
	for i := range reps {
		if o := s.run(pl, RepSeed(4, i)); o.status != stCompleted {
			continue // a false rollback: its strata stop early
		}
		completed++
		var n float64
		for k := range pl.steps {
			a, b := s.strata[1][k].A, s.strata[1][k].B
			n += a.N + b.N
			// Every member is in the latency metric too (one event per
			// exposure, at exposure).
			assert.Equal(t, a.N, s.strata[0][k].A.N)
			assert.Equal(t, b.N, s.strata[0][k].B.N)
		}
		assert.LessOrEqual(t, n, 3000.0)
		analysed += n
	}
	// Distinct analysed members: at 10% + 10% for 8h then 50% + 50% for 8h
	// with 600 arrivals an hour from 3000, a member is analysed unless it
	// never arrives while in an analysed range.
	lam := 600.0 * 8 / 3000
	want = 3000 * (0.2*(1-math.Exp(-2*lam)) + 0.8*(1-math.Exp(-lam)))
	require.Greater(t, completed, reps*9/10)
	assert.InDelta(t, want, analysed/float64(completed), 0.01*want)
}

// TestPopulationModeDeterministic: the same seed gives the same sweep.
func TestPopulationModeDeterministic(t *testing.T) {
	p, m := popModel(3000)
	cfg := Config{Name: "pop", Policy: p, Model: m, FixedHorizon: true, Grid: "effect=0,8", Reps: 200, Seed: 3, Workers: 2}
	a, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	cfg.Workers = 1
	b, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, a, b)
}
