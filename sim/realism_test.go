package sim_test

import (
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/sim"
)

// fixedAlloc serves new and control by fixed weights (thousandths of a
// percent), at step 1, forever.
type fixedAlloc struct{ w [3]int }

func (f fixedAlloc) Allocation(context.Context, int64) engine.Allocation {
	return engine.Allocation{Weights: f.w, Step: 1, Until: math.MaxInt64}
}

// drain reads every event of a generator.
func drain(t *testing.T, m sim.Model, alloc sim.Allocator) []engine.Event {
	t.Helper()
	g, err := sim.NewGenerator(m, 7, alloc)
	require.NoError(t, err)
	var evs []engine.Event
	buf := make([]engine.Event, 4096)
	for {
		n, err := g.Read(context.Background(), buf)
		evs = append(evs, buf[:n]...)
		if err == io.EOF {
			return evs
		}
		require.NoError(t, err)
	}
}

// hourly groups the metric events of metric mi by the hour since the start
// of their context's exposure, per arm: sums, sums of squares and counts.
type hourly struct{ n, s, q [2][]float64 }

func byHour(evs []engine.Event, start time.Time, hours, mi int) hourly {
	var h hourly
	for a := range 2 {
		h.n[a], h.s[a], h.q[a] = make([]float64, hours), make([]float64, hours), make([]float64, hours)
	}
	arm := map[string]int{}
	exposedAt := map[string]int64{}
	for _, e := range evs {
		if e.Kind == engine.KindExposure {
			a := 0
			if e.Variation == engine.New {
				a = 1
			}
			arm[e.ContextKey] = a
			exposedAt[e.ContextKey] = e.Time
			continue
		}
		if int(e.Metric) != mi {
			continue
		}
		k := int((exposedAt[e.ContextKey] - start.UnixNano()) / int64(time.Hour))
		if k < 0 || k >= hours {
			continue
		}
		a := arm[e.ContextKey]
		h.n[a][k]++
		h.s[a][k] += e.Value
		h.q[a][k] += e.Value * e.Value
	}
	return h
}

// meanFactor is the traffic-weighted mean over hour k (from t0, traffic
// without a daily cycle) of f, by the midpoint rule on 600 points: an
// independent check of the generator's formula.
func meanFactor(k int, f func(h float64) float64) float64 {
	var s float64
	for j := range 600 {
		s += f(float64(k) + (float64(j)+0.5)/600)
	}
	return s / 600
}

// TestBaselineMovesTheUntreatedLevel: a metric's values and conversion
// probability follow 1 + A·cos(2π(hour − peak)/24) + trend·days, hour by
// hour, over two days; the effect is added after the baseline.
func TestBaselineMovesTheUntreatedLevel(t *testing.T) {
	base := &sim.Baseline{DailyAmplitude: 0.3, PeakHour: 6, TrendPerDay: 0.1}
	m := sim.Model{
		Seed: 9, Start: t0, Horizon: 48 * time.Hour,
		Traffic: sim.Traffic{RatePerHour: 8000},
		Metrics: []sim.MetricModel{
			{Key: "v", Distribution: sim.Normal, Mean: 100, SD: 10, EventsPerExposure: 1, Effect: 5, Baseline: base},
			{Key: "c", Binary: true, Rate: 0.3, Baseline: base},
		},
	}
	evs := drain(t, m, fixedAlloc{w: [3]int{50000, 0, 50000}})
	c := func(h float64) float64 {
		return 1 + 0.3*math.Cos(2*math.Pi*(math.Mod(h, 24)-6)/24) + 0.1*h/24
	}
	v, b := byHour(evs, t0, 48, 0), byHour(evs, t0, 48, 1)
	exposures := make([]float64, 48)
	for _, e := range evs {
		if e.Kind == engine.KindExposure {
			exposures[(e.Time-t0.UnixNano())/int64(time.Hour)]++
		}
	}
	var worst float64
	for k := range 48 {
		ck := meanFactor(k, c)
		for a := range 2 {
			n := v.n[a][k]
			require.Greater(t, n, 3000.0)
			mean := v.s[a][k] / n
			want := 100 * ck
			if a == 1 {
				want += 5
			}
			// The sd of a value is 10·c; the within-hour spread of c adds
			// far less than the sampling error.
			z := (mean - want) / (10 * ck / math.Sqrt(n))
			worst = max(worst, math.Abs(z))
			assert.Less(t, math.Abs(z), 4.5, "numeric hour %d arm %d: mean %.3f, want %.3f", k, a, mean, want)
		}
		// Conversions: every exposure's context is new, so the number of
		// conversions over the exposures of the hour is the rate.
		conv := b.n[0][k] + b.n[1][k]
		p := 0.3 * ck
		z := (conv/exposures[k] - p) / math.Sqrt(p*(1-p)/exposures[k])
		assert.Less(t, math.Abs(z), 4.5, "binary hour %d: rate %.4f, want %.4f", k, conv/exposures[k], p)
	}
	t.Logf("largest |z| over 48 hours × 2 arms: %.2f", worst)
	// The swing is real: the hour after the daily peak against the hour
	// after the trough, about 1.33/0.78.
	peak, trough := v.s[0][6]/v.n[0][6], v.s[0][18]/v.n[0][18]
	assert.InDelta(t, meanFactor(6, c)/meanFactor(18, c), peak/trough, 0.02)
	assert.Greater(t, peak/trough, 1.6)
}

