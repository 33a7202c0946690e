package engine_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
)

// requests builds a stream of n contexts per arm at time d, each with k
// request events of metric 0 whose values come from f.
func requests(s *stream, d time.Duration, prefix string, n, k int, f func(v engine.Variation) float64) {
	for i := 0; i < n; i++ {
		for _, v := range []engine.Variation{engine.Original, engine.New} {
			s.expose(d, prefix+v.String()+"-"+strconv.Itoa(i), v)
		}
	}
	for i := 0; i < n; i++ {
		for _, v := range []engine.Variation{engine.Original, engine.New} {
			key := prefix + v.String() + "-" + strconv.Itoa(i)
			for j := 0; j < k; j++ {
				s.metric(d+time.Second, key, 0, f(v))
			}
		}
	}
}

func tailPolicy(kind engine.MetricKind, q float64, method string) engine.Policy {
	p := basePolicy()
	p.Metrics = []engine.Metric{{Key: "latency", Kind: kind, Direction: engine.LowerIsBetter, Quantile: q, Method: method}}
	return p
}

// A regression confined to the tail: the new arm's values above the
// original's p98 are scaled by 1.3, so its p99 is 30% higher (its mean
// 4.4%). Both percentile methods roll back.
func TestPercentileDetectsTailRegression(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	thr := math.Exp(2.054) // p98 of a standard log-normal
	val := func(v engine.Variation) float64 {
		x := math.Exp(rng.NormFloat64())
		if v == engine.New && x > thr {
			x *= 1.3
		}
		return x
	}
	var s stream
	for h := 0; h < 8; h++ {
		requests(&s, time.Duration(h)*time.Hour+time.Minute, "h"+strconv.Itoa(h)+"-", 150, 5, val)
	}
	for _, c := range []struct {
		name    string
		p       engine.Policy
		regress bool
	}{
		{"p99 growthbook", tailPolicy(engine.Percentile, 0.99, ""), true},
		{"p99 nonparametric", tailPolicy(engine.Percentile, 0.99, engine.MethodNonparametric), true},
	} {
		res := run(t, c.p, &s, nil)
		if c.regress {
			assert.Equal(t, engine.StatusRolledBack, res.Outcome.Status, c.name)
			assert.Equal(t, engine.ReasonRegression, res.Outcome.Reason, c.name)
			last := res.Timeline[len(res.Timeline)-1].Metrics[0]
			assert.Greater(t, last.Estimate, 0.0, c.name)
			assert.Greater(t, last.New.Mean, last.Original.Mean, c.name) // p99 of new > p99 of original
		} else {
			assert.NotEqual(t, engine.ReasonRegression, res.Outcome.Reason, c.name)
		}
	}
}

// Below the minimum-n rule the percentile metric reports "not enough
// data" rather than a verdict, whatever the values.
func runUntil(t *testing.T, p engine.Policy, s *stream, end time.Duration) *engine.Result {
	t.Helper()
	res, err := engine.Run(t.Context(), &engine.SliceSource{Events: s.evs}, p, engine.Options{Start: t0}, t0.Add(end))
	require.NoError(t, err)
	return res
}

func TestPercentileNotEnoughData(t *testing.T) {
	var s stream
	k := 0
	requests(&s, time.Minute, "a", 30, 5, func(v engine.Variation) float64 {
		k++
		if v == engine.New {
			return 1000 + noise(k)
		}
		return 1 + noise(k)
	}) // 150 values per arm: p99 needs more than 380
	res := runUntil(t, tailPolicy(engine.Percentile, 0.99, ""), &s, 2*time.Hour)
	assert.NotEqual(t, engine.ReasonRegression, res.Outcome.Reason)
	mc := res.Timeline[1].Metrics[0]
	assert.Equal(t, engine.VerdictNotEnoughData, mc.Verdict)
	assert.False(t, mc.Ready)
	assert.Equal(t, 150, mc.New.N)
	assert.Contains(t, mc.Detail.Note, "not enough data: p99 needs more than 380 values per arm")
	// A median needs only 4 values; with these values it regresses.
	res = runUntil(t, tailPolicy(engine.Percentile, 0.5, ""), &s, 2*time.Hour)
	assert.Equal(t, engine.ReasonRegression, res.Outcome.Reason)
}

