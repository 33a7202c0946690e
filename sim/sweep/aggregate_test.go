package sweep

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/sim"
)

func sampleMoments(n int, draw func() float64) (mean, variance float64) {
	var s, s2 float64
	for i := 0; i < n; i++ {
		x := draw()
		s += x
		s2 += x * x
	}
	mean = s / float64(n)
	return mean, (s2 - s*mean) / float64(n-1)
}

// TestSamplers: mean and variance of the Poisson, binomial and gamma draws
// within 5 standard errors.
func TestSamplers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	for _, lam := range []float64{0.3, 4, 9.9, 10, 31, 480, 2500} {
		m, v := sampleMoments(n, func() float64 { return float64(poisson(r, lam)) })
		assert.InDelta(t, lam, m, 5*math.Sqrt(lam/n), "poisson(%g) mean", lam)
		assert.InDelta(t, lam, v, 5*lam*math.Sqrt(2.0/n)+5*math.Sqrt(lam/n), "poisson(%g) variance", lam)
	}
	assert.Zero(t, poisson(r, 0))
	for _, c := range []struct {
		n int
		p float64
	}{{5, 0.3}, {40, 0.1}, {200, 0.08}, {3000, 0.1}, {1000, 0.7}, {7, 1}} {
		mu, vr := float64(c.n)*c.p, float64(c.n)*c.p*(1-c.p)
		m, v := sampleMoments(n, func() float64 {
			k := binomial(r, c.n, c.p)
			require.True(t, k >= 0 && k <= c.n)
			return float64(k)
		})
		assert.InDelta(t, mu, m, 5*math.Sqrt(vr/n)+1e-12, "binomial(%d, %g) mean", c.n, c.p)
		assert.InDelta(t, vr, v, 5*vr*math.Sqrt(2.0/n)+1e-12, "binomial(%d, %g) variance", c.n, c.p)
	}
	for _, k := range []float64{0.3, 1, 2.5, 40, 900} {
		m, v := sampleMoments(n, func() float64 { return gamma1(r, k) })
		assert.InDelta(t, k, m, 5*math.Sqrt(k/n), "gamma(%g) mean", k)
		assert.InDelta(t, k, v, 5*k*math.Sqrt((2+6/k)/n), "gamma(%g) variance", k)
	}
}

// TestCumTraffic: the expected arrivals are the integral of the generator's
// rate (checked by the midpoint rule).
func TestCumTraffic(t *testing.T) {
	start := time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC)
	pl := &aggPlan{ratePerHour: 300, amp: 0.4}
	startHour := math.Mod(float64(start.UnixNano())/3.6e12, 24)
	pl.phase0 = 2 * math.Pi * (startHour - 15) / 24
	pl.sin0 = math.Sin(pl.phase0)
	const steps = 100000
	var want float64
	end := 37 * time.Hour
	dt := float64(end) / steps
	for i := 0; i < steps; i++ {
		tt := start.UnixNano() + int64((float64(i)+0.5)*dt)
		hour := math.Mod(float64(tt)/3.6e12, 24)
		want += 300 * (1 + 0.4*math.Cos(2*math.Pi*(hour-15)/24)) * dt / 3.6e12
	}
	assert.InDelta(t, want, pl.cum(int64(end)), 1e-6*want)
	assert.Zero(t, pl.cum(0))
	assert.InDelta(t, 300*24, pl.cum(int64(24*time.Hour)), 1e-9, "a whole day averages the cycle out")
}

// allNew serves every context the new variation.
type allNew struct{}

func (allNew) Allocation(context.Context, int64) engine.Allocation {
	return engine.Allocation{Weights: [3]int{100000, 0, 0}, Step: 1, Until: math.MaxInt64}
}

