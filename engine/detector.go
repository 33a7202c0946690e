package engine

import (
	"fmt"
	"math"
	"time"

	"github.com/guardsim/guardsim/engine/stats"
)

// VerdictKind is a detector's judgement of one metric at one check.
type VerdictKind uint8

const (
	// VerdictNotEnoughData: the detector cannot judge yet.
	VerdictNotEnoughData VerdictKind = iota
	// VerdictPass: no regression (yet).
	VerdictPass
	// VerdictInconclusive: the data is neither clearly good nor clearly bad
	// (Argo Rollouts pauses on it).
	VerdictInconclusive
	// VerdictRegression: the new variation regressed on the metric.
	VerdictRegression
)

func (k VerdictKind) String() string {
	switch k {
	case VerdictPass:
		return "pass"
	case VerdictInconclusive:
		return "inconclusive"
	case VerdictRegression:
		return "regression"
	}
	return "not_enough_data"
}

// MarshalText writes the verdict's name.
func (k VerdictKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a verdict's name.
func (k *VerdictKind) UnmarshalText(b []byte) error {
	for _, c := range []VerdictKind{VerdictNotEnoughData, VerdictPass, VerdictInconclusive, VerdictRegression} {
		if c.String() == string(b) {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("unknown verdict %q", b)
}

// Verdict is a detector's answer at one check.
type Verdict struct {
	Kind VerdictKind
	// Estimated is true when Estimate, StdErr, Lower and Upper hold the
	// detector's estimate of the difference and its interval (a detector
	// may estimate and still lack data to judge, e.g. below min_per_arm).
	Estimated bool
	// Estimate is the detector's estimate of the difference new − original
	// (its own scale: absolute, relative or a location shift).
	Estimate, StdErr float64
	// Lower and Upper bound the difference (one of them may be infinite).
	Lower, Upper float64
	// Score is the detector's test statistic on its own scale: a p-value,
	// a posterior probability, a canary score or a failure count.
	Score float64
	// Note is a one-line explanation.
	Note string
	// Critical marks a failure that fails the rollout whatever the other
	// metrics say (Kayenta's critical metrics; used by a Scorer).
	Critical bool
}

// DetectorInput is what a detector sees at a check for one metric.
type DetectorInput struct {
	// Metric is the metric's definition and Index its position in the policy.
	Metric Metric
	Index  int
	// Strata holds, per step of the schedule (0-based), the moments of the
	// per-context values of the contexts first analysed in that step, one
	// per arm (A original, B new), cumulative since the start. Steps after
	// Step are empty. The detector must not modify or keep the slice.
	Strata []stats.Stratum
	// Step is the 0-based current step; StepEnded is true when this check
	// ends the step (or its extension); LastStep when it is the last one.
	Step      int
	StepEnded bool
	LastStep  bool
	// Elapsed is the time since the start of the rollout.
	Elapsed time.Duration
	// Quantiles holds a percentile metric's event values per step, one
	// sample per arm; nil for other kinds. Ratios holds a ratio metric's
	// per-step, per-arm ratio moments; nil for other kinds. (Strata then
	// hold the per-context mean value, or the contexts' zero placeholders,
	// for minimum-context rules.) The detector must not modify them.
	Quantiles []stats.QuantileStratum
	Ratios    []stats.RatioStratum
}

// Detector judges one metric of one rollout at each check. It keeps its own
// state between checks (a running minimum p-value, a failure counter, a
// time series); a new rollout gets new detectors. Check is called once per
// check, in time order.
type Detector interface {
	Check(in *DetectorInput) Verdict
}

// DetectorFactory makes the detectors of a rollout, one per metric of the
// policy (index i judges p.Metrics[i]); the policy is the rollout's, with
// defaults applied. Detectors of one rollout may share state (Flagger's
// failed-checks counter is the canary's, not a metric's); a factory must be
// safe to call concurrently, as sweeps run rollouts in parallel.
type DetectorFactory interface {
	// Name is the detector's name (e.g. "confidence-sequence").
	Name() string
	NewDetectors(p Policy) ([]Detector, error)
}

// Scorer is implemented by detector factories whose decision is a score
// over all metrics at once (Kayenta's judge). When the policy's factory is
// a Scorer, the rollout calls Score after the detectors with their
// verdicts, and a regression is declared when fail is true (blaming metric,
// or no metric when it is −1) instead of on any single verdict.
type Scorer interface {
	Score(verdicts []Verdict, stepEnded bool) (fail bool, metric int, score float64, note string)
}

// ConfidenceSequence is the default detector (LaunchDarkly's current
// guarded-rollout rule): the step-stratified, precision-weighted estimate
// of the difference and its one-sided normal-mixture confidence sequence
// (ρ from the policy's N* with 2α); a regression is the interval entirely on
// the harmful side with at least min_per_arm contexts per arm. Its score is
// the always-valid one-sided p-value (running minimum).
type ConfidenceSequence struct{}

// Name implements DetectorFactory.
func (ConfidenceSequence) Name() string { return "confidence-sequence" }

// NewDetectors implements DetectorFactory.
func (ConfidenceSequence) NewDetectors(p Policy) ([]Detector, error) {
	alpha := p.MetricAlpha()
	rho := stats.Rho(p.NStar, alpha, true)
	ds := make([]Detector, len(p.Metrics))
	for i := range ds {
		ds[i] = &csDetector{alpha: alpha, rho: rho, minPerArm: float64(p.MinPerArm), nstar: p.NStar, pmin: 1}
	}
	return ds, nil
}

type csDetector struct {
	alpha, rho, minPerArm float64
	nstar                 float64
	pmin                  float64
	// scratch for percentile, ratio and margin checks (detect_kinds.go)
	plain, shifted []stats.StratumEstimate
}

func (d *csDetector) Check(in *DetectorInput) Verdict {
	if in.Metric.Kind == Percentile || in.Metric.Kind == Ratio || in.Metric.Margin != 0 {
		return d.checkKind(in)
	}
	diff, ok := stats.Stratify(in.Strata)
	if !ok {
		return Verdict{Score: d.pmin, Note: "no step has two contexts with varying values in each arm"}
	}
	hw := stats.HalfWidthOneSided(diff.S2(), diff.N, d.rho, d.alpha)
	v := Verdict{
		Estimated: true,
		Estimate:  diff.Estimate,
		StdErr:    math.Sqrt(diff.V),
		Lower:     diff.Estimate - hw,
		Upper:     diff.Estimate + hw,
	}
	harm := diff.Estimate
	higher := in.Metric.Direction == HigherIsBetter
	if higher {
		harm = -harm
	}
	if p := stats.OneSidedPValue(harm, diff.S2(), diff.N, d.rho); p < d.pmin {
		d.pmin = p
	}
	v.Score = d.pmin
	switch {
	case diff.NA < d.minPerArm || diff.NB < d.minPerArm:
		v.Kind = VerdictNotEnoughData
		v.Note = "fewer than min_per_arm contexts in an arm"
	case (higher && v.Upper < 0) || (!higher && v.Lower > 0):
		v.Kind = VerdictRegression
		v.Note = "confidence sequence entirely on the harmful side"
	default:
		v.Kind = VerdictPass
		v.Note = "confidence sequence includes no harm"
	}
	return v
}
