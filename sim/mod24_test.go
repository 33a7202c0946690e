package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMod24 checks the fast remainder against math.Mod bit for bit: on
// the hours of random times from 1970 to 2200, on random reals, and next
// to every multiple of 24 where rounding of x/24 can mislead the quotient.
func TestMod24(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(x float64) {
		t.Helper()
		if got, want := mod24(x), math.Mod(x, 24); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("mod24(%v) = %v, want %v", x, got, want)
		}
	}
	for range 300_000 {
		check(float64(rng.Int64N(7e18)) / 3.6e12)
		check(rng.Float64() * math.Pow(2, float64(rng.IntN(60))))
	}
	for k := 0.0; k < 3e5; k++ {
		y := k * 24
		for _, x := range []float64{y, math.Nextafter(y, 0), math.Nextafter(y, math.Inf(1)), y + 12} {
			check(x)
		}
	}
	for _, x := range []float64{0, -1, -25.5, 1 << 48, 1 << 60, math.Inf(1), math.NaN(), 23.999999999999996} {
		if got, want := mod24(x), math.Mod(x, 24); math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("mod24(%v) = %v, want %v", x, got, want)
		}
	}
}
