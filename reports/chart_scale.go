package reports

import (
	"math"
	"slices"

	"github.com/guardsim/guardsim/engine"
)

// This file holds what a difference chart's y axis shows: the unit and
// scale of the values (percentage points for binary metrics, the metric's
// unit otherwise) and the range, chosen from the informative part of the
// band.

// valueScale is how a metric's differences are charted.
type valueScale struct {
	// Factor multiplies the engine's values (100 for binary metrics: a
	// difference of proportions becomes percentage points).
	Factor float64
	// Unit follows numbers in titles ("pp", "ms"; "" for none).
	Unit string
	// AxisUnit is the unit as the y axis label spells it.
	AxisUnit string
}

// scaleOf is the chart scale of metric m: binary metrics in percentage
// points, others in the metric's unit (Metric.Unit, from the scenario's
// `unit:` or the key's suffix).
func scaleOf(m engine.Metric) valueScale {
	if m.Kind == engine.Binary {
		return valueScale{Factor: 100, Unit: "pp", AxisUnit: "percentage points"}
	}
	return valueScale{Factor: 1, Unit: m.Unit, AxisUnit: m.Unit}
}

// num formats a charted value with three significant digits and its unit.
func (s valueScale) num(v float64) string {
	return withUnit(titleNum(v), s.Unit)
}

// mean formats an arm's mean: a percentage for binary metrics (the
// conversion rate, not a difference), else the value and the unit.
func (s valueScale) mean(v float64) string {
	if s.Unit == "pp" {
		return fmtNum(100*v) + "%"
	}
	return withUnit(fmtNum(v), s.Unit)
}

func withUnit(num, unit string) string {
	if unit == "" {
		return num
	}
	return num + " " + unit
}

// yAxisLabel is the y axis label of a difference chart.
func (s valueScale) yAxisLabel() string {
	if s.AxisUnit == "" {
		return "difference (new − original)"
	}
	return "new − original (" + s.AxisUnit + ")"
}

// bandPoint is one ready check on a difference chart, in charted units.
type bandPoint struct{ x, est, lo, hi float64 }

// informativeFactor: a check's band counts towards the y range when it is
// at most this many times as wide as the typical band of the later half of
// the rollout.
const informativeFactor = 2

// yRange is the y range of a difference chart whose ready checks are pts
// (in time order): zero and every estimate always; the bands of the
// informative checks — those at most informativeFactor times as wide as the
// median band of the later half of the checks, and the last check — so that
// the early, wide bands of a low-traffic step do not flatten the rest (they
// are clipped and marked). A 6% margin is added on both sides.
func yRange(pts []bandPoint) (lo, hi float64) {
	for _, p := range pts {
		lo, hi = math.Min(lo, p.est), math.Max(hi, p.est)
	}
	if n := len(pts); n > 0 {
		late := make([]float64, 0, n-n/2)
		for _, p := range pts[n/2:] {
			late = append(late, p.hi-p.lo)
		}
		slices.Sort(late)
		limit := informativeFactor * late[len(late)/2]
		for i, p := range pts {
			if p.hi-p.lo <= limit || i == n-1 {
				lo, hi = math.Min(lo, p.lo), math.Max(hi, p.hi)
			}
		}
	}
	if hi-lo == 0 {
		lo, hi = -1, 1
	}
	pad := 0.06 * (hi - lo)
	return lo - pad, hi + pad
}

// metricYRange is the y range of metric k's difference chart in the
// engine's units (not scaled): what DifferenceChart sets, for report.html's
// tiles, which draw the same band and so clip the same checks.
func metricYRange(res *engine.Result, k int) (lo, hi float64) {
	vs := scaleOf(res.Policy.Metrics[k])
	var pts []bandPoint
	for i := range res.Timeline {
		c := &res.Timeline[i]
		if k < len(c.Metrics) {
			if m := c.Metrics[k]; m.Ready && finite(m.Estimate, m.Lower, m.Upper) {
				pts = append(pts, bandPoint{0, vs.Factor * m.Estimate, vs.Factor * m.Lower, vs.Factor * m.Upper})
			}
		}
	}
	lo, hi = yRange(pts)
	return lo / vs.Factor, hi / vs.Factor
}

// ClippedBand is a check whose interval band reaches beyond the chart's y
// range; the chart marks it with a triangle at the edge it crosses.
type ClippedBand struct {
	// X is the check's position on the time axis (hours or days).
	X float64
	// Above and Below say which edges the band crosses.
	Above, Below bool
}

// clippedBands lists the points of pts whose band leaves [lo, hi].
func clippedBands(pts []bandPoint, lo, hi float64) []ClippedBand {
	var out []ClippedBand
	for _, p := range pts {
		if c := (ClippedBand{X: p.x, Above: p.hi > hi, Below: p.lo < lo}); c.Above || c.Below {
			out = append(out, c)
		}
	}
	return out
}
