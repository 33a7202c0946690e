package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRatioMoments(t *testing.T) {
	var r RatioMoments
	m := []float64{0.3, 0.5, 0.9, 22}
	d := []float64{2, 1, 5, 3}
	for i := range m {
		r.Add(m[i], d[i])
	}
	// np.cov(m, d)[0,1] by hand: means 5.925 and 2.75.
	var c float64
	for i := range m {
		c += (m[i] - 5.925) * (d[i] - 2.75)
	}
	assert.InDelta(t, c/3, r.Cov(), 1e-12)
	assert.InDelta(t, 23.7/11, r.Ratio(), 1e-15)
	// Replace is Add of the new unit minus the old.
	var s RatioMoments
	s.Add(0.3, 2)
	s.Add(0.5, 1)
	s.Add(0.9, 5)
	s.Add(0, 0)
	s.Replace(0, 0, 22, 3)
	assert.InDelta(t, r.SumMD, s.SumMD, 1e-12)
	assert.InDelta(t, r.SumSqM, s.SumSqM, 1e-12)
	var mg RatioMoments
	mg.Merge(r)
	mg.Merge(r)
	assert.Equal(t, 2*r.N, mg.N)
	assert.Equal(t, r.Ratio(), mg.Ratio())
	// Degenerate: zero denominator.
	assert.Equal(t, 0.0, RatioMoments{N: 5, SumM: 3}.Ratio())
	assert.Equal(t, 0.0, RatioMoments{N: 5, SumM: 3}.UnitVar())
	_, se := RatioDiff(RatioMoments{N: 5, SumM: 3}, r, Absolute)
	assert.True(t, math.IsInf(se, 1))
}

// The delta-method standard error matches the Monte Carlo spread of the
// ratio difference when numerator and denominator are strongly correlated
// (errors proportional to requests), and ignoring the covariance would be
// far off: 2000 seeded reps of 800 contexts per arm.
func TestRatioDeltaMethodSE(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const reps, n = 2000, 800
	arm := func() RatioMoments {
		var r RatioMoments
		for range n {
			d := float64(1 + rng.IntN(20))
			m := 0
			for range int(d) {
				if rng.Float64() < 0.05 {
					m++
				}
			}
			r.Add(float64(m), d)
		}
		return r
	}
	var sum, sumsq, se2 float64
	for range reps {
		a, b := arm(), arm()
		est, se := RatioDiff(a, b, Absolute)
		require.False(t, math.IsInf(se, 0))
		sum += est
		sumsq += est * est
		se2 += se * se
	}
	sd := math.Sqrt(sumsq/reps - (sum/reps)*(sum/reps))
	rms := math.Sqrt(se2 / reps)
	// The SD of an SD estimate from 2000 reps is ≈ 1.6%; allow 5%.
	assert.InEpsilon(t, sd, rms, 0.05, "MC sd %.5g, delta-method %.5g", sd, rms)
	assert.InDelta(t, 0, sum/reps, 3*sd/math.Sqrt(reps))
}
