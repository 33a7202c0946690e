package detect

import (
	"fmt"
	"math"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
)

// LaunchDarklyBayesian approximates LaunchDarkly's legacy (before January
// 2026) "probability-based" guarded-rollout model, of which only the
// behaviour is documented (launchdarkly.com/docs/home/releases/
// regression-thresholds): a regression when the entire credible interval
// of the relative difference lies beyond the regression threshold on the
// worse side. The credible level, prior, likelihood and default threshold
// are not published, so they are parameters here: a flat prior and a
// normal posterior for the relative difference with the delta-method
// standard error (GrowthBook's variance of ratios), i.e. a regression when
// P(worse by more than Threshold) ≥ 1 − (1 − Credible)/2. It is checked at
// every check and is not anytime-valid.
type LaunchDarklyBayesian struct {
	// Credible is the credible-interval level (guardsim default 0.95).
	Credible float64
	// Threshold is the relative regression threshold, 0 to 1 (guardsim
	// default 0, "the most sensitive" in LaunchDarkly's words).
	Threshold float64
	MinPerArm int
}

// Name implements engine.DetectorFactory.
func (LaunchDarklyBayesian) Name() string { return "launchdarkly-bayesian" }

// NewDetectors implements engine.DetectorFactory.
func (l LaunchDarklyBayesian) NewDetectors(p engine.Policy) ([]engine.Detector, error) {
	if !(l.Credible > 0.5 && l.Credible < 1) || !(l.Threshold >= 0 && l.Threshold <= 1) {
		return nil, fmt.Errorf("launchdarkly-bayesian: credible %g must be in (0.5, 1) and threshold %g in [0, 1]", l.Credible, l.Threshold)
	}
	z := normQuantile(1 - (1-l.Credible)/2)
	return each(p, func(int) engine.Detector { return ldbDetector{l, z} }), nil
}

type ldbDetector struct {
	l LaunchDarklyBayesian
	z float64
}

func (d ldbDetector) Check(in *engine.DetectorInput) engine.Verdict {
	a, b := pooled(in.Strata)
	if a.N < 2 || b.N < 2 {
		return engine.Verdict{Note: "fewer than two contexts in an arm"}
	}
	lift, se := stats.RelativeDiff(a, b)
	if !(se > 0) || math.IsInf(se, 0) {
		return engine.Verdict{Note: "no variance yet, or a zero control mean"}
	}
	h := harmSign(in.Metric)
	// P(harm·lift > τ) under the Normal(lift, se²) posterior.
	prob := normSurvival((d.l.Threshold - h*lift) / se)
	v := engine.Verdict{
		Estimated: true, Estimate: lift, StdErr: se,
		Lower: lift - d.z*se, Upper: lift + d.z*se, Score: prob,
	}
	beyond := (h > 0 && v.Lower > d.l.Threshold) || (h < 0 && v.Upper < -d.l.Threshold)
	switch {
	case a.N < float64(d.l.MinPerArm) || b.N < float64(d.l.MinPerArm):
		v.Note = "fewer than min_per_arm contexts in an arm"
	case beyond:
		v.Kind = engine.VerdictRegression
		v.Note = fmt.Sprintf("%g%% credible interval of the relative difference [%.4g, %.4g] beyond the %g threshold; P(regression) = %.3g",
			100*d.l.Credible, v.Lower, v.Upper, d.l.Threshold, prob)
	default:
		v.Kind = engine.VerdictPass
		v.Note = fmt.Sprintf("P(regression beyond %g) = %.3g", d.l.Threshold, prob)
	}
	return v
}
