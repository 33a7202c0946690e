package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kohavi builds Kohavi's Simpson ramp (reference §7.6) with a moments
// constructor: control [(20000, 990000), (5000, 500000)], treatment
// [(230, 10000), (6000, 500000)] as (conversions, users).
func kohavi(mk func(c, n float64) Moments) []Stratum {
	return []Stratum{
		{A: mk(20000, 990000), B: mk(230, 10000)},
		{A: mk(5000, 500000), B: mk(6000, 500000)},
	}
}

func TestKohaviSimpson(t *testing.T) {
	for _, form := range []struct {
		name string
		mk   func(c, n float64) Moments
	}{{"binary unbiased n/(n-1)", BinaryMoments}, {"proportion p(1-p)", ProportionMoments}} {
		t.Run(form.name, func(t *testing.T) {
			st := kohavi(form.mk)
			// Pooled: control 0.016779, treatment 0.012216, difference −0.004563.
			var a, b Moments
			for _, s := range st {
				a.N, a.Sum = a.N+s.A.N, a.Sum+s.A.Sum
				b.N, b.Sum = b.N+s.B.N, b.Sum+s.B.Sum
			}
			assert.InDelta(t, 0.016779, a.Mean(), 5e-7)
			assert.InDelta(t, 0.012216, b.Mean(), 5e-7)
			assert.InDelta(t, -0.004563, Pooled(st), 5e-7)

			// Per-step differences [0.00279798, 0.00200000].
			d0, _ := Stratify(st[:1])
			d1, _ := Stratify(st[1:])
			assert.InDelta(t, 0.00279798, d0.Estimate, 5e-9)
			assert.InDelta(t, 0.00200000, d1.Estimate, 5e-9)

			// Inverse-variance: +0.002015, SE 0.000207.
			iv, ok := Stratify(st)
			require.True(t, ok)
			assert.InDelta(t, 0.002015, iv.Estimate, 5e-7)
			assert.InDelta(t, 0.000207, math.Sqrt(iv.V), 5e-7)
			assert.Equal(t, 2, iv.Strata)
			assert.Equal(t, 2000000.0, iv.N)
			assert.Equal(t, 1490000.0, iv.NA)
			assert.Equal(t, 510000.0, iv.NB)

			// Share-weighted: +0.002399, SE 0.000760, z = 3.156.
			sw, ok := ShareWeighted(st)
			require.True(t, ok)
			assert.InDelta(t, 0.002399, sw.Estimate, 5e-7)
			assert.InDelta(t, 0.000760, math.Sqrt(sw.V), 5e-7)
			assert.InDelta(t, 3.156, sw.Estimate/math.Sqrt(sw.V), 5e-4)
		})
	}
}

// The per-step SEs are printed to 6 significant digits, which tells the
// variance forms apart: 0.00150569 and 0.00020860 are the p(1−p)/n form;
// the unbiased form gives 0.00150576 for step 1.
func TestKohaviVarianceForm(t *testing.T) {
	p := kohavi(ProportionMoments)
	b := kohavi(BinaryMoments)
	se := func(s Stratum) float64 { d, _ := Stratify([]Stratum{s}); return math.Sqrt(d.V) }
	assert.InDelta(t, 0.00150569, se(p[0]), 5e-9)
	assert.InDelta(t, 0.00020860, se(p[1]), 5e-9)
	assert.InDelta(t, 0.00150576, se(b[0]), 5e-9)
	assert.Greater(t, math.Abs(se(b[0])-0.00150569), 5e-9)
}

func randomStratum(rng *rand.Rand) Stratum {
	var s Stratum
	na, nb := 2+rng.IntN(200), 2+rng.IntN(200)
	mu := rng.NormFloat64()
	for range na {
		s.A.Add(mu + rng.NormFloat64())
	}
	for range nb {
		s.B.Add(mu + 0.3 + 2*rng.NormFloat64())
	}
	return s
}

// A single stratum gives the plain difference of means and its variance.
func TestStratifySingle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		s := randomStratum(rng)
		d, ok := Stratify([]Stratum{s})
		require.True(t, ok)
		est, se := Difference(s.A, s.B, Absolute)
		require.InDelta(t, est, d.Estimate, 1e-12)
		require.InEpsilon(t, se*se, d.V, 1e-12)
		require.InDelta(t, est, Pooled([]Stratum{s}), 1e-12)
		sw, _ := ShareWeighted([]Stratum{s})
		require.InDelta(t, est, sw.Estimate, 1e-12)
		require.InEpsilon(t, se*se, sw.V, 1e-12)
		require.Equal(t, s.A.N+s.B.N, d.N)
		require.InEpsilon(t, se*se*d.N, d.S2(), 1e-12)
	}
}

// Stratify and ShareWeighted do not depend on the order of the strata.
func TestStratifyOrderInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 30 {
		st := make([]Stratum, 1+rng.IntN(6))
		for i := range st {
			st[i] = randomStratum(rng)
		}
		d, _ := Stratify(st)
		w, _ := ShareWeighted(st)
		perm := append([]Stratum(nil), st...)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		d2, _ := Stratify(perm)
		w2, _ := ShareWeighted(perm)
		require.InDelta(t, d.Estimate, d2.Estimate, 1e-12)
		require.InEpsilon(t, d.V, d2.V, 1e-12)
		require.Equal(t, d.N, d2.N)
		require.InDelta(t, w.Estimate, w2.Estimate, 1e-12)
		require.InEpsilon(t, w.V, w2.V, 1e-12)
	}
}

// Strata too small to estimate a variance are skipped.
func TestStratifySkips(t *testing.T) {
	_, ok := Stratify(nil)
	assert.False(t, ok)
	_, ok = ShareWeighted([]Stratum{{A: Moments{N: 1, Sum: 1, SumSq: 1}, B: BinaryMoments(3, 10)}})
	assert.False(t, ok)
	good := Stratum{A: BinaryMoments(3, 10), B: BinaryMoments(5, 10)}
	d, ok := Stratify([]Stratum{good, {A: Moments{N: 1}, B: BinaryMoments(1, 4)}, {A: BinaryMoments(0, 5), B: BinaryMoments(0, 5)}})
	require.True(t, ok)
	assert.Equal(t, 1, d.Strata)
	assert.InDelta(t, 0.2, d.Estimate, 1e-12)
}
