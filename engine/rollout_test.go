package engine_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/bucket"
	"github.com/guardsim/guardsim/engine/schedule"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return t0.Add(d).UnixNano() }

// stream builds hand-made event streams.
type stream struct{ evs []engine.Event }

func (s *stream) expose(d time.Duration, key string, v engine.Variation) {
	s.evs = append(s.evs, engine.Event{Time: at(d), Kind: engine.KindExposure, Variation: v, ContextKey: key})
}

func (s *stream) metric(d time.Duration, key string, m int32, v float64) {
	s.evs = append(s.evs, engine.Event{Time: at(d), Kind: engine.KindMetric, Metric: m, Value: v, ContextKey: key})
}

// arms adds n contexts per arm at time d with metric 0 values from f.
func (s *stream) arms(d time.Duration, prefix string, n int, f func(arm engine.Variation, i int) float64) {
	for i := 0; i < n; i++ {
		for _, v := range []engine.Variation{engine.Original, engine.New} {
			s.expose(d, prefix+v.String()+"-"+itoa(i), v)
		}
	}
	for i := 0; i < n; i++ {
		for _, v := range []engine.Variation{engine.Original, engine.New} {
			s.metric(d+time.Second, prefix+v.String()+"-"+itoa(i), 0, f(v, i))
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}

func basePolicy() engine.Policy {
	return engine.Policy{
		FlagKey: "f", ProjectKey: "p", EnvironmentKey: "e", Seed: 1,
		Steps: []schedule.Step{
			{Percent: 10, Duration: 10 * time.Hour},
			{Percent: 50, Duration: 10 * time.Hour},
		},
		CheckInterval: time.Hour,
		MinContexts:   10,
		Metrics:       []engine.Metric{{Key: "latency", Kind: engine.Numeric, Direction: engine.LowerIsBetter}},
	}
}

// noise is a deterministic pseudo-normal value with mean 0 and sd about 1.
func noise(i int) float64 { return math.Sin(float64(i)*12.9898) * 1.7 }

func run(t *testing.T, p engine.Policy, s *stream, n engine.Notifier) *engine.Result {
	t.Helper()
	res, err := engine.Run(context.Background(), &engine.SliceSource{Events: s.evs}, p, engine.Options{Start: t0, Notifier: n}, time.Time{})
	require.NoError(t, err)
	return res
}

func decisions(res *engine.Result) []engine.Decision {
	var out []engine.Decision
	for _, c := range res.Timeline {
		if c.Decision != engine.DecisionContinue {
			out = append(out, c.Decision)
		}
	}
	return out
}

func TestRolloutCompletesWithoutEffect(t *testing.T) {
	s := &stream{}
	for h := 0; h < 21; h++ {
		s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+itoa(h)+"-", 20, func(_ engine.Variation, i int) float64 { return 100 + noise(i+h*1000) })
	}
	res := run(t, basePolicy(), s, nil)
	assert.Equal(t, engine.StatusCompleted, res.Outcome.Status)
	assert.Equal(t, []engine.Decision{engine.DecisionStart, engine.DecisionAdvance, engine.DecisionComplete}, decisions(res))
	assert.Equal(t, 20*time.Hour, res.Outcome.Elapsed)
	assert.Equal(t, 3, res.Outcome.Step)
	assert.Equal(t, 100.0, res.Outcome.Percent)
	// hourly checks plus the start row: 0h..20h
	assert.Len(t, res.Timeline, 21)
	last := res.Timeline[len(res.Timeline)-1]
	assert.Equal(t, 20*20, last.Metrics[0].New.N)
	assert.True(t, last.Metrics[0].Ready)
	assert.InDelta(t, 0, last.Metrics[0].Estimate, 0.5)
}

func TestRolloutRollsBackOnRegressionAndAlerts(t *testing.T) {
	s := &stream{}
	for h := 0; h < 21; h++ {
		s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+itoa(h)+"-", 20, func(v engine.Variation, i int) float64 {
			y := 100 + noise(i+h*1000)
			if v == engine.New && h >= 12 {
				y += 5
			}
			return y
		})
	}
	var got []engine.Alert
	n := engine.NotifierFunc(func(_ context.Context, a engine.Alert) error { got = append(got, a); return nil })
	res := run(t, basePolicy(), s, n)
	o := res.Outcome
	require.Equal(t, engine.StatusRolledBack, o.Status)
	assert.Equal(t, engine.ReasonRegression, o.Reason)
	assert.Equal(t, "latency", o.Metric)
	assert.Equal(t, 2, o.Step)
	assert.Greater(t, o.Elapsed, 12*time.Hour)
	require.Len(t, got, 2)
	assert.Equal(t, engine.AlertRegression, got[0].Kind)
	assert.Equal(t, engine.AlertReverted, got[1].Kind)
	assert.Equal(t, "p:e:f", got[0].DedupKey())
	assert.Equal(t, got[0].DedupKey(), got[1].DedupKey())
	assert.Greater(t, got[0].Lower, 0.0, "the regression alert carries the interval that excluded zero")
	require.Len(t, o.Alerts, 2)
	assert.True(t, o.Alerts[0].Delivered)
	last := res.Timeline[len(res.Timeline)-1]
	assert.Equal(t, engine.DecisionRollback, last.Decision)
	assert.True(t, last.Metrics[0].Regressed)
	// events after the rollback are counted, not analysed
	assert.Positive(t, o.Counters.AfterEnd)
}

