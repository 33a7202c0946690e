package sweep

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nullTail is the share of reps whose one-sided z of two independent draws
// of n values exceeds each threshold.
func nullTail(r *rand.Rand, draw func(n int) (mean, variance float64), n, reps int, thr []float64) []float64 {
	hits := make([]float64, len(thr))
	for range reps {
		mt, vt := draw(n)
		mc, vc := draw(n)
		z := (mt - mc) / math.Sqrt(vt/float64(n)+vc/float64(n))
		for i, x := range thr {
			if z > x {
				hits[i]++
			}
		}
	}
	for i := range hits {
		hits[i] /= float64(reps)
	}
	return hits
}

func lawDraw(l *numLaw, r *rand.Rand) func(int) (float64, float64) {
	return func(n int) (float64, float64) {
		m := l.draw(r, n, 0)
		return m.Mean(), m.Var()
	}
}

// TestSplitSamplerValidationTable reproduces the validation table of
// metrics-detectors.md §3: log-normal(0, 2) values, one-sided null z of
// two draws, P(z > 1.645) and P(z > 2.326) against the exact per-value
// simulation's 0.0464 and 0.0064 at n = 1000 (1e5 reps) and 0.0405 and
// 0.0037 at n = 100 (2e5 reps), within 3 combined standard errors. The
// independent normal-sum and gamma-variance draws gave 0.497 for the
// second at n = 1000.
func TestSplitSamplerValidationTable(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: 2e5 split draws and 6e4 exact ones")
	}
	// Mean and sd of log-normal(0, 2).
	mean := math.Exp(2)
	sd := math.Sqrt((math.Exp(4) - 1) * math.Exp(4))
	l := newNumLaw(true, mean, sd, 0, 1, false)
	require.InDelta(t, 0, l.lm, 1e-12)
	require.InDelta(t, 2, l.ls, 1e-12)
	thr := []float64{1.645, 2.326}
	for _, c := range []struct {
		n, reps, refReps int
		want             []float64
	}{
		{1000, 100000, 100000, []float64{0.0464, 0.0064}}, // split sampler
		{100, 30000, 200000, []float64{0.0405, 0.0037}},   // exact simulation
	} {
		r := rand.New(rand.NewPCG(uint64(c.n), 42))
		got := nullTail(r, lawDraw(l, r), c.n, c.reps, thr)
		for i, p := range c.want {
			se := math.Sqrt(p * (1 - p) * (1/float64(c.reps) + 1/float64(c.refReps)))
			t.Logf("n %d: P(z > %.3f) = %.4f (exact %.4f, 3 SE %.4f)", c.n, thr[i], got[i], p, 3*se)
			assert.InDelta(t, p, got[i], 3*se, "n %d, z > %g", c.n, thr[i])
		}
	}
}

// TestSplitMatchesExact: for values that are the mean of several
// log-normal events plus a normal intercept (the general bulk law), and
// for a sum metric, the split sampler's null z tails match exact per-
// context simulation within 3 combined standard errors.
func TestSplitMatchesExact(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo: exact simulation of 3e7 values")
	}
	thr := []float64{1.282, 1.645, 2.326}
	for _, c := range []struct {
		name          string
		mean, sd, csd float64
		e             int
		sum           bool
	}{
		{"mean of 3, log-sd ~1.8, intercept", 250, 1200, 60, 3, false},
		{"sum of 2, log-sd ~1.3", 10, 20, 0, 2, true},
	} {
		l := newNumLaw(true, c.mean, c.sd, c.csd, c.e, c.sum)
		const n, reps = 600, 12000
		require.Greater(t, n*c.e, exactValues, "the split sampler is used")
		r := rand.New(rand.NewPCG(5, 6))
		split := nullTail(r, lawDraw(l, r), n, reps, thr)
		exact := nullTail(r, func(n int) (float64, float64) {
			var s, q float64
			for range n {
				l.context(r, 0, 0, 0, &s, &q)
			}
			m := float64(n)
			return s / m, (q - s*s/m) / (m - 1)
		}, n, reps, thr)
		for i := range thr {
			p := (split[i] + exact[i]) / 2
			se := math.Sqrt(p * (1 - p) * 2 / reps)
			t.Logf("%s: P(z > %.3f) split %.4f, exact %.4f, 3 SE %.4f", c.name, thr[i], split[i], exact[i], 3*se)
			assert.InDelta(t, exact[i], split[i], 3*se, "%s, z > %g", c.name, thr[i])
		}
	}
}

// TestNumLawMoments: the law's mean and variance are those of the value
// the engine sees, and normal draws are exact in mean and variance.
func TestNumLawMoments(t *testing.T) {
	l := newNumLaw(false, 10, 2, 1, 4, false)
	assert.InDelta(t, 10, l.mu, 1e-12)
	assert.InDelta(t, 4.0/4+1, l.sigma2, 1e-12)
	s := newNumLaw(true, 10, 2, 1, 4, true)
	assert.InDelta(t, 40, s.mu, 1e-12)
	assert.InDelta(t, 4*4+16*1, s.sigma2, 1e-12)
	r := rand.New(rand.NewPCG(1, 1))
	var mean, v float64
	const reps = 20000
	for range reps {
		m := l.draw(r, 50, 0.5)
		mean += m.Mean()
		v += m.Var()
	}
	assert.InDelta(t, 10.5, mean/reps, 5*math.Sqrt(2.0/50/reps))
	assert.InDelta(t, 2, v/reps, 5*2*math.Sqrt(2.0/49/reps))
	// The split constants: a bulk context's cumulants make up, with the
	// tail, the whole law's mean (λ tail contexts expected per draw).
	c := s.splitFor(100000)
	assert.InDelta(t, splitLambda, c.p*100000*4, splitLambda*0.2)
}
