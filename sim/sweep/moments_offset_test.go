package sweep

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAggregateMomentsAtLargeOffsets: the aggregate simulator draws each
// interval's values as deviations from the metric's mean, so the same
// rollout with every value moved by an offset up to 1e12 accumulates the
// same per-step variances to 1e-9 relative and means moved by the offset.
func TestAggregateMomentsAtLargeOffsets(t *testing.T) {
	base := benchPlan(t)
	s0 := newAggSim()
	s0.run(base, 11)
	for _, off := range []float64{1e6, 1e9, 1e12} {
		pl := benchPlan(t)
		pl.metrics[0].law = newNumLaw(false, 10+off, 1, 0, 1, false)
		s := newAggSim()
		require.Equal(t, s0.run(base, 11), s.run(pl, 11))
		checked := 0
		for k := range s.strata[0] {
			for _, arm := range []struct{ got, want float64 }{
				{s.strata[0][k].A.Var(), s0.strata[0][k].A.Var()},
				{s.strata[0][k].B.Var(), s0.strata[0][k].B.Var()},
			} {
				if arm.want == 0 {
					continue
				}
				assert.InEpsilon(t, arm.want, arm.got, 1e-9, "step %d variance at offset %g", k+1, off)
				checked++
			}
			if s0.strata[0][k].A.N > 0 {
				assert.InDelta(t, s0.strata[0][k].A.Mean()+off, s.strata[0][k].A.Mean(), 1e-9+off*2.3e-16)
			}
		}
		require.Positive(t, checked)
	}
}
