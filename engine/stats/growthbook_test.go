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
	gbA = Moments{N: 3000, Sum: 1396.87, SumSq: 52377.9767}
	gbB = Moments{N: 3461, Sum: 2422.7, SumSq: 134698.29}
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

// The GrowthBook sequential vectors G1–G6 and [C] live in
// testdata/vectors/growthbook.json (func sequential_cs), checked by
// engine/stats/kit TestVectors.

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

// The Welch vectors G9–G14 live in testdata/vectors/growthbook.json (func
// welch_t), checked by engine/stats/kit TestVectors.

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