// TestNoveltyDecaysFromItsOnset: the new variation's effect starts at
// novelty × effect at the effect's start and halves its excess every
// half-life; before the start there is none.
func TestNoveltyDecaysFromItsOnset(t *testing.T) {
	m := sim.Model{
		Seed: 4, Start: t0, Horizon: 30 * time.Hour,
		Traffic: sim.Traffic{RatePerHour: 8000},
		Metrics: []sim.MetricModel{{Key: "v", Distribution: sim.Normal, Mean: 100, SD: 10, EventsPerExposure: 1,
			Effect: 4, EffectStart: 6 * time.Hour, Novelty: &sim.Novelty{Factor: 3, HalfLife: 4 * time.Hour}}},
	}
	evs := drain(t, m, fixedAlloc{w: [3]int{50000, 0, 50000}})
	h := byHour(evs, t0, 30, 0)
	for k := range 30 {
		diff := h.s[1][k]/h.n[1][k] - h.s[0][k]/h.n[0][k]
		se := 10 * math.Sqrt(1/h.n[0][k]+1/h.n[1][k])
		want := 0.0
		if k >= 6 {
			want = meanFactor(k, func(x float64) float64 { return 4 * (1 + 2*math.Exp2(-(x-6)/4)) })
		}
		assert.InDelta(t, want, diff, 4.5*se, "hour %d", k)
	}
	// Growing instead (novelty 0): no effect at the onset, half of it one
	// half-life later.
	m.Metrics[0].Novelty.Factor = 0
	h = byHour(drain(t, m, fixedAlloc{w: [3]int{50000, 0, 50000}}), t0, 30, 0)
	for _, k := range []int{6, 10, 29} {
		diff := h.s[1][k]/h.n[1][k] - h.s[0][k]/h.n[0][k]
		se := 10 * math.Sqrt(1/h.n[0][k]+1/h.n[1][k])
		want := meanFactor(k, func(x float64) float64 { return 4 * (1 - math.Exp2(-(x-6)/4)) })
		assert.InDelta(t, want, diff, 4.5*se, "growing, hour %d", k)
	}
}

// TestNoveltyOnsetIsTheStepStart: with regression.start_step the novelty
// clock starts when the engine advanced into that step.
func TestNoveltyOnsetIsTheStepStart(t *testing.T) {
	p := engine.Policy{FlagKey: "f", Seed: 5, MinContexts: 0, CheckInterval: time.Hour,
		Steps:   []schedule.Step{{Percent: 50, Duration: 5 * time.Hour}, {Percent: 50, Duration: 20 * time.Hour}},
		Metrics: []engine.Metric{{Key: "v", Kind: engine.Numeric, Direction: engine.HigherIsBetter}}}
	m := sim.Model{Seed: 2, Start: t0, Horizon: 26 * time.Hour, Traffic: sim.Traffic{RatePerHour: 8000},
		Metrics: []sim.MetricModel{{Key: "v", Distribution: sim.Normal, Mean: 100, SD: 10, EventsPerExposure: 1,
			Effect: 2, EffectStep: 2, Novelty: &sim.Novelty{Factor: 5, HalfLife: 2 * time.Hour}}}}
	res, evs := collect(t, p, m)
	require.Equal(t, engine.StatusCompleted, res.Outcome.Status)
	h := byHour(evs, t0, 25, 0)
	for k := range 25 {
		diff := h.s[1][k]/h.n[1][k] - h.s[0][k]/h.n[0][k]
		se := 10 * math.Sqrt(1/h.n[0][k]+1/h.n[1][k])
		want := 0.0
		if k >= 5 {
			want = meanFactor(k, func(x float64) float64 { return 2 * (1 + 4*math.Exp2(-(x-5)/2)) })
		}
		assert.InDelta(t, want, diff, 4.5*se, "hour %d", k)
	}
}

