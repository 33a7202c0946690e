package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ssrm S1 (unit-level), S2 (time-aggregated) and the two-arm table live in
// testdata/vectors/ssrm.json (funcs ssrm, chi_square_srm); the Dirichlet
// updates and the ramp reset are tested here.

// ssrm time-aggregated data (reference §7.5 S2), a₀ = [1,1,1], and the same
// data with the default concentration k = 10⁴.
func TestSSRMTimeAggregated(t *testing.T) {
	data := [][]float64{{20, 17, 9}, {18, 21, 8}, {4, 6, 4}, {18, 19, 11}}
	theta := []float64{0.4, 0.4, 0.2}
	want := []struct {
		m1, m0 float64
		a      []float64
	}{
		{-7.028201432058012, -4.0776406466061985, []float64{21, 18, 10}},
		{-11.947847738358888, -8.265946861099877, []float64{39, 39, 18}},
		{-15.471401950257842, -11.610743519545139, []float64{43, 45, 22}},
		{-19.96484521090386, -15.781031228536165, []float64{61, 64, 33}},
	}
	s := NewSequentialSRMWithPrior([]float64{1, 1, 1}, theta)
	for i, x := range data {
		s.Observe(x)
		assert.InEpsilon(t, want[i].m1, s.LogM1(), 1e-12, "t=%d", i+1)
		assert.InEpsilon(t, want[i].m0, s.LogM0(), 1e-12, "t=%d", i+1)
		assert.Equal(t, want[i].a, s.Dirichlet(), "t=%d", i+1)
	}

	wantBF := []float64{-0.003992481168, -0.008266568164, -0.0102976215, -0.0146435428}
	k := NewSequentialSRM(10000)
	k.StartStep(theta)
	for i, x := range data {
		k.Observe(x)
		assert.InDelta(t, wantBF[i], k.LogBF(), 1e-10, "t=%d", i+1)
	}
	assert.Equal(t, 1.0, k.PValue())
}

// ssrm test_overflow (reference §7.5 S4): BF = +Inf gives posterior 1 and
// no NaN.
func TestSSRMOverflow(t *testing.T) {
	lbf := -23.585991739528254 - -76546.65811250894
	assert.True(t, math.IsInf(math.Exp(lbf), 1))
	assert.Equal(t, 1.0, PosteriorProbability(lbf))
	assert.Equal(t, 1.0, PosteriorProbability(math.Inf(1)))
	assert.Equal(t, 0.0, PosteriorProbability(math.Inf(-1)))
	assert.Equal(t, 0.0, PosteriorProbability(-76546))
	assert.InDelta(t, 0.5, PosteriorProbability(0), 1e-15)

	// The same through the test: an extreme split overflows BF.
	s := NewSequentialSRM(10000)
	s.StartStep([]float64{0.5, 0.5})
	s.Observe([]float64{200000, 1000})
	assert.Greater(t, s.LogBF(), 710.0)
	assert.Equal(t, 1.0, s.Posterior())
	assert.Equal(t, 0.0, s.PValue())
	assert.False(t, math.IsNaN(s.LogBF()))
}

// Units in an arm with expected share 0 cannot occur under the null.
func TestSSRMZeroShare(t *testing.T) {
	s := NewSequentialSRM(10000)
	s.StartStep([]float64{1, 0})
	s.Observe([]float64{10, 0})
	assert.False(t, math.IsNaN(s.LogBF()))
	assert.Equal(t, 1.0, s.PValue())
	s.Observe([]float64{10, 1})
	assert.True(t, math.IsInf(s.LogBF(), 1))
	assert.Equal(t, 0.0, s.PValue())
	assert.Equal(t, 1.0, s.Posterior())
	s.Observe([]float64{3, 0})
	assert.True(t, math.IsInf(s.LogBF(), 1))
}

// Two arms, null 50/50, one batch (reference §7.5 [C]), next to χ².
func TestSSRMTwoArmTable(t *testing.T) {
	cases := []struct {
		counts           []float64
		x2, x2p          float64
		bf4, p4, bf2, p2 float64
	}{
		{[]float64{5000, 5000}, 0, 1, -0.346586, 1, -2.31004, 1},
		{[]float64{4900, 5100}, 4, 0.0455003, 0.653481, 0.520232, -0.329512, 1},
		{[]float64{4800, 5200}, 16, 6.33425e-5, 3.65388, 0.0258905, 5.61361, 0.00364786},
		{[]float64{50500, 49500}, 10, 0.0015654, 3.34659, 0.0352043, 1.53826, 0.214754},
		{[]float64{821588, 815482}, 22.7744, 1.82179e-6, 8.76597, 1.5595e-4, 6.53237, 1.45556e-3},
	}
	for _, c := range cases {
		x2, p := ChiSquareGOF(c.counts, []float64{0.5, 0.5})
		if c.x2 == 0 {
			assert.Equal(t, 0.0, x2)
		} else {
			assert.InEpsilon(t, c.x2, x2, 5e-6, "%v", c.counts)
		}
		assert.InEpsilon(t, c.x2p, p, 1e-5, "%v", c.counts)
		for _, k := range []struct{ k, bf, p float64 }{{1e4, c.bf4, c.p4}, {100, c.bf2, c.p2}} {
			s := NewSequentialSRM(k.k)
			s.StartStep([]float64{0.5, 0.5})
			s.Observe(c.counts)
			assert.InEpsilon(t, k.bf, s.LogBF(), 1e-5, "%v k=%v", c.counts, k.k)
			assert.InEpsilon(t, k.p, s.PValue(), 1e-5, "%v k=%v", c.counts, k.k)
		}
	}
}

