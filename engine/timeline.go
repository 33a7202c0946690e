package engine

import "time"

// Decision is what the engine decided at a check.
type Decision string

const (
	DecisionStart    Decision = "start"    // the rollout started its first step
	DecisionContinue Decision = "continue" // nothing to do yet
	DecisionAdvance  Decision = "advance"  // the step ended; the next step starts
	DecisionExtend   Decision = "extend"   // the step lacks contexts; one extension
	DecisionHold     Decision = "hold"     // the step lacks contexts; holding
	DecisionComplete Decision = "complete" // the last step passed; rolled forward to 100%
	DecisionRollback Decision = "rollback" // rolled back to the original variation
	DecisionHalt     Decision = "halt"     // regression on a metric without auto-rollback
)

// Status is the state of a rollout.
type Status string

const (
	StatusRunning    Status = "running"
	StatusCompleted  Status = "completed"
	StatusRolledBack Status = "rolled_back"
	StatusHalted     Status = "halted"
)

// Reason explains a rollback or halt.
type Reason string

const (
	ReasonNone               Reason = ""
	ReasonRegression         Reason = "regression"
	ReasonSRM                Reason = "srm"
	ReasonInsufficientSample Reason = "insufficient_sample"
	// ReasonInconclusive: a detector's verdict was inconclusive and the
	// policy pauses on it (halt for manual judgement).
	ReasonInconclusive Reason = "inconclusive"
)

// ArmStats are the per-arm sample sizes and means of a metric.
type ArmStats struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	// Var is the unbiased sample variance of the per-context values.
	Var float64 `json:"var"`
}

// MetricCheck is one metric's state at a check.
type MetricCheck struct {
	Key string `json:"key"`
	// Original and New are the cumulative per-arm statistics over all steps.
	Original ArmStats `json:"original"`
	New      ArmStats `json:"new"`
	// Ready is false until the metric has enough data to be tested; the
	// fields below are zero then.
	Ready bool `json:"ready"`
	// Estimate is the step-stratified, precision-weighted estimate of the
	// absolute difference new − original.
	Estimate float64 `json:"estimate"`
	// StdErr is the standard error of Estimate.
	StdErr float64 `json:"std_err"`
	// Lower and Upper are Estimate ∓ the one-sided anytime-valid half-width;
	// the bound on the harmful side is the one the regression test uses.
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	// PValue is the one-sided always-valid p-value for "no regression"
	// (running minimum).
	PValue float64 `json:"p_value"`
	// Regressed is true when the detector's verdict is a regression (for
	// the default detector: the interval lies entirely on the harmful side).
	Regressed bool `json:"regressed"`
	// Verdict is the detector's verdict (not written: Detail carries it for
	// detectors other than the default).
	Verdict VerdictKind `json:"-"`
	// Detail is the verdict, score and explanation of a detector other than
	// the default ConfidenceSequence (nil for it, which keeps the default
	// timeline's format).
	Detail *VerdictDetail `json:"detector,omitempty"`
}

// VerdictDetail is what a non-default detector said at a check.
type VerdictDetail struct {
	Verdict VerdictKind `json:"verdict"`
	Score   float64     `json:"score"`
	Note    string      `json:"note"`
}

// SRMCheck is the sample-ratio-mismatch state at a check.
type SRMCheck struct {
	// PValue is the sequential (always-valid) p-value, the running minimum
	// of 1/BF over the product of per-step Bayes factors.
	PValue float64 `json:"p_value"`
	// LogBF is the log Bayes factor (product over steps).
	LogBF float64 `json:"log_bf"`
	// ChiSquare and ChiSquareP are the classical χ² goodness-of-fit statistic
	// and p-value (1 df) on the cumulative analysed counts, for comparison.
	ChiSquare  float64 `json:"chi_square"`
	ChiSquareP float64 `json:"chi_square_p"`
	// Mismatch is true when PValue ≤ the SRM alpha.
	Mismatch bool `json:"mismatch"`
}

// Check is one row of the decision timeline.
type Check struct {
	Time    time.Time     `json:"time"`
	Elapsed time.Duration `json:"elapsed"`
	// Step is the 1-based monitored step (0 before the start, len(steps)+1
	// once rolled forward to 100%).
	Step    int     `json:"step"`
	Percent float64 `json:"percent"`
	// Extended is true while the step runs its extension.
	Extended bool `json:"extended,omitempty"`
	// Contexts is the cumulative number of analysed contexts per arm
	// (index Original, New).
	Contexts [NumArms]int `json:"contexts"`
	// StepNewContexts is the number of contexts served the new variation
	// during the current step.
	StepNewContexts int           `json:"step_new_contexts"`
	Metrics         []MetricCheck `json:"metrics"`
	SRM             SRMCheck      `json:"srm"`
	Decision        Decision      `json:"decision"`
	Reason          Reason        `json:"reason,omitempty"`
	// Metric names the metric behind a regression decision.
	Metric string `json:"metric,omitempty"`
	// Note is a human-readable explanation of the decision.
	Note string `json:"note,omitempty"`
	// Health lists the health checks failing at this check (see health.go).
	Health []HealthIssue `json:"health,omitempty"`
}

// Counters are the events the engine saw but did not analyse.
type Counters struct {
	Events       int64 `json:"events"`
	Exposures    int64 `json:"exposures"`
	MetricEvents int64 `json:"metric_events"`
	// Unattributed metric events arrived before the context's first
	// analysed exposure.
	Unattributed int64 `json:"unattributed"`
	// OutsideExposures were served the original variation outside the analysis.
	OutsideExposures int64 `json:"outside_exposures"`
	// WrongKind exposures had a context kind other than the policy's.
	WrongKind int64 `json:"wrong_kind"`
	// Switched exposures showed a context in the other analysed arm than its
	// first exposure (it keeps its first arm).
	Switched int64 `json:"switched"`
	// OutsideMetrics are metric events of contexts served outside the analysis.
	OutsideMetrics int64 `json:"outside_metrics"`
	// AfterEnd events arrived after the rollout ended.
	AfterEnd int64 `json:"after_end"`
}

// Outcome is how a rollout ended (or where it stands).
type Outcome struct {
	Status Status `json:"status"`
	Reason Reason `json:"reason,omitempty"`
	// Metric names the regressed metric for reason regression.
	Metric string `json:"metric,omitempty"`
	// Time is when the rollout ended (zero while running).
	Time    time.Time     `json:"time"`
	Elapsed time.Duration `json:"elapsed"`
	Step    int           `json:"step"`
	Percent float64       `json:"percent"`
	// NewContexts is the number of distinct contexts exposed to the new
	// variation before the rollout ended.
	NewContexts int `json:"new_contexts"`
	// Seed is the bucketing seed the rollout used.
	Seed     int64    `json:"seed"`
	Counters Counters `json:"counters"`
	// Alerts are the notifications sent (or that failed).
	Alerts []AlertRecord `json:"alerts,omitempty"`
}

// Result is the complete record of one rollout: policy, timeline, outcome.
type Result struct {
	Policy   Policy    `json:"policy"`
	Start    time.Time `json:"start"`
	Timeline []Check   `json:"timeline"`
	Outcome  Outcome   `json:"outcome"`
}