// TestDuplicateExposuresCauseSRM: duplicate_new logs that share of the new
// variation's exposures again under fresh keys, with no metric events;
// the sequential SRM test rolls the rollout back.
func TestDuplicateExposuresCauseSRM(t *testing.T) {
	m := sim.Model{Seed: 6, Start: t0, Horizon: 20 * time.Hour, Traffic: sim.Traffic{RatePerHour: 5000},
		Metrics: []sim.MetricModel{{Key: "c", Binary: true, Rate: 0.5}},
		Fault:   sim.SRMFault{DuplicateNew: 0.1, Start: 2 * time.Hour}}
	evs := drain(t, m, fixedAlloc{w: [3]int{50000, 0, 50000}})
	var newExp, dups, dupsBeforeStart float64
	dupKeys := map[string]bool{}
	for _, e := range evs {
		if !strings.HasPrefix(e.ContextKey, "dup-") {
			if e.Kind == engine.KindExposure && e.Variation == engine.New && e.Time-t0.UnixNano() >= int64(2*time.Hour) {
				newExp++
			}
			continue
		}
		require.Equal(t, engine.KindExposure, e.Kind, "a duplicate has no metric events")
		require.Equal(t, engine.New, e.Variation)
		require.False(t, dupKeys[e.ContextKey], "every duplicate has a fresh key")
		dupKeys[e.ContextKey] = true
		dups++
		if e.Time-t0.UnixNano() <= int64(2*time.Hour) {
			dupsBeforeStart++
		}
	}
	assert.Zero(t, dupsBeforeStart, "no duplicates before srm_fault.start")
	se := math.Sqrt(newExp * 0.1 * 0.9)
	assert.InDelta(t, 0.1*newExp, dups, 4*se, "%.0f duplicates of %.0f new exposures", dups, newExp)

	p := engine.Policy{FlagKey: "f", Seed: 5, MinContexts: 0, Steps: schedule.Default(4 * time.Hour),
		Metrics: []engine.Metric{{Key: "c", Kind: engine.Binary, Direction: engine.HigherIsBetter}}}
	m.Horizon = p.WithDefaults().MaxDuration()
	res, _ := collect(t, p, m)
	assert.Equal(t, engine.ReasonSRM, res.Outcome.Reason, "the duplicates are an SRM")
	m.Fault.DuplicateNew = 0
	res, _ = collect(t, p, m)
	assert.Equal(t, engine.StatusCompleted, res.Outcome.Status)
}

// TestNeutralRealismChangesNothing: a zero baseline and a novelty factor of
// 1 leave the stream exactly as without them.
func TestNeutralRealismChangesNothing(t *testing.T) {
	_, want := collect(t, policy(), model())
	m := model()
	m.Metrics = append([]sim.MetricModel(nil), m.Metrics...)
	for i := range m.Metrics {
		m.Metrics[i].Baseline = &sim.Baseline{}
		m.Metrics[i].Novelty = &sim.Novelty{Factor: 1, HalfLife: time.Hour}
	}
	_, got := collect(t, policy(), m)
	assert.Equal(t, want, got)
}

func TestRealismValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*sim.Model)
		want string
	}{
		{"amplitude", func(m *sim.Model) { m.Metrics[0].Baseline = &sim.Baseline{DailyAmplitude: 1} }, "metrics[0] (lat).baseline.daily_amplitude 1 must be in [0, 1)"},
		{"peak hour", func(m *sim.Model) { m.Metrics[0].Baseline = &sim.Baseline{PeakHour: 24} }, "baseline.peak_hour 24"},
		{"trend below zero", func(m *sim.Model) { m.Metrics[0].Baseline = &sim.Baseline{TrendPerDay: -0.5} }, "falls to -0.25 of the mean within the horizon 60h0m0s"},
		{"trend NaN", func(m *sim.Model) { m.Metrics[0].Baseline = &sim.Baseline{TrendPerDay: math.NaN()} }, "trend_per_day NaN must be finite"},
		{"binary above one", func(m *sim.Model) {
			m.Metrics[1].Rate = 0.8
			m.Metrics[1].Baseline = &sim.Baseline{DailyAmplitude: 0.3}
		}, "metrics[1] (conv).baseline: rate 0.8 times the baseline's range [0.7, 1.3] plus the effect leaves [0, 1]"},
		{"half-life", func(m *sim.Model) { m.Metrics[0].Novelty = &sim.Novelty{Factor: 2} }, "regression.novelty_half_life 0s must be positive"},
		{"factor", func(m *sim.Model) { m.Metrics[0].Novelty = &sim.Novelty{Factor: -1, HalfLife: time.Hour} }, "regression.novelty -1 must be"},
		{"binary novelty", func(m *sim.Model) {
			m.Metrics[1].Effect = 0.1
			m.Metrics[1].Novelty = &sim.Novelty{Factor: 9, HalfLife: time.Hour}
		}, "rate 0.2 plus novelty × effect (0 to 0.9) leaves [0, 1]"},
		{"duplicates", func(m *sim.Model) { m.Fault.DuplicateNew = 1.5 }, "srm_fault.duplicate_new 1.5 must be in [0, 1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := model()
			m.Metrics = append([]sim.MetricModel(nil), m.Metrics...)
			tc.edit(&m)
			assert.ErrorContains(t, m.Validate(), tc.want)
		})
	}
}

// TestNoveltyPerContextClock: with PerContext the age is the time since
// the context's own first exposure to the new variation, so a context
// first served late still starts at novelty × effect; measured per
// exposure over returning contexts.
func TestNoveltyPerContextClock(t *testing.T) {
	const eff, nu, hl = 4.0, 3.0, 2.0 // half-life in hours
	m := sim.Model{
		Seed: 8, Start: t0, Horizon: 12 * time.Hour,
		Traffic: sim.Traffic{RatePerHour: 6000, Population: 20000},
		Metrics: []sim.MetricModel{{Key: "v", Distribution: sim.Normal, Mean: 100, SD: 10, EventsPerExposure: 1,
			Effect: eff, Novelty: &sim.Novelty{Factor: nu, HalfLife: hl * time.Hour, PerContext: true}}},
	}
	evs := drain(t, m, fixedAlloc{w: [3]int{50000, 0, 50000}})
	first := map[string]int64{}
	exposedAt := map[string]int64{}
	// Per bucket of age (hours, 0 to 11) and of the onset clock (hour of
	// the exposure): Σ(value − mean) and Σ expected effect, and n.
	var got, want, n [12]float64
	var lateGot, lateN, lateWant, lateOnsetWant float64
	for _, e := range evs {
		if e.Kind == engine.KindExposure {
			if e.Variation == engine.New {
				if _, ok := first[e.ContextKey]; !ok {
					first[e.ContextKey] = e.Time
				}
				exposedAt[e.ContextKey] = e.Time
			} else {
				delete(exposedAt, e.ContextKey)
			}
			continue
		}
		at, ok := exposedAt[e.ContextKey]
		if !ok {
			continue
		}
		age := float64(at-first[e.ContextKey]) / 3.6e12
		k := int(age)
		got[k] += e.Value - 100
		want[k] += eff * (1 + (nu-1)*math.Exp2(-age/hl))
		n[k]++
		if at-t0.UnixNano() >= int64(8*time.Hour) && age < 0.25 {
			// Contexts first served after 8h, in their first quarter hour.
			lateGot += e.Value - 100
			lateN++
			lateWant += eff * (1 + (nu-1)*math.Exp2(-age/hl))
			lateOnsetWant += eff * (1 + (nu-1)*math.Exp2(-float64(at-t0.UnixNano())/3.6e12/hl))
		}
	}
	for k := range 12 {
		if n[k] < 500 {
			continue
		}
		assert.InDelta(t, want[k]/n[k], got[k]/n[k], 4.5*10/math.Sqrt(n[k]), "age %dh (%0.f exposures)", k, n[k])
	}
	require.Greater(t, lateN, 500.0)
	// These exposures get about 11.7; an onset clock would give them 4.4.
	assert.InDelta(t, lateWant/lateN, lateGot/lateN, 4.5*10/math.Sqrt(lateN))
	assert.Greater(t, lateWant/lateN, 11.0)
	assert.Less(t, lateOnsetWant/lateN, 5.0)
}
