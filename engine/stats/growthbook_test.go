package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GrowthBook gbstats test inputs (reference §7.1):
// SampleMeanStatistic(sum, sum_squares, n).
var (
	gbA     = Moments{N: 3000, Sum: 1396.87, SumSq: 52377.9767}
	gbB     = Moments{N: 3461, Sum: 2422.7, SumSq: 134698.29}
	gbA3407 = Moments{N: 3407, Sum: 1396.87, SumSq: 52377.9767}
)

func TestGrowthBookInputs(t *testing.T) {
	assert.InDelta(t, 0.4656233333333333, gbA.Mean(), 1e-15)
	assert.InDelta(t, 17.248269901422695, gbA.Var(), 1e-12)
	assert.InDelta(t, 0.7, gbB.Mean(), 1e-15)
	assert.InDelta(t, 38.44, gbB.Var(), 1e-12)
	d, se := Difference(gbA, gbB, Absolute)
	assert.InDelta(t, 0.23437666666666668, d, 1e-15)
	assert.InDelta(t, 0.12983081254184736, se, 1e-15)
	lift, lse := RelativeDiff(gbA, gbB)
	assert.InDelta(t, 0.5033610858562358, lift, 1e-15)
	assert.InDelta(t, 0.3334122146400735, lse, 1e-14)
	assert.InDelta(t, 0.03557768852889753, Rho(5000, 0.05, true), 1e-16)
	assert.InDelta(t, 0.03984006677137368, Rho(5000, 0.05, false), 1e-16)
}

// G1–G6 and the extra [C] vectors: the sequential tests.
func TestGrowthBookSequential(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name       string
		a, b       Moments
		alt        Alternative
		nstar      float64
		scale      Scale
		lo, hi     float64
		ciTol      float64
		p, pTol    float64
		est, estTo float64
	}{
		{"G1 greater absolute", gbA, gbB, Greater, 5000, Absolute, -0.12656844172804982, inf, 1e-9, 0.4630473577946261, 1e-9, 0.23437666666666668, 1e-12},
		{"G2 lesser absolute", gbA, gbB, Less, 5000, Absolute, -inf, 0.5953217750613832, 1e-9, 1, 0, 0.23437666666666668, 1e-12},
		{"G3 greater relative", gbA, gbB, Greater, 5000, Relative, -0.42356454602790883, inf, 1e-9, 0.8603465387643118, 1e-9, 0.5033610858562358, 1e-12},
		{"G4 lesser relative", gbA, gbB, Less, 5000, Relative, -inf, 1.4302867177403806, 1e-9, 1, 0, 0.5033610858562358, 1e-12},
		{"G5 two-sided relative N*=1000", gbA, gbB, TwoSided, 1000, Relative, -0.5584405051077315, 1.5651626768202032, 1e-9, 1, 0, 0.50336, 5e-6},
		// G6 is printed to 5 decimals; p = 5.17e-44 (reference [R]).
		{"G6 proportions two-sided relative", ProportionMoments(1396, 3000), ProportionMoments(2422, 3461), TwoSided, 5000, Relative, 0.40098, 0.60675, 5e-6, 5.17e-44, 0.005e-44, 0.50386, 5e-6},
		{"[C] two-sided absolute", gbA, gbB, TwoSided, 5000, Absolute, -0.16011652842982782, 0.6288698617631612, 1e-9, 0.7601250075467714, 1e-9, 0.23437666666666668, 1e-12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := SequentialCS(c.a, c.b, c.alt, 0.05, c.nstar, c.scale)
			assert.InDelta(t, c.est, r.Estimate, c.estTo)
			if math.IsInf(c.lo, -1) {
				assert.True(t, math.IsInf(r.Lo, -1))
			} else {
				assert.InDelta(t, c.lo, r.Lo, c.ciTol)
			}
			if math.IsInf(c.hi, 1) {
				assert.True(t, math.IsInf(r.Hi, 1))
			} else {
				assert.InDelta(t, c.hi, r.Hi, c.ciTol)
			}
			assert.InDelta(t, c.p, r.P, c.pTol)
		})
	}
	// G6 standard error, printed 0.03386.
	r := SequentialCS(ProportionMoments(1396, 3000), ProportionMoments(2422, 3461), TwoSided, 0.05, 5000, Relative)
	assert.InDelta(t, 0.03386, r.SE, 5e-6)
	// G5 standard error 0.33341.
	assert.InDelta(t, 0.33341, SequentialCS(gbA, gbB, TwoSided, 0.05, 1000, Relative).SE, 5e-6)
}

