package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// GrowthBook packages/shared/test/experiments.test.ts (reference §7.2).
func TestHolm(t *testing.T) {
	in := []float64{0.01, 0.04, 0.03, 0.005, 0.55, 0.6}
	got := Holm(in)
	// Sorted adjusted values for original indices [3, 0, 2, 1, 4, 5].
	idx := []int{3, 0, 2, 1, 4, 5}
	want := []float64{0.03, 0.05, 0.12, 0.12, 1, 1}
	for k, i := range idx {
		assert.InDelta(t, want[k], got[i], 1e-12, "index %d", i)
	}
	assert.Equal(t, []float64{0.01, 0.04, 0.03, 0.005, 0.55, 0.6}, in, "input unchanged")
}

func TestBenjaminiHochberg(t *testing.T) {
	in := []float64{0.898, 0.138, 0.007, 0.964, 0.538, 0.006, 0.138}
	got := BenjaminiHochberg(in)
	idx := []int{3, 0, 4, 1, 6, 2, 5}
	want := []float64{0.964, 0.964, 0.7532, 0.2415, 0.2415, 0.0245, 0.0245}
	for k, i := range idx {
		assert.InDelta(t, want[k], got[i], 5e-9, "index %d", i)
	}
}

func TestBonferroni(t *testing.T) {
	assert.InDeltaSlice(t, []float64{0.06, 0.3, 1}, Bonferroni([]float64{0.02, 0.1, 0.5}), 1e-15)
	assert.Empty(t, Holm(nil))
	assert.Empty(t, BenjaminiHochberg(nil))
	// Holm is never above Bonferroni and never below the raw p-value; BH is
	// never above Holm.
	p := []float64{0.001, 0.2, 0.013, 0.04, 0.0101, 0.9}
	b, h, bh := Bonferroni(p), Holm(p), BenjaminiHochberg(p)
	for i := range p {
		assert.LessOrEqual(t, h[i], b[i])
		assert.GreaterOrEqual(t, h[i], p[i])
		assert.LessOrEqual(t, bh[i], h[i])
	}
}
