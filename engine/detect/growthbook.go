package detect

import (
	"fmt"
	"math"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
)

// GrowthBook is the guardrail rule of GrowthBook Safe Rollouts
// (packages/shared/src/experiments/experiments.ts getMetricResultStatus,
// with the analysis settings forced in safeRolloutSnapshots.ts): the
// frequentist one-sided sequential test (Waudby-Smith et al. asymptotic
// confidence sequence, tuning N*) on the absolute difference of the arms'
// pooled means; a guardrail is "lost" when it is significant on the losing
// side, has enough data and is not below the minimum change.
type GrowthBook struct {
	// Alpha is pValueThreshold (default 0.05, shared/src/constants.ts);
	// NStar the sequential tuning parameter (default 5000).
	Alpha, NStar float64
	// MinSample is minSampleSize (DEFAULT_MIN_SAMPLE_SIZE 150): the larger
	// of the two arms' metric totals (conversions or sums, not users) must
	// reach it, and both must be nonzero.
	MinSample float64
	// MinPercentChange is the relative change below which a significant
	// result does not count (default 0.005).
	MinPercentChange float64
}

// Name implements engine.DetectorFactory.
func (GrowthBook) Name() string { return "growthbook" }

// NewDetectors implements engine.DetectorFactory.
func (g GrowthBook) NewDetectors(p engine.Policy) ([]engine.Detector, error) {
	if !(g.Alpha > 0 && g.Alpha < 0.5) || !(g.NStar > 0) || g.MinSample < 0 || g.MinPercentChange < 0 {
		return nil, fmt.Errorf("growthbook: alpha %g, nstar %g, min_sample %g, min_percent_change %g out of range", g.Alpha, g.NStar, g.MinSample, g.MinPercentChange)
	}
	return each(p, func(int) engine.Detector { return gbDetector{g} }), nil
}

type gbDetector struct{ g GrowthBook }

func (d gbDetector) Check(in *engine.DetectorInput) engine.Verdict {
	a, b := pooled(in.Strata)
	alt := stats.Greater
	if in.Metric.Direction == engine.HigherIsBetter {
		alt = stats.Less
	}
	res := stats.SequentialCS(a, b, alt, d.g.Alpha, d.g.NStar, stats.Absolute)
	if math.IsInf(res.Lo, 0) && math.IsInf(res.Hi, 0) {
		return engine.Verdict{Score: 1, Note: "no variance yet"}
	}
	hw := res.Estimate - res.Lo
	if alt == stats.Less {
		hw = res.Hi - res.Estimate
	}
	v := engine.Verdict{
		Estimated: true, Estimate: res.Estimate, StdErr: res.SE,
		Lower: res.Estimate - hw, Upper: res.Estimate + hw, Score: res.P,
	}
	ta, tb := total(a), total(b)
	enough := ta != 0 && tb != 0 && math.Max(ta, tb) >= d.g.MinSample
	base := a.Mean()
	below := base == 0 || math.Abs(res.Estimate)/math.Abs(base) < d.g.MinPercentChange
	significant := res.P < d.g.Alpha
	losing := harmSign(in.Metric)*res.Estimate > 0
	switch {
	case !enough:
		v.Note = fmt.Sprintf("hold for minimum sample: metric totals %.4g and %.4g, need %g", ta, tb, d.g.MinSample)
	case significant && losing && !below:
		v.Kind = engine.VerdictRegression
		v.Note = fmt.Sprintf("guardrail lost: p = %.3g < %g", res.P, d.g.Alpha)
	case significant && losing:
		v.Kind = engine.VerdictPass
		v.Note = fmt.Sprintf("significant (p = %.3g) but below the minimum change %g", res.P, d.g.MinPercentChange)
	default:
		v.Kind = engine.VerdictPass
		v.Note = fmt.Sprintf("p = %.3g", res.P)
	}
	return v
}
