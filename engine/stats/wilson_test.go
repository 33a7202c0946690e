package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Wilson score intervals at 95%. The 17-digit values are the roots of
// (p̂ − p)² = z²p(1−p)/n solved in 40-digit arithmetic (mpmath); the
// 4-decimal ones are Newcombe (1998), Stat. Med. 17:857, Table I, method 3.
func TestWilson(t *testing.T) {
	cases := []struct {
		k, n           int
		lo, hi         float64
		newLo, newHi   float64
		newcombePrints bool
	}{
		{0, 10, 0, 0.27753279986288925, 0, 0, false},
		{5, 10, 0.23659309051256398, 0.76340690948743602, 0, 0, false},
		{10, 10, 0.72246720013711075, 1, 0, 0, false},
		{81, 263, 0.25528851987827423, 0.36620957698280007, 0.2553, 0.3662, true},
		{15, 148, 0.06238639953073628, 0.16048724172330804, 0.0624, 0.1605, true},
		{0, 20, 0, 0.16112515805281939, 0, 0.1611, true},
		{1, 29, 0.0061132142927626605, 0.17175521879320288, 0.0061, 0.1718, true},
	}
	for _, c := range cases {
		lo, hi := Wilson(c.k, c.n, Z95)
		assert.InDelta(t, c.lo, lo, 1e-12, "%d/%d", c.k, c.n)
		assert.InDelta(t, c.hi, hi, 1e-12, "%d/%d", c.k, c.n)
		if c.newcombePrints {
			assert.InDelta(t, c.newLo, lo, 5e-5, "%d/%d", c.k, c.n)
			assert.InDelta(t, c.newHi, hi, 5e-5, "%d/%d", c.k, c.n)
		}
	}
	lo, hi := Wilson(0, 0, Z95)
	assert.Equal(t, 0.0, lo)
	assert.Equal(t, 1.0, hi)
}

// TestWilsonEnds: no successes give a lower bound of exactly 0, all
// successes an upper bound of exactly 1.
func TestWilsonEnds(t *testing.T) {
	for _, n := range []int{1, 7, 2000, 20000} {
		lo, _ := Wilson(0, n, Z95)
		_, hi := Wilson(n, n, Z95)
		if lo != 0 || hi != 1 {
			t.Fatalf("n %d: Wilson(0) lo %g, Wilson(n) hi %g", n, lo, hi)
		}
	}
}