// A ratio metric over two event keys that are not metrics themselves:
// errors per request. The engine's difference is the difference of
// Σerrors/Σrequests, computed here by hand.
func TestRatioMetric(t *testing.T) {
	p := basePolicy()
	p.Metrics = []engine.Metric{{Key: "error_rate", Kind: engine.Ratio, Numerator: "errors", Denominator: "requests", Direction: engine.LowerIsBetter}}
	require.Equal(t, []string{"error_rate", "errors", "requests"}, p.MetricKeys())
	rng := rand.New(rand.NewPCG(3, 4))
	var s stream
	sum := map[engine.Variation][2]float64{}
	for i := 0; i < 400; i++ {
		for _, v := range []engine.Variation{engine.Original, engine.New} {
			s.expose(time.Minute, v.String()+strconv.Itoa(i), v)
		}
	}
	for i := 0; i < 400; i++ {
		for _, v := range []engine.Variation{engine.Original, engine.New} {
			key := v.String() + strconv.Itoa(i)
			rate := 0.02
			if v == engine.New {
				rate = 0.06
			}
			req := 1 + rng.IntN(9)
			errs := 0
			for j := 0; j < req; j++ {
				s.metric(2*time.Minute, key, 2, 1)
				if rng.Float64() < rate {
					s.metric(2*time.Minute, key, 1, 1)
					errs++
				}
			}
			x := sum[v]
			sum[v] = [2]float64{x[0] + float64(errs), x[1] + float64(req)}
		}
	}
	res := runUntil(t, p, &s, 2*time.Hour)
	assert.Equal(t, engine.ReasonRegression, res.Outcome.Reason)
	mc := res.Timeline[1].Metrics[0]
	want := sum[engine.New][0]/sum[engine.New][1] - sum[engine.Original][0]/sum[engine.Original][1]
	assert.InDelta(t, want, mc.Estimate, 1e-12)
	assert.Equal(t, 400, mc.New.N)
	assert.InDelta(t, sum[engine.New][0]/sum[engine.New][1], mc.New.Mean, 1e-12)
	assert.Greater(t, mc.Lower, 0.0)
}

// Margins: a true effect of 1 with a small noise regresses without a
// margin, not with an absolute margin of 2 or a relative one of 20%, and
// does with a margin of 0.5.
func TestMargins(t *testing.T) {
	var s stream
	for h := 0; h < 6; h++ {
		s.arms(time.Duration(h)*time.Hour+time.Minute, "h"+strconv.Itoa(h), 60, func(v engine.Variation, i int) float64 {
			x := 10 + noise(i+100*h)
			if v == engine.New {
				x++
			}
			return x
		})
	}
	for _, c := range []struct {
		margin   float64
		relative bool
		regress  bool
	}{{0, false, true}, {0.5, false, true}, {2, false, false}, {0.2, true, false}, {0.02, true, true}} {
		p := basePolicy()
		p.Metrics[0].Margin, p.Metrics[0].MarginRelative = c.margin, c.relative
		res := run(t, p, &s, nil)
		assert.Equal(t, c.regress, res.Outcome.Reason == engine.ReasonRegression, "margin %v relative %v", c.margin, c.relative)
		if c.margin > 0 && !c.relative {
			// The reported interval is the difference's; the decision is
			// whether it clears the margin.
			for _, ck := range res.Timeline[1:] {
				mc := ck.Metrics[0]
				assert.Equal(t, mc.Lower > c.margin, mc.Regressed)
			}
		}
	}
	// Higher is better: a drop of 1 against an absolute margin of 2.
	p := basePolicy()
	p.Metrics[0].Direction = engine.HigherIsBetter
	p.Metrics[0].Margin = 2
	var d stream
	d.arms(time.Minute, "x", 200, func(v engine.Variation, i int) float64 {
		if v == engine.New {
			return 9 + noise(i)
		}
		return 10 + noise(i)
	})
	assert.NotEqual(t, engine.ReasonRegression, runUntil(t, p, &d, 2*time.Hour).Outcome.Reason)
	p.Metrics[0].Margin = 0.2
	assert.Equal(t, engine.ReasonRegression, runUntil(t, p, &d, 2*time.Hour).Outcome.Reason)
}

func TestKindValidation(t *testing.T) {
	cases := []struct {
		m   engine.Metric
		msg string
	}{
		{engine.Metric{Key: "p", Kind: engine.Percentile}, "quantile 0 must be in (0, 1)"},
		{engine.Metric{Key: "p", Kind: engine.Percentile, Quantile: 0.9, Method: "magic"}, `method "magic"`},
		{engine.Metric{Key: "r", Kind: engine.Ratio, Numerator: "e"}, "needs numerator and denominator"},
		{engine.Metric{Key: "r", Kind: engine.Ratio, Numerator: "r", Denominator: "d"}, "cannot be its own numerator"},
		{engine.Metric{Key: "n", Kind: engine.Numeric, Quantile: 0.5}, "quantile is only for percentile"},
		{engine.Metric{Key: "n", Kind: engine.Numeric, Numerator: "x"}, "only for ratio metrics"},
		{engine.Metric{Key: "n", Kind: engine.Numeric, Margin: -1}, "margin -1 must be a finite non-negative"},
		{engine.Metric{Key: "n", Kind: engine.Numeric, Margin: 1.5, MarginRelative: true}, "must be below 100%"},
	}
	for _, c := range cases {
		p := basePolicy()
		p.Metrics = []engine.Metric{c.m}
		err := p.WithDefaults().Validate()
		require.Error(t, err, c.msg)
		assert.Contains(t, err.Error(), c.msg)
	}
	// An out-of-range key index is an error naming the range.
	p := basePolicy()
	p.Metrics = []engine.Metric{{Key: "r", Kind: engine.Ratio, Numerator: "e", Denominator: "d"}}
	var s stream
	s.expose(time.Minute, "a", engine.New)
	s.metric(2*time.Minute, "a", 3, 1)
	_, err := engine.Run(t.Context(), &engine.SliceSource{Events: s.evs}, p, engine.Options{Start: t0}, time.Time{})
	assert.ErrorContains(t, err, "out of range [0, 3)")
}
