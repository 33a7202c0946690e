package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The half-widths shrink as n grows at fixed per-unit variance.
func TestHalfWidthDecreasesInN(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 200 {
		s2 := math.Exp(4 * rng.NormFloat64())
		alpha := 0.001 + 0.2*rng.Float64()
		nstar := math.Exp(4 + 8*rng.Float64())
		r1, r2 := Rho(nstar, alpha, true), Rho(nstar, alpha, false)
		prev1, prev2 := math.Inf(1), math.Inf(1)
		for n := 2.0; n < 1e8; n *= 1.3 {
			h1 := HalfWidthOneSided(s2, n, r1, alpha)
			h2 := HalfWidthTwoSided(s2, n, r2, alpha)
			require.Less(t, h1, prev1, "n=%v s2=%v α=%v N*=%v", n, s2, alpha, nstar)
			require.Less(t, h2, prev2, "n=%v s2=%v α=%v N*=%v", n, s2, alpha, nstar)
			prev1, prev2 = h1, h2
		}
	}
}

// OneSidedPValue ≤ α exactly when the one-sided bound (same ρ) excludes 0;
// likewise TwoSidedPValue and the two-sided interval.
func TestPValueMatchesInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	checked := 0
	for _, alpha := range []float64{0.001, 0.01, 0.05, 0.1, 0.2} {
		for _, n := range []float64{20, 200, 2000, 20000, 2e5} {
			for range 200 {
				s2 := math.Exp(2 * rng.NormFloat64())
				rho1 := Rho(math.Exp(3+9*rng.Float64()), alpha, true)
				rho2 := Rho(math.Exp(3+9*rng.Float64()), alpha, false)
				d := (rng.Float64()*2 - 0.5) * 3 * math.Sqrt(s2/n) * 4
				h1 := HalfWidthOneSided(s2, n, rho1, alpha)
				h2 := HalfWidthTwoSided(s2, n, rho2, alpha)
				if math.Abs(d-h1) > 1e-9*h1 {
					require.Equal(t, d-h1 > 0, OneSidedPValue(d, s2, n, rho1) <= alpha,
						"d=%v hw=%v p=%v α=%v", d, h1, OneSidedPValue(d, s2, n, rho1), alpha)
					checked++
				}
				if math.Abs(math.Abs(d)-h2) > 1e-9*h2 {
					require.Equal(t, math.Abs(d) > h2, TwoSidedPValue(d, s2, n, rho2) <= alpha,
						"d=%v hw=%v p=%v α=%v", d, h2, TwoSidedPValue(d, s2, n, rho2), alpha)
					checked++
				}
			}
		}
	}
	require.Greater(t, checked, 9000)
}

// At the boundary the closed-form p-value equals α.
func TestOneSidedPValueInverts(t *testing.T) {
	for _, alpha := range []float64{0.001, 0.05, 0.3} {
		rho := Rho(5000, alpha, true)
		hw := HalfWidthOneSided(2.5, 4000, rho, alpha)
		require.InEpsilon(t, alpha, OneSidedPValue(hw, 2.5, 4000, rho), 1e-9)
		rho2 := Rho(5000, alpha, false)
		hw2 := HalfWidthTwoSided(2.5, 4000, rho2, alpha)
		require.InEpsilon(t, alpha, TwoSidedPValue(hw2, 2.5, 4000, rho2), 1e-9)
		require.InEpsilon(t, alpha, TwoSidedPValue(-hw2, 2.5, 4000, rho2), 1e-9)
	}
	require.Equal(t, 1.0, OneSidedPValue(-1, 1, 100, 0.03))
	require.Equal(t, 0.0, OneSidedPValue(1, 0, 100, 0.03))
}
