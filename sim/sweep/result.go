// Package sweep runs Monte Carlo sweeps of guarded-rollout policies over a
// parameter grid and summarises each cell: false-positive rate (effect 0) or
// power, with Wilson intervals, time to detection, contexts exposed before
// rollback, and the share of rollouts ended by SRM or insufficient sample.
package sweep

import "time"

// Fidelity is how a sweep simulates rollouts.
type Fidelity string

const (
	// EventLevel runs the full engine on synthetic events.
	EventLevel Fidelity = "event"
	// Aggregate draws per-interval sufficient statistics from their sampling
	// distribution and runs the same decision rules on them.
	Aggregate Fidelity = "aggregate"
)

// Cell is the summary of all replications at one grid point.
type Cell struct {
	// Params are the grid values of this cell, by parameter name
	// (e.g. "alpha", "nstar", "effect"), in grid order.
	Params []Param `json:"params"`
	// Policy is a label for the policy part of the grid (every parameter
	// except effect), e.g. "alpha=0.05 nstar=5000"; cells that share it are
	// one line in a power curve.
	Policy string  `json:"policy"`
	Alpha  float64 `json:"alpha"`
	Effect float64 `json:"effect"`
	Reps   int     `json:"reps"`
	// Detections counts rollouts rolled back (or halted) for regression.
	Detections int `json:"detections"`
	// Rate is Detections/Reps: the false-positive rate when Effect is 0,
	// the power otherwise; RateLo and RateHi are its Wilson 95% interval.
	Rate   float64 `json:"rate"`
	RateLo float64 `json:"rate_lo"`
	RateHi float64 `json:"rate_hi"`
	// DetectMedian and DetectP90 are the median and 90th percentile of the
	// time from the effect's onset (regression.start, or the start of
	// regression.start_step in that rollout; the rollout's start for an A/A
	// cell) to detection, over detections (zero when there were none).
	DetectMedian time.Duration `json:"detect_median"`
	DetectP90    time.Duration `json:"detect_p90"`
	// NewContextsMean is the mean number of contexts exposed to the new
	// variation before rollback, over rolled-back rollouts.
	NewContextsMean float64 `json:"new_contexts_mean"`
	// ExposureMedian is the median, over all replications, of the contexts
	// exposed to the new variation by the end of the rollout (rolled back,
	// halted, rolled forward or still running at the horizon): with an
	// effect, the exposure cost of the policy.
	ExposureMedian float64 `json:"exposure_median"`
	// SRMShare and InsufficientShare are the shares of rollouts ended by SRM
	// and by insufficient sample; CompletedShare those that completed.
	SRMShare          float64 `json:"srm_share"`
	InsufficientShare float64 `json:"insufficient_share"`
	CompletedShare    float64 `json:"completed_share"`
	// The Wilson 95% intervals of the three shares.
	SRMShareLo          float64 `json:"srm_share_lo"`
	SRMShareHi          float64 `json:"srm_share_hi"`
	InsufficientShareLo float64 `json:"insufficient_share_lo"`
	InsufficientShareHi float64 `json:"insufficient_share_hi"`
	CompletedShareLo    float64 `json:"completed_share_lo"`
	CompletedShareHi    float64 `json:"completed_share_hi"`
	// Metrics are the per-metric rates, in the policy's metric order: the
	// share of rollouts ended by regression in which each metric flagged
	// it (tally_metric.go). At effect 0 each is that metric's false-rollback
	// rate, bounded by Alpha, while Rate is the any-metric rate.
	Metrics []MetricRate `json:"metrics"`
	// FamilyBound bounds the any-metric false-rollback rate (Rate at
	// effect 0): overall_alpha when the policy sets it (FamilyRule
	// "bonferroni": each metric at overall_alpha/M), else M·Alpha
	// ("union").
	FamilyBound float64 `json:"family_bound"`
	FamilyRule  string  `json:"family_rule"`
}

// Param is one grid parameter value.
type Param struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// Text is the value of a text parameter (policy: the policy's name;
	// Value is then its index in the grid).
	Text string `json:"text,omitempty"`
}

// Result is a whole sweep.
type Result struct {
	Scenario string   `json:"scenario"`
	Fidelity Fidelity `json:"fidelity"`
	Seed     uint64   `json:"seed"`
	Reps     int      `json:"reps"`
	// Grid is the grid as given, e.g. "alpha=0.01,0.05;effect=0,0.01".
	Grid  string `json:"grid"`
	Cells []Cell `json:"cells"`
}
