package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/detect"
	"github.com/guardsim/guardsim/scenarios"
	"github.com/guardsim/guardsim/sim"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func TestCosineArrivalsIsTheIntegralOfTheRate(t *testing.T) {
	c := Cosine{RatePerHour: 120, DailyAmplitude: 0.6, PeakHour: 9.5}
	rate := func(tt time.Time) float64 {
		h := float64(tt.UnixNano()) / 3.6e12
		return c.RatePerHour * (1 + c.DailyAmplitude*math.Cos(2*math.Pi*(h-c.PeakHour)/24))
	}
	for _, w := range []struct{ from, to time.Duration }{{0, time.Hour}, {3 * time.Hour, 17 * time.Hour}, {5 * time.Hour, 77 * time.Hour}} {
		from, to := t0.Add(w.from), t0.Add(w.to)
		// Midpoint rule with one-second cells.
		var want float64
		for tt := from; tt.Before(to); tt = tt.Add(time.Second) {
			want += rate(tt.Add(time.Second/2)) / 3600
		}
		assert.InDelta(t, want, c.Arrivals(from, to), 1e-6*want, "window %v–%v", w.from, w.to)
	}
	assert.Zero(t, c.Arrivals(t0, t0))
}

func TestHourlyArrivals(t *testing.T) {
	var h Hourly
	for i := range h.PerHour {
		h.PerHour[i] = float64(i)
	}
	// 10:30–12:15: half of hour 10, all of 11, a quarter of 12.
	got := h.Arrivals(t0.Add(10*time.Hour+30*time.Minute), t0.Add(12*time.Hour+15*time.Minute))
	assert.InDelta(t, 0.5*10+11+0.25*12, got, 1e-9)
	// A whole day is Σ 0..23 = 276.
	assert.InDelta(t, 276, h.Arrivals(t0.Add(7*time.Hour), t0.Add(31*time.Hour)), 1e-9)
}

func TestPopulationInvertsTheDistinctCount(t *testing.T) {
	for _, n := range []float64{500, 5000, 200000} {
		e := 3 * n
		d := n * (1 - math.Exp(-e/n))
		assert.InDelta(t, n, float64(population(d, e)), 1+1e-6*n)
	}
	assert.Zero(t, population(1000, 1000), "every exposure a new context")
}

// policyWith is a one-metric policy for the unit tests.
func policyWith(min int, steps ...float64) engine.Policy {
	p := engine.Policy{FlagKey: "f", MinContexts: min, Metrics: []engine.Metric{{Key: "m", Kind: engine.Numeric}}}
	for _, s := range steps {
		p.Steps = append(p.Steps, schedStep(s))
	}
	return p.WithDefaults()
}

func TestPMetIsAPoissonTailForNewContexts(t *testing.T) {
	p := policyWith(40, 1)
	prof := &Profile{Start: t0, Traffic: Cosine{RatePerHour: 150}, Metrics: []MetricProfile{{Key: "m", DataRate: 1, Var: 1}}}
	c := &counter{pol: p, prof: prof}
	lam := 150 * 24 * c.newShare(0) // Poisson mean of new-variation contexts in 24 h
	var cdf, term float64 = 0, math.Exp(-lam)
	for k := 0; k < 40; k++ {
		cdf += term
		term *= lam / float64(k+1)
	}
	assert.InDelta(t, 1-cdf, c.pMet(0, t0, t0.Add(24*time.Hour)), 1e-9)
}

func TestPMetWithAMetricMinimumCountsContextsWithData(t *testing.T) {
	// Every arrival a new context; a metric with data on 20% of exposures
	// and a minimum of 10 contexts with data: the count is Poisson(0.2·p·Λ).
	p := policyWith(0, 1)
	p.Metrics[0].MinContexts = 10
	prof := &Profile{Start: t0, Traffic: Cosine{RatePerHour: 200}, Metrics: []MetricProfile{{Key: "m", DataRate: 0.2, Var: 1}}}
	c := &counter{pol: p, prof: prof}
	lam := 0.2 * 200 * 24 * c.newShare(0)
	var cdf, term float64 = 0, math.Exp(-lam)
	for k := 0; k < 10; k++ {
		cdf += term
		term *= lam / float64(k+1)
	}
	assert.InDelta(t, 1-cdf, c.pMet(0, t0, t0.Add(24*time.Hour)), 1e-6)
}

func TestMDEMatchesTheSingleLookFormulaWithOneCheck(t *testing.T) {
	// One step, one check at its end: power = Φ(δ√I − b/√I), so the MDE is
	// (b + z₀.₈√I)/I exactly.
	p := policyWith(0, 10)
	p.Steps[0].Duration = 24 * time.Hour
	p.CheckInterval = 48 * time.Hour
	prof := &Profile{Start: t0, Traffic: Cosine{RatePerHour: 1000}, Metrics: []MetricProfile{{Key: "m", DataRate: 1, Mean: 10, Var: 4}}}
	c := &counter{pol: p, prof: prof}
	d, ls := c.mde(0, 0)
	require.Len(t, ls, 1)
	l := ls[0]
	assert.InDelta(t, (l.b+0.8416212335729143*math.Sqrt(l.info))/l.info, d, 1e-3*d)
	// Many looks can only lower the MDE.
	p.CheckInterval = time.Hour
	c2 := &counter{pol: p, prof: prof}
	d2, _ := c2.mde(0, 0)
	assert.Less(t, d2, d)
}

