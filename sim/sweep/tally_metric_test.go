package sweep

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFamilyBound(t *testing.T) {
	for _, c := range []struct {
		overall, alpha float64
		m              int
		bound          float64
		rule           string
	}{
		{0.1, 0.05, 2, 0.1, FamilyBonferroni},
		{0, 0.05, 3, 0.15, FamilyUnion},
		{0, 0.3, 4, 1, FamilyUnion},
		{0, 0.05, 1, 0.05, FamilyUnion},
	} {
		b, r := familyBound(c.overall, c.alpha, c.m)
		assert.InDelta(t, c.bound, b, 1e-15)
		assert.Equal(t, c.rule, r)
	}
}

// TestPerMetricRates: with two metrics under A/A, each metric's
// false-rollback rate is within α + 3 SE and the any-metric rate within the
// family bound (2α, or overall_alpha under Bonferroni) + 3 SE, in both
// fidelities; an effect on the first metric shows up in its rate only.
func TestPerMetricRates(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 4000 aggregate rollouts per cell")
	}
	p, m := popModel(0)
	for _, overall := range []float64{0, 0.1} {
		p.OverallAlpha = overall
		cfg := Config{Name: "two metrics", Policy: p, Model: m, FixedHorizon: true, Grid: "effect=0,40", Reps: 4000, Seed: 8}
		if overall == 0 {
			cfg.Grid = "alpha=0.05;effect=0,40"
		}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		aa, eff := res.Cells[0], res.Cells[1]
		require.Len(t, aa.Metrics, 2)
		assert.Equal(t, []string{"lat", "conv"}, []string{aa.Metrics[0].Key, aa.Metrics[1].Key})
		wantRule := FamilyUnion
		if overall > 0 {
			wantRule = FamilyBonferroni
		}
		assert.Equal(t, wantRule, aa.FamilyRule)
		assert.InDelta(t, 2*aa.Alpha, aa.FamilyBound, 1e-12)
		n := float64(aa.Reps)
		for _, mr := range aa.Metrics {
			se := math.Sqrt(aa.Alpha * (1 - aa.Alpha) / n)
			t.Logf("overall %g: %s FPR %.4f [%.4f, %.4f] (α %.3f)", overall, mr.Key, mr.Rate, mr.RateLo, mr.RateHi, aa.Alpha)
			assert.LessOrEqual(t, mr.Rate, aa.Alpha+3*se)
			assert.LessOrEqual(t, mr.Rate, aa.Rate)
		}
		se := math.Sqrt(aa.FamilyBound * (1 - aa.FamilyBound) / n)
		t.Logf("overall %g: any-metric FPR %.4f, family bound %.3f (%s)", overall, aa.Rate, aa.FamilyBound, aa.FamilyRule)
		assert.LessOrEqual(t, aa.Rate, aa.FamilyBound+3*se)
		assert.GreaterOrEqual(t, aa.Metrics[0].Detections+aa.Metrics[1].Detections, aa.Detections, "every detection names a metric")
		// The effect is on lat (the first metric): its rate is the power.
		assert.Greater(t, eff.Rate, 0.5)
		assert.InDelta(t, eff.Rate, eff.Metrics[0].Rate, 0.02)
		assert.Less(t, eff.Metrics[1].Rate, 0.1)
	}
	// Event level names the metrics too.
	p.OverallAlpha = 0
	res, err := Run(context.Background(), Config{Name: "two metrics", Policy: p, Model: m, FixedHorizon: true, Grid: "effect=40", Reps: 60, Seed: 8, Fidelity: EventLevel})
	require.NoError(t, err)
	c := res.Cells[0]
	require.Positive(t, c.Detections)
	assert.Equal(t, c.Detections, c.Metrics[0].Detections)
	assert.Less(t, c.Metrics[1].Detections, c.Detections)
}
