package detect

import (
	"math"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/engine/stats"
)

// pooled merges a metric's per-step moments into one per arm (the
// unstratified comparison GrowthBook and LaunchDarkly's legacy model make).
func pooled(strata []stats.Stratum) (a, b stats.Moments) {
	for _, s := range strata {
		a.Merge(s.A)
		b.Merge(s.B)
	}
	return a, b
}

// total is Σ of the values behind m.
func total(m stats.Moments) float64 { return m.N*m.Shift + m.Sum }

// harmSign is +1 when a larger new-variation value is worse, −1 otherwise.
func harmSign(m engine.Metric) float64 {
	if m.Direction == engine.HigherIsBetter {
		return -1
	}
	return 1
}

// intervals turns the cumulative moments a detector sees at each check into
// the metric's value per arm in the interval since the previous check: the
// sum of the values added over the contexts added (Flagger's and Argo's
// queries over the analysis interval, Kayenta's time series). An arm that
// gained no contexts in the interval has no value (NaN).
type intervals struct {
	n, s [2]float64 // cumulative counts and totals at the previous check
}

// next returns the interval values (original, new) and the contexts added.
func (iv *intervals) next(strata []stats.Stratum) (vals, added [2]float64) {
	a, b := pooled(strata)
	cur := [2]stats.Moments{a, b}
	for k := range cur {
		n, s := cur[k].N, total(cur[k])
		added[k] = n - iv.n[k]
		if added[k] > 0 {
			vals[k] = (s - iv.s[k]) / added[k]
		} else {
			vals[k] = math.NaN()
		}
		iv.n[k], iv.s[k] = n, s
	}
	return vals, added
}

// each makes one detector per metric of p with mk.
func each(p engine.Policy, mk func(i int) engine.Detector) []engine.Detector {
	ds := make([]engine.Detector, len(p.Metrics))
	for i := range ds {
		ds[i] = mk(i)
	}
	return ds
}