func TestComputeErrors(t *testing.T) {
	p := policyWith(10, 1)
	_, err := Compute(p, nil, Options{})
	assert.ErrorContains(t, err, "no traffic profile")
	_, err = Compute(p, &Profile{Traffic: Cosine{RatePerHour: 1}}, Options{})
	assert.ErrorContains(t, err, "the profile has 0 metrics and the policy 1")
	_, err = Compute(p, &Profile{Traffic: Cosine{RatePerHour: 1}, Metrics: []MetricProfile{{Key: "m", DataRate: 2}}}, Options{})
	assert.ErrorContains(t, err, "metrics[0] (m).data_rate 2 must be in [0, 1]")
	p.Metrics = nil
	_, err = Compute(p, &Profile{Traffic: Cosine{RatePerHour: 1}}, Options{})
	assert.ErrorContains(t, err, "invalid policy")
}

func TestLowTrafficPlanWarnsAndJSONHasNulls(t *testing.T) {
	s, err := scenarios.Load("low-traffic")
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	prof, err := FromModel(s.Model(), p)
	require.NoError(t, err)
	pl, err := Compute(p, prof, Options{})
	require.NoError(t, err)
	assert.Greater(t, pl.Steps[0].InsufficientProbability, 0.999)
	assert.Zero(t, pl.Steps[1].ReachProbability)
	assert.Less(t, pl.CompleteProbability, 1e-3)
	require.NotEmpty(t, pl.Warnings)
	assert.Contains(t, pl.Warnings[0], "step 1 (1%): 100% chance of an insufficient-sample rollback")
	assert.True(t, math.IsNaN(float64(pl.Steps[0].MDE[0].Absolute)), "12 contexts per arm cannot reach min_per_arm 30")

	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, pl))
	var back map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	step1 := back["steps"].([]any)[0].(map[string]any)
	assert.Nil(t, step1["mde"].([]any)[0].(map[string]any)["absolute"])

	buf.Reset()
	require.NoError(t, WriteMarkdown(&buf, pl))
	md := buf.String()
	assert.Contains(t, md, "## Warnings")
	assert.Contains(t, md, "| 1 | 1% / 1% | 24h + 24h | 100.0% |")
	assert.Contains(t, md, "No rollout reaches 100%")
}

func TestPlanIsDeterministic(t *testing.T) {
	s, err := scenarios.Load("testdata/sparse.yaml")
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	var outs [2]bytes.Buffer
	for i := range outs {
		prof, err := FromModel(s.Model(), p)
		require.NoError(t, err)
		pl, err := Compute(p, prof, Options{})
		require.NoError(t, err)
		require.NoError(t, WriteJSON(&outs[i], pl))
	}
	assert.Equal(t, outs[0].String(), outs[1].String())
}

// TestFromEventsRecoversTheModel: a profile measured from a generated
// stream has the model's rate, population and metric moments, and plans
// like the model itself.
func TestFromEventsRecoversTheModel(t *testing.T) {
	s, err := scenarios.Load("testdata/sparse.yaml")
	require.NoError(t, err)
	s.Metrics = append(s.Metrics, scenarios.Metric{Key: "signup", Kind: "binary", Direction: "higher_is_better", Rate: 0.3, Delay: scenarios.Duration(10 * time.Minute)})
	s.Horizon = scenarios.Duration(7 * 24 * time.Hour)
	p, err := s.Policy()
	require.NoError(t, err)
	m := s.Model()
	var evs []engine.Event
	_, err = sim.Simulate(context.Background(), p, m, engine.Options{}, func(b []engine.Event) error {
		evs = append(evs, b...)
		return nil
	})
	require.NoError(t, err)
	got, err := FromEvents(context.Background(), &engine.SliceSource{Events: evs}, p, m.Start)
	require.NoError(t, err)
	want, err := FromModel(m, p)
	require.NoError(t, err)

	h := got.Traffic.(Hourly)
	var mean float64
	for _, r := range h.PerHour {
		mean += r / 24
	}
	assert.InDelta(t, 80, mean, 80*0.03, "exposures per hour")
	assert.Greater(t, h.PerHour[14], h.PerHour[2]*1.8, "the daily cycle (amplitude 0.4 peaks at 14:00)")
	assert.InDelta(t, 3000, got.Population, 3000*0.05)
	assert.InDelta(t, 800, got.Metrics[0].Mean, 800*0.03)
	assert.InDelta(t, 1.0, got.Metrics[0].DataRate, 1e-9)
	// A context's value is the mean over its k exposures' values: its
	// variance is σ² times the average of 1/k over the baseline contexts
	// (those not first served the new variation).
	k := map[string]float64{}
	treated := map[string]bool{}
	for _, e := range evs {
		if e.Kind == engine.KindExposure {
			if _, ok := k[e.ContextKey]; !ok {
				treated[e.ContextKey] = e.Variation == engine.New
			}
			k[e.ContextKey]++
		}
	}
	var inv, nBase float64
	for key, n := range k {
		if !treated[key] {
			inv += 1 / n
			nBase++
		}
	}
	inv /= nBase
	assert.InDelta(t, want.Metrics[0].Var*inv, got.Metrics[0].Var, want.Metrics[0].Var*inv*0.1)
	assert.InDelta(t, 0.3, got.Metrics[1].DataRate, 0.03)
	assert.Greater(t, got.Metrics[1].Delay, time.Duration(0))

	pg, err := Compute(p, got, Options{})
	require.NoError(t, err)
	pw, err := Compute(p, want, Options{})
	require.NoError(t, err)
	assert.InDelta(t, pw.Steps[0].ExpectedNew, pg.Steps[0].ExpectedNew, pw.Steps[0].ExpectedNew*0.08)
	assert.InDelta(t, pw.InsufficientProbability, pg.InsufficientProbability, 0.08)
}

