package stats

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMoments(t *testing.T) {
	var m Moments
	assert.Equal(t, 0.0, m.Mean())
	assert.Equal(t, 0.0, m.Var())
	for _, y := range []float64{2, 4, 4, 4, 5, 5, 7, 9} {
		m.Add(y)
	}
	assert.Equal(t, 5.0, m.Mean())
	assert.InDelta(t, 32.0/7, m.Var(), 1e-12)
	m.Replace(9, 1)
	assert.Equal(t, 8.0, m.N)
	assert.Equal(t, 4.0, m.Mean())
	assert.InDelta(t, (4+0+0+0+1+1+9+9)/7.0, m.Var(), 1e-12)
	// A constant sample has zero (never negative) variance.
	c := Moments{N: 3, Sum: 0.3, SumSq: 0.03}
	assert.GreaterOrEqual(t, c.Var(), 0.0)
	assert.InDelta(t, 0, c.Var(), 1e-15)
}

// Merging moments equals adding every observation to one sample.
func TestMomentsMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var all, a, b Moments
	for i := range 500 {
		y := rng.NormFloat64()*3 + 1
		all.Add(y)
		if i%3 == 0 {
			a.Add(y)
		} else {
			b.Add(y)
		}
	}
	a.Merge(b)
	require.Equal(t, all.N, a.N)
	require.InDelta(t, all.Mean(), a.Mean(), 1e-12)
	require.InEpsilon(t, all.Var(), a.Var(), 1e-12)
	bm := BinaryMoments(3, 10)
	var ones Moments
	for i := range 10 {
		if i < 3 {
			ones.Add(1)
		} else {
			ones.Add(0)
		}
	}
	require.Equal(t, ones, bm)
}
