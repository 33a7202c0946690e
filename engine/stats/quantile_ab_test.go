package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mathext"
)

// bruteGreaterLogE evaluates the one-sided statistic at every candidate
// value directly, without the branch-and-bound pruning.
func bruteGreaterLogE(a, b []float64, p, tOpt float64, null QuantileShift) float64 {
	v := p * (1 - p)
	ma := NewBetaBinomialMixture(tOpt*v, 0.05, p, 1-p, true)
	mb := NewBetaBinomialMixture(tOpt*v, 0.05, 1-p, p, true)
	na, nb := float64(len(a)), float64(len(b))
	best := math.Inf(1)
	var cand []float64
	cand = append(cand, a...)
	for _, y := range b {
		cand = append(cand, (y-null.Shift)/null.Scale)
	}
	for _, x := range cand {
		ca, cb := 0.0, 0.0
		for _, y := range a {
			if y < x {
				ca++
			}
		}
		for _, y := range b {
			if y <= null.Scale*x+null.Shift {
				cb++
			}
		}
		best = math.Min(best, ma.LogMixture(ca-p*na, v*na)+mb.LogMixture(p*nb-cb, v*nb))
	}
	return best
}

func TestQuantileGreaterMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for rep := range 60 {
		na, nb := 20+rng.IntN(300), 20+rng.IntN(300)
		a, b := make([]float64, na), make([]float64, nb)
		shift := []float64{0, 0.3, 1, -0.5}[rep%4]
		for i := range a {
			a[i] = math.Round(rng.NormFloat64()*4) / 4
		}
		for i := range b {
			b[i] = math.Round((rng.NormFloat64()+shift)*4) / 4
		}
		slices.Sort(a)
		slices.Sort(b)
		p := []float64{0.5, 0.9, 0.99}[rep%3]
		null := []QuantileShift{{Scale: 1}, {Scale: 1, Shift: 0.2}, {Scale: 1.1}}[rep%3]
		want := bruteGreaterLogE(a, b, p, 100, null)
		got := QuantileGreaterLogE(a, b, p, 100, 0.05, null)
		require.InDelta(t, want, got, 1e-9, "rep %d", rep)
	}
	assert.Equal(t, 0.0, QuantileGreaterLogE(nil, []float64{1}, 0.5, 100, 0.05, QuantileShift{}))
}

// The directional test has evidence only in its direction, and the
// evidence grows with the shift.
func TestQuantileGreaterDirection(t *testing.T) {
	seq := func(off float64) []float64 {
		s := make([]float64, 1000)
		for i := range s {
			s[i] = off + float64(i+1)
		}
		return s
	}
	up := QuantileGreaterLogE(seq(0), seq(100), 0.5, 100, 0.05, QuantileShift{})
	up2 := QuantileGreaterLogE(seq(0), seq(150), 0.5, 100, 0.05, QuantileShift{})
	down := QuantileGreaterLogE(seq(100), seq(0), 0.5, 100, 0.05, QuantileShift{})
	assert.Greater(t, up, math.Log(20))
	assert.Greater(t, up2, up)
	assert.Less(t, down, 0.0)
	// A margin as large as the shift removes the evidence.
	assert.Less(t, QuantileGreaterLogE(seq(0), seq(100), 0.5, 100, 0.05, QuantileShift{Scale: 1, Shift: 100}), 0.0)
	// One-sided evidence beats the two-sided test's for the same data.
	assert.Less(t, math.Exp(-up), QuantileABPValue(seq(0), seq(100), 0.5, 100, 0.05))
}

// Anytime validity under the null, with continuous monitoring: 300 seeded
// reps, each looking after every 30 values per arm up to 600 (20 looks);
// the rate of ever reaching p ≤ 0.05 is at most α + 3 SE. Equal
// distributions (the boundary of the null) and a benign shift.
func TestQuantileGreaterAnytimeValid(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	const reps, n, look, alpha = 300, 600, 30, 0.05
	for _, c := range []struct {
		p, shift float64
	}{{0.5, 0}, {0.9, 0}, {0.9, -0.2}} {
		rng := rand.New(rand.NewPCG(11, uint64(c.p*100)))
		rejected := 0
		for range reps {
			var a, b []float64
			for i := 0; i < n; i += look {
				for range look {
					a = append(a, rng.ExpFloat64())
					b = append(b, rng.ExpFloat64()+c.shift)
				}
				sa, sb := slices.Clone(a), slices.Clone(b)
				slices.Sort(sa)
				slices.Sort(sb)
				if QuantileGreaterLogE(sa, sb, c.p, 500, 0.05, QuantileShift{}) >= math.Log(1/alpha) {
					rejected++
					break
				}
			}
		}
		rate := float64(rejected) / reps
		t.Logf("p=%v shift=%v: rate %.4f", c.p, c.shift, rate)
		assert.LessOrEqual(t, rate, alpha+3*math.Sqrt(alpha*(1-alpha)/reps), "p=%v shift=%v: rate %.4f", c.p, c.shift, rate)
	}
}

// ln I_x(a, b) agrees with gonum's RegIncBeta where that is representable
// and stays finite in the far tail where it underflows.
func TestLogRegIncBeta(t *testing.T) {
	for _, c := range [][3]float64{{2, 3, 0.4}, {0.5, 0.5, 0.1}, {50, 70, 0.3}, {50, 70, 0.6}, {1e3, 2e3, 0.33}, {5, 1e4, 1e-3}} {
		want := math.Log(mathext.RegIncBeta(c[0], c[1], c[2]))
		assert.InDelta(t, want, logRegIncBeta(c[0], c[1], c[2]), 1e-9*math.Max(1, math.Abs(want)), "%v", c)
	}
	assert.Equal(t, 0.0, mathext.RegIncBeta(5000, 5000, 0.3))
	l := logRegIncBeta(5000, 5000, 0.3)
	assert.False(t, math.IsInf(l, 0))
	assert.Less(t, l, -700.0)
	// Monotone in x.
	assert.Less(t, logRegIncBeta(5000, 5000, 0.29), l)
}
