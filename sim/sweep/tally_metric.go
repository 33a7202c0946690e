package sweep

import (
	"fmt"
	"math"

	"github.com/guardsim/guardsim/engine/stats"
)

// Per-metric rates and the family bound.
//
// With M metrics, a rollout is rolled back when any metric's test rejects,
// so the any-metric false-rollback rate (Cell.Rate at effect 0) is bounded
// by the family bound in force, not by the per-metric α: overall_alpha
// when the policy sets it (each metric is then tested at overall_alpha/M,
// Bonferroni), otherwise M·α (the union bound over M tests at α each).
// Each metric's own false-rollback rate is bounded by α. A metric counts
// for a rollout when it flagged the regression at the check that ended it;
// several can at once, so the per-metric rates may sum above the
// any-metric rate.

// maxTrackedMetrics is how many metrics outcome.regressed can name.
const maxTrackedMetrics = 64

// metricBit is metric m's bit in outcome.regressed (0 beyond 64 metrics:
// those are not tracked per metric).
func metricBit(m int) uint64 {
	if m >= maxTrackedMetrics {
		return 0
	}
	return 1 << uint(m)
}

// addMetrics counts one regression ending with the metrics of mask.
func (t *Tally) addMetrics(mask uint64) {
	for m := 0; mask != 0; m++ {
		if mask&1 != 0 {
			for len(t.Metric) <= m {
				t.Metric = append(t.Metric, 0)
			}
			t.Metric[m]++
		}
		mask >>= 1
	}
}

// mergeMetrics adds another tally's per-metric counts.
func (t *Tally) mergeMetrics(o []int64) {
	for m, n := range o {
		for len(t.Metric) <= m {
			t.Metric = append(t.Metric, 0)
		}
		t.Metric[m] += n
	}
}

func (t *Tally) validateMetrics() error {
	d := t.Detections()
	for m, n := range t.Metric {
		if n < 0 || n > d {
			return fmt.Errorf("metric %d has %d detections, outside [0, %d]", m, n, d)
		}
	}
	return nil
}

// MetricRate is one metric's rate in a cell.
type MetricRate struct {
	Key string `json:"key"`
	// Detections counts the rollouts ended by regression in which this
	// metric flagged it; Rate is Detections/Reps (the metric's
	// false-rollback rate at effect 0), RateLo and RateHi its Wilson 95%
	// interval.
	Detections int     `json:"detections"`
	Rate       float64 `json:"rate"`
	RateLo     float64 `json:"rate_lo"`
	RateHi     float64 `json:"rate_hi"`
}

// Family rules (Cell.FamilyRule).
const (
	// FamilyBonferroni: overall_alpha is set and split across the metrics.
	FamilyBonferroni = "bonferroni"
	// FamilyUnion: each metric at alpha; the any-metric rate is bounded by
	// M·alpha.
	FamilyUnion = "union"
)

// familyBound is the bound on the any-metric false-rollback rate of a
// policy with m metrics at per-metric level alpha, and its rule.
func familyBound(overallAlpha, alpha float64, m int) (float64, string) {
	if overallAlpha > 0 {
		return overallAlpha, FamilyBonferroni
	}
	return math.Min(float64(m)*alpha, 1), FamilyUnion
}

// metricRates are the per-metric rates of a tally over the given keys.
func (t *Tally) metricRates(keys []string) []MetricRate {
	out := make([]MetricRate, len(keys))
	for m, k := range keys {
		var n int64
		if m < len(t.Metric) {
			n = t.Metric[m]
		}
		r := MetricRate{Key: k, Detections: int(n)}
		if t.Reps > 0 {
			r.Rate = float64(n) / float64(t.Reps)
		}
		r.RateLo, r.RateHi = stats.Wilson(r.Detections, int(t.Reps), stats.Z95)
		out[m] = r
	}
	return out
}