// GrowthBook's bisection p-values for G1–G4: 0.46316491943359384 (G1) and
// the 0.4999 cap (G2, G3, G4).
func TestOneSidedPValueGrowthBook(t *testing.T) {
	n := gbA.N + gbB.N
	rho := Rho(5000, 0.05, true)
	d, se := Difference(gbA, gbB, Absolute)
	s2 := se * se * n
	g1 := OneSidedPValueGrowthBook(d, s2, n, rho)
	assert.InDelta(t, 0.46316491943359384, g1, 1e-4)
	// The bracket-midpoint return reproduces GrowthBook to the last digit.
	assert.InDelta(t, 0.46316491943359384, g1, 1e-15)
	assert.InDelta(t, 0.4630473577946261, OneSidedPValue(d, s2, n, rho), 1e-9)
	assert.InDelta(t, 0.4999, OneSidedPValueGrowthBook(-d, s2, n, rho), 1e-4) // G2
	lift, lse := RelativeDiff(gbA, gbB)
	ls2 := lse * lse * n
	assert.InDelta(t, 0.4999, OneSidedPValueGrowthBook(lift, ls2, n, rho), 1e-4)  // G3
	assert.InDelta(t, 0.4999, OneSidedPValueGrowthBook(-lift, ls2, n, rho), 1e-4) // G4
	// Lower cap: a huge effect excludes 0 already at α = 1e-5.
	assert.Equal(t, 1e-5, OneSidedPValueGrowthBook(100*d, s2, n, rho))
	// Inside the range the bisection agrees with the closed form to ~1e-4.
	for _, k := range []float64{1.5, 2, 2.5, 3} {
		assert.InDelta(t, OneSidedPValue(k*d, s2, n, rho), OneSidedPValueGrowthBook(k*d, s2, n, rho), 2e-4, "k=%v", k)
	}
}

// G9–G14: fixed-horizon Welch t-tests.
func TestGrowthBookWelch(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name       string
		a, b       Moments
		alt        Alternative
		scale      Scale
		est        float64
		lo, hi     float64
		se         float64
		p, tol     float64
		seTol, pTo float64
	}{
		{"G9 greater absolute", gbA, gbB, Greater, Absolute, 0.23437666666666668, 0.020791480063255735, inf, 0.12983081254184736, 0.03554272489873023, 1e-9, 1e-12, 1e-9},
		{"G10 lesser absolute", gbA, gbB, Less, Absolute, 0.23437666666666668, -inf, 0.44796185327007765, 0.12983081254184736, 0.9644572751012698, 1e-9, 1e-12, 1e-9},
		{"G11 greater relative", gbA, gbB, Greater, Relative, 0.5033610858562358, -0.045136675850396046, inf, 0.3334122146400735, 0.06558262868467746, 1e-9, 1e-12, 1e-9},
		{"G12 two-sided absolute", gbA3407, gbB, TwoSided, Absolute, 0.29, 0.04538, 0.53462, 0.12478, 0.02016, 5e-6, 5e-6, 5e-6},
		{"G13 two-sided relative", gbA3407, gbB, TwoSided, Relative, 0.70732, -0.03526, 1.44989, 0.37879, 0.06191, 5e-6, 5e-6, 5e-6},
		{"G14 proportions relative", ProportionMoments(14, 28), ProportionMoments(16, 30), TwoSided, Relative, 0.06667, -0.47767, 0.61101, 0.2717, 0.80707, 5e-6, 5e-5, 5e-6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := WelchT(c.a, c.b, c.alt, 0.05, c.scale)
			assert.InDelta(t, c.est, r.Estimate, 5e-6)
			assert.InDelta(t, c.se, r.SE, c.seTol)
			if math.IsInf(c.lo, -1) {
				assert.True(t, math.IsInf(r.Lo, -1))
			} else {
				assert.InDelta(t, c.lo, r.Lo, c.tol)
			}
			if math.IsInf(c.hi, 1) {
				assert.True(t, math.IsInf(r.Hi, 1))
			} else {
				assert.InDelta(t, c.hi, r.Hi, c.tol)
			}
			assert.InDelta(t, c.p, r.P, c.pTo)
		})
	}
}

