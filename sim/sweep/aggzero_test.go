package sweep

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zeroExact simulates n zero-inflated contexts value by value, from the
// model's definition: e events each 0 with probability z and log-normal
// (or normal) otherwise, averaged (or summed) with a normal intercept.
func zeroExact(r *rand.Rand, logNormal bool, mean, sd, csd float64, e int, sum bool, z float64) func(int) (float64, float64) {
	s2 := math.Log1p(sd * sd / (mean * mean))
	lm, ls := math.Log(mean)-s2/2, math.Sqrt(s2)
	return func(n int) (float64, float64) {
		var s, q float64
		for range n {
			icpt := csd * r.NormFloat64()
			var v float64
			for range e {
				x := 0.0
				if r.Float64() >= z {
					if logNormal {
						x = math.Exp(lm + ls*r.NormFloat64())
					} else {
						x = mean + sd*r.NormFloat64()
					}
				}
				v += x + icpt
			}
			if !sum {
				v /= float64(e)
			}
			s += v
			q += v * v
		}
		m := float64(n)
		return s / m, (q - s*s/m) / (m - 1)
	}
}

// TestZeroInflatedMatchesExact: for revenue-like values (95% zeros, the
// rest log-normal of log-sd ~1.5, split sampler for the non-zero group),
// a sum of 3 such events with an intercept, and zero-inflated normal
// values, the law's mean and variance are the model's and its null z
// tails match exact per-value simulation within 3 combined standard errors.
func TestZeroInflatedMatchesExact(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: exact simulation of 1e8 values")
	}
	thr := []float64{1.282, 1.645, 2.326}
	for _, c := range []struct {
		name          string
		logNormal     bool
		mean, sd, csd float64
		e             int
		sum           bool
		z             float64
		n             int
	}{
		{"revenue: 95% zeros, log-normal", true, 40, 110, 0, 1, false, 0.95, 8000},
		{"sum of 3 events, 80% zeros, intercept", true, 10, 25, 2, 3, true, 0.8, 1000},
		{"normal, 90% zeros, mean of 2", false, 50, 10, 0, 2, false, 0.9, 2000},
	} {
		l := newZeroLaw(c.logNormal, c.mean, c.sd, c.csd, c.e, c.sum, c.z)
		// The law's moments are the model's: Var X = (1−z)sd² + z(1−z)mean².
		a, b := valueCoefs(c.csd, c.e, c.sum)
		ef := float64(c.e)
		assert.InDelta(t, b*ef*(1-c.z)*c.mean, l.mu, 1e-9*l.mu, c.name)
		assert.InDelta(t, a*a+b*b*ef*((1-c.z)*c.sd*c.sd+c.z*(1-c.z)*c.mean*c.mean), l.sigma2, 1e-9*l.sigma2, c.name)
		const reps = 12000
		r := rand.New(rand.NewPCG(7, 8))
		var m1, v1 float64
		split := nullTail(r, func(n int) (float64, float64) {
			mo := l.draw(r, n, 0)
			m1 += mo.Mean()
			v1 += mo.Var()
			return mo.Mean(), mo.Var()
		}, c.n, reps, thr)
		draws := float64(2 * reps)
		// Mean of the means within 5 SE; mean of the variances within 5%.
		assert.InDelta(t, l.mu, m1/draws, 5*math.Sqrt(l.sigma2/float64(c.n)/draws), c.name)
		assert.InDelta(t, l.sigma2, v1/draws, 0.05*l.sigma2, c.name)
		exact := nullTail(r, zeroExact(r, c.logNormal, c.mean, c.sd, c.csd, c.e, c.sum, c.z), c.n, reps, thr)
		for i := range thr {
			p := (split[i] + exact[i]) / 2
			se := math.Sqrt(p * (1 - p) * 2 / reps)
			t.Logf("%s: P(z > %.3f) law %.4f, exact %.4f, 3 SE %.4f", c.name, thr[i], split[i], exact[i], 3*se)
			assert.InDelta(t, exact[i], split[i], 3*se, "%s, z > %g", c.name, thr[i])
		}
	}
}

// TestZeroLawEffect: the effect shifts every value (zeros included), and
// one context draws are valid moments.
func TestZeroLawEffect(t *testing.T) {
	l := newZeroLaw(true, 40, 110, 0, 1, false, 0.95)
	r := rand.New(rand.NewPCG(1, 2))
	var mean float64
	const reps = 4000
	for range reps {
		mo := l.draw(r, 500, 1.5)
		require.Equal(t, 500.0, mo.N)
		mean += mo.Mean()
	}
	assert.InDelta(t, l.mu+1.5, mean/reps, 5*math.Sqrt(l.sigma2/500/reps))
	mo := l.draw(r, 1, 0)
	assert.Equal(t, 1.0, mo.N)
	assert.Zero(t, mo.Var())
}
