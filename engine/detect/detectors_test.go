package detect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
)

// arm is the moments of n values alternating mean±sd (exact mean and an
// unbiased variance close to sd²).
func arm(n int, mean, sd float64) stats.Moments {
	var m stats.Moments
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			m.Add(mean + sd)
		} else {
			m.Add(mean - sd)
		}
	}
	return m
}

func policy(metrics ...engine.Metric) engine.Policy {
	return engine.Policy{Metrics: metrics}.WithDefaults()
}

var latency = engine.Metric{Key: "latency", Kind: engine.Numeric, Direction: engine.LowerIsBetter}

func input(strata []stats.Stratum, elapsed time.Duration) *engine.DetectorInput {
	return &engine.DetectorInput{Metric: latency, Strata: strata, Elapsed: elapsed}
}

func TestZTestPeekingAndFixedHorizon(t *testing.T) {
	// Difference 2 with SE sqrt(2·100/400) ≈ 0.707: z ≈ 2.83, p ≈ 0.0023.
	st := []stats.Stratum{{A: arm(400, 100, 10), B: arm(400, 102, 10)}}
	peek, err := ZTest{Alpha: 0.05, MinPerArm: 30, EveryCheck: true}.NewDetectors(policy(latency))
	require.NoError(t, err)
	v := peek[0].Check(input(st, time.Hour))
	assert.Equal(t, engine.VerdictRegression, v.Kind)
	assert.InDelta(t, 2.0, v.Estimate, 1e-9)
	assert.InDelta(t, 0.0023, v.Score, 2e-4)

	fixed, err := ZTest{Alpha: 0.05, MinPerArm: 30}.NewDetectors(policy(latency))
	require.NoError(t, err)
	in := input(st, time.Hour)
	assert.Equal(t, engine.VerdictPass, fixed[0].Check(in).Kind, "no test before the step's end")
	in.StepEnded = true
	assert.Equal(t, engine.VerdictRegression, fixed[0].Check(in).Kind)
	// A harmless difference passes; too few contexts is not enough data.
	ok := []stats.Stratum{{A: arm(400, 102, 10), B: arm(400, 100, 10)}}
	assert.Equal(t, engine.VerdictPass, peek[0].Check(input(ok, time.Hour)).Kind)
	few := []stats.Stratum{{A: arm(10, 100, 10), B: arm(10, 200, 10)}}
	assert.Equal(t, engine.VerdictNotEnoughData, peek[0].Check(input(few, time.Hour)).Kind)
}

func TestGrowthBookGates(t *testing.T) {
	ds, err := GrowthBook{Alpha: 0.05, NStar: 5000, MinSample: 150, MinPercentChange: 0.005}.NewDetectors(policy(latency))
	require.NoError(t, err)
	d := ds[0]
	// A large, clear regression is lost.
	big := []stats.Stratum{{A: arm(2000, 100, 10), B: arm(2000, 105, 10)}}
	v := d.Check(input(big, time.Hour))
	assert.Equal(t, engine.VerdictRegression, v.Kind, v.Note)
	// The same data spread over two steps is pooled, not stratified.
	split := []stats.Stratum{{A: arm(1000, 100, 10), B: arm(1000, 105, 10)}, {A: arm(1000, 100, 10), B: arm(1000, 105, 10)}}
	assert.InDelta(t, v.Estimate, d.Check(input(split, time.Hour)).Estimate, 1e-9)
	// Significant but below the minimum change (0.3% of 1000): pass.
	tiny := []stats.Stratum{{A: arm(200000, 1000, 10), B: arm(200000, 1003, 10)}}
	v = d.Check(input(tiny, time.Hour))
	assert.Equal(t, engine.VerdictPass, v.Kind)
	assert.Contains(t, v.Note, "minimum change")
	// Binary metric with 100 conversions in the larger arm: below
	// min_sample 150 (totals, not users), so no verdict.
	conv := engine.Metric{Key: "conv", Direction: engine.HigherIsBetter}
	in := &engine.DetectorInput{Metric: conv, Strata: []stats.Stratum{{A: stats.BinaryMoments(100, 1000), B: stats.BinaryMoments(40, 1000)}}}
	v = d.Check(in)
	assert.Equal(t, engine.VerdictNotEnoughData, v.Kind)
	assert.Contains(t, v.Note, "minimum sample")
	in.Strata = []stats.Stratum{{A: stats.BinaryMoments(300, 3000), B: stats.BinaryMoments(120, 3000)}}
	assert.Equal(t, engine.VerdictRegression, d.Check(in).Kind)
}

