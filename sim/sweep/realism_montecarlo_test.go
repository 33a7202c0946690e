package sweep

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/engine/stats"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// pooledCS is guardsim's confidence sequence applied to the arms pooled
// over the steps (one stratum): the same rule as the engine's but for the
// step stratification, to show what the stratification protects against.
type pooledCS struct{}

func (pooledCS) Name() string { return "pooled-confidence-sequence" }

func (pooledCS) NewDetectors(p engine.Policy) ([]engine.Detector, error) {
	inner, err := engine.ConfidenceSequence{}.NewDetectors(p)
	if err != nil {
		return nil, err
	}
	ds := make([]engine.Detector, len(inner))
	for i, d := range inner {
		ds[i] = &pooledDetector{inner: d}
	}
	return ds, nil
}

type pooledDetector struct {
	inner engine.Detector
	one   [1]stats.Stratum
}

func (d *pooledDetector) Check(in *engine.DetectorInput) engine.Verdict {
	var s stats.Stratum
	for _, st := range in.Strata {
		s.A.Merge(st.A)
		s.B.Merge(st.B)
	}
	d.one[0] = s
	pooled := *in
	pooled.Strata = d.one[:]
	return d.inner.Check(&pooled)
}

// TestDiurnalBaselineAA: the built-in diurnal-baseline scenario (A/A, the
// latency baseline swinging ±20% over the day while the new variation ramps
// 5→50% against a fixed 50% control within one day). The engine's
// step-stratified rule keeps its false-rollback rate within α + 3 SE in
// both fidelities (1000 event-level and 8000 aggregate rollouts) and the
// fidelities agree within 3 combined SE; the same confidence sequence on
// the pooled arms rolls back almost always (≥ 90%), in both fidelities.
func TestDiurnalBaselineAA(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 1000 event-level rollouts of diurnal-baseline")
	}
	cfg := loadConfig(t, "diurnal-baseline")
	cfg.Grid, cfg.Seed = "effect=0", 91
	require.Equal(t, 0.05, cfg.Policy.MetricAlpha())
	fc, err := CheckFidelity(context.Background(), cfg, 1000, 8000)
	require.NoError(t, err)
	c := fc.Cells[0]
	for _, cell := range []Cell{c.Event, c.Aggregate} {
		checkCell(t, cell)
		t.Logf("stratified: false rollbacks %d/%d = %.4f [%.4f, %.4f], completed %.4f", cell.Detections, cell.Reps, cell.Rate, cell.RateLo, cell.RateHi, cell.CompletedShare)
		assert.LessOrEqual(t, cell.Rate, fprBound(0.05, cell.Reps), "false-rollback rate within α + 3 SE")
		assert.GreaterOrEqual(t, cell.CompletedShare, 1-fprBound(0.05, cell.Reps), "the rollout completes")
	}
	assert.True(t, c.RateOK, "fidelities agree: %.4f vs %.4f, 3 SE %.4f", c.Event.Rate, c.Aggregate.Rate, 3*c.SE)

	cfg.Policy.Detector = pooledCS{}
	fc, err = CheckFidelity(context.Background(), cfg, 200, 2000)
	require.NoError(t, err)
	c = fc.Cells[0]
	for _, cell := range []Cell{c.Event, c.Aggregate} {
		t.Logf("pooled: false rollbacks %d/%d = %.4f, median at %v", cell.Detections, cell.Reps, cell.Rate, cell.DetectMedian)
		assert.GreaterOrEqual(t, cell.Rate, 0.9, "pooling the steps makes the daily swing a regression")
	}
	assert.True(t, c.OK(), "fidelities agree on the pooled rule: %.4f vs %.4f, 3 SE %.4f; medians %v vs %v", c.Event.Rate, c.Aggregate.Rate, 3*c.SE, c.Event.DetectMedian, c.Aggregate.DetectMedian)
}

// realismConfig is a small rollout (10→25→50% of 8h each, hourly checks,
// 600 exposures an hour with a daily cycle) with one metric; control is a
// fixed 50% when fixedControl, so the arms' time profiles differ.
func realismConfig(metric engine.Metric, mm sim.MetricModel, fixedControl bool) Config {
	ctl := 0.0
	if fixedControl {
		ctl = 50
	}
	p := engine.Policy{
		FlagKey: "realism", Seed: 5,
		Steps: []schedule.Step{{Percent: 10, ControlPercent: ctl, Duration: 8 * time.Hour},
			{Percent: 25, ControlPercent: ctl, Duration: 8 * time.Hour}, {Percent: 50, ControlPercent: ctl, Duration: 8 * time.Hour}},
		CheckInterval: time.Hour,
		Metrics:       []engine.Metric{metric},
	}.WithDefaults()
	mm.Key = metric.Key
	if mm.EventsPerExposure == 0 {
		mm.EventsPerExposure = 1
	}
	m := sim.Model{Seed: 1, Start: scenarios.DefaultStart.Add(9 * time.Hour), Horizon: p.MaxDuration(),
		Traffic: sim.Traffic{RatePerHour: 600, DailyAmplitude: 0.3, PeakHour: 15},
		Metrics: []sim.MetricModel{mm}}
	return Config{Name: metric.Key, Policy: p, Model: m, FixedHorizon: true}
}

