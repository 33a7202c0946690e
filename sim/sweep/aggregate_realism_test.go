package sweep

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

// TestRealismSegmentMeans: the closed-form traffic-weighted means of the
// baseline factor and the novelty multiple over a segment match a direct
// numerical integration of the formulas (composite Simpson, 20,000 panels)
// to 1e-9, on random segments, phases, trends and half-lives.
func TestRealismSegmentMeans(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		amp, peak := 0.9*r.Float64(), 24*r.Float64()
		start := scenarios.DefaultStart.Add(time.Duration(r.Float64() * float64(24*time.Hour)))
		b := sim.Baseline{DailyAmplitude: 0.9 * r.Float64(), PeakHour: 24 * r.Float64(), TrendPerDay: 0.2 * (r.Float64() - 0.5)}
		if trial%4 == 0 {
			amp = 0
		}
		nov := sim.Novelty{Factor: 4 * r.Float64(), HalfLife: time.Duration((0.1 + 20*r.Float64()) * float64(time.Hour))}
		p := engine.Policy{FlagKey: "f", Steps: []schedule.Step{{Percent: 10, Duration: 100 * time.Hour}},
			Metrics: []engine.Metric{{Key: "y", Kind: engine.Numeric}}}.WithDefaults()
		onset := time.Duration(r.Float64() * float64(10*time.Hour))
		m := sim.Model{Start: start, Horizon: 100 * time.Hour, Traffic: sim.Traffic{RatePerHour: 100, DailyAmplitude: amp, PeakHour: peak},
			Metrics: []sim.MetricModel{{Key: "y", Distribution: sim.Normal, Mean: 1, SD: 1, EventsPerExposure: 1,
				Effect: 1, EffectStart: onset, Baseline: &b, Novelty: &nov}}}
		pl, err := newAggPlan(p, m)
		require.NoError(t, err)
		s := newAggSim()
		s.reset(pl, 1)
		a := onset + time.Duration(r.Float64()*float64(80*time.Hour))
		bEnd := a + time.Duration((0.01+3*r.Float64())*float64(time.Hour))
		s.realSegment(pl, int64(a), int64(bEnd))

		startHour := math.Mod(float64(start.UnixNano())/3.6e12, 24)
		w := func(h float64) float64 { return 1 + amp*math.Cos(2*math.Pi*(startHour+h-peak)/24) }
		c := func(h float64) float64 {
			return 1 + b.DailyAmplitude*math.Cos(2*math.Pi*(startHour+h-b.PeakHour)/24) + b.TrendPerDay*h/24
		}
		g := func(h float64) float64 { return 1 + (nov.Factor-1)*math.Exp2(-(h-onset.Hours())/nov.HalfLife.Hours()) }
		simpson := func(f func(float64) float64) float64 {
			lo, hi := a.Hours(), bEnd.Hours()
			const n = 20000
			dx := (hi - lo) / n
			sum := f(lo) + f(hi)
			for i := 1; i < n; i++ {
				k := 2.0
				if i%2 == 1 {
					k = 4
				}
				sum += k * f(lo+float64(i)*dx)
			}
			return sum * dx / 3
		}
		wt := simpson(w)
		wantC := simpson(func(h float64) float64 { return w(h) * c(h) }) / wt
		wantG := simpson(func(h float64) float64 { return w(h) * g(h) }) / wt
		assert.InDelta(t, wantC, s.cbar[0], 1e-9, "trial %d: baseline mean", trial)
		assert.InDelta(t, wantG, s.gbar[0], 1e-9*max(1, nov.Factor), "trial %d: novelty mean", trial)
	}
}

// TestPerContextNoveltyOfNewContexts: when every arrival is a new context,
// a per-context novelty clock reads zero at every exposure, so the effect
// is novelty × effect throughout: a sweep gives exactly the results of a
// plain effect that size, in both fidelities.
func TestPerContextNoveltyOfNewContexts(t *testing.T) {
	for _, fid := range []Fidelity{Aggregate, EventLevel} {
		metric := engine.Metric{Key: "y", Kind: engine.Binary, Direction: engine.HigherIsBetter}
		nov := realismConfig(metric, sim.MetricModel{Binary: true, Rate: 0.1, Novelty: &sim.Novelty{Factor: 3, HalfLife: time.Hour, PerContext: true}}, false)
		plain := realismConfig(metric, sim.MetricModel{Binary: true, Rate: 0.1}, false)
		for _, c := range []*Config{&nov, &plain} {
			c.Fidelity, c.Seed, c.Reps = fid, 4, 60
		}
		nov.Grid, plain.Grid = "effect=0,-0.004", "effect=0,-0.012"
		rn, err := Run(context.Background(), nov)
		require.NoError(t, err)
		rp, err := Run(context.Background(), plain)
		require.NoError(t, err)
		for i := range rn.Cells {
			a, b := rn.Cells[i], rp.Cells[i]
			a.Params, b.Params, a.Effect, b.Effect, a.Policy, b.Policy = nil, nil, 0, 0, "", ""
			assert.Equal(t, b, a, "%s cell %d", fid, i)
		}
		assert.Greater(t, rp.Cells[1].Detections, rp.Cells[0].Detections, "%s: the effect is informative", fid)
	}
}