func TestLaunchDarklyBayesianThreshold(t *testing.T) {
	// Relative difference 5% with a small SE.
	st := []stats.Stratum{{A: arm(5000, 100, 10), B: arm(5000, 105, 10)}}
	mk := func(th float64) engine.Detector {
		ds, err := LaunchDarklyBayesian{Credible: 0.95, Threshold: th, MinPerArm: 30}.NewDetectors(policy(latency))
		require.NoError(t, err)
		return ds[0]
	}
	v := mk(0).Check(input(st, time.Hour))
	assert.Equal(t, engine.VerdictRegression, v.Kind)
	assert.InDelta(t, 0.05, v.Estimate, 1e-9)
	assert.Greater(t, v.Score, 0.999)
	// A 10% tolerance is not exceeded.
	v = mk(0.10).Check(input(st, time.Hour))
	assert.Equal(t, engine.VerdictPass, v.Kind)
	assert.Less(t, v.Score, 0.001)
	_, err := LaunchDarklyBayesian{Credible: 1.5}.NewDetectors(policy(latency))
	assert.Error(t, err)
}

// cumulative builds the cumulative strata after intervals with the given
// per-interval arm means (20 contexts per arm each).
type cumulative struct{ st []stats.Stratum }

func (c *cumulative) add(ctl, exp float64) []stats.Stratum {
	if c.st == nil {
		c.st = make([]stats.Stratum, 1)
	}
	c.st[0].A.Merge(arm(20, ctl, 1))
	c.st[0].B.Merge(arm(20, exp, 1))
	return c.st
}

func TestFlaggerCountsFailedChecksAcrossMetrics(t *testing.T) {
	other := engine.Metric{Key: "errors", Direction: engine.LowerIsBetter}
	ds, err := Flagger{Target: TargetRelative, Limit: 0.1, Threshold: 2}.NewDetectors(policy(latency, other))
	require.NoError(t, err)
	var a, b cumulative
	check := func(h int, la, lb, ea, eb float64) (engine.Verdict, engine.Verdict) {
		e := time.Duration(h) * time.Hour
		v0 := ds[0].Check(&engine.DetectorInput{Metric: latency, Strata: a.add(la, lb), Elapsed: e})
		v1 := ds[1].Check(&engine.DetectorInput{Metric: other, Index: 1, Strata: b.add(ea, eb), Elapsed: e})
		return v0, v1
	}
	// Check 1: both metrics fail (+20%): one failed check, not two.
	v0, v1 := check(1, 100, 120, 10, 12)
	assert.Equal(t, engine.VerdictPass, v0.Kind)
	assert.Equal(t, engine.VerdictPass, v1.Kind)
	assert.Equal(t, 1.0, v1.Score)
	assert.InDelta(t, 0.2, v0.Estimate, 1e-9, "the interval's relative difference")
	// Check 2: fine. The counter is cumulative, not consecutive.
	v0, _ = check(2, 100, 100, 10, 10)
	assert.Equal(t, 1.0, v0.Score)
	// Check 3: the second metric fails: the second failed check rolls back.
	v0, v1 = check(3, 100, 100, 10, 12)
	assert.Equal(t, engine.VerdictPass, v0.Kind)
	assert.Equal(t, engine.VerdictRegression, v1.Kind, v1.Note)
	assert.Equal(t, 2.0, v1.Score)
}

func TestFlaggerNoValuesFails(t *testing.T) {
	ds, err := Flagger{Target: TargetNew, Limit: 500, Threshold: 1}.NewDetectors(policy(latency))
	require.NoError(t, err)
	var c cumulative
	st := c.add(100, 100)
	v := ds[0].Check(input(st, time.Hour))
	assert.Equal(t, engine.VerdictPass, v.Kind, "the new arm's 100 is within max 500")
	// No new contexts in the next interval: "no values found" fails.
	v = ds[0].Check(input(st, 2*time.Hour))
	assert.Equal(t, engine.VerdictRegression, v.Kind)
	assert.Contains(t, v.Note, "no values")
}