// The unbiased binary variance (BinaryMoments) does not reproduce G14: the
// GrowthBook proportion variance p(1−p) is needed.
func TestProportionVarianceForm(t *testing.T) {
	pm := ProportionMoments(14, 28)
	assert.InDelta(t, 0.25, pm.Var(), 1e-15)
	assert.InDelta(t, 0.5, pm.Mean(), 1e-15)
	bm := BinaryMoments(14, 28)
	assert.InDelta(t, 0.25*28/27, bm.Var(), 1e-15)
	r := WelchT(BinaryMoments(14, 28), BinaryMoments(16, 30), TwoSided, 0.05, Relative)
	assert.Greater(t, math.Abs(r.P-0.80707), 1e-3)
	assert.Equal(t, Moments{}, ProportionMoments(1, 0))
}

// §1.4: the mSPRT V form with τ² = ρ²s² gives GrowthBook's two-sided CI.
func TestUnifyingIdentity(t *testing.T) {
	d, se := Difference(gbA, gbB, Absolute)
	n := gbA.N + gbB.N
	s2 := se * se * n
	rho := Rho(5000, 0.05, false)
	v := s2 / n
	tau2 := rho * rho * s2
	lo, hi, p, _ := MSPRTVForm(d, v, tau2, 0.05)
	assert.InDelta(t, -0.16011652842982782, lo, 1e-12)
	assert.InDelta(t, 0.6288698617631612, hi, 1e-12)
	assert.InDelta(t, 0.7601250075467714, p, 1e-12)
	hw := HalfWidthTwoSided(s2, n, rho, 0.05)
	assert.InDelta(t, hw, hi-d, 1e-12)
	// confseq in intrinsic time v = 1/V, ρ̃ = 1/τ², on S = Δ̂/V.
	assert.InDelta(t, hw/v, NormalMixtureBound(1/v, 0.05, 1/tau2, false), 1e-9*hw/v)
	// One-sided: HalfWidthOneSided is GrowthBook's closed-form bound / v.
	r1 := Rho(5000, 0.05, true)
	assert.InDelta(t, HalfWidthOneSided(s2, n, r1, 0.05),
		v*NormalMixtureBoundGrowthBook(1/v, 0.05, 1/(r1*r1*s2)), 1e-12)
}

// G8: the confidence sequence is narrowest near n = N*.
func TestTuningOrdering(t *testing.T) {
	n := gbA.N + gbB.N
	_, se := Difference(gbA, gbB, Absolute)
	s2 := se * se * n
	w := func(nstar float64) float64 { return HalfWidthTwoSided(s2, n, Rho(nstar, 0.05, false), 0.05) }
	assert.Less(t, w(6461), w(10))
	assert.Less(t, w(6461), w(10000))
	// Over a grid of N*, the minimum is within 15% of the actual n.
	best, bestW := 0.0, math.Inf(1)
	for nstar := 100.0; nstar <= 100000; nstar *= 1.01 {
		if x := w(nstar); x < bestW {
			best, bestW = nstar, x
		}
	}
	assert.InEpsilon(t, n, best, 0.15)
	r := SequentialCS(gbA, gbB, TwoSided, 0.05, 6461, Absolute)
	require.Less(t, r.Hi-r.Lo, SequentialCS(gbA, gbB, TwoSided, 0.05, 10, Absolute).Hi-SequentialCS(gbA, gbB, TwoSided, 0.05, 10, Absolute).Lo)
	require.Less(t, r.Hi-r.Lo, SequentialCS(gbA, gbB, TwoSided, 0.05, 10000, Absolute).Hi-SequentialCS(gbA, gbB, TwoSided, 0.05, 10000, Absolute).Lo)
}

func TestDegenerateInputs(t *testing.T) {
	r := SequentialCS(Moments{}, gbB, Greater, 0.05, 5000, Absolute)
	assert.Equal(t, 1.0, r.P)
	assert.True(t, math.IsInf(r.Lo, -1) && math.IsInf(r.Hi, 1))
	r = WelchT(Moments{N: 5, Sum: 5, SumSq: 5}, Moments{N: 5, Sum: 10, SumSq: 20}, TwoSided, 0.05, Absolute)
	assert.Equal(t, 1.0, r.P)
	_, se := RelativeDiff(Moments{N: 10}, gbB)
	assert.True(t, math.IsInf(se, 1))
}
