package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Model describes a synthetic stream.
type Model struct {
	// Seed drives every random draw of the stream.
	Seed uint64
	// Start is the time of the rollout's start (the first arrival follows it).
	Start time.Time
	// Horizon is how long the stream runs.
	Horizon time.Duration
	// ContextKind is the kind of the generated contexts ("" → "user").
	ContextKind string
	// OmitVariation leaves exposures without a variation so that the engine
	// buckets the contexts itself.
	OmitVariation bool
	// AnalysedOnly skips the traffic served outside the analysis (no
	// exposure or metric events for it): the engine ignores that traffic,
	// so Monte Carlo runs use this to go faster.
	AnalysedOnly bool
	Traffic      Traffic
	Metrics      []MetricModel
	Fault        SRMFault
}

// Traffic is the arrival process of exposures.
type Traffic struct {
	// RatePerHour is the mean number of exposures per hour.
	RatePerHour float64
	// DailyAmplitude in [0, 1) makes the rate follow a daily cycle:
	// rate·(1 + A·cos(2π(hour − PeakHour)/24)).
	DailyAmplitude float64
	// PeakHour is the UTC hour of the daily peak.
	PeakHour float64
	// Population is the number of distinct contexts; each arrival is a
	// uniformly drawn member, so contexts return. Zero makes every arrival
	// a new context.
	Population int
}

// Distribution of a numeric metric's values.
type Distribution string

const (
	Normal    Distribution = "normal"
	LogNormal Distribution = "lognormal"
)

// MetricModel is how one metric's events are generated. Index i of
// Model.Metrics is metric i of the policy.
type MetricModel struct {
	Key string
	// Binary metrics convert with probability Rate per exposure; numeric
	// ones emit EventsPerExposure values per exposure.
	Binary bool
	Rate   float64
	// Numeric values: Distribution with Mean and SD (log-normal parameters
	// are derived from them), plus a per-context random intercept of
	// standard deviation ContextSD.
	Distribution      Distribution
	Mean              float64
	SD                float64
	ContextSD         float64
	EventsPerExposure int
	// ZeroShare in [0, 1) makes the numeric values zero-inflated: each
	// event's value is 0 with this probability and a draw of Distribution
	// (Mean and SD are those of the non-zero values) otherwise, before the
	// context intercept and the effect are added. Revenue per exposure is
	// the typical case: 0.95 with a log-normal for the 5% who buy.
	ZeroShare float64
	// Delay is the mean delay of a metric event after its exposure
	// (exponential for binary metrics, uniform on [0, 2·Delay] for numeric).
	Delay time.Duration
	// Effect is the absolute regression added to the new variation's values
	// (to the conversion probability for binary metrics), from EffectStart
	// or from step EffectStep (1-based), whichever is set.
	Effect      float64
	EffectStart time.Duration
	EffectStep  int
	// TailQuantile and TailScale (when TailScale ≠ 0) make a tail
	// regression of a numeric metric's values: a new-variation value above
	// the baseline distribution's TailQuantile (without the context
	// intercept) is multiplied by TailScale, under the same start rule as
	// Effect.
	TailQuantile float64
	TailScale    float64
	// Baseline, when set, moves the metric's untreated level over time
	// (daily cycle, trend); Novelty makes the effect change with the time
	// since its onset (realism.go).
	Baseline *Baseline `json:",omitempty"`
	Novelty  *Novelty  `json:",omitempty"`

	// Ratio metrics emit no events of their own key: per exposure,
	// EventsPerExposure denominator events of value 1 (key index
	// DenominatorIndex, e.g. requests), each followed with probability Rate
	// (+ Effect on the new variation from the effect's start) by a
	// numerator event of value 1 (NumeratorIndex, e.g. errors).
	Ratio            bool
	NumeratorIndex   int32
	DenominatorIndex int32
}

// tailThreshold is the TailQuantile of the metric's baseline distribution.
func (mm *MetricModel) tailThreshold() float64 {
	z := distuv.UnitNormal.Quantile(mm.TailQuantile)
	if mm.Distribution == LogNormal {
		s2 := math.Log1p(mm.SD * mm.SD / (mm.Mean * mm.Mean))
		return math.Exp(math.Log(mm.Mean) - s2/2 + math.Sqrt(s2)*z)
	}
	return mm.Mean + mm.SD*z
}

// SRMFault injects a sample ratio mismatch.
type SRMFault struct {
	// DropNew is the share of new-variation contexts whose exposures are
	// lost from the log (their metric events still arrive).
	DropNew float64
	// Misassign is the share of control contexts whose exposures are logged
	// as the new variation.
	Misassign float64
	// Start is when the fault begins (from the rollout's start).
	Start time.Duration
	// DuplicateNew is the share of logged new-variation exposures logged
	// a second time under a fresh context key, without metric events
	// (realism.go).
	DuplicateNew float64 `json:",omitempty"`
}