// TestPerContextMoments: the plan's per-context mean and variance match
// the values the engine sees from the generator (mean and
// sum aggregations of a log-normal metric with an intercept and several
// events per exposure).
func TestPerContextMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 60000 contexts")
	}
	mm := sim.MetricModel{Key: "y", Distribution: sim.LogNormal, Mean: 250, SD: 120, ContextSD: 30, EventsPerExposure: 3}
	model := sim.Model{Seed: 9, Start: time.Unix(0, 0).UTC(), Horizon: 200 * time.Hour, AnalysedOnly: true,
		Traffic: sim.Traffic{RatePerHour: 300}, Metrics: []sim.MetricModel{mm}}
	g, err := sim.NewGenerator(model, 1, allNew{})
	require.NoError(t, err)
	sums := map[string]float64{}
	counts := map[string]int{}
	buf := make([]engine.Event, 4096)
	for {
		n, err := g.Read(context.Background(), buf)
		for _, ev := range buf[:n] {
			if ev.Kind == engine.KindMetric {
				sums[ev.ContextKey] += ev.Value
				counts[ev.ContextKey]++
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}
	for _, agg := range []engine.Aggregation{engine.Mean, engine.Sum} {
		p := engine.Policy{Steps: schedule.Default(0), Metrics: []engine.Metric{{Key: "y", Kind: engine.Numeric, Aggregation: agg}}}.WithDefaults()
		pl, err := newAggPlan(p, model)
		require.NoError(t, err)
		am := pl.metrics[0]
		var m1, m2, m4 float64
		var n float64
		vals := make([]float64, 0, len(sums))
		for k, s := range sums {
			if counts[k] != 3 {
				continue // events beyond the horizon
			}
			v := s
			if agg == engine.Mean {
				v = s / 3
			}
			vals = append(vals, v)
			m1 += v
			n++
		}
		m1 /= n
		for _, v := range vals {
			d := v - m1
			m2 += d * d
			m4 += d * d * d * d
		}
		m2 /= n
		kurt := m4/n/(m2*m2) - 3
		t.Logf("%s: n %.0f, mean %.2f (plan %.2f), var %.1f (plan %.1f), excess kurtosis %.2f", agg, n, m1, am.mu, m2, am.sigma2, kurt)
		assert.InDelta(t, am.mu, m1, 5*math.Sqrt(am.sigma2/n))
		assert.InDelta(t, am.sigma2, m2, 0.05*am.sigma2)
	}
}

// TestAggregateNoAllocs: after the first rollout, the per-interval loop
// allocates nothing; a rollout allocates only its SRM test.
func TestAggregateNoAllocs(t *testing.T) {
	pl := benchPlan(t)
	s := newAggSim()
	s.run(pl, 1)
	i := 0
	allocs := testing.AllocsPerRun(50, func() { i++; s.run(pl, uint64(i)) })
	assert.LessOrEqual(t, allocs, 4.0)
}

// TestCumCacheIdentical: the cached expected arrivals on the check grid
// give exactly the result of computing every one.
func TestCumCacheIdentical(t *testing.T) {
	pl := benchPlan(t)
	require.NotEmpty(t, pl.cumGrid)
	plain := *pl
	plain.cumGrid = nil
	s := newAggSim()
	for i := 0; i < 300; i++ {
		seed := RepSeed(3, i)
		require.Equal(t, s.run(&plain, seed), s.run(pl, seed), "rep %d", i)
	}
	for _, tt := range []int64{0, int64(time.Hour), int64(37 * time.Hour), int64(90 * time.Minute)} {
		assert.Equal(t, pl.cum(tt), pl.cumAt(tt))
	}
}

// TestAggregateRefusesTailRegression: a numeric metric's tail regression
// is not modelled by the aggregate draws, so the plan refuses it, naming
// the metric, rather than report the no-regression rate.
func TestAggregateRefusesTailRegression(t *testing.T) {
	p := engine.Policy{Steps: schedule.Default(0), Metrics: []engine.Metric{{Key: "lat", Kind: engine.Numeric}}}.WithDefaults()
	m := sim.Model{Start: time.Unix(0, 0).UTC(), Horizon: 200 * time.Hour, Traffic: sim.Traffic{RatePerHour: 300},
		Metrics: []sim.MetricModel{{Key: "lat", Distribution: sim.LogNormal, Mean: 200, SD: 100, EventsPerExposure: 1, TailQuantile: 0.98, TailScale: 1.5}}}
	_, err := newAggPlan(p, m)
	require.ErrorContains(t, err, "metric lat: the aggregate fidelity does not model tail regressions (regression.tail_scale 1.5)")
	m.Metrics[0].TailScale = 1
	_, err = newAggPlan(p, m)
	require.NoError(t, err, "tail_scale 1 is no regression")
}
