package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuantileMinN(t *testing.T) {
	// n > z²·ν/(1−ν): 380.3 for p99, 73.0 for p95 (reference §1(a)).
	assert.InDelta(t, 380.3, QuantileMinN(0.99), 0.05)
	assert.InDelta(t, 73.0, QuantileMinN(0.95), 0.05)
	assert.InEpsilon(t, QuantileMinN(0.01), QuantileMinN(0.99), 1e-14)
	sorted := make([]float64, 381)
	for i := range sorted {
		sorted[i] = float64(i)
	}
	assert.True(t, QuantileFromSorted(sorted, 0.99).Usable())
	assert.False(t, QuantileFromSorted(sorted[:380], 0.99).Usable())
	// Collapsed bounds (ties) are unusable however large n is.
	assert.False(t, QuantileFromSorted(make([]float64, 5000), 0.5).Usable())
	_, se := QuantileDiff(QuantileFromSorted(sorted[:380], 0.99), QuantileFromSorted(sorted, 0.99), Absolute)
	assert.True(t, math.IsInf(se, 1))
}

// The outer-interval variance gives a quantile-difference interval with
// its nominal coverage: 3000 seeded reps of two lognormal samples of 1500
// at p95, true difference 0; 95% coverage ± 3 SE (SE = 0.004).
func TestQuantileDiffCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const reps, n = 3000, 1500
	a, b := make([]float64, n), make([]float64, n)
	cover := 0
	for range reps {
		for i := range a {
			a[i] = math.Exp(rng.NormFloat64())
			b[i] = math.Exp(rng.NormFloat64())
		}
		slices.Sort(a)
		slices.Sort(b)
		d, se := QuantileDiff(QuantileFromSorted(a, 0.95), QuantileFromSorted(b, 0.95), Absolute)
		if math.Abs(d) <= z975*se {
			cover++
		}
	}
	rate := float64(cover) / reps
	assert.InDelta(t, 0.95, rate, 3*math.Sqrt(0.95*0.05/reps), "coverage %.4f", rate)
}

func TestQuantileSampleExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	q := NewQuantileSample(1000, 9)
	var all []float64
	for batch := range 7 {
		for range 50 + 30*batch {
			x := math.Round(rng.NormFloat64()*10) / 2 // ties
			q.Add(x)
			all = append(all, x)
		}
		want := slices.Clone(all)
		slices.Sort(want)
		require.Equal(t, want, q.Sorted(), "batch %d", batch)
		require.True(t, q.Exact())
	}
	assert.Equal(t, int64(len(all)), q.Seen())
	assert.Equal(t, len(all), q.Len())
	assert.Positive(t, q.Bytes())
	assert.Equal(t, []float64(nil), NewQuantileSample(0, 1).Sorted())
}

// Past the cap the sample is a uniform random subsample of the stream:
// every position of the stream is kept with probability cap/n.
func TestQuantileSampleReservoir(t *testing.T) {
	const capN, n, reps = 100, 1000, 400
	keptEarly := 0
	for r := range reps {
		q := NewQuantileSample(capN, uint64(r))
		for i := range n {
			q.Add(float64(i))
			if i == 500 {
				q.Sorted() // a sort mid-stream must not break the reservoir
			}
		}
		s := q.Sorted()
		require.Len(t, s, capN)
		require.True(t, sort.Float64sAreSorted(s))
		require.False(t, q.Exact())
		for _, x := range s {
			if x < 100 {
				keptEarly++
			}
		}
	}
	// Expected kept from the first 100 values: reps·100·cap/n = 4000;
	// binomial SD ≈ 60.
	assert.InDelta(t, 4000, keptEarly, 4*60)
	// Same seed, same sample.
	x, y := NewQuantileSample(10, 5), NewQuantileSample(10, 5)
	for i := range 100 {
		x.Add(float64(i))
		y.Add(float64(i))
	}
	assert.Equal(t, x.Sorted(), y.Sorted())
}

func TestCombineEqualsStratify(t *testing.T) {
	strata := []Stratum{
		{A: Moments{N: 50, Sum: 60, SumSq: 120}, B: Moments{N: 45, Sum: 70, SumSq: 160}},
		{A: Moments{N: 300, Sum: 330, SumSq: 700}, B: Moments{N: 310, Sum: 360, SumSq: 790}},
		{A: Moments{N: 1}, B: Moments{N: 10, Sum: 1, SumSq: 1}}, // skipped by both
	}
	want, ok := Stratify(strata)
	require.True(t, ok)
	var est []StratumEstimate
	for _, s := range strata {
		if s.A.N < 2 || s.B.N < 2 {
			est = append(est, StratumEstimate{V: math.Inf(1)})
			continue
		}
		est = append(est, StratumEstimate{Estimate: s.B.Mean() - s.A.Mean(), V: s.A.Var()/s.A.N + s.B.Var()/s.B.N, NA: s.A.N, NB: s.B.N})
	}
	got, ok := Combine(est)
	require.True(t, ok)
	assert.InDelta(t, want.Estimate, got.Estimate, 1e-15)
	assert.InDelta(t, want.V, got.V, 1e-18)
	assert.Equal(t, want.N, got.N)
	assert.Equal(t, want.Strata, got.Strata)
	_, ok = Combine([]StratumEstimate{{V: 0}, {V: math.NaN()}})
	assert.False(t, ok)
}

func TestMarginShifted(t *testing.T) {
	cases := []struct {
		name          string
		m             Margin
		lowerIsBetter bool
		est, v        float64
	}{
		{"none", Margin{}, true, 1.5, 0.5 + 0.25},
		{"absolute up", Margin{Value: 1}, true, 0.5, 0.75},
		{"absolute down", Margin{Value: 1}, false, 2.5, 0.75},
		{"relative up", Margin{Value: 0.1, Relative: true}, true, 12 - 1.1*10.5, 0.5 + 1.21*0.25},
		{"relative down", Margin{Value: 0.1, Relative: true}, false, 12 - 0.9*10.5, 0.5 + 0.81*0.25},
	}
	for _, c := range cases {
		var s StratumEstimate
		if c.m.Relative {
			s = c.m.Shifted(10.5, 0.25, 100, 12, 0.5, 90, c.lowerIsBetter)
		} else {
			s = c.m.Shifted(10, 0.25, 100, 11.5, 0.5, 90, c.lowerIsBetter)
		}
		assert.InDelta(t, c.est, s.Estimate, 1e-12, c.name)
		assert.InDelta(t, c.v, s.V, 1e-12, c.name)
		assert.Equal(t, 100.0, s.NA)
		assert.Equal(t, 90.0, s.NB)
	}
	assert.True(t, Margin{}.IsZero())
}
