package sweep

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// fidelityShape is one metric shape of the agreement grid.
type fidelityShape struct {
	name   string
	metric engine.Metric
	model  sim.MetricModel
	// sd is the sd of a context's value, for the effect sizes.
	sd float64
	// population makes contexts return (traffic.population; 0: none).
	population int
}

func lnSD(mean, logSD float64) float64 { return mean * math.Sqrt(math.Expm1(logSD*logSD)) }

// fidelityShapes covers the metric shapes the simulator produces that the
// aggregate fidelity models.
func fidelityShapes() []fidelityShape {
	num := engine.Metric{Key: "y", Kind: engine.Numeric, Direction: engine.LowerIsBetter}
	sum := num
	sum.Aggregation = engine.Sum
	rev := engine.Metric{Key: "y", Kind: engine.Numeric, Direction: engine.HigherIsBetter}
	bin := engine.Metric{Key: "y", Kind: engine.Binary, Direction: engine.LowerIsBetter} // an error rate
	return []fidelityShape{
		{"normal", num, sim.MetricModel{Distribution: sim.Normal, Mean: 100, SD: 20}, 20, 0},
		{"lognormal log-sd 2", num, sim.MetricModel{Distribution: sim.LogNormal, Mean: 250, SD: lnSD(250, 2)}, lnSD(250, 2), 0},
		{"lognormal log-sd 3", num, sim.MetricModel{Distribution: sim.LogNormal, Mean: 250, SD: lnSD(250, 3)}, lnSD(250, 3), 0},
		{"sum of 3 log-normal events + intercept", sum, sim.MetricModel{Distribution: sim.LogNormal, Mean: 10, SD: 15, ContextSD: 4, EventsPerExposure: 3}, math.Sqrt(3*15*15 + 9*16), 0},
		{"revenue: 95% zeros, log-normal", rev, sim.MetricModel{Distribution: sim.LogNormal, Mean: 40, SD: 110, ZeroShare: 0.95}, math.Sqrt(0.05*110*110 + 0.95*0.05*40*40), 0},
		{"binary 2%, 30m delay", bin, sim.MetricModel{Binary: true, Rate: 0.02, Delay: 30 * time.Minute}, math.Sqrt(0.02 * 0.98), 0},
		{"binary 0.1%", bin, sim.MetricModel{Binary: true, Rate: 0.001}, math.Sqrt(0.001 * 0.999), 0},
		// Returning contexts: 14,400 arrivals over 24h from 3000 members
		// (about 70% of exposures are returns), sampled per context.
		{"returning: log-normal mean + intercept", num, sim.MetricModel{Distribution: sim.LogNormal, Mean: 250, SD: 300, ContextSD: 60}, math.Sqrt(300*300 + 60*60), 3000},
		{"returning: binary 5%, 30m delay", bin, sim.MetricModel{Binary: true, Rate: 0.05, Delay: 30 * time.Minute}, math.Sqrt(0.12 * 0.88), 3000},
	}
}

// fidelityConfig is a tiny rollout (10→25→50% of 8h each, hourly checks,
// 600 exposures an hour) with one metric of the shape: per-interval counts
// span the exact (few values, 10% step) and split (many, 50% step) draws.
func fidelityConfig(sh fidelityShape, rate float64) Config {
	p := engine.Policy{
		FlagKey: "fidelity", Seed: 5,
		Steps:         []schedule.Step{{Percent: 10, Duration: 8 * time.Hour}, {Percent: 25, Duration: 8 * time.Hour}, {Percent: 50, Duration: 8 * time.Hour}},
		CheckInterval: time.Hour,
		Metrics:       []engine.Metric{sh.metric},
	}.WithDefaults()
	mm := sh.model
	mm.Key = "y"
	if mm.EventsPerExposure == 0 {
		mm.EventsPerExposure = 1
	}
	m := sim.Model{Seed: 1, Start: scenarios.DefaultStart, Horizon: p.MaxDuration(),
		Traffic: sim.Traffic{RatePerHour: rate, DailyAmplitude: 0.3, PeakHour: 15, Population: sh.population},
		Metrics: []sim.MetricModel{mm}}
	return Config{Name: sh.name, Policy: p, Model: m, FixedHorizon: true}
}

// TestFidelityGrid: over every modelled metric shape, at effect 0 and two
// effect sizes, the aggregate and event-level fidelities' detection rates
// agree within 3 combined standard errors, with GUARDSIM_FIDELITY_REPS
// (default 2000) event-level and 4× as many aggregate rollouts per cell,
// and their median times to detection within 10% where both detect often
// enough to tell. It replaces a 300-rep check at ±0.12.
func TestFidelityGrid(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 2000 event-level rollouts per cell")
	}
	reps := 2000
	if v, err := strconv.Atoi(os.Getenv("GUARDSIM_FIDELITY_REPS")); err == nil && v > 0 {
		reps = v
	}
	const rate = 600
	for _, sh := range fidelityShapes() {
		t.Run(sh.name, func(t *testing.T) {
			cfg := fidelityConfig(sh, rate)
			// Effects of about 1.2 and 2.5 standard errors of the final
			// difference (50% step: 8h·rate/2 per arm), harmful side.
			se := sh.sd * math.Sqrt(2/(8*rate*0.5))
			sign := 1.0
			if sh.metric.Direction == engine.HigherIsBetter {
				sign = -1
			}
			e1, e2 := sign*round2(1.2*se), sign*round2(2.5*se)
			cfg.Grid = fmt.Sprintf("alpha=0.05;effect=0,%g,%g", e1, e2)
			cfg.Seed = 77
			fc, err := CheckFidelity(context.Background(), cfg, reps, 4*reps)
			require.NoError(t, err)
			for _, c := range fc.Cells {
				checkCell(t, c.Event)
				checkCell(t, c.Aggregate)
				t.Logf("effect %-8g event %.4f [%.4f, %.4f] median %-6v aggregate %.4f [%.4f, %.4f] median %-6v | 3 SE %.4f, ttd compared %v",
					c.Event.Effect, c.Event.Rate, c.Event.RateLo, c.Event.RateHi, c.Event.DetectMedian,
					c.Aggregate.Rate, c.Aggregate.RateLo, c.Aggregate.RateHi, c.Aggregate.DetectMedian, 3*c.SE, c.TTDCompared)
				assert.True(t, c.RateOK, "%s effect %g: rates %.4f vs %.4f differ by more than 3 SE (%.4f)", sh.name, c.Event.Effect, c.Event.Rate, c.Aggregate.Rate, 3*c.SE)
				assert.True(t, c.TTDOK, "%s effect %g: median time to detection %v vs %v", sh.name, c.Event.Effect, c.Event.DetectMedian, c.Aggregate.DetectMedian)
			}
			// The effects are informative: the largest is detected more
			// often than none.
			assert.Greater(t, fc.Cells[2].Aggregate.Rate, fc.Cells[0].Aggregate.Rate+0.1)
		})
	}
}