func TestRegressionDirection(t *testing.T) {
	tests := []struct {
		name      string
		dir       engine.Direction
		shift     float64
		wantRoll  bool
		wantFinal engine.Status
	}{
		{"lower is better, new higher", engine.LowerIsBetter, +5, true, engine.StatusRolledBack},
		{"lower is better, new lower", engine.LowerIsBetter, -5, false, engine.StatusCompleted},
		{"higher is better, new lower", engine.HigherIsBetter, -5, true, engine.StatusRolledBack},
		{"higher is better, new higher", engine.HigherIsBetter, +5, false, engine.StatusCompleted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &stream{}
			for h := 0; h < 21; h++ {
				s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+itoa(h)+"-", 20, func(v engine.Variation, i int) float64 {
					y := 100 + noise(i+h*1000)
					if v == engine.New {
						y += tc.shift
					}
					return y
				})
			}
			p := basePolicy()
			p.Metrics[0].Direction = tc.dir
			res := run(t, p, s, nil)
			assert.Equal(t, tc.wantFinal, res.Outcome.Status)
		})
	}
}

func TestHaltWhenAutoRollbackOff(t *testing.T) {
	s := &stream{}
	for h := 0; h < 21; h++ {
		s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+itoa(h)+"-", 20, func(v engine.Variation, i int) float64 {
			if v == engine.New {
				return 110 + noise(i)
			}
			return 100 + noise(i)
		})
	}
	p := basePolicy()
	p.Metrics[0].NoAutoRollback = true
	var got []engine.AlertKind
	res := run(t, p, s, engine.NotifierFunc(func(_ context.Context, a engine.Alert) error { got = append(got, a.Kind); return nil }))
	assert.Equal(t, engine.StatusHalted, res.Outcome.Status)
	assert.Equal(t, engine.ReasonRegression, res.Outcome.Reason)
	assert.Equal(t, []engine.AlertKind{engine.AlertRegression}, got, "a halt triggers but does not resolve")
}

