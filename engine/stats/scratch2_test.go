package stats

import (
	"fmt"
	"testing"
)

func TestScratch2(t *testing.T) {
	a := Moments{N: 3000, Sum: 1396.87, SumSq: 52377.9767}
	b := Moments{N: 3461, Sum: 2422.7, SumSq: 134698.29}
	d, se := Difference(a, b, Absolute)
	n := a.N + b.N
	s2 := se * se * n
	rho := Rho(5000, 0.05, true)
	lo, hi := 1e-5, 0.4999
	for i := 0; i < 20; i++ {
		mid := (lo + hi) / 2
		bd := d - HalfWidthOneSided(s2, n, rho, mid)
		fmt.Printf("%d %.17g %.3e\n", i, mid, bd)
		if bd > 0 {
			hi = mid
		} else {
			lo = mid
		}
	}
}
