package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestThinningBoundsDecideExactly checks the thinning's shortcut against
// the rate itself: for daily amplitudes from 0.05 to 0.9 and peak hours
// including 0 and 23.5, at random times over several days (in time order,
// as the generator draws them, and jumping back and forth) and next to the
// peaks and troughs, accept(u, t) equals u < relRate(t) for random u and
// for u within a few ulps of the rate and of the segment's bounds.
func TestThinningBoundsDecideExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, a := range []float64{0.05, 0.4, 0.9} {
		for _, peak := range []float64{0, 15, 23.5} {
			g := &Generator{m: Model{Traffic: Traffic{DailyAmplitude: a, PeakHour: peak}}}
			s := start.UnixNano()
			check := func(u float64, at int64) {
				t.Helper()
				if got, want := g.accept(u, at), u < g.relRate(at); got != want {
					t.Fatalf("a %g peak %g t %d u %v: accept %v, u < relRate(t) = %v (rate %v)", a, peak, at, u, got, want, g.relRate(at))
				}
			}
			near := func(at int64) {
				r := g.relRate(at)
				g.accept(0, at) // bounds of at's segment
				for _, x := range []float64{r, g.thin.lo, g.thin.hi} {
					u := x
					for k := 0; k < 4; k++ {
						check(u, at)
						u = math.Nextafter(u, 0)
					}
					u = x
					for k := 0; k < 4; k++ {
						u = math.Nextafter(u, 2)
						check(u, at)
					}
				}
				check(rng.Float64(), at)
			}
			at := s
			for range 30_000 {
				at += rng.Int64N(int64(2 * time.Second))
				near(at)
			}
			for range 10_000 {
				near(s + rng.Int64N(int64(96*time.Hour)))
			}
			for day := 0; day < 4; day++ {
				for _, h := range []float64{peak, peak + 12} {
					c := s + int64(day)*int64(24*time.Hour) + int64(h*float64(time.Hour))
					for off := -int64(3 * time.Minute); off <= int64(3*time.Minute); off += int64(997 * time.Millisecond) {
						near(c + off)
					}
				}
			}
		}
	}
}
