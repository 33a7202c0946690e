package engine

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/guardsim/guardsim/engine/schedule"
	"github.com/guardsim/guardsim/engine/stats"
)

// MetricKind says how a metric's per-context value is formed.
type MetricKind uint8

const (
	// Binary metrics: a context converted (any metric event) or not.
	Binary MetricKind = iota
	// Numeric metrics: the per-context mean or sum of the event values.
	Numeric
	// Percentile metrics: the Quantile of the event values themselves
	// (every request's latency), compared between the arms.
	Percentile
	// Ratio metrics: Σ numerator / Σ denominator over the arm's contexts,
	// each a metric key summed per context (errors per request).
	Ratio
)

func (k MetricKind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case Percentile:
		return "percentile"
	case Ratio:
		return "ratio"
	}
	return "binary"
}

// Percentile methods.
const (
	// MethodGrowthBook is the default percentile method: GrowthBook's
	// outer-interval quantile variance per step, combined by inverse
	// variance, in the same one-sided confidence sequence as other metrics.
	MethodGrowthBook = "growthbook"
	// MethodNonparametric is Howard & Ramdas' distribution-free anytime-valid
	// quantile test (one-sided, per-step blocks multiplied).
	MethodNonparametric = "nonparametric"
)

// Aggregation is how a numeric metric's events are combined per context.
type Aggregation uint8

const (
	// Mean averages the values of a context's events; contexts with no event
	// are not in the sample.
	Mean Aggregation = iota
	// Sum adds the values of a context's events; every exposed context is in
	// the sample (zero when it has no event).
	Sum
)

func (a Aggregation) String() string {
	if a == Sum {
		return "sum"
	}
	return "mean"
}

// Direction says which way a metric is better.
type Direction int8

const (
	// LowerIsBetter: a regression is an interval entirely above zero
	// (e.g. latency, error rate).
	LowerIsBetter Direction = iota
	// HigherIsBetter: a regression is an interval entirely below zero
	// (e.g. conversion).
	HigherIsBetter
)

func (d Direction) String() string {
	if d == HigherIsBetter {
		return "higher_is_better"
	}
	return "lower_is_better"
}

// Metric is one monitored metric.
type Metric struct {
	Key         string      `json:"key"`
	Kind        MetricKind  `json:"kind"`
	Aggregation Aggregation `json:"aggregation"`
	Direction   Direction   `json:"direction"`
	// NoAutoRollback makes a regression on this metric halt the rollout and
	// alert instead of rolling back.
	NoAutoRollback bool `json:"no_auto_rollback,omitempty"`
	// MinContexts is the minimum number of distinct new-arm contexts that,
	// in the current step, were served the new variation and had at least
	// one event of this metric (returning contexts included) before the
	// step may advance (see minimum.go).
	MinContexts int `json:"min_contexts,omitempty"`

	// Quantile is the level of a percentile metric, in (0, 1) (0.99 = p99).
	Quantile float64 `json:"quantile,omitempty"`
	// Method is a percentile metric's test: MethodGrowthBook (default, "")
	// or MethodNonparametric.
	Method string `json:"method,omitempty"`
	// Numerator and Denominator are a ratio metric's event keys, each summed
	// per context. They need not be metrics themselves.
	Numerator   string `json:"numerator,omitempty"`
	Denominator string `json:"denominator,omitempty"`
	// Margin is the tolerated regression: a regression is declared only
	// when the interval lies entirely beyond it on the harmful side. It is
	// in the metric's units, or a share of the original arm's value when
	// MarginRelative (0.01 = 1%).
	Margin         float64 `json:"margin,omitempty"`
	MarginRelative bool    `json:"margin_relative,omitempty"`
	// Unit is the unit of the metric's values ("ms", "USD"), for labels
	// only; the engine does not use it.
	Unit string `json:"unit,omitempty"`
}

// MarginSpec is the metric's margin as a stats.Margin.
func (m Metric) MarginSpec() stats.Margin {
	return stats.Margin{Value: m.Margin, Relative: m.MarginRelative}
}

