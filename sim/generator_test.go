package sim_test

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

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func policy() engine.Policy {
	return engine.Policy{
		FlagKey: "f", Seed: 5, Steps: schedule.Default(12 * time.Hour), MinContexts: 0,
		Metrics: []engine.Metric{
			{Key: "lat", Kind: engine.Numeric, Direction: engine.LowerIsBetter},
			{Key: "conv", Kind: engine.Binary, Direction: engine.HigherIsBetter},
		},
	}
}

func model() sim.Model {
	return sim.Model{
		Seed: 3, Start: t0, Horizon: 60 * time.Hour,
		Traffic: sim.Traffic{RatePerHour: 2000, DailyAmplitude: 0.5, PeakHour: 12, Population: 5000},
		Metrics: []sim.MetricModel{
			{Key: "lat", Distribution: sim.LogNormal, Mean: 200, SD: 50, EventsPerExposure: 1, Delay: time.Second},
			{Key: "conv", Binary: true, Rate: 0.2, Delay: 5 * time.Minute},
		},
	}
}

// collect runs a rollout and returns its result and every event.
func collect(t *testing.T, p engine.Policy, m sim.Model) (*engine.Result, []engine.Event) {
	t.Helper()
	var evs []engine.Event
	res, err := sim.Simulate(context.Background(), p, m, engine.Options{}, func(b []engine.Event) error {
		evs = append(evs, b...)
		return nil
	})
	require.NoError(t, err)
	return res, evs
}

func TestDeterministicAndOrdered(t *testing.T) {
	r1, e1 := collect(t, policy(), model())
	r2, e2 := collect(t, policy(), model())
	assert.Equal(t, e1, e2, "same seed, same events")
	assert.Equal(t, r1, r2)
	for i := 1; i < len(e1); i++ {
		require.LessOrEqual(t, e1[i-1].Time, e1[i].Time, "event %d out of order", i)
	}
	m := model()
	m.Seed = 4
	_, e3 := collect(t, policy(), m)
	assert.NotEqual(t, len(e1), len(e3))
}

func TestTrafficRateDailyCycleAndReturningContexts(t *testing.T) {
	m := model()
	m.Horizon = 48 * time.Hour // two whole days: each hour of the day twice
	_, evs := collect(t, policy(), m)
	perHour := make([]float64, 24)
	keys := map[string]int{}
	exposures := 0
	for _, e := range evs {
		if e.Kind != engine.KindExposure {
			continue
		}
		exposures++
		keys[e.ContextKey]++
		perHour[time.Unix(0, e.Time).UTC().Hour()]++
	}
	// 48 hours at a mean of 2000/h.
	assert.InDelta(t, 96000, exposures, 3*math.Sqrt(96000)+1000)
	// The peak hour (12) carries about (1+A)/(1−A) = 3 times the trough (0).
	ratio := perHour[12] / perHour[0]
	assert.InDelta(t, 3, ratio, 0.4)
	// 5000 contexts drawn uniformly: nearly all seen, most more than once.
	assert.Greater(t, len(keys), 4800)
	assert.LessOrEqual(t, len(keys), 5000)
}

func TestMetricDistributions(t *testing.T) {
	_, evs := collect(t, policy(), model())
	var lat, conv, exp float64
	var latN int
	for _, e := range evs {
		switch {
		case e.Kind == engine.KindExposure:
			exp++
		case e.Metric == 0:
			lat += e.Value
			latN++
		default:
			conv++
		}
	}
	assert.InDelta(t, 200, lat/float64(latN), 2, "log-normal with mean 200")
	assert.InDelta(t, 0.2, conv/exp, 0.01, "conversion rate per exposure")
}

func TestEffectOnlyOnNewVariationFromItsStep(t *testing.T) {
	p := policy()
	m := model()
	m.Metrics[0].Distribution = sim.Normal
	m.Metrics[0].SD = 1
	m.Metrics[0].Effect = 50
	m.Metrics[0].EffectStep = 3
	m.Horizon = 30 * time.Hour
	p.Metrics[0].NoAutoRollback = true // keep serving after detection
	_, evs := collect(t, p, m)
	arm := map[string]engine.Variation{}
	firstStep3 := t0.Add(24 * time.Hour).UnixNano()
	var shifted, unshifted int
	for _, e := range evs {
		if e.Kind == engine.KindExposure {
			if _, ok := arm[e.ContextKey]; !ok || arm[e.ContextKey] == engine.Outside {
				arm[e.ContextKey] = e.Variation
			}
			continue
		}
		if e.Metric != 0 {
			continue
		}
		if e.Value > 225 {
			shifted++
			assert.Equal(t, engine.New, arm[e.ContextKey], "only the new variation regresses")
			assert.GreaterOrEqual(t, e.Time, firstStep3, "the regression starts at step 3")
		} else {
			unshifted++
		}
	}
	assert.Positive(t, shifted)
	assert.Positive(t, unshifted)
}

func TestSRMFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault sim.SRMFault
		ratio float64 // expected new/original analysed contexts
	}{
		{"no fault", sim.SRMFault{}, 1},
		{"drop 20% of new", sim.SRMFault{DropNew: 0.2}, 0.8},
		{"misassign 20% of control", sim.SRMFault{Misassign: 0.2}, 1.2 / 0.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := policy()
			p.NoSRMRollback = true
			m := model()
			m.Traffic.Population = 0
			m.Fault = tc.fault
			res, _ := collect(t, p, m)
			c := res.Timeline[len(res.Timeline)-1].Contexts
			assert.InDelta(t, tc.ratio, float64(c[engine.New])/float64(c[engine.Original]), 0.08)
			if tc.fault != (sim.SRMFault{}) {
				assert.True(t, res.Timeline[len(res.Timeline)-1].SRM.Mismatch)
			}
		})
	}
}

func TestOmittedVariationsAreBucketedIdentically(t *testing.T) {
	pre, _ := collect(t, policy(), model())
	m := model()
	m.OmitVariation = true
	omit, evs := collect(t, policy(), m)
	for _, e := range evs {
		if e.Kind == engine.KindExposure {
			require.Equal(t, engine.Unassigned, e.Variation)
		}
	}
	assert.Equal(t, pre.Timeline, omit.Timeline, "the engine's own bucketing serves exactly what the flag served")
	assert.Equal(t, pre.Outcome.NewContexts, omit.Outcome.NewContexts)
}

func TestAnalysedOnlyKeepsTheDecisions(t *testing.T) {
	full, _ := collect(t, policy(), model())
	m := model()
	m.AnalysedOnly = true
	fast, evs := collect(t, policy(), m)
	for _, e := range evs {
		if e.Kind == engine.KindExposure {
			require.NotEqual(t, engine.Outside, e.Variation)
		}
	}
	assert.Equal(t, full.Outcome.Status, fast.Outcome.Status)
	assert.Zero(t, fast.Outcome.Counters.OutsideExposures)
}

func TestModelValidation(t *testing.T) {
	tests := []struct {
		mod  func(*sim.Model)
		want string
	}{
		{func(m *sim.Model) { m.Traffic.RatePerHour = 0 }, "rate_per_hour"},
		{func(m *sim.Model) { m.Traffic.DailyAmplitude = 1 }, "daily_amplitude"},
		{func(m *sim.Model) { m.Horizon = 0 }, "horizon"},
		{func(m *sim.Model) { m.Metrics[1].Rate = 1.5 }, "rate 1.5"},
		{func(m *sim.Model) { m.Metrics[0].Mean = -1 }, "log-normal"},
		{func(m *sim.Model) { m.Fault.DropNew = 2 }, "drop_new"},
	}
	for _, tc := range tests {
		m := model()
		m.Metrics = append([]sim.MetricModel(nil), m.Metrics...)
		tc.mod(&m)
		_, err := sim.NewGenerator(m, 1, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestPacedReleasesOnTheWallClock(t *testing.T) {
	evs := []engine.Event{
		{Time: t0.UnixNano(), Kind: engine.KindExposure, ContextKey: "a"},
		{Time: t0.Add(10 * time.Second).UnixNano(), Kind: engine.KindExposure, ContextKey: "b"},
		{Time: t0.Add(20 * time.Second).UnixNano(), Kind: engine.KindExposure, ContextKey: "c"},
	}
	now := time.Unix(1000, 0)
	var slept []time.Duration
	p := &sim.Paced{
		Src: &engine.SliceSource{Events: evs}, Speed: 10,
		Now:   func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); now = now.Add(d); return nil },
	}
	buf := make([]engine.Event, 8)
	var got []string
	for {
		n, err := p.Read(context.Background(), buf)
		for _, e := range buf[:n] {
			got = append(got, e.ContextKey)
		}
		if err != nil {
			break
		}
	}
	assert.Equal(t, []string{"a", "b", "c"}, got)
	assert.Equal(t, []time.Duration{time.Second, time.Second}, slept, "10 virtual seconds at 10x are 1 wall second")
}

// TestNoFalseSRMWithUnequalControlAndReturningContexts: with a control share
// different from the new share and contexts that return across steps, an
// A/A rollout must not see a sample ratio mismatch.
func TestNoFalseSRMWithUnequalControlAndReturningContexts(t *testing.T) {
	const seeds = 20
	mismatches := 0
	for s := uint64(0); s < seeds; s++ {
		p := policy()
		p.Steps = []schedule.Step{
			{Percent: 5, ControlPercent: 30, Duration: 12 * time.Hour},
			{Percent: 20, ControlPercent: 30, Duration: 12 * time.Hour},
			{Percent: 40, ControlPercent: 45, Duration: 12 * time.Hour},
		}
		p.NoSRMRollback = true
		m := model()
		m.Seed = s
		m.Horizon = 36 * time.Hour
		m.Traffic.Population = 3000
		res, _ := collect(t, p, m)
		for _, c := range res.Timeline {
			if c.SRM.Mismatch {
				mismatches++
				break
			}
		}
	}
	assert.LessOrEqual(t, mismatches, 1, "SRM flagged in %d of %d A/A rollouts", mismatches, seeds)
}
