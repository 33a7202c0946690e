package sweep

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/scenarios"
)

// kindSweep runs an event-level sweep of a test scenario under
// testdata/scenarios, with the policy changed by edit.
func kindSweep(t *testing.T, file, grid string, reps int, edit func(*engine.Policy)) []Cell {
	t.Helper()
	s, err := scenarios.Load(filepath.Join("..", "..", "testdata", "scenarios", file))
	require.NoError(t, err)
	p, err := s.Policy()
	require.NoError(t, err)
	if edit != nil {
		edit(&p)
	}
	res, err := Run(context.Background(), Config{Name: s.Name, Policy: p, Model: s.Model(), Grid: grid, Reps: reps, Seed: s.Seed, Fidelity: EventLevel})
	require.NoError(t, err)
	return res.Cells
}

// fprBound is α + 3 SE for reps rollouts.
func fprBound(alpha float64, reps int) float64 {
	return alpha + 3*math.Sqrt(alpha*(1-alpha)/float64(reps))
}

// No effect, the default ramp (1→5→10→25→50%, 24h steps) with hourly
// looks: the false rollback rate of percentile (p50, p95, p99) and ratio
// metrics is at most α + 3 SE over 2000 event-level rollouts each (the
// nonparametric p99 method over 1000).
func TestKindsFalsePositiveRate(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	const reps, alpha = 2000, 0.05
	cases := []struct {
		name, file string
		edit       func(*engine.Policy)
	}{
		{"p50", "fpr-percentile.yaml", func(p *engine.Policy) { p.Metrics[0].Quantile = 0.5 }},
		{"p95", "fpr-percentile.yaml", nil},
		{"p99", "fpr-percentile.yaml", func(p *engine.Policy) { p.Metrics[0].Quantile = 0.99 }},
		{"p99 nonparametric (1000 reps: an O(n) scan per check)", "fpr-percentile.yaml", func(p *engine.Policy) {
			p.Metrics[0].Quantile = 0.99
			p.Metrics[0].Method = engine.MethodNonparametric
		}},
		{"ratio", "fpr-ratio.yaml", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := reps
			if c.edit != nil && strings.Contains(c.name, "nonparametric") {
				n = 1000
			}
			cells := kindSweep(t, c.file, "effect=0", n, c.edit)
			require.Len(t, cells, 1)
			r := cells[0].Rate
			t.Logf("%s: false rollback rate %.4f (%d/%d), bound %.4f", c.name, r, cells[0].Detections, n, fprBound(alpha, n))
			assert.LessOrEqual(t, r, fprBound(alpha, n))
		})
	}
}

// A true effect equal to the margin (2 ms on a 2ms margin, and 2.5 on a 1%
// margin of 250) is rolled back at most α + 3 SE of the time over 2000
// rollouts; an effect of four margins is caught.
func TestMarginFalsePositiveRate(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	const reps, alpha = 2000, 0.05
	cells := kindSweep(t, "margin-mean.yaml", "effect=2", reps, nil)
	t.Logf("effect = margin: rollback rate %.4f (%d/%d), bound %.4f", cells[0].Rate, cells[0].Detections, reps, fprBound(alpha, reps))
	assert.LessOrEqual(t, cells[0].Rate, fprBound(alpha, reps))
	// Relative margin: 1% of 250 = 2.5 with a true effect of 2.5.
	cells = kindSweep(t, "margin-mean.yaml", "effect=2.5", reps, func(p *engine.Policy) {
		p.Metrics[0].Margin, p.Metrics[0].MarginRelative = 0.01, true
	})
	t.Logf("effect = 1%% margin: rollback rate %.4f (%d/%d)", cells[0].Rate, cells[0].Detections, reps)
	assert.LessOrEqual(t, cells[0].Rate, fprBound(alpha, reps))
	cells = kindSweep(t, "margin-mean.yaml", "effect=8", 200, nil)
	t.Logf("effect = 4 margins: rollback rate %.3f", cells[0].Rate)
	assert.GreaterOrEqual(t, cells[0].Rate, 0.8)
}

// Power where it matters: values above the baseline p98 scaled by 1.3
// (p99 up 30%, mean up 1.7%). Over 300 rollouts each the p99 metric
// rolls back in at least 80% of runs and the mean metric in at most 20%.
func TestTailPower(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	const reps = 300
	p99 := kindSweep(t, "tail-p99.yaml", "tail_scale=1.3", reps, nil)[0]
	mean := kindSweep(t, "tail-mean.yaml", "tail_scale=1.3", reps, nil)[0]
	t.Logf("p99 metric: %.3f [%.3f, %.3f]; mean metric: %.3f [%.3f, %.3f]", p99.Rate, p99.RateLo, p99.RateHi, mean.Rate, mean.RateLo, mean.RateHi)
	assert.GreaterOrEqual(t, p99.RateLo, 0.8)
	assert.LessOrEqual(t, mean.RateHi, 0.2)
}