func TestInsufficientSampleExtendsOnceThenRollsBack(t *testing.T) {
	s := &stream{}
	// 5 contexts per arm in the first step: below the minimum of 10.
	s.arms(time.Minute, "a-", 5, func(_ engine.Variation, i int) float64 { return 100 + noise(i) })
	s.expose(40*time.Hour, "late", engine.Original) // keeps the clock running
	p := basePolicy()
	p.Extension = 5 * time.Hour
	res := run(t, p, s, nil)
	assert.Equal(t, engine.StatusRolledBack, res.Outcome.Status)
	assert.Equal(t, engine.ReasonInsufficientSample, res.Outcome.Reason)
	assert.Equal(t, 15*time.Hour, res.Outcome.Elapsed, "10h step + 5h extension")
	assert.Equal(t, []engine.Decision{engine.DecisionStart, engine.DecisionExtend, engine.DecisionRollback}, decisions(res))
}

func TestInsufficientSampleHold(t *testing.T) {
	s := &stream{}
	s.arms(time.Minute, "a-", 5, func(_ engine.Variation, i int) float64 { return 100 + noise(i) })
	// the minimum is met at 17h30, during the hold after the extension
	s.arms(17*time.Hour+30*time.Minute, "b-", 5, func(_ engine.Variation, i int) float64 { return 100 + noise(i+50) })
	s.expose(40*time.Hour, "late", engine.Original)
	p := basePolicy()
	p.Extension = 5 * time.Hour
	p.OnInsufficient = engine.HoldOnInsufficient
	res := run(t, p, s, nil)
	d := decisions(res)
	require.GreaterOrEqual(t, len(d), 4)
	assert.Equal(t, []engine.Decision{engine.DecisionStart, engine.DecisionExtend, engine.DecisionHold}, d[:3])
	var advancedAt time.Duration
	for _, c := range res.Timeline {
		if c.Decision == engine.DecisionAdvance {
			advancedAt = c.Elapsed
		}
	}
	assert.Equal(t, 18*time.Hour, advancedAt, "advances at the first check after the minimum is met")
}

func TestPerMetricMinimum(t *testing.T) {
	s := &stream{}
	for h := 0; h < 21; h++ {
		s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+itoa(h)+"-", 20, func(_ engine.Variation, i int) float64 { return 100 + noise(i) })
	}
	p := basePolicy()
	p.Metrics = append(p.Metrics, engine.Metric{Key: "rare", Kind: engine.Numeric, MinContexts: 5})
	res := run(t, p, s, nil)
	assert.Equal(t, engine.ReasonInsufficientSample, res.Outcome.Reason, "no context has a value for the rare metric")
	assert.Contains(t, res.Timeline[len(res.Timeline)-1].Note, "rare")
}

func TestSRMRollsBack(t *testing.T) {
	s := &stream{}
	for h := 0; h < 21; h++ {
		for i := 0; i < 200; i++ {
			s.expose(time.Duration(h)*time.Hour+time.Minute, "o"+itoa(h)+"-"+itoa(i), engine.Original)
			if i < 150 { // a quarter of the new arm is lost
				s.expose(time.Duration(h)*time.Hour+time.Minute, "n"+itoa(h)+"-"+itoa(i), engine.New)
			}
		}
	}
	res := run(t, basePolicy(), s, nil)
	assert.Equal(t, engine.StatusRolledBack, res.Outcome.Status)
	assert.Equal(t, engine.ReasonSRM, res.Outcome.Reason)
	last := res.Timeline[len(res.Timeline)-1]
	assert.LessOrEqual(t, last.SRM.PValue, 0.001)
	assert.Less(t, last.SRM.ChiSquareP, 1e-6)

	p := basePolicy()
	p.NoSRMRollback = true
	res = run(t, p, s, nil)
	assert.NotEqual(t, engine.ReasonSRM, res.Outcome.Reason, "SRM is reported but does not roll back when disabled")
	assert.True(t, res.Timeline[len(res.Timeline)-1].SRM.Mismatch)
}