// InsufficientAction is what happens when a step still lacks its minimum
// contexts after its one extension.
type InsufficientAction uint8

const (
	// RollbackOnInsufficient rolls back with reason insufficient_sample.
	RollbackOnInsufficient InsufficientAction = iota
	// HoldOnInsufficient keeps the step running until the minimum is met.
	HoldOnInsufficient
)

func (a InsufficientAction) String() string {
	if a == HoldOnInsufficient {
		return "hold"
	}
	return "rollback"
}

// Policy is everything that decides how a guarded rollout behaves. The zero
// values of the numeric fields mean "the default" (see WithDefaults).
type Policy struct {
	ProjectKey     string `json:"project_key"`
	EnvironmentKey string `json:"environment_key"`
	FlagKey        string `json:"flag_key"`
	// ContextKind is the randomization unit ("" means "user"). Exposures of
	// other kinds are not analysed.
	ContextKind string `json:"context_kind"`
	// Seed is the bucketing seed of this guarded rollout. Each rollout draws
	// its own, so a restarted rollout reassigns contexts.
	Seed int64 `json:"seed"`

	Steps []schedule.Step `json:"steps"`
	// CheckInterval is how often the engine evaluates (default 1h).
	CheckInterval time.Duration `json:"check_interval"`
	// MinContexts is the minimum number of contexts served the new variation
	// during a step before it may advance (0: no minimum; scenarios default
	// to DefaultMinContexts).
	MinContexts int `json:"min_contexts"`
	// Extension is the length of the one extension granted to a step that
	// lacks its minimum contexts (default: the step's own duration).
	Extension time.Duration `json:"extension"`
	// OnInsufficient is rollback (default) or hold.
	OnInsufficient InsufficientAction `json:"on_insufficient"`

	// Alpha is the per-metric one-sided level (default 0.05).
	Alpha float64 `json:"alpha"`
	// OverallAlpha, when positive, is split across the metrics (Bonferroni)
	// and overrides Alpha.
	OverallAlpha float64 `json:"overall_alpha,omitempty"`
	// NStar is the confidence-sequence tuning sample size (default 5000).
	NStar float64 `json:"nstar"`
	// MinPerArm is the number of contexts each arm needs in a metric's
	// sample before a regression may be declared (default 30).
	MinPerArm int `json:"min_per_arm"`

	// SRMAlpha is the sequential SRM rejection level (default 0.001).
	SRMAlpha float64 `json:"srm_alpha"`
	// SRMConcentration is the Dirichlet prior concentration (default 10000).
	SRMConcentration float64 `json:"srm_concentration"`
	// NoSRMRollback disables rollback on SRM (it is still reported).
	NoSRMRollback bool `json:"no_srm_rollback,omitempty"`

	Metrics []Metric `json:"metrics"`

	// Name is the named policy this one was built from ("" for guardsim's
	// default, the LaunchDarkly rule) and Params its overrides, as given.
	Name   string            `json:"name,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	// SRMChiSquare tests SRM with the classical χ² goodness-of-fit p-value
	// on the cumulative analysed counts (GrowthBook) instead of the
	// sequential test, once at least SRMMinTotal contexts are analysed.
	SRMChiSquare bool `json:"srm_chi_square,omitempty"`
	SRMMinTotal  int  `json:"srm_min_total,omitempty"`
	// SRMHold makes an SRM hold the rollout (no advance, regressions not
	// acted on) instead of rolling it back, checked before the metrics
	// (GrowthBook's "unhealthy").
	SRMHold bool `json:"srm_hold,omitempty"`
	// PauseOnInconclusive halts the rollout for manual judgement when a
	// detector's verdict is inconclusive (Argo Rollouts).
	PauseOnInconclusive bool `json:"pause_on_inconclusive,omitempty"`
	// Actions are scripted manual actions, in time order (see manual.go).
	Actions []Action `json:"actions,omitempty"`
	// Health configures the health checks (nil: the defaults, every check
	// a warning; see health.go).
	Health *HealthPolicy `json:"health,omitempty"`
	// Alerts configures the notifications (nil: LaunchDarkly's defaults,
	// both alert events, no change events; see notify.go).
	Alerts *AlertPolicy `json:"alerts,omitempty"`

	// Detector makes the per-metric regression detectors (nil:
	// ConfidenceSequence, the rule described on Alpha, NStar and MinPerArm).
	Detector DetectorFactory `json:"-"`
}

// DetectorFactory returns the policy's detector factory (the default
// ConfidenceSequence when Detector is nil).
func (p Policy) DetectorFactory() DetectorFactory {
	if p.Detector == nil {
		return ConfidenceSequence{}
	}
	return p.Detector
}

// Defaults used by WithDefaults.
const (
	DefaultCheckInterval    = time.Hour
	DefaultMinContexts      = 100
	DefaultAlpha            = 0.05
	DefaultNStar            = 5000
	DefaultMinPerArm        = 30
	DefaultSRMAlpha         = 0.001
	DefaultSRMConcentration = 10000
)

// WithDefaults returns a copy of p with every unset field given its default.
func (p Policy) WithDefaults() Policy {
	if len(p.Steps) == 0 {
		p.Steps = schedule.Default(0)
	} else {
		p.Steps = append([]schedule.Step(nil), p.Steps...)
	}
	if p.CheckInterval == 0 {
		p.CheckInterval = DefaultCheckInterval
	}
	if p.Alpha == 0 {
		p.Alpha = DefaultAlpha
	}
	if p.NStar == 0 {
		p.NStar = DefaultNStar
	}
	if p.MinPerArm == 0 {
		p.MinPerArm = DefaultMinPerArm
	}
	if p.SRMAlpha == 0 {
		p.SRMAlpha = DefaultSRMAlpha
	}
	if p.SRMConcentration == 0 {
		p.SRMConcentration = DefaultSRMConcentration
	}
	if p.ContextKind == "" {
		p.ContextKind = "user"
	}
	p.Metrics = append([]Metric(nil), p.Metrics...)
	return p
}

// MetricAlpha is the one-sided level each metric is tested at.
func (p Policy) MetricAlpha() float64 {
	if p.OverallAlpha > 0 && len(p.Metrics) > 0 {
		return p.OverallAlpha / float64(len(p.Metrics))
	}
	return p.Alpha
}

// MetricKeys lists the event keys in order: index i is Event.Metric i.
// The metrics come first, then the numerator and denominator keys of ratio
// metrics that are not metrics themselves, in order of first use.
func (p Policy) MetricKeys() []string {
	keys := make([]string, len(p.Metrics), len(p.Metrics)+2)
	seen := make(map[string]bool, len(p.Metrics))
	for i, m := range p.Metrics {
		keys[i] = m.Key
		seen[m.Key] = true
	}
	for _, m := range p.Metrics {
		if m.Kind != Ratio {
			continue
		}
		for _, k := range []string{m.Numerator, m.Denominator} {
			if k != "" && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// MetricIndex returns the index of the metric with the given key.
func (p Policy) MetricIndex(key string) (int, bool) {
	for i, m := range p.Metrics {
		if m.Key == key {
			return i, true
		}
	}
	return -1, false
}

// Validate checks a policy (after WithDefaults) and names the offending field.
func (p Policy) Validate() error {
	var errs []error
	if err := schedule.Validate(p.Steps); err != nil {
		errs = append(errs, fmt.Errorf("steps: %w", err))
	}
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(p.CheckInterval > 0, "check_interval %v must be positive", p.CheckInterval)
	check(!p.durationOverflows(), "steps: the steps, their extensions and a check interval together last longer than %v, the longest time the engine's int64-nanosecond clock can count", MaxRolloutDuration)
	check(p.MinContexts >= 0, "min_contexts %d must not be negative", p.MinContexts)
	check(p.Extension >= 0, "extension %v must not be negative", p.Extension)
	check(p.Alpha > 0 && p.Alpha < 0.5, "alpha %g must be in (0, 0.5)", p.Alpha)
	check(p.OverallAlpha >= 0 && p.OverallAlpha < 0.5, "overall_alpha %g must be in [0, 0.5)", p.OverallAlpha)
	check(p.NStar > 0 && !math.IsInf(p.NStar, 0), "nstar %g must be positive", p.NStar)
	check(p.MinPerArm >= 2, "min_per_arm %d must be at least 2", p.MinPerArm)
	check(p.SRMAlpha > 0 && p.SRMAlpha < 1, "srm_alpha %g must be in (0, 1)", p.SRMAlpha)
	check(p.SRMConcentration > 0, "srm_concentration %g must be positive", p.SRMConcentration)
	check(len(p.Metrics) > 0, "metrics: at least one metric is required")
	if err := p.Alerts.Validate(); err != nil {
		errs = append(errs, err)
	}
	seen := map[string]bool{}
	for i, m := range p.Metrics {
		check(m.Key != "", "metrics[%d].key must not be empty", i)
		check(!seen[m.Key], "metrics[%d].key %q is duplicated", i, m.Key)
		seen[m.Key] = true
		check(m.MinContexts >= 0, "metrics[%d].min_contexts %d must not be negative", i, m.MinContexts)
		check(m.Kind <= Ratio, "metrics[%d].kind %d is unknown", i, m.Kind)
		check(m.Margin >= 0 && !math.IsInf(m.Margin, 0) && !math.IsNaN(m.Margin), "metrics[%d] (%s).margin %g must be a finite non-negative number", i, m.Key, m.Margin)
		check(!m.MarginRelative || m.Margin < 1, "metrics[%d] (%s).margin %g%% must be below 100%%", i, m.Key, 100*m.Margin)
		switch m.Kind {
		case Percentile:
			check(m.Quantile > 0 && m.Quantile < 1, "metrics[%d] (%s).quantile %g must be in (0, 1)", i, m.Key, m.Quantile)
			check(m.Method == "" || m.Method == MethodGrowthBook || m.Method == MethodNonparametric,
				"metrics[%d] (%s).method %q must be %s or %s", i, m.Key, m.Method, MethodGrowthBook, MethodNonparametric)
		case Ratio:
			check(m.Numerator != "" && m.Denominator != "", "metrics[%d] (%s): a ratio metric needs numerator and denominator keys", i, m.Key)
			check(m.Numerator != m.Denominator || m.Numerator == "", "metrics[%d] (%s): numerator and denominator must differ", i, m.Key)
			check(m.Numerator != m.Key && m.Denominator != m.Key, "metrics[%d] (%s): a ratio metric cannot be its own numerator or denominator", i, m.Key)
		}
		if m.Kind != Percentile {
			check(m.Quantile == 0, "metrics[%d] (%s).quantile is only for percentile metrics", i, m.Key)
			check(m.Method == "", "metrics[%d] (%s).method is only for percentile metrics", i, m.Key)
		}
		if m.Kind != Ratio {
			check(m.Numerator == "" && m.Denominator == "", "metrics[%d] (%s): numerator and denominator are only for ratio metrics", i, m.Key)
		}
	}
	for i, m := range p.Metrics {
		if m.Kind != Ratio {
			continue
		}
		for _, k := range []string{m.Numerator, m.Denominator} {
			if j, ok := p.MetricIndex(k); ok {
				check(p.Metrics[j].Kind != Ratio && p.Metrics[j].Kind != Percentile,
					"metrics[%d] (%s): %s is a %s metric and cannot be a ratio's numerator or denominator", i, m.Key, k, p.Metrics[j].Kind)
			}
		}
	}
	errs = append(errs, p.validateActions()...)
	errs = append(errs, p.HealthSettings().validate()...)
	return errors.Join(errs...)
}