// The times int64 nanoseconds since the Unix epoch can represent.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// Validate checks a model and names the offending field.
func (m *Model) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(m.Horizon > 0, "horizon %v must be positive", m.Horizon)
	check(!m.Start.Before(minTime) && !m.Start.After(maxTime), "start %v must be between %v and %v (int64 nanoseconds)", m.Start, minTime, maxTime)
	check(m.Horizon <= 0 || m.Start.After(maxTime) || maxTime.Sub(m.Start) >= m.Horizon, "start %v + horizon %v is after %v, the last time int64 nanoseconds can count", m.Start, m.Horizon, maxTime)
	t := m.Traffic
	check(t.RatePerHour > 0, "traffic.rate_per_hour %g must be positive", t.RatePerHour)
	check(t.DailyAmplitude >= 0 && t.DailyAmplitude < 1, "traffic.daily_amplitude %g must be in [0, 1)", t.DailyAmplitude)
	check(t.PeakHour >= 0 && t.PeakHour < 24, "traffic.peak_hour %g must be in [0, 24)", t.PeakHour)
	check(t.Population >= 0, "traffic.population %d must not be negative", t.Population)
	for i, mm := range m.Metrics {
		p := fmt.Sprintf("metrics[%d] (%s)", i, mm.Key)
		if mm.Ratio {
			check(mm.Rate >= 0 && mm.Rate <= 1, "%s.rate %g must be in [0, 1]", p, mm.Rate)
			check(mm.Rate+mm.Effect >= 0 && mm.Rate+mm.Effect <= 1, "%s: rate + regression.effect = %g must be in [0, 1]", p, mm.Rate+mm.Effect)
			check(mm.EventsPerExposure >= 1, "%s.events_per_exposure %d must be at least 1", p, mm.EventsPerExposure)
			check(mm.NumeratorIndex >= 0 && mm.DenominatorIndex >= 0, "%s: numerator and denominator keys must be event keys of the policy", p)
		} else if mm.Binary {
			check(mm.Rate >= 0 && mm.Rate <= 1, "%s.rate %g must be in [0, 1]", p, mm.Rate)
			check(mm.Rate+mm.Effect >= 0 && mm.Rate+mm.Effect <= 1, "%s: rate + regression.effect = %g must be in [0, 1]", p, mm.Rate+mm.Effect)
		} else {
			check(mm.Distribution == Normal || mm.Distribution == LogNormal, "%s.distribution %q must be normal or lognormal", p, mm.Distribution)
			check(mm.SD >= 0, "%s.sd %g must not be negative", p, mm.SD)
			check(mm.ContextSD >= 0, "%s.context_sd %g must not be negative", p, mm.ContextSD)
			check(mm.Distribution != LogNormal || mm.Mean > 0, "%s.mean %g must be positive for a log-normal metric", p, mm.Mean)
			check(mm.EventsPerExposure >= 1, "%s.events_per_exposure %d must be at least 1", p, mm.EventsPerExposure)
		}
		check(mm.ZeroShare == 0 || (!mm.Binary && !mm.Ratio), "%s.zero_share applies to numeric and percentile metrics only", p)
		check(mm.ZeroShare >= 0 && mm.ZeroShare < 1, "%s.zero_share %g must be in [0, 1)", p, mm.ZeroShare)
		if mm.TailScale != 0 {
			check(!mm.Binary && !mm.Ratio, "%s: a tail regression applies to numeric and percentile metrics only", p)
			check(mm.TailScale > 0, "%s.regression.tail_scale %g must be positive", p, mm.TailScale)
			check(mm.TailQuantile > 0 && mm.TailQuantile < 1, "%s.regression.tail_quantile %g must be in (0, 1)", p, mm.TailQuantile)
		}
		check(mm.Delay >= 0, "%s.delay %v must not be negative", p, mm.Delay)
		check(mm.EffectStep >= 0, "%s.regression.start_step %d must not be negative", p, mm.EffectStep)
		check(mm.EffectStart >= 0, "%s.regression.start %v must not be negative", p, mm.EffectStart)
		mm.validateRealism(p, m.Horizon, check)
	}
	f := m.Fault
	check(f.DropNew >= 0 && f.DropNew <= 1, "srm_fault.drop_new %g must be in [0, 1]", f.DropNew)
	check(f.Misassign >= 0 && f.Misassign <= 1, "srm_fault.misassign %g must be in [0, 1]", f.Misassign)
	check(f.Start >= 0, "srm_fault.start %v must not be negative", f.Start)
	check(f.DuplicateNew >= 0 && f.DuplicateNew <= 1, "srm_fault.duplicate_new %g must be in [0, 1]", f.DuplicateNew)
	return errors.Join(errs...)
}