func TestChiSquareGOF(t *testing.T) {
	x2, p := ChiSquareGOF([]float64{0, 0}, []float64{1, 1})
	assert.Equal(t, 0.0, x2)
	assert.Equal(t, 1.0, p)
	// Three arms (df = 2): survival of χ²₂ is exp(−x/2).
	x2, p = ChiSquareGOF([]float64{30, 40, 30}, []float64{1, 1, 1})
	assert.InDelta(t, 2.0, x2, 1e-12)
	assert.InDelta(t, math.Exp(-1), p, 1e-12)
}

// Ramp with a per-step reset (reference §7.5 [C]): steps (treatment, rest;
// expected treatment share).
func TestSSRMRampReset(t *testing.T) {
	steps := []struct{ treat, rest, share float64 }{{130, 9870, 0.01}, {560, 9440, 0.05}, {1050, 8950, 0.10}}
	cases := []struct {
		k         float64
		step, cum []float64
		expNegCum []float64
		finalMinP float64
	}{
		{1e4, []float64{1.751818, 1.485664, 0.331792}, []float64{1.751818, 3.237483, 3.569275}, []float64{0.173458, 0.0392626, 0.0281763}, 0.0281763},
		{100, []float64{1.598581, 1.241917, -0.981847}, []float64{1.598581, 2.840499, 1.858652}, []float64{0.202183, 0.0583965, 0.155883}, 0.0583965},
	}
	for _, c := range cases {
		s := NewSequentialSRM(c.k)
		prev := 0.0
		for i, st := range steps {
			s.StartStep([]float64{st.share, 1 - st.share})
			s.Observe([]float64{st.treat, st.rest})
			assert.InDelta(t, c.step[i], s.LogBF()-prev, 1e-6, "k=%v step %d", c.k, i+1)
			assert.InDelta(t, c.cum[i], s.LogBF(), 1e-6, "k=%v step %d", c.k, i+1)
			assert.InEpsilon(t, c.expNegCum[i], math.Exp(-s.LogBF()), 1e-5, "k=%v step %d", c.k, i+1)
			prev = s.LogBF()
		}
		// Running minimum: 0.0584 from step 2 for k = 100.
		assert.InEpsilon(t, c.finalMinP, s.PValue(), 1e-5, "k=%v", c.k)
	}
}

// ssrm test_accumulator: one batch equals the same units one at a time.
func TestSSRMBatchEqualsSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	theta := []float64{0.2, 0.3, 0.5}
	for rep := 0; rep < 20; rep++ {
		k := []float64{1, 100, 1e4}[rep%3]
		one := NewSequentialSRM(k)
		one.StartStep(theta)
		counts := make([]float64, 3)
		n := 1 + rng.IntN(300)
		for range n {
			u := rng.Float64()
			arm := 0
			if u > 0.25 {
				arm = 1
			}
			if u > 0.55 {
				arm = 2
			}
			x := make([]float64, 3)
			x[arm] = 1
			counts[arm]++
			one.Observe(x)
		}
		batch := NewSequentialSRM(k)
		batch.StartStep(theta)
		batch.Observe(counts)
		require.InDelta(t, batch.LogBF(), one.LogBF(), 1e-9*(1+math.Abs(one.LogBF())))
		require.Equal(t, batch.Dirichlet(), one.Dirichlet())
		// The batch p-value is at least the running minimum of the sequence.
		require.GreaterOrEqual(t, batch.PValue(), one.PValue())
	}
}

// Marginal likelihoods are tracked only on request; the Bayes factor is the
// same either way.
func TestSSRMTrackMarginals(t *testing.T) {
	data := [][]float64{{20, 17, 9}, {18, 21, 8}, {4, 6, 4}, {18, 19, 11}}
	theta := []float64{0.4, 0.4, 0.2}
	plain := NewSequentialSRM(10000)
	plain.StartStep(theta)
	tracked := NewSequentialSRM(10000)
	tracked.TrackMarginals()
	tracked.StartStep(theta)
	for _, x := range data {
		plain.Observe(x)
		tracked.Observe(x)
	}
	assert.True(t, math.IsNaN(plain.LogM1()))
	assert.True(t, math.IsNaN(plain.LogM0()))
	assert.Equal(t, plain.LogBF(), tracked.LogBF())
	assert.InDelta(t, tracked.LogBF(), tracked.LogM1()-tracked.LogM0(), 1e-9)
	assert.InDelta(t, -0.0146435428, tracked.LogBF(), 1e-10)
}
