package engine

import (
	"github.com/guardsim/guardsim/engine/stats"
)

// kindState is the rollout's extra state for percentile and ratio metrics
// (nil when the policy has neither). Memory: a percentile metric keeps its
// event values per step and arm in a stats.QuantileSample (bounded by its
// cap, 8 bytes a value); a ratio metric keeps the numerator and
// denominator sums in two cells of the context's record and six sums per
// step and arm.
type kindState struct {
	nkeys int
	quant [][]stats.QuantileStratum // [metric][step]; nil for other kinds
	ratio [][]stats.RatioStratum    // [metric][step]; nil for other kinds
	// feeds[k] lists the ratio metrics whose numerator or denominator is
	// event key k (an index into Policy.MetricKeys).
	feeds [][]ratioFeed
	// den[m] is the cell of a context's record that holds ratio metric
	// m's denominator sum (0 for other kinds); its numerator sum is the
	// metric's own cell, 1+m.
	den []int
}

type ratioFeed struct {
	metric int
	num    bool
}

func newKindState(p Policy) *kindState {
	keys := p.MetricKeys()
	ks := &kindState{nkeys: len(keys)}
	need := false
	index := make(map[string]int, len(keys))
	for i, k := range keys {
		index[k] = i
	}
	ks.quant = make([][]stats.QuantileStratum, len(p.Metrics))
	ks.ratio = make([][]stats.RatioStratum, len(p.Metrics))
	ks.feeds = make([][]ratioFeed, len(keys))
	ks.den = make([]int, len(p.Metrics))
	nden := 0
	for m, met := range p.Metrics {
		switch met.Kind {
		case Percentile:
			need = true
			ks.quant[m] = make([]stats.QuantileStratum, len(p.Steps))
			for s := range ks.quant[m] {
				// Each sample's reservoir has its own seed, derived from the
				// rollout's, so runs are reproducible.
				base := uint64(p.Seed)*0x9e3779b97f4a7c15 + uint64(m)<<32 + uint64(s)<<8
				ks.quant[m][s] = stats.QuantileStratum{
					A: stats.NewQuantileSample(0, base),
					B: stats.NewQuantileSample(0, base+1),
				}
			}
		case Ratio:
			need = true
			ks.ratio[m] = make([]stats.RatioStratum, len(p.Steps))
			ks.den[m] = 1 + len(p.Metrics) + nden
			nden++
			ks.feeds[index[met.Numerator]] = append(ks.feeds[index[met.Numerator]], ratioFeed{metric: m, num: true})
			ks.feeds[index[met.Denominator]] = append(ks.feeds[index[met.Denominator]], ratioFeed{metric: m})
		}
	}
	if !need {
		return nil
	}
	return ks
}

// ndens is the number of denominator cells in a context's record.
func (ks *kindState) ndens() int {
	if ks == nil {
		return 0
	}
	n := 0
	for _, d := range ks.den {
		if d != 0 {
			n++
		}
	}
	return n
}

func (ks *kindState) ratioArm(m, step int, v Variation) *stats.RatioMoments {
	s := &ks.ratio[m][step]
	if v == New {
		return &s.B
	}
	return &s.A
}

// expose enters a context at its first analysed exposure: every exposed
// context is in a ratio metric's sample (zero numerator and denominator
// until its events arrive).
func (ks *kindState) expose(step int, v Variation) {
	for m, r := range ks.ratio {
		if r != nil {
			ks.ratioArm(m, step, v).Add(0, 0)
		}
	}
}

// event feeds one metric event of key k with value x from a context of
// arm v first analysed in step; rec is the context's record.
func (ks *kindState) event(k int, x float64, step int, v Variation, rec []metricVal) {
	for _, f := range ks.feeds[k] {
		num, den := &rec[1+f.metric].v, &rec[ks.den[f.metric]].v
		om, od := *num, *den
		if f.num {
			*num += x
		} else {
			*den += x
		}
		ks.ratioArm(f.metric, step, v).Replace(om, od, *num, *den)
	}
	if k < len(ks.quant) && ks.quant[k] != nil {
		q := ks.quant[k][step]
		if v == New {
			q.B.Add(x)
		} else {
			q.A.Add(x)
		}
	}
}

// armStats summarises a percentile or ratio metric's arms for the
// timeline: for a percentile metric, N is the number of values and Mean
// the quantile of the step with the most values; for a ratio metric, N is
// the number of contexts, Mean the ratio Σnumerator/Σdenominator and Var
// the per-context delta-method variance.
func (ks *kindState) armStats(m int, met Metric) (a, b ArmStats, ok bool) {
	switch {
	case ks.quant[m] != nil:
		var bestA, bestB *stats.QuantileSample
		for _, q := range ks.quant[m] {
			a.N += q.A.Len()
			b.N += q.B.Len()
			if bestA == nil || q.A.Len() > bestA.Len() {
				bestA = q.A
			}
			if bestB == nil || q.B.Len() > bestB.Len() {
				bestB = q.B
			}
		}
		a.Mean = stats.QuantileFromSorted(bestA.Sorted(), met.Quantile).Q
		b.Mean = stats.QuantileFromSorted(bestB.Sorted(), met.Quantile).Q
		return a, b, true
	case ks.ratio[m] != nil:
		var ra, rb stats.RatioMoments
		for _, s := range ks.ratio[m] {
			ra.Merge(s.A)
			rb.Merge(s.B)
		}
		return ArmStats{N: int(ra.N), Mean: ra.Ratio(), Var: ra.UnitVar()}, ArmStats{N: int(rb.N), Mean: rb.Ratio(), Var: rb.UnitVar()}, true
	}
	return a, b, false
}

func (r *Rollout) quantStrata(m int) []stats.QuantileStratum {
	if r.kinds == nil {
		return nil
	}
	return r.kinds.quant[m]
}

func (r *Rollout) ratioStrata(m int) []stats.RatioStratum {
	if r.kinds == nil {
		return nil
	}
	return r.kinds.ratio[m]
}
