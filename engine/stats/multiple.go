package stats

import (
	"math"
	"sort"
)

// Multiple-testing adjustments of a family of p-values (GrowthBook
// packages/shared adjustedPValues). Each returns adjusted p-values in the
// order of the input, capped at 1; the input is not modified.

// order returns the indices of p sorted by increasing p (stable).
func order(p []float64) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return p[idx[i]] < p[idx[j]] })
	return idx
}

// Bonferroni is min(1, m·pᵢ) for m p-values.
func Bonferroni(p []float64) []float64 {
	m := float64(len(p))
	out := make([]float64, len(p))
	for i, x := range p {
		out[i] = math.Min(1, m*x)
	}
	return out
}

// Holm is the Holm–Bonferroni step-down adjustment: with p₍₁₎ ≤ … ≤ p₍ₘ₎,
// the k-th smallest gets maxⱼ≤ₖ min(1, (m−j+1)·p₍ⱼ₎).
func Holm(p []float64) []float64 {
	m := len(p)
	out := make([]float64, m)
	run := 0.0
	for k, i := range order(p) {
		run = math.Max(run, math.Min(1, float64(m-k)*p[i]))
		out[i] = run
	}
	return out
}

// BenjaminiHochberg is the Benjamini–Hochberg step-up (false discovery
// rate) adjustment: the k-th smallest gets minⱼ≥ₖ min(1, m·p₍ⱼ₎/j).
func BenjaminiHochberg(p []float64) []float64 {
	m := len(p)
	out := make([]float64, m)
	idx := order(p)
	run := 1.0
	for k := m - 1; k >= 0; k-- {
		i := idx[k]
		run = math.Min(run, float64(m)*p[i]/float64(k+1))
		out[i] = run
	}
	return out
}