func TestArgoPhasesAndLimits(t *testing.T) {
	mk := func(a Argo) engine.Detector {
		ds, err := a.NewDetectors(policy(latency))
		require.NoError(t, err)
		return ds[0]
	}
	def := Argo{Target: TargetRelative, Success: 0.05, Failure: 0.1, InconclusiveLimit: 0, ConsecutiveErrors: 4}
	// Between success and failure: inconclusive, which pauses at once
	// with inconclusiveLimit 0.
	d := mk(def)
	var c cumulative
	assert.Equal(t, engine.VerdictInconclusive, d.Check(input(c.add(100, 107), time.Hour)).Kind)
	// failureLimit 1 tolerates one failure, not two.
	lim := def
	lim.FailureLimit = 1
	d = mk(lim)
	c = cumulative{}
	assert.Equal(t, engine.VerdictPass, d.Check(input(c.add(100, 120), time.Hour)).Kind)
	assert.Equal(t, engine.VerdictPass, d.Check(input(c.add(100, 100), 2*time.Hour)).Kind)
	assert.Equal(t, engine.VerdictRegression, d.Check(input(c.add(100, 120), 3*time.Hour)).Kind)
	// Errors (no data) abort only after more than 4 in a row.
	d = mk(def)
	c = cumulative{}
	st := c.add(100, 100)
	assert.Equal(t, engine.VerdictPass, d.Check(input(st, time.Hour)).Kind)
	for h := 2; h <= 5; h++ {
		assert.Equal(t, engine.VerdictPass, d.Check(input(st, time.Duration(h)*time.Hour)).Kind, "error %d", h-1)
	}
	assert.Equal(t, engine.VerdictRegression, d.Check(input(st, 6*time.Hour)).Kind)
}

func TestKayentaScoreThresholds(t *testing.T) {
	k := Kayenta{Pass: 95, Marginal: 75}
	pass := engine.Verdict{Kind: engine.VerdictPass}
	fail := engine.Verdict{Kind: engine.VerdictRegression}
	// 3 of 4 pass: 75, at the marginal threshold: no fail-fast, but it
	// fails at the step's end (below 95).
	f, _, s, _ := k.Score([]engine.Verdict{pass, pass, fail, pass}, false)
	assert.False(t, f)
	assert.Equal(t, 75.0, s)
	f, m, _, _ := k.Score([]engine.Verdict{pass, pass, fail, pass}, true)
	assert.True(t, f)
	assert.Equal(t, 2, m)
	// A critical failure scores 0.
	f, _, s, _ = k.Score([]engine.Verdict{pass, pass, pass, pass, {Kind: engine.VerdictPass}, {Kind: engine.VerdictRegression, Critical: true}}, false)
	assert.True(t, f)
	assert.Equal(t, 0.0, s)
	// Half the metrics without data scores 0.
	f, m, s, _ = k.Score([]engine.Verdict{pass, {Kind: engine.VerdictNotEnoughData}}, false)
	assert.True(t, f)
	assert.Equal(t, -1, m)
	assert.Equal(t, 0.0, s)
}

func TestPoliciesApply(t *testing.T) {
	base := engine.Policy{Metrics: []engine.Metric{latency}}
	np, err := Lookup("growthbook")
	require.NoError(t, err)
	p, err := np.Apply(base, map[string]string{"min_sample": "200"})
	require.NoError(t, err)
	assert.Equal(t, "growthbook", p.Name)
	assert.Equal(t, engine.HoldOnInsufficient, p.OnInsufficient)
	assert.True(t, p.SRMChiSquare && p.SRMHold)
	assert.Equal(t, 16, p.SRMMinTotal)
	assert.Equal(t, 200.0, p.Detector.(GrowthBook).MinSample)

	_, err = np.Apply(base, map[string]string{"min_samples": "200"})
	assert.ErrorContains(t, err, "policy_params.min_samples")
	_, err = np.Apply(base, map[string]string{"alpha": "x"})
	assert.ErrorContains(t, err, "policy_params.alpha")
	_, err = np.Apply(base, map[string]string{"alpha": "0.7"})
	assert.ErrorContains(t, err, "alpha")
	_, err = Lookup("nope")
	assert.ErrorContains(t, err, "launchdarkly")
	for _, n := range Names() {
		np, err := Lookup(n)
		require.NoError(t, err)
		p, err := np.Apply(base, nil)
		require.NoError(t, err, n)
		assert.Equal(t, n, p.Name)
		assert.NotEmpty(t, np.Sources, n)
	}
	ok, why := Aggregate(engine.Policy{Name: "kayenta"})
	assert.False(t, ok)
	assert.Contains(t, why, "rank")
}
