package detect

import (
	"fmt"
	"math"

	"github.com/guardsim/guardsim/engine"
)

// Target is what a threshold rule (Flagger, Argo) measures in each
// analysis interval. Neither tool compares arms itself: a comparison with
// the primary has to be written into the query (Flagger issue #739), which
// Difference and Relative stand for.
type Target uint8

const (
	// TargetRelative is new/original − 1 of the interval values.
	TargetRelative Target = iota
	// TargetDifference is new − original.
	TargetDifference
	// TargetNew is the new variation's value alone (Flagger's built-in
	// metrics are evaluated on the canary only).
	TargetNew
)

// ParseTarget parses relative, difference or new.
func ParseTarget(s string) (Target, error) {
	switch s {
	case "relative":
		return TargetRelative, nil
	case "difference":
		return TargetDifference, nil
	case "new":
		return TargetNew, nil
	}
	return 0, fmt.Errorf("target %q must be relative, difference or new", s)
}

func (t Target) String() string {
	switch t {
	case TargetDifference:
		return "difference"
	case TargetNew:
		return "new"
	}
	return "relative"
}

// measure is the interval's measurement, oriented so that larger is worse
// (the harmful direction of the metric), and whether there was data.
func measure(t Target, in *engine.DetectorInput, iv *intervals) (harm, raw float64, ok bool) {
	vals, _ := iv.next(in.Strata)
	h := harmSign(in.Metric)
	switch t {
	case TargetNew:
		raw = vals[1]
	case TargetDifference:
		raw = vals[1] - vals[0]
	default:
		raw = vals[1]/vals[0] - 1
	}
	if math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 0, raw, false
	}
	return h * raw, raw, true
}

// Flagger is Flagger's canary analysis (pkg/controller/scheduler_metrics.go,
// pkg/apis/flagger/v1beta1/canary.go): each analysis interval every metric
// is evaluated once; a value beyond its threshold, or no value, fails the
// check; the first failing metric ends the check and increments the
// canary's failed-checks counter, which is cumulative (never reset during
// a rollout); the canary rolls back when the counter reaches Threshold
// (analysis.threshold, default 1 — GetAnalysisThreshold).
type Flagger struct {
	Target Target
	// Limit is the harmful bound on the target: the interval fails when
	// its value is worse than Limit (above it for lower-is-better metrics,
	// below it for higher-is-better ones; for TargetNew the bound is on
	// the value itself). Flagger has no default for custom metrics;
	// guardsim's is a 10% relative regression.
	Limit     float64
	Threshold int
}

// Name implements engine.DetectorFactory.
func (Flagger) Name() string { return "flagger" }

// NewDetectors implements engine.DetectorFactory. The detectors of one
// rollout share the canary's failed-checks counter.
func (f Flagger) NewDetectors(p engine.Policy) ([]engine.Detector, error) {
	if f.Threshold < 1 {
		return nil, fmt.Errorf("flagger: threshold %d must be at least 1", f.Threshold)
	}
	st := &flaggerState{at: -1}
	return each(p, func(int) engine.Detector { return &flaggerDetector{f: f, st: st} }), nil
}

type flaggerState struct {
	at          int64 // elapsed time of the current check
	checkFailed bool
	failed      int
}

type flaggerDetector struct {
	f  Flagger
	st *flaggerState
	iv intervals
}

func (d *flaggerDetector) Check(in *engine.DetectorInput) engine.Verdict {
	if int64(in.Elapsed) != d.st.at {
		d.st.at, d.st.checkFailed = int64(in.Elapsed), false
	}
	harm, raw, ok := measure(d.f.Target, in, &d.iv)
	limit := d.f.Limit
	if d.f.Target == TargetNew {
		limit = harmSign(in.Metric) * d.f.Limit
	}
	v := engine.Verdict{Kind: engine.VerdictPass}
	fails := !ok || harm > limit
	if ok {
		v.Estimated, v.Estimate, v.Lower, v.Upper = true, raw, raw, raw
	}
	if fails && !d.st.checkFailed {
		d.st.checkFailed = true
		d.st.failed++
		if d.st.failed >= d.f.Threshold {
			v.Kind = engine.VerdictRegression
		}
	}
	v.Score = float64(d.st.failed)
	switch {
	case !ok:
		v.Note = fmt.Sprintf("no values found for the interval; failed checks %d of %d", d.st.failed, d.f.Threshold)
	case fails:
		v.Note = fmt.Sprintf("%s %.4g beyond the limit %g; failed checks %d of %d", d.f.Target, raw, d.f.Limit, d.st.failed, d.f.Threshold)
	default:
		v.Note = fmt.Sprintf("%s %.4g within the limit %g; failed checks %d of %d", d.f.Target, raw, d.f.Limit, d.st.failed, d.f.Threshold)
	}
	return v
}

