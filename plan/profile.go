package plan

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/sim"
)

// Profile is the traffic a plan assumes: arrivals, returning contexts and,
// per metric, how often an exposure yields data and how spread the
// per-context values are.
type Profile struct {
	// Source says where the profile came from ("scenario NAME", "export F").
	Source string `json:"source"`
	// Start is the rollout's start (the daily cycle follows the UTC clock).
	Start   time.Time `json:"start"`
	Traffic Traffic   `json:"traffic"`
	// Population is the number of distinct contexts drawn uniformly at each
	// arrival; 0 means every arrival is a new context.
	Population int `json:"population"`
	// Metrics are in the policy's metric order.
	Metrics []MetricProfile `json:"metrics"`
}

// DelayShape is the distribution of a metric event's delay after its exposure.
type DelayShape string

const (
	// ExponentialDelay has mean Delay (the generator's binary metrics).
	ExponentialDelay DelayShape = "exponential"
	// UniformDelay is uniform on [0, 2·Delay] (the generator's numeric metrics).
	UniformDelay DelayShape = "uniform"
)

// MetricProfile is what a plan needs to know of one metric.
type MetricProfile struct {
	Key string `json:"key"`
	// DataRate is the probability that one exposure yields at least one
	// event of the metric (binary: the conversion rate; numeric: 1).
	DataRate float64 `json:"data_rate"`
	// Delay and DelayShape describe when the events arrive.
	Delay      time.Duration `json:"delay"`
	DelayShape DelayShape    `json:"delay_shape"`
	// Mean and Var are the mean and variance of a context's value as the
	// engine forms it (binary: converted or not; numeric: mean or sum of
	// its events), for a context with one exposure.
	Mean float64 `json:"mean"`
	Var  float64 `json:"var"`
}

// FromModel derives the profile of a simulation model for policy p (whose
// metrics say how the engine aggregates each one).
func FromModel(m sim.Model, p engine.Policy) (*Profile, error) {
	if len(m.Metrics) != len(p.Metrics) {
		return nil, fmt.Errorf("the model has %d metrics and the policy %d", len(m.Metrics), len(p.Metrics))
	}
	pr := &Profile{
		Start:      m.Start,
		Traffic:    Cosine{RatePerHour: m.Traffic.RatePerHour, DailyAmplitude: m.Traffic.DailyAmplitude, PeakHour: m.Traffic.PeakHour},
		Population: m.Traffic.Population,
	}
	for i, mm := range m.Metrics {
		em := p.Metrics[i]
		mp := MetricProfile{Key: em.Key, Delay: mm.Delay}
		switch {
		case em.Kind == engine.Percentile || em.Kind == engine.Ratio:
			// The minimum-context counts are modelled; the MDE is not (Var 0).
			mp.DataRate, mp.DelayShape, mp.Mean = 1, UniformDelay, mm.Mean
			if mm.Binary {
				mp.DataRate, mp.DelayShape = mm.Rate, ExponentialDelay
			}
		case em.Kind == engine.Binary && mm.Binary:
			mp.DataRate = mm.Rate
			mp.DelayShape = ExponentialDelay
			mp.Mean = mm.Rate
			mp.Var = mm.Rate * (1 - mm.Rate)
		case em.Kind == engine.Numeric && !mm.Binary:
			mp.DataRate = 1
			mp.DelayShape = UniformDelay
			e := float64(max(mm.EventsPerExposure, 1))
			csd2 := mm.ContextSD * mm.ContextSD
			if em.Aggregation == engine.Sum {
				mp.Mean = e * mm.Mean
				mp.Var = e*mm.SD*mm.SD + e*e*csd2
			} else {
				mp.Mean = mm.Mean
				mp.Var = mm.SD*mm.SD/e + csd2
			}
		default:
			return nil, fmt.Errorf("metric %s: the policy says %s but the model generates %s values", em.Key, em.Kind, kindOf(mm.Binary))
		}
		pr.Metrics = append(pr.Metrics, mp)
	}
	return pr, pr.Validate()
}

func kindOf(binary bool) string {
	if binary {
		return "binary"
	}
	return "numeric"
}

// Validate checks the profile and names the offending field.
func (p *Profile) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(p.Traffic != nil, "traffic: missing")
	check(p.Population >= 0, "population %d must not be negative", p.Population)
	for i, m := range p.Metrics {
		check(m.DataRate >= 0 && m.DataRate <= 1, "metrics[%d] (%s).data_rate %g must be in [0, 1]", i, m.Key, m.DataRate)
		check(m.Var >= 0 && !math.IsInf(m.Var, 0), "metrics[%d] (%s).var %g must be finite and not negative", i, m.Key, m.Var)
		check(!math.IsNaN(m.Mean) && !math.IsInf(m.Mean, 0), "metrics[%d] (%s).mean %g must be finite", i, m.Key, m.Mean)
		check(m.Delay >= 0, "metrics[%d] (%s).delay %v must not be negative", i, m.Key, m.Delay)
	}
	return errors.Join(errs...)
}
