package bucket

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPickWeightsRange: for ranges [k/1024, (k+1)/1024) (and others) every
// decided pick equals PickWeights of values across the range (its ends,
// the value just below hi, random ones), an undecided range holds values
// that pick differently, and ranges far from every boundary are decided.
func TestPickWeightsRange(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	weightSets := [][]int{{}, {100000}, {50000, 50000}, {0, 100000, 0}}
	for _, p := range []int{1000, 5000, 10000, 25000, 50000, 333, 12345} {
		weightSets = append(weightSets, []int{p, 100000 - 2*p, p})
	}
	for range 50 {
		a, b := r.IntN(100001), r.IntN(100001)
		a, b = min(a, b), max(a, b)
		weightSets = append(weightSets, []int{a, b - a, 100000 - b}, []int{a, b - a}) // the second sums below 1
	}
	decided, undecided := 0, 0
	for _, w := range weightSets {
		for k := 0; k <= 1024; k++ {
			lo, hi := float32(k)/1024, float32(k+1)/1024
			got, ok := PickWeightsRange(lo, hi, w)
			vals := []float32{lo, math.Nextafter32(hi, 0)}
			for range 20 {
				vals = append(vals, lo+(hi-lo)*r.Float32())
			}
			picks := map[int]bool{}
			for _, v := range vals {
				if v < lo || v >= hi {
					continue
				}
				picks[PickWeights(v, w)] = true
				if ok {
					require.Equal(t, PickWeights(v, w), got, "weights %v, value %v in [%v, %v)", w, v, lo, hi)
				}
			}
			if ok {
				decided++
				continue
			}
			undecided++
			// A boundary lies inside: the values on either side of it differ.
			var sum float32
			found := false
			for _, wi := range w[:len(w)-1] { // the last entry takes every value above
				sum += float32(wi) / 100000.0
				if lo < sum && sum < hi {
					found = true
					require.NotEqual(t, PickWeights(math.Nextafter32(sum, 0), w), PickWeights(sum, w), "weights %v", w)
				}
			}
			require.True(t, found, "weights %v: [%v, %v) undecided without a boundary inside", w, lo, hi)
		}
	}
	require.Greater(t, decided, 50*undecided, "decided %d, undecided %d", decided, undecided)
}