func TestAttributionAndCounters(t *testing.T) {
	s := &stream{}
	s.metric(time.Minute, "early", 0, 5)              // before any exposure: unattributed
	s.expose(2*time.Minute, "early", engine.New)      // first analysed exposure
	s.expose(3*time.Minute, "early", engine.Original) // switch: keeps New
	s.metric(4*time.Minute, "early", 0, 7)
	s.expose(5*time.Minute, "out", engine.Outside)
	s.metric(6*time.Minute, "out", 0, 1) // outside the analysis
	s.evs = append(s.evs, engine.Event{Time: at(7 * time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextKind: "org", ContextKey: "acme"})
	r, err := engine.NewRollout(basePolicy(), engine.Options{Start: t0})
	require.NoError(t, err)
	for i := range s.evs {
		require.NoError(t, r.Observe(context.Background(), &s.evs[i]))
	}
	o := r.Outcome()
	assert.Equal(t, int64(1), o.Counters.Unattributed)
	assert.Equal(t, int64(1), o.Counters.Switched)
	assert.Equal(t, int64(1), o.Counters.OutsideExposures)
	assert.Equal(t, int64(1), o.Counters.OutsideMetrics)
	assert.Equal(t, int64(1), o.Counters.WrongKind)
	assert.Equal(t, 1, o.NewContexts)
	res := r.Close(context.Background(), t0.Add(time.Hour))
	m := res.Timeline[len(res.Timeline)-1].Metrics[0]
	assert.Equal(t, 1, m.New.N)
	assert.Equal(t, 7.0, m.New.Mean, "only events after the first analysed exposure count")
}

func TestAggregations(t *testing.T) {
	tests := []struct {
		name   string
		metric engine.Metric
		values []float64 // events of context c1 (new); c2 (new) has none
		wantN  int
		want   float64
	}{
		{"binary counts every exposed context", engine.Metric{Key: "m", Kind: engine.Binary}, []float64{1, 1}, 2, 0.5},
		{"numeric mean: contexts with events only", engine.Metric{Key: "m", Kind: engine.Numeric}, []float64{2, 4, 9}, 1, 5},
		{"numeric sum: every exposed context", engine.Metric{Key: "m", Kind: engine.Numeric, Aggregation: engine.Sum}, []float64{2, 4, 9}, 2, 7.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &stream{}
			s.expose(time.Minute, "c1", engine.New)
			s.expose(time.Minute, "c2", engine.New)
			for _, v := range tc.values {
				s.metric(2*time.Minute, "c1", 0, v)
			}
			p := basePolicy()
			p.Metrics = []engine.Metric{tc.metric}
			r, err := engine.NewRollout(p, engine.Options{Start: t0})
			require.NoError(t, err)
			for i := range s.evs {
				require.NoError(t, r.Observe(context.Background(), &s.evs[i]))
			}
			res := r.Close(context.Background(), t0.Add(time.Hour))
			m := res.Timeline[len(res.Timeline)-1].Metrics[0]
			assert.Equal(t, tc.wantN, m.New.N)
			assert.InDelta(t, tc.want, m.New.Mean, 1e-12)
		})
	}
}

func TestOutOfOrderAndBadEvents(t *testing.T) {
	r, err := engine.NewRollout(basePolicy(), engine.Options{Start: t0})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, r.Observe(ctx, &engine.Event{Time: at(time.Hour), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "a"}))
	err = r.Observe(ctx, &engine.Event{Time: at(time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "b"})
	assert.ErrorIs(t, err, engine.ErrOutOfOrder)
	err = r.Observe(ctx, &engine.Event{Time: at(2 * time.Hour), Kind: engine.KindMetric, Metric: 0, Value: math.NaN(), ContextKey: "a"})
	assert.ErrorContains(t, err, "not finite")
	err = r.Observe(ctx, &engine.Event{Time: at(2 * time.Hour), Kind: engine.KindMetric, Metric: 3, Value: 1, ContextKey: "a"})
	assert.ErrorContains(t, err, "out of range")
	err = r.Observe(ctx, &engine.Event{Time: at(2 * time.Hour), Kind: 9, ContextKey: "a"})
	assert.Error(t, err)

	_, err = engine.Run(ctx, &engine.SliceSource{Events: []engine.Event{
		{Time: at(time.Hour), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "a"},
		{Time: at(time.Minute), Kind: engine.KindExposure, Variation: engine.New, ContextKey: "b"},
	}}, basePolicy(), engine.Options{}, time.Time{})
	require.Error(t, err)
	assert.True(t, errors.Is(err, engine.ErrOutOfOrder))
	assert.Contains(t, err.Error(), "event 2")
}

