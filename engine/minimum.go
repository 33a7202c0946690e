package engine

import "fmt"

// Minimum contexts per step.
//
// The policy's minimum (Policy.MinContexts) counts the distinct contexts
// served the new variation during the current step (its extension and
// holds included), returning contexts included: stepNew.
//
// A metric's own minimum (Metric.MinContexts) counts the distinct contexts
// of the new arm that, during the current step, were served the new
// variation and had at least one event of that metric (for every kind and
// aggregation: a binary metric counts its converters, not every exposed
// context; a ratio metric, the contexts with an event of its numerator or
// denominator). Returning contexts count in every step in which they are served
// and have data, wherever their first analysed exposure fell. A context is
// counted when the second of the two happens in the step, so each counts
// once per step: stepData.

// initMinimums prepares the per-metric counts of the metrics with a minimum.
func (r *Rollout) initMinimums() {
	r.stepData = make([][]int, len(r.pol.Metrics))
	for m, met := range r.pol.Metrics {
		if met.MinContexts > 0 {
			r.minMetrics = append(r.minMetrics, m)
			r.stepData[m] = make([]int, len(r.pol.Steps))
		}
	}
}

// servedNew records that context i was served the new variation for the
// first time in the current step.
func (r *Rollout) servedNew(i int32) {
	for _, m := range r.minMetrics {
		if r.ctxIdx.rec(i)[1+m].dataStep == int16(r.step+1) {
			r.stepData[m][r.step]++
		}
	}
}

// hadData records an event of metric m (which has a minimum) of a
// new-arm context.
func (r *Rollout) hadData(st *ctxState, mv *metricVal, m int) {
	if mv.dataStep == int16(r.step+1) {
		return
	}
	mv.dataStep = int16(r.step + 1)
	if int(st.lastNewStep) == r.step {
		r.stepData[m][r.step]++
	}
}

// componentData records an event of key k for the ratio metrics (with a
// minimum) it feeds: a ratio metric's data are its numerator's and
// denominator's events.
func (r *Rollout) componentData(st *ctxState, rec []metricVal, k int) {
	for _, f := range r.kinds.feeds[k] {
		if r.pol.Metrics[f.metric].MinContexts > 0 {
			r.hadData(st, &rec[1+f.metric], f.metric)
		}
	}
}

// shortfall describes which minimum the current step misses ("" if none).
func (r *Rollout) shortfall() string {
	if n := r.stepNew[r.step]; n < r.pol.MinContexts {
		return fmt.Sprintf("%d of %d contexts on the new variation", n, r.pol.MinContexts)
	}
	for _, m := range r.minMetrics {
		met := r.pol.Metrics[m]
		if n := r.stepData[m][r.step]; n < met.MinContexts {
			return fmt.Sprintf("%s: %d of %d new-variation contexts with data", met.Key, n, met.MinContexts)
		}
	}
	return ""
}