// Argo is an Argo Rollouts AnalysisRun metric (analysis/analysis.go,
// utils/evaluate/evaluate.go, utils/defaults/defaults.go) measured once per
// check interval, with the conditions "result ≤ Success" (success) and
// "result > Failure" (failure) on the harm-oriented target: both hold →
// Failed; only success → Successful; neither → Inconclusive; no data →
// Error. The metric is Failed when Failed > FailureLimit (default 0; a
// negative limit disables it), Inconclusive when Inconclusive >
// InconclusiveLimit (default 0), Error when consecutive errors exceed
// ConsecutiveErrorLimit (default 4); a later rule overrides an earlier one
// (Error beats Inconclusive beats Failed). Failed and Error abort the
// rollout; Inconclusive pauses it for manual judgement.
type Argo struct {
	Target                                             Target
	Success, Failure                                   float64
	FailureLimit, InconclusiveLimit, ConsecutiveErrors int
}

// Name implements engine.DetectorFactory.
func (Argo) Name() string { return "argo" }

// NewDetectors implements engine.DetectorFactory.
func (a Argo) NewDetectors(p engine.Policy) ([]engine.Detector, error) {
	if a.InconclusiveLimit < 0 || a.ConsecutiveErrors < 0 {
		return nil, fmt.Errorf("argo: inconclusive_limit %d and consecutive_error_limit %d must not be negative", a.InconclusiveLimit, a.ConsecutiveErrors)
	}
	if a.Success > a.Failure {
		return nil, fmt.Errorf("argo: success bound %g is above the failure bound %g", a.Success, a.Failure)
	}
	return each(p, func(int) engine.Detector { return &argoDetector{a: a} }), nil
}

type argoDetector struct {
	a                                       Argo
	iv                                      intervals
	failed, inconclusive, successful, errsC int
}

func (d *argoDetector) Check(in *engine.DetectorInput) engine.Verdict {
	harm, raw, ok := measure(d.a.Target, in, &d.iv)
	phase := "Error"
	switch {
	case !ok:
		d.errsC++
	case harm > d.a.Failure:
		phase = "Failed"
		d.failed++
		d.errsC = 0
	case harm <= d.a.Success:
		phase = "Successful"
		d.successful++
		d.errsC = 0
	default:
		phase = "Inconclusive"
		d.inconclusive++
		d.errsC = 0
	}
	v := engine.Verdict{Kind: engine.VerdictPass, Score: float64(d.failed)}
	if ok {
		v.Estimated, v.Estimate, v.Lower, v.Upper = true, raw, raw, raw
	}
	status := "Running"
	if d.a.FailureLimit >= 0 && d.failed > d.a.FailureLimit {
		status, v.Kind = "Failed", engine.VerdictRegression
	}
	if d.inconclusive > d.a.InconclusiveLimit {
		status, v.Kind = "Inconclusive", engine.VerdictInconclusive
	}
	if d.errsC > d.a.ConsecutiveErrors {
		status, v.Kind = "Error", engine.VerdictRegression
	}
	v.Note = fmt.Sprintf("measurement %s (%s %.4g; success ≤ %g, failure > %g); metric %s: failed %d, inconclusive %d, consecutive errors %d",
		phase, d.a.Target, raw, d.a.Success, d.a.Failure, status, d.failed, d.inconclusive, d.errsC)
	return v
}