func TestEngineBucketingMatchesLaunchDarkly(t *testing.T) {
	// With no variation on the events, the engine buckets by seed with the
	// step's weights [new, outside, control].
	p := basePolicy()
	p.Seed = 61
	r, err := engine.NewRollout(p, engine.Options{Start: t0})
	require.NoError(t, err)
	h := bucket.ForSeed(61)
	want := [3]int{}
	for i := 0; i < 2000; i++ {
		key := "user-" + itoa(i)
		require.NoError(t, r.Observe(context.Background(), &engine.Event{Time: at(time.Minute), Kind: engine.KindExposure, Variation: engine.Unassigned, ContextKey: key}))
		want[bucket.PickWeights(h.Value(key), []int{10000, 80000, 10000})]++
	}
	o := r.Outcome()
	assert.Equal(t, want[0], o.NewContexts)
	assert.Equal(t, int64(want[1]), o.Counters.OutsideExposures)
	res := r.Close(context.Background(), t0.Add(time.Hour))
	assert.Equal(t, want[2], res.Timeline[len(res.Timeline)-1].Contexts[engine.Original])
	assert.InDelta(t, 200, want[0], 45, "about 10% new")
}

func TestAllocationFollowsTheRollout(t *testing.T) {
	r, err := engine.NewRollout(basePolicy(), engine.Options{Start: t0})
	require.NoError(t, err)
	ctx := context.Background()
	a := r.Allocation(ctx, at(time.Minute))
	assert.Equal(t, [3]int{10000, 80000, 10000}, a.Weights)
	assert.Equal(t, 1, a.Step)
	assert.Equal(t, at(time.Hour), a.Until)
	// nobody exposed: the step extends at 10h, then rolls back at 20h
	a = r.Allocation(ctx, at(21*time.Hour))
	assert.Equal(t, [3]int{0, 100000, 0}, a.Weights, "after a rollback everyone gets the original outside the analysis")
	assert.Equal(t, engine.ReasonInsufficientSample, r.Outcome().Reason)
}

func TestBonferroni(t *testing.T) {
	p := basePolicy()
	p.OverallAlpha = 0.06
	p.Metrics = append(p.Metrics, engine.Metric{Key: "b"}, engine.Metric{Key: "c"})
	assert.InDelta(t, 0.02, p.WithDefaults().MetricAlpha(), 1e-15)
}

func TestPolicyValidation(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*engine.Policy)
		want string
	}{
		{"alpha", func(p *engine.Policy) { p.Alpha = 0.7 }, "alpha 0.7"},
		{"nstar", func(p *engine.Policy) { p.NStar = -1 }, "nstar"},
		{"no metrics", func(p *engine.Policy) { p.Metrics = nil }, "at least one metric"},
		{"dup metric", func(p *engine.Policy) { p.Metrics = append(p.Metrics, p.Metrics[0]) }, "duplicated"},
		{"step percent", func(p *engine.Policy) { p.Steps[1].Percent = 60 }, "step 2: percent 60"},
		{"decreasing", func(p *engine.Policy) { p.Steps[1].Percent = 5 }, "lower than the previous"},
		{"duration", func(p *engine.Policy) { p.Steps[0].Duration = 0 }, "step 1: duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := basePolicy()
			p.Steps = append([]schedule.Step(nil), p.Steps...)
			p.Metrics = append([]engine.Metric(nil), p.Metrics...)
			tc.mod(&p)
			_, err := engine.NewRollout(p, engine.Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
