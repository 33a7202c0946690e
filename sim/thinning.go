package sim

import "math"

// The arrival thinning accepts a draw at time t when u < relRate(t), and
// relRate costs a cosine. Over a minute the rate moves by at most about
// 0.1%, so bounds of relRate over the current minute decide almost every
// draw without it; only a u between the bounds (or a minute around a peak
// or a trough of the daily cycle, where the endpoints do not bound the
// rate) computes relRate(t) itself. The decisions, and so the stream, are
// exactly those of computing it every time.

// thinSegment is the length of a segment with bounds (1 minute).
const thinSegment = int64(60e9)

// thinBounds holds lo ≤ relRate(t) ≤ hi for every t in [start, end).
type thinBounds struct {
	start, end int64
	lo, hi     float64
}

// thinSlack covers the rounding of relRate (a few ulps of values ≤ 1):
// between the endpoints of a segment without an extremum the exact rate is
// monotonic, and the computed one is within 1e-15 of it.
const thinSlack = 1e-12

// accept reports whether u < g.relRate(t).
func (g *Generator) accept(u float64, t int64) bool {
	b := &g.thin
	if t < b.start || t >= b.end {
		g.bound(t)
	}
	if u < b.lo {
		return true
	}
	if u >= b.hi {
		return false
	}
	return u < g.relRate(t)
}

// bound sets the bounds of the segment starting at t.
func (g *Generator) bound(t int64) {
	b := &g.thin
	b.start, b.end = t, t+thinSegment
	// The rate's extrema are at the peak hour and 12 hours from it: a
	// segment that may hold one gets no bounds (every draw is exact).
	h0 := mod24(float64(t) / 3.6e12)
	d := float64(thinSegment) / 3.6e12
	x := math.Mod(g.m.Traffic.PeakHour-h0, 12)
	if x < 0 {
		x += 12
	}
	if x <= d+1e-6 || x >= 12-1e-6 {
		b.lo, b.hi = math.Inf(-1), math.Inf(1)
		return
	}
	r0, r1 := g.relRate(t), g.relRate(b.end)
	b.lo, b.hi = min(r0, r1)-thinSlack, max(r0, r1)+thinSlack
}