// TestRealismFidelitiesAgree: for each realism feature, the aggregate and
// event-level fidelities give the same detection rates (within 3 combined
// SE; 1000 event-level and 4000 aggregate rollouts per cell) and median
// times to detection (within 10% where both detect ≥ 100 times), at effect
// 0 and one effect size; duplicate exposures give the same SRM rollback
// shares. The first baseline cell runs the pooled rule against a fixed 50%
// control, whose bias is the baseline's traffic-weighted mean over each
// arm's exposures: the sharpest check of the baseline's modelling.
func TestRealismFidelitiesAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 1000 event-level rollouts per cell")
	}
	const evReps, agReps = 1000, 4000
	num := engine.Metric{Key: "y", Kind: engine.Numeric, Direction: engine.LowerIsBetter}
	bin := engine.Metric{Key: "y", Kind: engine.Binary, Direction: engine.HigherIsBetter}
	daily := &sim.Baseline{DailyAmplitude: 0.2, PeakHour: 20, TrendPerDay: 0.05}
	shapes := []struct {
		name     string
		metric   engine.Metric
		model    sim.MetricModel
		effect   float64
		pooled   bool
		control  bool
		noveltyS bool // the effect from step 2 (else from the start)
	}{
		{"numeric baseline, pooled", num, sim.MetricModel{Distribution: sim.LogNormal, Mean: 100, SD: 60, Baseline: daily}, 0, true, true, false},
		{"numeric baseline", num, sim.MetricModel{Distribution: sim.Normal, Mean: 100, SD: 30, Baseline: daily}, 3, false, true, false},
		{"binary baseline", bin, sim.MetricModel{Binary: true, Rate: 0.1, Baseline: daily}, -0.018, false, false, false},
		{"novelty decaying 3×, 4h, from step 2", num, sim.MetricModel{Distribution: sim.Normal, Mean: 100, SD: 30,
			Novelty: &sim.Novelty{Factor: 3, HalfLife: 4 * time.Hour}}, 1.5, false, false, true},
		{"novelty growing from 0, 6h", bin, sim.MetricModel{Binary: true, Rate: 0.1,
			Novelty: &sim.Novelty{Factor: 0, HalfLife: 6 * time.Hour}}, -0.02, false, false, false},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			mm := sh.model
			if sh.noveltyS {
				mm.EffectStep = 2
			}
			cfg := realismConfig(sh.metric, mm, sh.control)
			cfg.Seed = 33
			cfg.Grid = "effect=0"
			if sh.effect != 0 {
				cfg.Grid = fmt.Sprintf("effect=0,%g", sh.effect)
			}
			if sh.pooled {
				cfg.Policy.Detector = pooledCS{}
			}
			fc, err := CheckFidelity(context.Background(), cfg, evReps, agReps)
			require.NoError(t, err)
			for _, c := range fc.Cells {
				t.Logf("effect %-7g event %.4f median %-6v | aggregate %.4f median %-6v | 3 SE %.4f", c.Event.Effect,
					c.Event.Rate, c.Event.DetectMedian, c.Aggregate.Rate, c.Aggregate.DetectMedian, 3*c.SE)
				assert.True(t, c.RateOK, "effect %g: rates %.4f vs %.4f differ by more than 3 SE (%.4f)", c.Event.Effect, c.Event.Rate, c.Aggregate.Rate, 3*c.SE)
				assert.True(t, c.TTDOK, "effect %g: median time to detection %v vs %v", c.Event.Effect, c.Event.DetectMedian, c.Aggregate.DetectMedian)
			}
			last := fc.Cells[len(fc.Cells)-1]
			if sh.pooled {
				// The feature matters: the pooled rule is fooled often, but
				// not always, so the rate itself is compared.
				assert.Greater(t, last.Aggregate.Rate, 0.2)
				assert.Less(t, last.Aggregate.Rate, 0.9)
			} else {
				assert.Greater(t, last.Aggregate.Rate, 0.2, "the effect is informative")
			}
		})
	}
	t.Run("duplicate exposures", func(t *testing.T) {
		bin := engine.Metric{Key: "y", Kind: engine.Binary, Direction: engine.HigherIsBetter}
		// At 600 exposures an hour the sequential SRM test (k = 10⁴) needs
		// a large mismatch: 20% duplicates roll back about 40% of rollouts.
		for _, dup := range []float64{0.2} {
			cfg := realismConfig(bin, sim.MetricModel{Binary: true, Rate: 0.1}, false)
			cfg.Model.Fault = sim.SRMFault{DuplicateNew: dup, Start: 4 * time.Hour}
			cfg.Seed, cfg.Grid = 35, "effect=0"
			fc, err := CheckFidelity(context.Background(), cfg, evReps, agReps)
			require.NoError(t, err)
			c := fc.Cells[0]
			e, a := c.Event.SRMShare, c.Aggregate.SRMShare
			p := (e*evReps + a*agReps) / (evReps + agReps)
			se := math.Sqrt(p * (1 - p) * (1.0/evReps + 1.0/agReps))
			t.Logf("duplicate_new %g: SRM rollbacks event %.4f aggregate %.4f (3 SE %.4f); regressions %.4f vs %.4f", dup, e, a, 3*se, c.Event.Rate, c.Aggregate.Rate)
			assert.InDelta(t, e, a, 3*se, "SRM shares agree")
			assert.True(t, c.RateOK, "regression rates agree")
			assert.Greater(t, a, 0.2, "the duplicates are an SRM source")
			assert.Less(t, a, 0.8, "and the shares are informative")
		}
	})
}
