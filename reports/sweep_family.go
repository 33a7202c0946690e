package reports

import (
	"github.com/guardsim/guardsim/sim/sweep"
)

// The sweep report's bounds: the any-metric false-rollback rate against
// the family bound in force, and each metric's rate against α
// (sim/sweep/tally_metric.go).

// metricFPRRow is one metric of one effect-0 cell.
type metricFPRRow struct {
	Policy, Alpha, Metric, Detections, Rate, CI, Verdict string
	Bad                                                  bool
}

// boundText describes a cell's family bound, e.g. "0.1 (2·α)" or
// "0.05 (overall_alpha, Bonferroni)".
func boundText(c sweep.Cell) string {
	if !(c.FamilyBound > 0) {
		return "—"
	}
	if c.FamilyRule == sweep.FamilyBonferroni {
		return fmtNum(c.FamilyBound) + " (overall_alpha, Bonferroni)"
	}
	return fmtNum(c.FamilyBound) + " (" + fmtInt(len(c.Metrics)) + "·α)"
}

// rateVerdict compares a rate's Wilson interval with a bound.
func rateVerdict(lo, hi, bound float64, name string) (string, bool) {
	switch {
	case !(bound > 0):
		return "—", false
	case lo > bound:
		return "exceeds " + name, true
	case hi < bound:
		return "below " + name, false
	}
	return "consistent with " + name, false
}

// familyName is how a verdict names the bound of the any-metric rate.
func familyName(c sweep.Cell) string {
	if len(c.Metrics) <= 1 {
		return "α"
	}
	if c.FamilyRule == sweep.FamilyBonferroni {
		return "overall_alpha"
	}
	return fmtInt(len(c.Metrics)) + "·α"
}

// metricFPRRows are the per-metric rows of the effect-0 cells (only with
// more than one metric: with one, the any-metric row says it all).
func metricFPRRows(res *sweep.Result) []metricFPRRow {
	var out []metricFPRRow
	for _, c := range res.Cells {
		if c.Effect != 0 || len(c.Metrics) < 2 {
			continue
		}
		for _, m := range c.Metrics {
			r := metricFPRRow{Policy: orDash(c.Policy), Alpha: fmtNum(c.Alpha), Metric: m.Key, Detections: fmtInt(m.Detections),
				Rate: fmtRate(m.Rate), CI: fmtCI(m.RateLo, m.RateHi)}
			r.Verdict, r.Bad = rateVerdict(m.RateLo, m.RateHi, c.Alpha, "α")
			out = append(out, r)
		}
	}
	return out
}

// shareText is a share with its Wilson interval.
func shareText(x, lo, hi float64) string { return fmtRate(x) + " " + fmtCI(lo, hi) }