func TestFromEventsErrors(t *testing.T) {
	p := policyWith(10, 1)
	_, err := FromEvents(context.Background(), &engine.SliceSource{}, p, time.Time{})
	assert.ErrorContains(t, err, `no exposures of context kind "user"`)
	evs := []engine.Event{
		{Time: t0.UnixNano(), Kind: engine.KindExposure, ContextKey: "a"},
		{Time: t0.Add(time.Minute).UnixNano(), Kind: engine.KindExposure, ContextKey: "b"},
	}
	_, err = FromEvents(context.Background(), &engine.SliceSource{Events: evs}, p, time.Time{})
	assert.ErrorContains(t, err, "at least an hour is needed")
}

func TestFromEventsRatioDataAreItsComponents(t *testing.T) {
	p := engine.Policy{FlagKey: "f", Metrics: []engine.Metric{{Key: "aov", Kind: engine.Ratio, Numerator: "revenue", Denominator: "orders"}}}.WithDefaults()
	// Keys: aov 0, revenue 1, orders 2. Two of four contexts have component events.
	var evs []engine.Event
	for i, key := range []string{"a", "b", "c", "d"} {
		evs = append(evs, engine.Event{Time: t0.Add(time.Duration(i) * time.Hour).UnixNano(), Kind: engine.KindExposure, ContextKey: key})
	}
	evs = append(evs,
		engine.Event{Time: t0.Add(4 * time.Hour).UnixNano(), Kind: engine.KindMetric, Metric: 1, Value: 10, ContextKey: "a"},
		engine.Event{Time: t0.Add(5 * time.Hour).UnixNano(), Kind: engine.KindMetric, Metric: 2, Value: 1, ContextKey: "b"},
	)
	prof, err := FromEvents(context.Background(), &engine.SliceSource{Events: evs}, p, time.Time{})
	require.NoError(t, err)
	// One exposure per context: the data rate is the share with data.
	assert.InDelta(t, 0.5, prof.Metrics[0].DataRate, 1e-9)
	assert.Equal(t, 4*time.Hour, prof.Metrics[0].Delay, "a: 0 h → 4 h, b: 1 h → 5 h")
}

func TestPlanWarnsWhenThePolicyHasAnotherDetector(t *testing.T) {
	p := policyWith(10, 1)
	p.Detector = detect.GrowthBook{Alpha: 0.05, NStar: 5000, MinSample: 150}
	p.Name = "growthbook"
	prof := &Profile{Start: t0, Traffic: Cosine{RatePerHour: 1000}, Metrics: []MetricProfile{{Key: "m", DataRate: 1, Mean: 1, Var: 1}}}
	pl, err := Compute(p, prof, Options{})
	require.NoError(t, err)
	require.Len(t, pl.Warnings, 1)
	assert.Contains(t, pl.Warnings[0], "policy growthbook decides with its own detector")
	p.Detector = nil
	pl, err = Compute(p, prof, Options{})
	require.NoError(t, err)
	assert.Empty(t, pl.Warnings)
}

func TestMarginAddsToTheMDE(t *testing.T) {
	prof := &Profile{Start: t0, Traffic: Cosine{RatePerHour: 1000}, Metrics: []MetricProfile{{Key: "m", DataRate: 1, Mean: 200, Var: 400}}}
	p := policyWith(10, 10)
	base, err := Compute(p, prof, Options{})
	require.NoError(t, err)
	p.Metrics[0].Margin = 3
	abs, err := Compute(p, prof, Options{})
	require.NoError(t, err)
	p.Metrics[0].Margin, p.Metrics[0].MarginRelative = 0.01, true
	rel, err := Compute(p, prof, Options{})
	require.NoError(t, err)
	b := float64(base.Steps[0].MDE[0].Absolute)
	assert.InDelta(t, b+3, float64(abs.Steps[0].MDE[0].Absolute), 1e-9)
	assert.InDelta(t, b+2, float64(rel.Steps[0].MDE[0].Absolute), 1e-9, "1% of the mean 200")
}
