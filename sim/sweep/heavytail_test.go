package sweep

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeavyTailAggregateFPR: the built-in heavy-tail-latency scenario (A/A,
// log-normal with log-sd 2) at aggregate fidelity has a false-rollback
// rate within α + 3 SE over 4000 rollouts (it was 0.95 at α = 0.05 when the
// sum and the variance were drawn independently); TestFidelityGrid checks
// the same shape against the event-level engine.
func TestHeavyTailAggregateFPR(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 4000 aggregate rollouts")
	}
	cfg := loadConfig(t, "heavy-tail-latency")
	cfg.Grid, cfg.Reps, cfg.Seed = "alpha=0.05;effect=0", 4000, 21
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	c := res.Cells[0]
	checkCell(t, c)
	se := math.Sqrt(c.Alpha * (1 - c.Alpha) / float64(c.Reps))
	t.Logf("heavy-tail-latency: FPR %.4f [%.4f, %.4f] over %d rollouts, bound α + 3 SE = %.4f", c.Rate, c.RateLo, c.RateHi, c.Reps, c.Alpha+3*se)
	assert.LessOrEqual(t, c.Rate, c.Alpha+3*se)
	require.Len(t, c.Metrics, 1)
	assert.Equal(t, c.Detections, c.Metrics[0].Detections)
}
